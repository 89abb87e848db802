package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/chain"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/tickets"
)

// The application's role does all the application does — register, dispatch, resolve, audit,
// anchor — and can rewrite none of what must stay as written: no UPDATE, DELETE or TRUNCATE
// on the timeline, the audit log or the anchors, no altering tables or disabling their
// triggers, no session_replication_role.
func TestAppRoleCannotRewriteHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := demotest.New(t, demotest.Staff())
	b := make([]byte, 4)
	rand.Read(b)
	role := "app_test_" + hex.EncodeToString(b)
	if err := database.EnsureAppRole(ctx, c.DB, role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DB.ExecContext(ctx, "DROP OWNED BY "+role)
		c.DB.ExecContext(ctx, "DROP ROLE "+role)
	})
	for range 2 { // granting twice changes nothing
		if err := database.GrantApp(ctx, c.DB, role); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	app, err := database.Open(ctx, u.String(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rights, err := database.Rights(ctx, app)
	if err != nil || rights.Privileged() || rights.Role != role {
		t.Fatalf("the application's role: %+v %v", rights, err)
	}
	if owner, _ := database.Rights(ctx, c.DB); !owner.Privileged() {
		t.Fatalf("the owner's connection is not privileged: %+v", owner)
	}

	svc := tickets.NewService(app, c.Clock, c.Calendar, c.Location, c.Log)
	tk, err := svc.Register(ctx, c.Agent, tickets.RegisterInput{Channel: "phone", CallerPhone: "13800138000", Description: "公司拖欠三个月工资", Category: "wage-arrears"})
	if err != nil {
		t.Fatalf("register as the application: %v", err)
	}
	if _, err := svc.Dispatch(ctx, c.Agent, tk.Number, tickets.DispatchInput{Department: "hrss"}); err != nil {
		t.Fatalf("dispatch as the application: %v", err)
	}
	if err := account.Record(ctx, app, c.Clock.Now(), account.Change{Action: "login", ObjectType: "staff", ObjectKey: "agent1"}); err != nil {
		t.Fatalf("audit as the application: %v", err)
	}
	if a, err := chain.Take(ctx, app); err != nil || a == nil {
		t.Fatalf("anchor as the application: %v %v", a, err)
	}
	for _, sql := range []string{
		"UPDATE ticket_events SET body = 'x'",
		"DELETE FROM ticket_events",
		"TRUNCATE ticket_events",
		"UPDATE audit_log SET object_key = 'x'",
		"DELETE FROM audit_log",
		"TRUNCATE audit_log",
		"DELETE FROM chain_anchors",
		"UPDATE chain_anchor_entries SET seq = 0",
		"UPDATE chain_heads SET hash = ''::bytea",
		"DELETE FROM chain_heads",
		"UPDATE routing_rule_versions SET version = version",
		"ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_no_update",
		"ALTER TABLE audit_log DISABLE TRIGGER USER",
		"SET session_replication_role = replica",
		"DROP TABLE audit_log",
		"DELETE FROM bun_migrations",
		"CREATE TABLE sneaky (id int)",
	} {
		_, err := app.ExecContext(ctx, sql)
		if err == nil || !(strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "must be owner")) {
			t.Errorf("%s as the application: %v", sql, err)
		}
	}
	r, err := chain.Verify(ctx, app)
	if err != nil || r.Broken != "" {
		t.Fatalf("verify as the application: %v %+v", err, r)
	}
}
