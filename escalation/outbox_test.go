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
