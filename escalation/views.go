package escalation

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// TicketExtensions lists a ticket's extension requests, oldest first. The caller has checked
// that the actor may see the ticket.
func (s *Service) TicketExtensions(ctx context.Context, ticketID int64) ([]Extension, error) {
	var xs []Extension
	if err := selectExtensions(s.db, &xs).Where("x.ticket_id = ?", ticketID).OrderExpr("x.id").Scan(ctx); err != nil {
		return nil, wrap("list the ticket's extension requests", err)
	}
	return xs, nil
}

// TicketNotices lists a ticket's supervision notices, oldest first. The caller has checked
// that the actor may see the ticket.
func (s *Service) TicketNotices(ctx context.Context, ticketID int64) ([]Notice, error) {
	var ns []Notice
	if err := selectNotices(s.db, &ns).Where("sn.ticket_id = ?", ticketID).OrderExpr("sn.id").Scan(ctx); err != nil {
		return nil, wrap("list the ticket's notices", err)
	}
	return ns, nil
}

// Escalation is a clock past its deadline and escalated (催办) to some level, as the last sweep
// left it: the level is the highest escalation action taken on this deadline, and Since when
// that action was taken. A deadline moved by an extension, or a clock stopped by the work
// being done, drops out at the next sweep.
type Escalation struct {
	TicketNumber string    `bun:"ticket_number" json:"ticket"`
	Clock        string    `bun:"clock" json:"clock"`
	Notice       string    `bun:"notice" json:"notice,omitempty"`
	DepartmentID *int64    `bun:"department_id" json:"-"`
	Due          time.Time `bun:"due" json:"due"`
	Level        int       `bun:"level" json:"level"`
	Since        time.Time `bun:"since" json:"since"`
}

// EscalationCount is how many clocks of one department stand at one level.
type EscalationCount struct {
	DepartmentID *int64 `bun:"department_id"`
	Level        int    `bun:"level"`
	Count        int    `bun:"n"`
}

// escalated selects the escalated clocks the actor may see, each with the action that took it
// to its level.
func (s *Service) escalated(actor tickets.Actor) (*bun.SelectQuery, error) {
	// The action is looked up clock by clock (LATERAL), in the order of the clocks' index: a
	// join of the two tables is misjudged (five equal columns) and sorts every action; LIMIT 1
	// (the key is unique) keeps the planner from turning it back into a join.
	q := s.db.NewSelect().TableExpr("escalation_clocks AS c").
		Join(`CROSS JOIN LATERAL (SELECT a.at FROM escalation_actions AS a
    WHERE a.ticket_id = c.ticket_id AND a.clock = c.clock AND a.notice_id = c.notice_id AND a.due = c.due AND a.level = c.stage
    LIMIT 1) AS a`).
		Where("c.stage >= 1")
	return scopeDept(q, actor, "c.department_id")
}

// Escalated lists the escalated clocks the actor may see (a department its own), highest level
// first, then the longest overdue.
func (s *Service) Escalated(ctx context.Context, actor tickets.Actor, limit int) ([]Escalation, error) {
	q, err := s.escalated(actor)
	if err != nil {
		return nil, err
	}
	var out []Escalation
	err = q.ColumnExpr("t.number AS ticket_number, c.clock, coalesce(sn.number, '') AS notice, c.department_id, c.due, c.stage AS level, a.at AS since").
		Join("JOIN tickets AS t ON t.id = c.ticket_id").
		Join("LEFT JOIN supervision_notices AS sn ON sn.id = c.notice_id").
		OrderExpr("c.stage DESC, c.due, c.ticket_id, c.clock, c.notice_id").Limit(int64(clampLimit(limit))).Scan(ctx, &out)
	if err != nil {
		return nil, wrap("list escalations", err)
	}
	return out, nil
}

// EscalationCounts counts the escalated clocks the actor may see by department and level, from
// the counters the clocks' writes keep (migration escalation_counts): the sums folded so far
// plus the changes since, never a count over the clocks.
func (s *Service) EscalationCounts(ctx context.Context, actor tickets.Actor) ([]EscalationCount, error) {
	var dept int64
	switch {
	case org.CityWide.Has(actor.Role):
	case org.DepartmentStaff.Has(actor.Role):
		dept = actor.DepartmentID
	default:
		return nil, fmt.Errorf("%s may not list these: %w", actor.Role, ErrForbidden)
	}
	if err := s.CompactEscalationCounts(ctx); err != nil {
		return nil, err
	}
	var out []EscalationCount
	err := s.db.NewRaw(`
SELECT nullif(department_id, 0) AS department_id, stage AS level, sum(n) AS n
FROM (SELECT department_id, stage, n FROM escalation_counts
      UNION ALL
      SELECT department_id, stage, n FROM escalation_count_deltas) AS c
WHERE ?0 = 0 OR department_id = ?0
GROUP BY department_id, stage
HAVING sum(n) <> 0
ORDER BY department_id, stage`, dept).Scan(ctx, &out)
	if err != nil {
		return nil, wrap("count escalations", err)
	}
	return out, nil
}

// CompactEscalationCounts folds the escalation counters' recent changes into their sums.
func (s *Service) CompactEscalationCounts(ctx context.Context) error {
	var pending bool
	if err := s.db.NewRaw("SELECT EXISTS (SELECT 1 FROM escalation_count_deltas)").Scan(ctx, &pending); err != nil {
		return wrap("compact escalation counts", err)
	}
	if !pending {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, "SELECT escalation_counts_compact()"); err != nil {
		return wrap("compact escalation counts", err)
	}
	return nil
}
