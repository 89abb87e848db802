package benchdb

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// LoadOpen inserts count accepted tickets numbered from offset+1 with feedback given, so each has
// one live clock (resolution). The first due of them passed their deadline an hour before at;
// the others are due 20 to 50 days after it, far from their warning.
func LoadOpen(ctx context.Context, db bun.IDB, offset, count, due int, at time.Time) error {
	const chunk = 100_000
	for lo := 1; lo <= count; lo += chunk {
		hi := min(lo+chunk-1, count)
		_, err := db.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accepted_at, feedback_at,
                     accept_due, feedback_due, resolve_due)
SELECT 'B' || lpad((? + g)::text, 9, '0'), 'complaint', 'phone', 'accepted', 'bench ticket',
       d.id, 'standard', t0, t0, t0, t0, t0, t0 + interval '2 hours', t0 + interval '24 hours',
       CASE WHEN g <= ? THEN ?::timestamptz - interval '1 hour'
            ELSE ?::timestamptz + (20 + g % 30) * interval '1 day' END
FROM generate_series(?::int, ?::int) AS g,
     (SELECT ?::timestamptz - interval '1 day' AS t0) AS t,
     (SELECT array_agg(id ORDER BY id) AS ids FROM departments WHERE kind = 'bureau') AS b,
     LATERAL (SELECT b.ids[1 + g % cardinality(b.ids)] AS id) AS d`,
			offset, due, at, at, lo, hi, at)
		if err != nil {
			return fmt.Errorf("load tickets: %w", err)
		}
	}
	return nil
}

// LoadClosed inserts count closed tickets numbered from offset+1 (prefix C), resolved and
// closed over the year before at and spread over the departments: the history a province's
// tables carry beside the open tickets. A closed ticket runs no deadline clock, so they are
// not marked for the deadline planner (its insert trigger is off while they are written):
// reading millions of them would only find nothing to plan.
func LoadClosed(ctx context.Context, db bun.IDB, offset, count int, at time.Time) error {
	const chunk = 200_000
	for lo := 1; lo <= count; lo += chunk {
		hi := min(lo+chunk-1, count)
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE tickets DISABLE TRIGGER tickets_escalation_insert"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accepted_at, feedback_at, resolved_at, closed_at,
                     accept_due, feedback_due, resolve_due)
SELECT 'C' || lpad((? + g)::text, 9, '0'), 'complaint', 'phone', 'closed', 'bench ticket',
       d.id, 'standard', t0, t0, t0, t0, t0, t0 + interval '3 days', t0 + interval '10 days',
       t0 + interval '2 hours', t0 + interval '24 hours', t0 + interval '7 days'
FROM generate_series(?::int, ?::int) AS g,
     (SELECT array_agg(id ORDER BY id) AS ids FROM departments WHERE kind = 'bureau') AS b,
     LATERAL (SELECT b.ids[1 + g % cardinality(b.ids)] AS id) AS d,
     LATERAL (SELECT ?::timestamptz - interval '400 days' + (g % 360) * interval '1 day' AS t0) AS t`,
				offset, lo, hi, at); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "ALTER TABLE tickets ENABLE TRIGGER tickets_escalation_insert")
			return err
		})
		if err != nil {
			return fmt.Errorf("load closed tickets: %w", err)
		}
	}
	return nil
}
