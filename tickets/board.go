package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/uptrace/bun"
)

// SoonWindow is how close a deadline is "due soon" on the board.
const SoonWindow = 24 * time.Hour

// DepartmentCount is one department's live counts on the supervisor board.
type DepartmentCount struct {
	Code            string `bun:"code" json:"code"`
	NameZh          string `bun:"name_zh" json:"name_zh"`
	NameEn          string `bun:"name_en" json:"name_en"`
	Open            int    `bun:"open" json:"open"`
	WaitingAccept   int    `bun:"waiting_accept" json:"waiting_accept"`
	Overdue         int    `bun:"overdue" json:"overdue"`
	DueSoon         int    `bun:"due_soon" json:"due_soon"`
	FeedbackOverdue int    `bun:"feedback_overdue" json:"feedback_overdue"`
	Returned        int    `bun:"returned" json:"returned"`
	ResolvedToday   int    `bun:"resolved_today" json:"resolved_today"`
}

// DepartmentCounts counts, per lead department, open, overdue and soon-due tickets and what
// was resolved today. Department staff count only their own department's. A ticket merged into
// another (并单) is counted once, as its master.
func (s *Service) DepartmentCounts(ctx context.Context, actor Actor) ([]DepartmentCount, error) {
	now := s.clock.Now()
	y, m, d := now.In(s.loc).Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	var rows []DepartmentCount
	q := s.db.NewSelect().TableExpr("tickets AS t").Join("JOIN departments AS d ON d.id = t.department_id").
		ColumnExpr("d.code, d.name_zh, d.name_en").
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted')) AS open").
		ColumnExpr("count(*) FILTER (WHERE t.status = 'dispatched') AS waiting_accept").
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.resolve_due < ?) AS overdue", now).
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.resolve_due >= ? AND t.resolve_due < ?) AS due_soon", now, now.Add(SoonWindow)).
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.feedback_at IS NULL AND t.feedback_due < ?) AS feedback_overdue", now).
		ColumnExpr("count(*) FILTER (WHERE t.status = 'returned') AS returned").
		ColumnExpr("count(*) FILTER (WHERE t.resolved_at >= ? AND t.status IN ('resolved', 'closed')) AS resolved_today", dayStart).
		Where("t.master_id IS NULL").
		GroupExpr("d.id").OrderExpr("overdue DESC, open DESC, d.code")
	switch {
	case cityWide(actor.Role):
	case org.DepartmentStaff.Has(actor.Role):
		// Counts are by lead department: a department's own row.
		q = q.Where("t.department_id = ?", actor.DepartmentID)
	default:
		return nil, fmt.Errorf("department counts: %w", ErrForbidden)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("department counts: %w", err)
	}
	return rows, nil
}

// BoardList names a list of the board (and of the exports).
type BoardList string

// The board's lists.
const (
	ListOverdue  BoardList = "overdue"  // past the resolution deadline
	ListDueSoon  BoardList = "due-soon" // resolution due within SoonWindow
	ListReturned BoardList = "returned" // returns waiting for the centre's review
	ListOpen     BoardList = "open"     // not yet resolved (在办), wherever it stands
	ListResolved BoardList = "resolved" // waiting for the return visit
)

// BoardLists are the board's lists in the order it shows them.
var BoardLists = []BoardList{ListOverdue, ListDueSoon, ListReturned, ListOpen, ListResolved}

// Board returns one of the board's lists, at most limit tickets (up to 10,000; 0: 200), of
// the tickets actor may see. Tickets merged into another (并单) are in none: their master is.
func (s *Service) Board(ctx context.Context, actor Actor, list BoardList, limit int) ([]Ticket, error) {
	now := s.clock.Now()
	var ts []Ticket
	q := s.db.NewSelect().Model(&ts).Relation("Department").Relation("Category").Where("t.master_id IS NULL")
	if q = boardQuery(q, list, now); q == nil {
		return nil, invalid("list", fmt.Sprintf("unknown list %q", list))
	}
	if q = scope(q, actor); q == nil {
		return nil, fmt.Errorf("board list %s: %w", list, ErrForbidden)
	}
	if limit <= 0 || limit > 10000 {
		limit = 200
	}
	if err := q.Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("board list %s: %w", list, err)
	}
	return ts, nil
}

// boardQuery narrows q to list and orders it; nil for an unknown list.
func boardQuery(q *bun.SelectQuery, list BoardList, now time.Time) *bun.SelectQuery {
	switch list {
	case ListOverdue:
		return q.Where("t.status IN ('dispatched', 'accepted') AND t.resolve_due < ?", now).OrderExpr("t.resolve_due")
	case ListDueSoon:
		return q.Where("t.status IN ('dispatched', 'accepted') AND t.resolve_due >= ? AND t.resolve_due < ?", now, now.Add(SoonWindow)).OrderExpr("t.resolve_due")
	case ListReturned:
		return q.Where("t.status = 'returned'").OrderExpr("t.updated_at")
	case ListOpen:
		return q.Where("t.status NOT IN ('resolved', 'closed')").OrderExpr("t.resolve_due ASC NULLS LAST, t.id")
	case ListResolved:
		return q.Where("t.status = 'resolved'").OrderExpr("t.callback_due ASC NULLS LAST, t.id")
	}
	return nil
}
