package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
)

// Config wires a Service. Zero policy values take their defaults.
type Config struct {
	DB    *bun.DB
	Org   *org.Store
	Clock clock.Clock
	Log   *slog.Logger
	// MaxFailedLogins wrong passwords in a row lock an account for LockoutDuration
	// (defaults 5 and 15 minutes).
	MaxFailedLogins int
	LockoutDuration time.Duration
}

// Service signs staff in, issues and checks their scripts' tokens, and writes the audit trail.
type Service struct {
	db        *bun.DB
	org       *org.Store
	clock     clock.Clock
	log       *slog.Logger
	maxFailed int
	lockout   time.Duration
	// dummyHash is checked for unknown usernames, so they cost as much as known ones.
	dummyHash string
}

// NewService wires the service.
func NewService(c Config) (*Service, error) {
	s := &Service{db: c.DB, org: c.Org, clock: c.Clock, log: c.Log, maxFailed: c.MaxFailedLogins, lockout: c.LockoutDuration}
	if s.maxFailed <= 0 {
		s.maxFailed = 5
	}
	if s.lockout <= 0 {
		s.lockout = 15 * time.Minute
	}
	var err error
	if s.dummyHash, err = org.HashPassword("no such account"); err != nil {
		return nil, err
	}
	return s, nil
}

// Sessions returns the session store on the service's database.
func (s *Service) Sessions() *Sessions { return NewSessions(s.db) }

// Record writes an audit entry at the clock's time on db (the change's transaction, or the
// service's database when db is nil).
func (s *Service) Record(ctx context.Context, db bun.IDB, c Change) error {
	if db == nil {
		db = s.db
	}
	return Record(ctx, db, s.clock.Now(), c)
}

// RecordAfter writes the audit entry of something already done outside a transaction (a
// login, a logout): a failure is logged, not returned, since what it describes has happened.
func (s *Service) RecordAfter(ctx context.Context, c Change) {
	if err := s.Record(ctx, nil, c); err != nil {
		s.log.ErrorContext(ctx, "write audit entry", "action", c.Action, "err", err)
	}
}

// Entries returns the newest limit entries of the audit trail.
func (s *Service) Entries(ctx context.Context, limit int) ([]Entry, error) {
	return Entries(ctx, s.db, limit)
}

// Login results other than success.
var (
	ErrBadLogin = errors.New("wrong username or password")
	ErrLocked   = errors.New("account locked after repeated failed logins")
)

// LockedError says until when an account is locked; it unwraps to ErrLocked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return ErrLocked.Error() }
func (e *LockedError) Unwrap() error { return ErrLocked }

// Login checks a username and password. Unknown accounts cost the same argon2id work as known
// ones, so timing does not tell which usernames exist. Repeated failures lock the account for
// a while; a locked account is refused even with the right password.
func (s *Service) Login(ctx context.Context, username, password string) (*org.Staff, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	st, err := s.org.Staff(ctx, username)
	if errors.Is(err, org.ErrNotFound) || (err == nil && !st.Active) {
		org.CheckPassword(s.dummyHash, password)
		return nil, ErrBadLogin
	} else if err != nil {
		return nil, fmt.Errorf("log in %s: %w", username, err)
	}
	now := s.clock.Now()
	if st.LockedUntil != nil && st.LockedUntil.After(now) {
		return nil, &LockedError{Until: *st.LockedUntil}
	}
	ok, err := org.CheckPassword(st.PasswordHash, password)
	if err != nil && !errors.Is(err, org.ErrBadHash) {
		return nil, err
	}
	if !ok {
		until, err := s.org.RecordLoginFailure(ctx, st.ID, now, s.maxFailed, s.lockout)
		if err != nil {
			return nil, err
		}
		if until != nil {
			s.log.WarnContext(ctx, "account locked after failed logins", "username", st.Username, "until", until)
			s.RecordAfter(ctx, Change{Action: "account_locked", ObjectType: "staff", ObjectKey: st.Username, Detail: map[string]any{"until": until}})
		}
		return nil, ErrBadLogin
	}
	if err := s.org.RecordLoginSuccess(ctx, st.ID); err != nil {
		return nil, err
	}
	return st, nil
}

// SessionStaff returns the active account a session names. An account gone or disabled since
// is ErrNotFound; a database failure is an error.
func (s *Service) SessionStaff(ctx context.Context, id int64) (*org.Staff, error) {
	st, err := s.org.StaffByID(ctx, id)
	if errors.Is(err, org.ErrNotFound) {
		return nil, fmt.Errorf("account %d: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	if !st.Active {
		return nil, fmt.Errorf("account %d is disabled: %w", id, ErrNotFound)
	}
	return st, nil
}
