package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// appendEventsArraysSQL inserts events sent as one array per column. The statement text is the
// same whatever the number of events, so it is parsed and planned once per connection, and the
// values travel in PostgreSQL's binary format instead of being spelled out in the SQL.
// WITH ORDINALITY keeps the ids in the order given, which is the timeline's order. It runs as a
// prepared statement whatever the pool's default mode, for the plan and the binary arrays.
const appendEventsArraysSQL = `
INSERT INTO ticket_events (ticket_id, kind, actor_id, actor_name, actor_role, department_id, at, public,
                           from_status, to_status, body, data)
SELECT u.ticket_id, u.kind, u.actor_id, u.actor_name, u.actor_role, u.department_id, u.at, u.public,
       u.from_status, u.to_status, u.body, u.data::jsonb
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[],
            $8::bool[], $9::text[], $10::text[], $11::text[], $12::text[])
     WITH ORDINALITY AS u(ticket_id, kind, actor_id, actor_name, actor_role, department_id, at, public,
                          from_status, to_status, body, data, ord)
ORDER BY u.ord`

// AppendEventsTx writes many timeline events in tx with one statement whose values are arrays,
// for a domain writing thousands of events in one transaction (the escalation sweep), where
// AppendEvents' spelled-out VALUES list costs more to build and parse than to insert. It does
// not fill in the events' IDs.
func AppendEventsTx(ctx context.Context, tx bun.Tx, evs []*Event) error {
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	var (
		ticket   = make([]int64, n)
		kind     = make([]string, n)
		actor    = make([]*int64, n)
		name     = make([]string, n)
		role     = make([]string, n)
		dept     = make([]*int64, n)
		at       = make([]time.Time, n)
		public   = make([]bool, n)
		from, to = make([]string, n), make([]string, n)
		body     = make([]string, n)
		data     = make([]string, n)
	)
	for i, ev := range evs {
		if len(ev.Data) == 0 {
			ev.Data = json.RawMessage("{}")
		}
		ticket[i], kind[i], actor[i], name[i], role[i] = ev.TicketID, ev.Kind, ev.ActorID, ev.ActorName, ev.ActorRole
		dept[i], at[i], public[i], from[i], to[i] = ev.DepartmentID, ev.At, ev.Public, ev.FromStatus, ev.ToStatus
		body[i], data[i] = ev.Body, string(ev.Data)
	}
	_, err := tx.Tx.ExecContext(ctx, appendEventsArraysSQL, pgx.QueryExecModeCacheStatement, ticket, kind, actor, name, role, dept, at, public, from, to, body, data)
	if err != nil {
		return fmt.Errorf("append %d events: %w", n, err)
	}
	return nil
}
