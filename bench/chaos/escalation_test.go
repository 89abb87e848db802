package main

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
)

// The chaos run's count of escalations finds what it is there to find: an action recorded
// twice for one clock and level, a notification queued twice, and a clock overdue that no
// sweep acted on; and finds nothing when every sweep did its part once.
func TestEscalationCountFindsDoubledAndMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := demotest.New(t, demotest.Staff(), demotest.Escalation(escalation.Options{}))
	now := time.Now()
	e, err := loadEscalations(ctx, c.DB, "t", 3, now.Add(-2*time.Hour), now.Add(-time.Hour), 2, now.Add(-30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Escalation.Sweep(ctx, now, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.count(ctx, c.DB, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.expected != 5 || got.done != 5 || got.doubled() != 0 || got.missing() != 0 {
		t.Fatalf("after one sweep: %+v", got)
	}
	var notes int
	if err := c.DB.QueryRowContext(ctx, "SELECT count(*) FROM notifications WHERE action_id IS NOT NULL").Scan(&notes); err != nil || notes == 0 {
		t.Fatalf("no escalation notifications to double (%v)", err)
	}

	exec := func(q string) {
		t.Helper()
		if _, err := c.DB.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// A second action for a clock and level already acted on (as a re-planned deadline would
	// let in), one person's notification queued again, and an overdue clock left alone.
	exec(`INSERT INTO escalation_actions (ticket_id, clock, notice_id, due, level, action, department_id, at)
		SELECT ticket_id, clock, notice_id, due + interval '1 second', level, action, department_id, at
		FROM escalation_actions ORDER BY id LIMIT 1`)
	exec(`INSERT INTO notifications (channel, staff_id, address, ticket_id, action_id, kind, subject, body, created_at, next_attempt_at)
		SELECT channel, staff_id, address, ticket_id, action_id, kind, subject, body, created_at, next_attempt_at
		FROM notifications WHERE action_id IS NOT NULL ORDER BY id LIMIT 1`)
	exec(`INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code, created_at, updated_at,
		dispatched_at, accept_due)
		SELECT number || 'x', type, channel, status, description, department_id, profile_code, created_at, updated_at,
		dispatched_at, accept_due FROM tickets WHERE number LIKE 'CEt-%' ORDER BY id LIMIT 1`)
	got, err = e.count(ctx, c.DB, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.expected != 6 || got.done != 5 || got.doubledActions != 1 || got.doubledNotes != 1 || got.doubled() != 2 || got.missing() != 1 {
		t.Fatalf("after doubling an action and a notification and leaving a clock: %+v", got)
	}
}

func TestWithAppName(t *testing.T) {
	t.Parallel()
	got := withAppName("postgres://u:p@127.0.0.1:5441,127.0.0.1:5442/hotline?target_session_attrs=read-write", "hotline-node2")
	want := "postgres://u:p@127.0.0.1:5441,127.0.0.1:5442/hotline?application_name=hotline-node2&target_session_attrs=read-write"
	if got != want {
		t.Fatalf("withAppName: %s, want %s", got, want)
	}
}
