package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/uptrace/bun"
)

// Get reads a ticket with its department, category and co-handlers, whoever asks.
func (s *Service) Get(ctx context.Context, number string) (*Ticket, error) {
	t := new(Ticket)
	err := s.db.NewSelect().Model(t).
		Relation("Department").Relation("Category").Relation("CoHandlers").Relation("CoHandlers.Department").
		Where("t.number = ?", number).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket %s: %w", number, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("ticket %s: %w", number, err)
	}
	return t, nil
}

// GetFor reads a ticket the actor may see: department staff only their department's, as lead
// or co-handler (ErrForbidden otherwise).
func (s *Service) GetFor(ctx context.Context, actor Actor, number string) (*Ticket, error) {
	t, err := s.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if !CanSee(actor, t) {
		return nil, fmt.Errorf("ticket %s: %w", number, ErrForbidden)
	}
	return t, nil
}

// CanSee reports whether actor may see ticket t (loaded with its co-handlers).
func CanSee(actor Actor, t *Ticket) bool {
	if cityWide(actor.Role) {
		return true
	}
	if !org.DepartmentStaff.Has(actor.Role) {
		return false
	}
	if t.DepartmentID != nil && *t.DepartmentID == actor.DepartmentID {
		return true
	}
	for _, c := range t.CoHandlers {
		if c.DepartmentID == actor.DepartmentID {
			return true
		}
	}
	return false
}

// Events returns a ticket's timeline, oldest first; internal entries only when asked for.
func (s *Service) Events(ctx context.Context, ticketID int64, withInternal bool) ([]Event, error) {
	var evs []Event
	q := s.db.NewSelect().Model(&evs).Relation("Department").Where("e.ticket_id = ?", ticketID).Order("e.id")
	if !withInternal {
		q = q.Where("e.public")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return evs, nil
}

// Filter selects tickets for a list.
type Filter struct {
	Statuses     []Status
	DepartmentID int64
	Phone        string // a full number, or its last four digits
	// Words must each be found in the description, address, title or result (Chinese words
	// of two characters too: a substring match).
	Words   []string
	Since   time.Time
	Limit   int
	Offset  int
	OrderBy string // "due" (nearest resolution deadline first), "visit" (nearest 回访 deadline first) or "" (newest first)
	// Queue keeps to the tickets handled on their own, as a work queue lists them: none merged
	// into another (并单), which follows its master.
	Queue bool
	// VisitDue keeps to the resolved tickets whose return visit (回访) is still to be done: the
	// 回访 work queue.
	VisitDue bool
}

// List returns the tickets the actor may see that match f. Department staff are limited to
// their department in the query itself, not only in the page.
func (s *Service) List(ctx context.Context, actor Actor, f Filter) ([]Ticket, error) {
	ts, _, err := s.list(ctx, actor, f, false)
	return ts, err
}

// ListCount is List with how many tickets match f in all, past the limit.
func (s *Service) ListCount(ctx context.Context, actor Actor, f Filter) ([]Ticket, int, error) {
	return s.list(ctx, actor, f, true)
}

func (s *Service) list(ctx context.Context, actor Actor, f Filter, count bool) ([]Ticket, int, error) {
	var ts []Ticket
	q := s.db.NewSelect().Model(&ts).Relation("Department").Relation("Category")
	q = scope(q, actor)
	if q == nil {
		return nil, 0, fmt.Errorf("list tickets: %w", ErrForbidden)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("t.status IN (?)", bun.List(f.Statuses))
	}
	if f.DepartmentID != 0 {
		q = q.Where("t.department_id = ?", f.DepartmentID)
	}
	if f.Queue {
		q = q.Where("t.master_id IS NULL")
	}
	if f.Phone != "" {
		if len(f.Phone) == 4 {
			q = q.Where("t.caller_phone LIKE ?", "%"+likeEscape(f.Phone))
		} else {
			q = q.Where("t.caller_phone = ?", f.Phone)
		}
	}
	for _, w := range f.Words {
		q = q.Where("(t.description || ' ' || t.address || ' ' || t.title || ' ' || t.resolution) ILIKE ?", "%"+likeEscape(w)+"%")
	}
	if f.VisitDue {
		q = q.Where("t.status = ? AND t.visited_at IS NULL AND t.department_id IS NOT NULL AND t.master_id IS NULL", StatusResolved)
	}
	if !f.Since.IsZero() {
		q = q.Where("t.created_at >= ?", f.Since)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	switch f.OrderBy {
	case "due":
		q = q.OrderExpr("t.resolve_due ASC NULLS LAST, t.id")
	case "visit":
		q = q.OrderExpr("t.callback_due ASC NULLS LAST, t.id")
	default:
		q = q.OrderExpr("t.id DESC")
	}
	q = q.Limit(int64(f.Limit)).Offset(int64(f.Offset))
	var total int64
	var err error
	if count {
		total, err = q.ScanAndCount(ctx)
	} else {
		err = q.Scan(ctx)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list tickets: %w", err)
	}
	return ts, int(total), nil
}

// likeEscape escapes LIKE's wildcards in s, so a user's % or _ matches itself.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func scope(q *bun.SelectQuery, actor Actor) *bun.SelectQuery {
	switch {
	case cityWide(actor.Role):
		return q
	case org.DepartmentStaff.Has(actor.Role):
		return q.Where("(t.department_id = ? OR EXISTS (SELECT 1 FROM ticket_co_departments co WHERE co.ticket_id = t.id AND co.department_id = ?))",
			actor.DepartmentID, actor.DepartmentID)
	}
	return nil
}
