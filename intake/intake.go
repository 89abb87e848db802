// Package intake takes complaints that arrive online: the Open311 GeoReport v2 API that other
// cities' and platforms' apps post to, the public complaint form, and citizens' tracking and
// rating (评价) of their tickets. It owns its tables (API keys, submissions, photos, ratings)
// and registers every complaint through the tickets service.
package intake

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/ratelimit"
	"github.com/hotline-city/hotline/tickets"
)

// Errors of the intake area; the web edge maps them to HTTP statuses.
var (
	// ErrKey means a missing, unknown or revoked API key.
	ErrKey = errors.New("invalid api_key")
	// ErrRateLimited means the caller sent more than its limit allows.
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrNotFound means no such service, request, photo or tracked ticket.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyRated means this resolution of the ticket has been rated.
	ErrAlreadyRated = errors.New("already rated")
	// ErrNotRateable means the ticket is not resolved, so there is nothing to rate yet.
	ErrNotRateable = errors.New("not resolved yet")
	// ErrLinkExpired is a rating link past its time, forged, or for a resolution since reopened.
	ErrLinkExpired = errors.New("rating link expired")
	// ErrIdempotencyReused means an idempotency key came again with a different complaint.
	ErrIdempotencyReused = errors.New("idempotency key already used for a different request")
)

// FieldError is one invalid input: its field and what is wrong, in English as Open311 answers
// it, and the same problem as a Code with its Args for the citizens' pages, which say it in the
// reader's language.
type FieldError struct {
	Field string
	Msg   string
	Code  string // e.g. "required", "too_long": each the citizens' pages can meet is in their catalogue
	Args  []any  // the values Msg was made with
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// FieldErrors are invalid inputs, each naming its field. It unwraps to tickets.ErrInvalid.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, tickets.ErrInvalid) match.
func (e FieldErrors) Unwrap() error { return tickets.ErrInvalid }

// add records that field is invalid: code names the problem, format and args say it in English.
func (e *FieldErrors) add(field, code, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Msg: fmt.Sprintf(format, args...), Code: code, Args: args})
}

// Has reports whether field has an error.
func (e FieldErrors) Has(field string) bool {
	for _, f := range e {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Limit is a token-bucket rate: Burst requests at once, then one every Every.
type Limit = ratelimit.Limit

// Config are the limits of the public pages. Open311 limits are per API key, in the database.
type Config struct {
	FormPerAddress  Limit // complaint form submissions per client address
	FormPerPhone    Limit // complaint form submissions per phone number
	TrackPerAddress Limit // tracking look-ups and ratings per client address
	// TrackFailures bounds failed look-ups (number and phone that do not match) from all
	// addresses together, so that many addresses cannot enumerate what one may not.
	TrackFailures Limit
	// CatalogueTTL is how long the services catalogue and API keys are cached; an admin's
	// change reaches every process within it.
	CatalogueTTL time.Duration
}

// DefaultConfig are limits generous to a family sharing one address and tight for a script.
var DefaultConfig = Config{
	FormPerAddress:  Limit{Every: 3 * time.Minute, Burst: 10},
	FormPerPhone:    Limit{Every: 10 * time.Minute, Burst: 5},
	TrackPerAddress: Limit{Every: 6 * time.Second, Burst: 20},
	TrackFailures:   Limit{Every: time.Second, Burst: 300},
	CatalogueTTL:    10 * time.Second,
}

// Service is the intake area's service.
type Service struct {
	db      *bun.DB
	tickets *tickets.Service
	clock   clock.Clock
	loc     *time.Location
	log     *slog.Logger
	cfg     Config
	secret  []byte

	keys      *keyCache
	keyLimits *ratelimit.Set
	formAddr  *ratelimit.Set
	formPhone *ratelimit.Set
	trackAddr *ratelimit.Set
	trackFail *ratelimit.Set
	cat       *catalogueCache
	phones    *phoneCache
	batch     batcher
}

// New builds the service, loading (or creating, once for all processes) the secret that signs
// form tokens.
func New(ctx context.Context, db *bun.DB, tk *tickets.Service, clk clock.Clock, loc *time.Location, log *slog.Logger, cfg Config) (*Service, error) {
	s := &Service{db: db, tickets: tk, clock: clk, loc: loc, log: log, cfg: cfg}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := db.ExecContext(ctx, "INSERT INTO intake_secrets (name, value) VALUES ('form', ?) ON CONFLICT (name) DO NOTHING", fresh); err != nil {
		return nil, fmt.Errorf("intake secret: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT value FROM intake_secrets WHERE name = 'form'").Scan(&s.secret); err != nil {
		return nil, fmt.Errorf("intake secret: %w", err)
	}
	s.keys = &keyCache{ttl: cfg.CatalogueTTL, m: map[[32]byte]keyEntry{}}
	s.keyLimits = ratelimit.New()
	s.formAddr = ratelimit.New()
	s.formPhone = ratelimit.New()
	s.trackAddr = ratelimit.New()
	s.trackFail = ratelimit.New()
	s.cat = &catalogueCache{ttl: cfg.CatalogueTTL}
	s.phones = newPhoneCache(4096)
	s.batch.queue = make(chan *pending, batchQueue)
	return s, nil
}

// Location is the zone times are shown in.
func (s *Service) Location() *time.Location { return s.loc }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.clock.Now() }
