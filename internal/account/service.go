package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/ratelimit"
)

// Config wires a Service. Zero policy values take their defaults.
type Config struct {
	DB    *bun.DB
	Org   *org.Store
	Clock clock.Clock
	Log   *slog.Logger
	// MaxFailedLogins wrong passwords in a row go through at once (default 5); after them each
	// attempt on the account waits a delay that doubles with each further failure, from one
	// second up to LockoutDuration (default one minute). The delay slows a guesser down
	// without letting anybody lock a colleague out for a shift.
	MaxFailedLogins int
	LockoutDuration time.Duration
	// FailuresPerAddress bounds the failed logins of one client address, whatever accounts they
	// name (default 20 at once, then one every 30 seconds).
	FailuresPerAddress ratelimit.Limit
}

// Service signs staff in, issues and checks their scripts' tokens, and writes the audit trail.
type Service struct {
	db         *bun.DB
	org        *org.Store
	clock      clock.Clock
	log        *slog.Logger
	maxFailed  int
	lockout    time.Duration
	perAddress ratelimit.Limit
	addrs      *ratelimit.Set
	failures   failureLog
	// dummyHash is checked for unknown usernames, so they cost as much as known ones.
	dummyHash string
}

// NewService wires the service.
func NewService(c Config) (*Service, error) {
	s := &Service{db: c.DB, org: c.Org, clock: c.Clock, log: c.Log, maxFailed: c.MaxFailedLogins, lockout: c.LockoutDuration,
		perAddress: c.FailuresPerAddress, addrs: ratelimit.New(), failures: failureLog{m: map[string]*failures{}}}
	if s.maxFailed <= 0 {
		s.maxFailed = 5
	}
	if s.lockout <= 0 {
		s.lockout = time.Minute
	}
	if s.perAddress == (ratelimit.Limit{}) {
		s.perAddress = ratelimit.Limit{Every: 30 * time.Second, Burst: 20}
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
	// ErrBadLogin is every refused login alike: an unknown or disabled account, a wrong
	// password, an account that must wait after failures. The answer does not tell which.
	ErrBadLogin = errors.New("wrong username or password")
	// ErrThrottled means the client's address failed too often: it must wait.
	ErrThrottled = errors.New("too many failed logins from this address")
)

// ThrottledError says how long an address must wait; it unwraps to ErrThrottled.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string { return ErrThrottled.Error() }
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// maxUsername is the longest username looked up or written to the audit trail.
const maxUsername = 64

// Login checks a username and password from the client whose address ctx carries
// (WithRemoteAddr). Every refusal is ErrBadLogin and costs the same argon2id work, so neither
// answer nor timing tells which usernames exist or which are waiting. The attempt is counted
// against the account before the password is checked (see org.ReserveLogin), and failures
// against the client's address: past its limit the address gets a ThrottledError without any
// hashing. Password checks wait for a hashing slot; with too many waiting, org.ErrBusy.
func (s *Service) Login(ctx context.Context, username, password string) (*org.Staff, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	addr := remoteHost(ctx)
	now := s.clock.Now()
	res, ok, wait := s.addrs.Reserve(addr, s.perAddress, now)
	if !ok {
		return nil, &ThrottledError{Wait: wait}
	}
	st, err := s.account(ctx, username)
	if err != nil {
		res.Refund(now)
		return nil, err
	}
	if st == nil {
		return nil, s.refuse(ctx, addr, username, password)
	}
	failures, ok, err := s.org.ReserveLogin(ctx, st.ID, now, s.maxFailed, s.lockout)
	if err != nil {
		res.Refund(now)
		return nil, err
	}
	if !ok {
		return nil, s.refuse(ctx, addr, username, password)
	}
	if failures == s.maxFailed {
		s.log.WarnContext(ctx, "account slowed down after failed logins", "username", st.Username)
		s.RecordAfter(ctx, Change{Action: "account_locked", ObjectType: "staff", ObjectKey: st.Username, Detail: map[string]any{"failures": failures}})
	}
	right, err := org.CheckPassword(ctx, st.PasswordHash, password)
	if err != nil && !errors.Is(err, org.ErrBadHash) {
		res.Refund(now)
		return nil, err
	}
	if !right {
		s.failures.record(ctx, s, addr, username)
		return nil, ErrBadLogin
	}
	res.Refund(now)
	if err := s.org.RecordLoginSuccess(ctx, st.ID); err != nil {
		return nil, err
	}
	return st, nil
}

// account returns the active account named username, or nil when there is none.
func (s *Service) account(ctx context.Context, username string) (*org.Staff, error) {
	if username == "" || len(username) > maxUsername {
		return nil, nil
	}
	st, err := s.org.Staff(ctx, username)
	if errors.Is(err, org.ErrNotFound) || (err == nil && !st.Active) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("log in %s: %w", username, err)
	}
	return st, nil
}

// refuse spends the work of a password check, so a refusal without one takes as long as a
// wrong password, and records the failure.
func (s *Service) refuse(ctx context.Context, addr, username, password string) error {
	if _, err := org.CheckPassword(ctx, s.dummyHash, password); err != nil {
		return err
	}
	s.failures.record(ctx, s, addr, username)
	return ErrBadLogin
}

// remoteHost is the host part of the client address in ctx.
func remoteHost(ctx context.Context) string {
	addr, _ := ctx.Value(remoteAddrKey{}).(string)
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// failureWindow is how often one address's failed logins reach the audit trail at most.
const failureWindow = 10 * time.Minute

// failureLog aggregates failed logins per address, so that a guesser cannot fill the
// append-only audit trail: the first failure of an address in a window is written, with the
// number of failures since the previous entry; the rest are only counted.
type failureLog struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	since   time.Time
	pending int
}

func (l *failureLog) record(ctx context.Context, s *Service, addr, username string) {
	now := s.clock.Now()
	l.mu.Lock()
	f := l.m[addr]
	if f != nil && now.Sub(f.since) < failureWindow {
		f.pending++
		l.mu.Unlock()
		return
	}
	earlier := 0
	if f != nil {
		earlier = f.pending
	}
	if len(l.m) >= 10000 {
		for a, f := range l.m {
			if now.Sub(f.since) >= failureWindow {
				delete(l.m, a)
			}
		}
	}
	l.m[addr] = &failures{since: now}
	l.mu.Unlock()
	detail := map[string]any{}
	if earlier > 0 {
		detail["earlier_failures"] = earlier
	}
	s.RecordAfter(ctx, Change{Action: "login_failed", ObjectType: "staff", ObjectKey: truncate(username, maxUsername), Detail: detail})
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
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
