package account_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/testdb"
)

func newService(t *testing.T) (*account.Service, *bun.DB, *org.Staff, *clock.Fixed) {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	st := org.NewStore(db)
	d := &org.Department{Code: "centre", Kind: "centre", NameZh: "中心", Active: true}
	if err := st.UpsertDepartment(ctx, d); err != nil {
		t.Fatal(err)
	}
	hash, err := org.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	u := &org.Staff{Username: "agent1", DisplayName: "话务员", Role: org.RoleAgent, DepartmentID: d.ID, Active: true, PasswordHash: hash}
	if err := st.UpsertStaff(ctx, u); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFixed(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	svc, err := account.NewService(account.Config{DB: db, Org: st, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxFailedLogins: 2, LockoutDuration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return svc, db, u, clk
}

func TestTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db, u, clk := newService(t)
	tok, row, err := svc.IssueToken(ctx, u, "script")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.TokenStaff(ctx, tok); err != nil || got.Username != "agent1" {
		t.Fatalf("valid token: %v %v", got, err)
	}
	for name, bad := range map[string]string{"unknown": "hl_forged", "empty": ""} {
		if _, err := svc.TokenStaff(ctx, bad); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("%s token: got %v, want ErrNotFound", name, err)
		}
	}
	// Someone else's token cannot be revoked by its id alone.
	if err := svc.RevokeToken(ctx, nil, u.ID+1, row.ID); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("revoke another's token: %v", err)
	}
	if err := svc.RevokeToken(ctx, nil, u.ID, row.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TokenStaff(ctx, tok); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("revoked token: %v", err)
	}
	tok2, _, err := svc.IssueToken(ctx, u, "later")
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(clk.Now().Add(account.TokenLifetime + time.Second))
	if _, err := svc.TokenStaff(ctx, tok2); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("expired token: %v", err)
	}
	// A database that fails is an error, never "not signed in".
	db.Close()
	if _, err := svc.TokenStaff(ctx, tok2); err == nil || errors.Is(err, account.ErrNotFound) {
		t.Fatalf("database down: got %v, want an error that is not ErrNotFound", err)
	}
	if _, err := svc.SessionStaff(ctx, u.ID); err == nil || errors.Is(err, account.ErrNotFound) {
		t.Fatalf("database down, session: got %v, want an error that is not ErrNotFound", err)
	}
}

