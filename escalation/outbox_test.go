package escalation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline-city/hotline/escalation"
)

// TestOutboxRefusesMissingReferences: the outbox's references are checked once per statement
// rather than by per-row foreign keys, and a row naming a staff member, ticket or action that
// does not exist is still refused, with the foreign-key error code, taking its statement down.
func TestOutboxRefusesMissingReferences(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	staff := f.staff["supervisor"].ID
	const insert = `INSERT INTO notifications (channel, staff_id, ticket_id, action_id, kind, subject, created_at, next_attempt_at)
		VALUES ('inapp', ?, ?, ?, 'test', 'x', now(), now()), ('inapp', ?, ?, NULL, 'test', 'y', now(), now())`
	for _, tc := range []struct {
		name          string
		staff, ticket any
		action        any
		ok            bool
	}{
		{"all there", staff, tk.ID, nil, true},
		{"no such staff", int64(-1), tk.ID, nil, false},
		{"no such ticket", staff, int64(-1), nil, false},
		{"no such action", staff, tk.ID, int64(-1), false},
	} {
		// Serial: each case counts the rows of the table the others insert into.
		t.Run(tc.name, func(t *testing.T) {
			before := f.count(t, "SELECT count(*) FROM notifications")
			_, err := f.db.ExecContext(ctx, insert, tc.staff, tc.ticket, tc.action, staff, tk.ID)
			var pgErr *pgconn.PgError
			switch {
			case tc.ok && err != nil:
				t.Fatal(err)
			case !tc.ok && (!errors.As(err, &pgErr) || pgErr.Code != "23503"):
				t.Fatalf("err = %v, want a foreign-key violation", err)
			}
			want := before
			if tc.ok {
				want += 2
			}
			if got := f.count(t, "SELECT count(*) FROM notifications"); got != want {
				t.Fatalf("%d notifications, want %d", got, want)
			}
		})
	}
}

// TestActionsRefuseMissingReferences: escalation actions name an existing ticket and
// department, checked once per statement; a missing one takes its statement down.
func TestActionsRefuseMissingReferences(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	dept := f.staff["head-hrss"].DepartmentID
	const insert = `INSERT INTO escalation_actions (ticket_id, clock, due, level, action, department_id, at)
		VALUES (?, 'accept', now(), 1, 'escalated', ?, now()), (?, 'accept', now(), 2, 'escalated', NULL, now())`
	for _, tc := range []struct {
		name         string
		ticket, dept int64
		ok           bool
	}{
		{"all there", tk.ID, dept, true},
		{"no such ticket", -1, dept, false},
		{"no such department", tk.ID, -1, false},
	} {
		// Serial: each case counts the rows of the table the others insert into.
		t.Run(tc.name, func(t *testing.T) {
			before := f.count(t, "SELECT count(*) FROM escalation_actions")
			_, err := f.db.ExecContext(ctx, insert, tc.ticket, tc.dept, tk.ID)
			var pgErr *pgconn.PgError
			switch {
			case tc.ok && err != nil:
				t.Fatal(err)
			case !tc.ok && (!errors.As(err, &pgErr) || pgErr.Code != "23503"):
				t.Fatalf("err = %v, want a foreign-key violation", err)
			}
			want := before
			if tc.ok {
				want += 2
			}
			if got := f.count(t, "SELECT count(*) FROM escalation_actions"); got != want {
				t.Fatalf("%d actions, want %d", got, want)
			}
		})
	}
}
