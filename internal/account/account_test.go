package account_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
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

func TestLoginLocksAfterFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, _, clk := newService(t)
	if _, err := svc.Login(ctx, "nobody", "x"); !errors.Is(err, account.ErrBadLogin) {
		t.Fatalf("unknown account: %v", err)
	}
	for range 2 {
		if _, err := svc.Login(ctx, "agent1", "wrong"); !errors.Is(err, account.ErrBadLogin) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	var locked *account.LockedError
	if _, err := svc.Login(ctx, "Agent1 ", "correct horse"); !errors.As(err, &locked) || !errors.Is(err, account.ErrLocked) {
		t.Fatalf("locked account: %v", err)
	}
	clk.Set(locked.Until.Add(time.Second))
	if st, err := svc.Login(ctx, "agent1", "correct horse"); err != nil || st.Username != "agent1" {
		t.Fatalf("after the lock: %v %v", st, err)
	}
	es, err := svc.Entries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Action != "account_locked" || es[0].ObjectKey != "agent1" {
		t.Fatalf("audit trail: %+v", es)
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
