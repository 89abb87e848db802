package web

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// deptStat is one department's live counts on the supervisor board.
type deptStat struct {
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

// soonWindow is how close a deadline is "soon due".
const soonWindow = 24 * time.Hour

// deptStats counts open, overdue and soon-due tickets by department; a department head sees
// only their own department.
func (s *Server) deptStats(ctx context.Context, st *org.Staff) ([]deptStat, error) {
	now := s.Clock.Now()
	y, m, d := now.In(s.location()).Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, s.location())
	var rows []deptStat
	q := s.db.NewSelect().TableExpr("tickets AS t").Join("JOIN departments AS d ON d.id = t.department_id").
		ColumnExpr("d.code, d.name_zh, d.name_en").
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted')) AS open").
		ColumnExpr("count(*) FILTER (WHERE t.status = 'dispatched') AS waiting_accept").
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.resolve_due < ?) AS overdue", now).
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.resolve_due >= ? AND t.resolve_due < ?) AS due_soon", now, now.Add(soonWindow)).
		ColumnExpr("count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.feedback_at IS NULL AND t.feedback_due < ?) AS feedback_overdue", now).
		ColumnExpr("count(*) FILTER (WHERE t.status = 'returned') AS returned").
		ColumnExpr("count(*) FILTER (WHERE t.resolved_at >= ? AND t.status IN ('resolved', 'closed')) AS resolved_today", dayStart).
		GroupExpr("d.id").OrderExpr("overdue DESC, open DESC, d.code")
	if st.Role == org.RoleHead {
		q = q.Where("t.department_id = ?", st.DepartmentID)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("department counts: %w", err)
	}
	return rows, nil
}

// boardList names a list of the board (and of the exports).
type boardList string

const (
	listOverdue  boardList = "overdue"  // past the resolution deadline
	listDueSoon  boardList = "due-soon" // resolution due within soonWindow
	listReturned boardList = "returned" // returns waiting for the centre's review
	listOpen     boardList = "open"     // everything not closed
	listResolved boardList = "resolved" // waiting for the return visit
)

var boardLists = []boardList{listOverdue, listDueSoon, listReturned, listOpen, listResolved}

// boardTickets returns one of the board's lists, scoped like every ticket list.
func (s *Server) boardTickets(ctx context.Context, st *org.Staff, list boardList, limit int) ([]tickets.Ticket, error) {
	now := s.Clock.Now()
	var ts []tickets.Ticket
	q := s.db.NewSelect().Model(&ts).Relation("Department").Relation("Category")
	switch list {
	case listOverdue:
		q = q.Where("t.status IN ('dispatched', 'accepted') AND t.resolve_due < ?", now).OrderExpr("t.resolve_due")
	case listDueSoon:
		q = q.Where("t.status IN ('dispatched', 'accepted') AND t.resolve_due >= ? AND t.resolve_due < ?", now, now.Add(soonWindow)).OrderExpr("t.resolve_due")
	case listReturned:
		q = q.Where("t.status = 'returned'").OrderExpr("t.updated_at")
	case listOpen:
		q = q.Where("t.status <> 'closed'").OrderExpr("t.resolve_due ASC NULLS LAST, t.id")
	case listResolved:
		q = q.Where("t.status = 'resolved'").OrderExpr("t.callback_due ASC NULLS LAST, t.id")
	default:
		return nil, &badField{"list", fmt.Sprintf("unknown list %q", list)}
	}
	switch st.Role {
	case org.RoleHandler, org.RoleHead:
		q = q.Where("(t.department_id = ? OR EXISTS (SELECT 1 FROM ticket_co_departments co WHERE co.ticket_id = t.id AND co.department_id = ?))",
			st.DepartmentID, st.DepartmentID)
	}
	if limit <= 0 || limit > 10000 {
		limit = 200
	}
	if err := q.Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("board list %s: %w", list, err)
	}
	return ts, nil
}