func TestLoginSlowsDownAfterFailures(t *testing.T) {
	t.Parallel()
	ctx := account.WithRemoteAddr(context.Background(), "192.0.2.1:5000")
	svc, _, _, clk := newService(t) // two free failures, delays up to a minute
	if _, err := svc.Login(ctx, "nobody", "x"); !errors.Is(err, account.ErrBadLogin) {
		t.Fatalf("unknown account: %v", err)
	}
	for range 2 {
		if _, err := svc.Login(ctx, "agent1", "wrong"); !errors.Is(err, account.ErrBadLogin) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	// The second failure made the account wait a second: the right password is refused
	// meanwhile, with the same answer as a wrong one.
	if _, err := svc.Login(ctx, "Agent1 ", "correct horse"); !errors.Is(err, account.ErrBadLogin) {
		t.Fatalf("waiting account: %v", err)
	}
	clk.Advance(1100 * time.Millisecond)
	if _, err := svc.Login(ctx, "agent1", "wrong"); !errors.Is(err, account.ErrBadLogin) {
		t.Fatal(err)
	}
	// The third failure doubles the wait to two seconds.
	clk.Advance(1100 * time.Millisecond)
	if _, err := svc.Login(ctx, "agent1", "correct horse"); !errors.Is(err, account.ErrBadLogin) {
		t.Fatalf("after a second of a two-second wait: %v", err)
	}
	clk.Advance(time.Second)
	if st, err := svc.Login(ctx, "agent1", "correct horse"); err != nil || st.Username != "agent1" {
		t.Fatalf("after the wait: %v %v", st, err)
	}
	// Success clears the count: two more failures go through at once again.
	for range 2 {
		if _, err := svc.Login(ctx, "agent1", "wrong"); !errors.Is(err, account.ErrBadLogin) {
			t.Fatal(err)
		}
	}
	es, err := svc.Entries(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	locked := 0
	for _, e := range es {
		if e.Action == "account_locked" && e.ObjectKey == "agent1" {
			locked++
		}
	}
	if locked != 2 {
		t.Fatalf("slow-downs on the audit trail: %d, want 2: %+v", locked, es)
	}
}

// A hundred guesses at once on one account: each is counted before its password is
// checked, so only the free attempts are checked at all (before, 66 of 100 were).
func TestParallelGuessesAreCountedBeforeChecking(t *testing.T) {
	t.Parallel()
	svc, db, u, _ := newService(t)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := account.WithRemoteAddr(context.Background(), fmt.Sprintf("198.51.100.%d:5060", i))
			if _, err := svc.Login(ctx, "agent1", fmt.Sprint("guess", i)); !errors.Is(err, account.ErrBadLogin) {
				t.Errorf("guess %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var failures int
	if err := db.NewRaw("SELECT failed_logins FROM staff WHERE id = ?", u.ID).Scan(context.Background(), &failures); err != nil {
		t.Fatal(err)
	}
	if failures != 2 {
		t.Fatalf("guesses checked: %d, want the 2 free ones", failures)
	}
}

// One address failing again and again is stopped before any hashing, and its failures reach
// the append-only audit trail as one entry per window, with the username cut short.
func TestFailuresPerAddress(t *testing.T) {
	t.Parallel()
	svc, db, _, clk := newService(t)
	ctx := account.WithRemoteAddr(context.Background(), "203.0.113.9:1234")
	long := strings.Repeat("x", 10000)
	for i := range 20 {
		if _, err := svc.Login(ctx, long, "x"); !errors.Is(err, account.ErrBadLogin) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	var throttled *account.ThrottledError
	if _, err := svc.Login(ctx, "agent1", "correct horse"); !errors.As(err, &throttled) || throttled.Wait <= 0 {
		t.Fatalf("21st attempt from the address: %v", err)
	}
	other := account.WithRemoteAddr(context.Background(), "203.0.113.10:1234")
	if st, err := svc.Login(other, "agent1", "correct horse"); err != nil || st == nil {
		t.Fatalf("another address: %v", err)
	}
	clk.Advance(30 * time.Second)
	if _, err := svc.Login(ctx, "agent1", "correct horse"); err != nil {
		t.Fatalf("after the address's wait: %v", err)
	}
	clk.Advance(10 * time.Minute)
	if _, err := svc.Login(ctx, "nobody", "x"); !errors.Is(err, account.ErrBadLogin) {
		t.Fatal(err)
	}
	var keys []string
	var details []string
	if err := db.NewRaw("SELECT object_key, detail::text FROM audit_log WHERE action = 'login_failed' ORDER BY id").Scan(context.Background(), &keys, &details); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || len(keys[0]) != 64 || keys[1] != "nobody" || !strings.Contains(details[1], `"earlier_failures": 19`) {
		t.Fatalf("failed logins on the audit trail: %d entries %q %q", len(keys), keys, details)
	}
}

func TestAuditStandsOrFallsWithItsChange(t *testing.T) {
	t.Parallel()
	ctx := account.WithRemoteAddr(context.Background(), "192.0.2.7:4242")
	svc, db, u, _ := newService(t)
	fail := errors.New("the change failed")
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := svc.Record(ctx, tx, account.Change{Action: "rolled_back", ObjectType: "staff", ObjectKey: "x"}.By(u)); err != nil {
			return err
		}
		return fail
	})
	if !errors.Is(err, fail) {
		t.Fatal(err)
	}
	if err := svc.Record(ctx, nil, account.Change{Action: "kept", ObjectType: "staff", ObjectKey: "agent1", Detail: map[string]int{"n": 1}}.By(u)); err != nil {
		t.Fatal(err)
	}
	es, err := svc.Entries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Action != "kept" || es[0].ActorName != "agent1" || es[0].RemoteAddr != "192.0.2.7:4242" || string(es[0].Detail) != `{"n": 1}` {
		t.Fatalf("entries: %+v", es)
	}
}

func TestEndSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db, u, _ := newService(t)
	store := svc.Sessions()
	// scs encodes the account id in the session; a session saved with it is ended with it.
	data, err := (scsCodec{}).encode(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	for _, tok := range []string{"a", "b"} {
		if err := store.CommitCtx(ctx, tok, data, exp); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := store.FindCtx(ctx, "a"); err != nil || !ok {
		t.Fatalf("find: %v %v", ok, err)
	}
	n, err := account.EndSessions(ctx, db, u.ID)
	if err != nil || n != 2 {
		t.Fatalf("ended %d sessions: %v", n, err)
	}
	if _, ok, err := store.FindCtx(ctx, "b"); err != nil || ok {
		t.Fatalf("session survived: %v %v", ok, err)
	}
}

// scsCodec encodes session data the way the session manager does.
type scsCodec struct{}

func (scsCodec) encode(staffID int64) ([]byte, error) {
	return scs.GobCodec{}.Encode(time.Now().Add(time.Hour), map[string]any{account.SessionStaffKey: staffID})
}
