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
	// before(kind, x) is how many of a department's keys of kind fall before x: the whole hours
	// from the counters, the part of x's own hour from the tickets.
	err := s.db.NewRaw(`
WITH c AS (
    SELECT department_id, kind, bucket, n FROM ticket_counts WHERE ?0 = 0 OR department_id = ?0
    UNION ALL
    SELECT department_id, kind, bucket, n FROM ticket_count_deltas WHERE ?0 = 0 OR department_id = ?0
), sums AS (
    SELECT department_id,
        coalesce(sum(n) FILTER (WHERE kind IN ('dispatched', 'accepted')), 0) AS open,
        coalesce(sum(n) FILTER (WHERE kind = 'dispatched'), 0) AS waiting_accept,
        coalesce(sum(n) FILTER (WHERE kind IN ('dispatched', 'accepted') AND bucket < ?2), 0) AS due_before_now,
        coalesce(sum(n) FILTER (WHERE kind IN ('dispatched', 'accepted') AND bucket < ?4), 0) AS due_before_soon,
        coalesce(sum(n) FILTER (WHERE kind = 'feedback' AND bucket < ?2), 0) AS feedback_before_now,
        coalesce(sum(n) FILTER (WHERE kind = 'returned'), 0) AS returned,
        coalesce(sum(n) FILTER (WHERE kind = 'resolved'), 0) AS resolved,
        coalesce(sum(n) FILTER (WHERE kind = 'resolved' AND bucket < ?6), 0) AS resolved_before_day,
        bool_or(n <> 0) AS any
    FROM c GROUP BY department_id
), due_now AS (
    SELECT department_id, count(*) AS n FROM tickets
    WHERE master_id IS NULL AND status IN ('dispatched', 'accepted') AND coalesce(resolve_due, 'infinity') >= ?2 AND coalesce(resolve_due, 'infinity') < ?1
      AND (?0 = 0 OR department_id = ?0)
    GROUP BY department_id
), due_soon AS (
    SELECT department_id, count(*) AS n FROM tickets
    WHERE master_id IS NULL AND status IN ('dispatched', 'accepted') AND coalesce(resolve_due, 'infinity') >= ?4 AND coalesce(resolve_due, 'infinity') < ?3
      AND (?0 = 0 OR department_id = ?0)
    GROUP BY department_id
), feedback_now AS (
    SELECT department_id, count(*) AS n FROM tickets
    WHERE master_id IS NULL AND feedback_at IS NULL AND status IN ('dispatched', 'accepted')
      AND feedback_due >= ?2 AND feedback_due < ?1 AND (?0 = 0 OR department_id = ?0)
    GROUP BY department_id
), resolved_day AS (
    SELECT department_id, count(*) AS n FROM tickets
    WHERE master_id IS NULL AND status IN ('resolved', 'closed') AND resolved_at >= ?6 AND resolved_at < ?5
      AND (?0 = 0 OR department_id = ?0)
    GROUP BY department_id
)
SELECT d.code, d.name_zh, d.name_en, s.open, s.waiting_accept, s.returned,
    s.due_before_now + coalesce(dn.n, 0) AS overdue,
    s.due_before_soon + coalesce(ds.n, 0) - s.due_before_now - coalesce(dn.n, 0) AS due_soon,
    s.feedback_before_now + coalesce(fn.n, 0) AS feedback_overdue,
    s.resolved - s.resolved_before_day - coalesce(rd.n, 0) AS resolved_today
FROM sums AS s
JOIN departments AS d ON d.id = s.department_id
LEFT JOIN due_now AS dn ON dn.department_id = s.department_id
LEFT JOIN due_soon AS ds ON ds.department_id = s.department_id
LEFT JOIN feedback_now AS fn ON fn.department_id = s.department_id
LEFT JOIN resolved_day AS rd ON rd.department_id = s.department_id
WHERE s.any
ORDER BY overdue DESC, open DESC, d.code`,
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
