package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
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
//
// The counts come from ticket_counts, which every write to tickets keeps up to date in its own
// transaction (see the board_counts migration): whole hours of deadlines are summed there, and
// only the hour not yet whole is counted over the tickets, through a partial index. Nothing
// here grows with the number of open tickets.
func (s *Service) DepartmentCounts(ctx context.Context, actor Actor) ([]DepartmentCount, error) {
	var dept int64
	switch {
	case cityWide(actor.Role):
	case org.DepartmentStaff.Has(actor.Role):
		// Counts are by lead department: a department's own row.
		dept = actor.DepartmentID
	default:
		return nil, fmt.Errorf("department counts: %w", ErrForbidden)
	}
	if err := s.CompactCounts(ctx); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	y, m, d := now.In(s.loc).Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, s.loc)
	soon := now.Add(SoonWindow)
	hour := func(t time.Time) time.Time { return t.Truncate(time.Hour) }
	var rows []DepartmentCount
	// Each count before a moment x is the whole hours before it from the counters and the part
	// of x's own hour from the tickets (the board_department_counts function).
	err := s.db.NewRaw(`SELECT code, name_zh, name_en, open, waiting_accept, returned, overdue, due_soon,
    feedback_overdue, resolved_today
FROM board_department_counts(?, ?, ?, ?, ?, ?, ?)
ORDER BY overdue DESC, open DESC, code`,
		dept, now, hour(now), soon, hour(soon), dayStart, hour(dayStart)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("department counts: %w", err)
	}
	return rows, nil
}

// CompactCounts folds the board counters' recent changes into their sums, and the hours gone
// for good (before yesterday) into one sum per department and kind, so reading them stays a
// read of a few rows per department and hour to come, however long the centre has run.
func (s *Service) CompactCounts(ctx context.Context) error {
	// The board compares buckets with the current hour and the start of today: no later
	// read compares them with anything before the start of yesterday.
	y, m, d := s.clock.Now().In(s.loc).Date()
	foldBefore := time.Date(y, m, d-1, 0, 0, 0, 0, s.loc)
	var pending bool
	err := s.db.NewRaw(`SELECT EXISTS (SELECT 1 FROM ticket_count_deltas)
    OR EXISTS (SELECT 1 FROM ticket_counts WHERE kind IN ('dispatched', 'accepted', 'feedback', 'resolved')
                   AND bucket > '-infinity' AND bucket < ?)`, foldBefore).Scan(ctx, &pending)
	if err != nil {
		return fmt.Errorf("compact board counts: %w", err)
	}
	if !pending {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, "SELECT ticket_counts_compact(?)", foldBefore); err != nil {
		return fmt.Errorf("compact board counts: %w", err)
	}
	return nil
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
		return q.Where("t.status IN ('dispatched', 'accepted') AND "+dueExpr+" < ?", now).OrderExpr(dueOrder)
	case ListDueSoon:
		return q.Where("t.status IN ('dispatched', 'accepted') AND "+dueExpr+" >= ? AND "+dueExpr+" < ?", now, now.Add(SoonWindow)).OrderExpr(dueOrder)
	case ListReturned:
		return q.Where("t.status = 'returned'").OrderExpr("t.updated_at")
	case ListOpen:
		return q.Where("t.status NOT IN ('resolved', 'closed')").OrderExpr(dueOrder)
	case ListResolved:
		return q.Where("t.status = 'resolved'").OrderExpr(visitOrder)
	}
	return nil
}

// BoardCount counts one of the board's lists as actor sees it, up to limit: over is true when
// more than limit tickets are in it (the count then stops at limit+1 rows read).
func (s *Service) BoardCount(ctx context.Context, actor Actor, list BoardList, limit int) (n int, over bool, err error) {
	// The lists the board counters hold are counted from them, not over the tickets.
	fromCounters := func(statuses ...Status) (int, bool, error) {
		return s.countFromCounters(ctx, actor, Filter{Statuses: statuses, Queue: true})
	}
	var ok bool
	switch list {
	case ListReturned:
		n, ok, err = fromCounters(StatusReturned)
	case ListOpen:
		// Open (在办) is everything not yet resolved: what the counters hold, and the
		// registered tickets not yet dispatched, which no department leads.
		if n, ok, err = fromCounters(StatusDispatched, StatusAccepted, StatusReturned); ok && err == nil {
			var reg int
			q := s.db.NewSelect().TableExpr("tickets AS t").ColumnExpr("1").
				Where("t.status = ? AND t.master_id IS NULL", StatusRegistered).Limit(int64(limit) + 1)
			if q = scope(q, actor); q == nil {
				return 0, false, fmt.Errorf("count board list %s: %w", list, ErrForbidden)
			}
			if err = s.db.NewSelect().TableExpr("(?) AS l", q).ColumnExpr("count(*)").Scan(ctx, &reg); err != nil {
				return 0, false, fmt.Errorf("count board list %s: %w", list, err)
			}
			n += reg
		}
	case ListOverdue, ListDueSoon:
		if cityWide(actor.Role) {
			var rows []DepartmentCount
			if rows, err = s.DepartmentCounts(ctx, actor); err == nil {
				for _, r := range rows {
					n += map[bool]int{true: r.Overdue, false: r.DueSoon}[list == ListOverdue]
				}
				ok = true
			}
		}
	}
	if err != nil {
		return 0, false, err
	}
	if ok {
		return min(n, limit), n > limit, nil
	}
	q := s.db.NewSelect().TableExpr("tickets AS t").ColumnExpr("1").Where("t.master_id IS NULL")
	if q = boardQuery(q, list, s.clock.Now()); q == nil {
		return 0, false, invalid("list", fmt.Sprintf("unknown list %q", list))
	}
	if q = scope(q, actor); q == nil {
		return 0, false, fmt.Errorf("count board list %s: %w", list, ErrForbidden)
	}
	if err := s.db.NewSelect().TableExpr("(?) AS l", q.Limit(int64(limit)+1)).ColumnExpr("count(*)").Scan(ctx, &n); err != nil {
		return 0, false, fmt.Errorf("count board list %s: %w", list, err)
	}
	return min(n, limit), n > limit, nil
}

// BoardEach calls fn with each ticket of one of the board's lists, at most limit, in the list's
// order, as the database returns them: an export of a hundred thousand rows holds one ticket in
// memory at a time. fn's error stops it and is returned.
func (s *Service) BoardEach(ctx context.Context, actor Actor, list BoardList, limit int, fn func(*Ticket) error) error {
	q := s.db.NewSelect().Model((*Ticket)(nil)).Relation("Department").Relation("Category").Where("t.master_id IS NULL")
	if q = boardQuery(q, list, s.clock.Now()); q == nil {
		return invalid("list", fmt.Sprintf("unknown list %q", list))
	}
	if q = scope(q, actor); q == nil {
		return fmt.Errorf("board list %s: %w", list, ErrForbidden)
	}
	rows, err := q.Limit(int64(limit)).Rows(ctx)
	if err != nil {
		return fmt.Errorf("board list %s: %w", list, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Ticket
		if err := s.db.ScanRow(ctx, rows, &t); err != nil {
			return fmt.Errorf("board list %s: %w", list, err)
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("board list %s: %w", list, err)
	}
	return nil
}
