package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/textsearch"
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
	// Words must each be found in the description, address, title or result (package
	// internal/textsearch: a Chinese word of two characters is its bigram, of three or more
	// its bigrams plus a check that it is there as written).
	Words []string
	Since time.Time
	// CategoryID keeps to a category and every category under it.
	CategoryID int64
	// categoryIDs is CategoryID's subtree, read by list before the query: written out, the
	// planner knows how many tickets the categories hold (a subquery it takes for a guess).
	categoryIDs []int64
	Type        string // the ticket's type (consultation, complaint, …)
	Channel     string // where it came from (phone, web, …)
	// Clock keeps to the open tickets past their resolution deadline ("overdue") or due
	// within SoonWindow ("due-soon"), as the board's lists count them.
	Clock string
	// From and To keep to the tickets registered at or after From and before To.
	From, To time.Time
	// HandlerID keeps to the tickets on whose timeline that staff member recorded anything:
	// registered, dispatched, accepted, gave feedback, resolved, returned, noted.
	HandlerID int64
	Limit     int
	Offset    int // kept for old scripts; pages and new callers page with After
	// After is the cursor of the last ticket of the page before (Page.Next): the list goes on
	// from there in its own order (keyset paging), however deep, without counting past rows.
	After string
	// OrderBy is "due" (nearest resolution deadline first), "visit" (nearest 回访 deadline
	// first), "created" (registration time), "number" (ticket number) or "" (newest first);
	// Desc turns due, visit, created and number around.
	OrderBy string
	Desc    bool
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
	p, err := s.list(ctx, actor, f, false)
	if err != nil {
		return nil, err
	}
	return p.Tickets, nil
}

// ListCount is List with how many tickets match f in all, past the limit.
func (s *Service) ListCount(ctx context.Context, actor Actor, f Filter) ([]Ticket, int, error) {
	p, err := s.list(ctx, actor, f, true)
	if err != nil {
		return nil, 0, err
	}
	return p.Tickets, p.Total, nil
}

// Page is one page of a list: its tickets, the cursor of the next page (empty on the last),
// and how many match in all.
type Page struct {
	Tickets []Ticket
	Next    string
	Total   int
	// TotalAtLeast says Total is a lower bound: more than CountCap tickets match a filter the
	// board counters do not cover, and counting them all on every page view would read them all.
	TotalAtLeast bool
}

// CountCap is how far a list counts the tickets that match a filter the board counters do not
// cover; past it the total is shown as "more than".
const CountCap = 10000

// ListPage is one page of List with the cursor of the next one and the total.
func (s *Service) ListPage(ctx context.Context, actor Actor, f Filter) (*Page, error) {
	return s.list(ctx, actor, f, true)
}

// The lists' orders, each with an index that serves it (see the board_counts migration): a
// missing deadline sorts last, as 'infinity'.
const (
	dueExpr    = "coalesce(t.resolve_due, 'infinity')"
	visitExpr  = "coalesce(t.callback_due, 'infinity')"
	dueOrder   = dueExpr + ", t.id"
	visitOrder = visitExpr + ", t.id"
)

func (s *Service) list(ctx context.Context, actor Actor, f Filter, count bool) (*Page, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var c *cursor
	if f.After != "" {
		cur, err := parseCursor(f.OrderBy, f.After)
		if err != nil {
			return nil, err
		}
		c = &cur
	}
	if f.CategoryID != 0 {
		if err := s.db.NewRaw(categorySubtree, f.CategoryID).Scan(ctx, &f.categoryIDs); err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		if len(f.categoryIDs) == 0 {
			f.categoryIDs = []int64{0} // an unknown category: no ticket is in it
		}
	}
	filterQuery, err := s.filter(f)
	if err != nil {
		return nil, err
	}
	var total int
	var atLeast bool
	// One more than asked tells whether a next page exists.
	n := int64(f.Limit) + 1
	var ts []Ticket
	q := s.db.NewSelect().Model(&ts).Relation("Department").Relation("Category")
	if count {
		counted, ok, err := s.countFromCounters(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		switch {
		case ok:
			total = counted
		case len(f.Words) == 0:
			// Counted apart from the page: the count may need no more than an index.
			if total, atLeast, err = s.countCapped(ctx, actor, filterQuery); err != nil {
				return nil, err
			}
		default:
			// Words are checked on each match's row, so one pass over the matches counts them
			// and finds the page: when they are no more than CountCap, the page is read by its
			// ids, the tickets are not looked for twice.
			var ids []int64
			if total, atLeast, ids, err = s.countPage(ctx, actor, f, c, n, filterQuery); err != nil {
				return nil, err
			}
			if !atLeast {
				if len(ids) > 0 {
					if err := pageQuery(q.Where("t.id IN (?)", bun.List(ids)), f, nil).Scan(ctx); err != nil {
						return nil, fmt.Errorf("list tickets: %w", err)
					}
				}
				return s.pageOf(ts, f, total, false), nil
			}
		}
	}
	switch {
	case cityWide(actor.Role):
		q = pageQuery(filterQuery(q), f, c)
	case org.DepartmentStaff.Has(actor.Role):
		// A department's own tickets and those it co-handles (协办), each in the list's order
		// from its own index and cut to the page, then merged: an OR of the two would read
		// the whole department to find a page.
		page := func(q *bun.SelectQuery) *bun.SelectQuery {
			return pageQuery(filterQuery(q), f, c).Limit(n + int64(f.Offset))
		}
		own := page(s.db.NewSelect().TableExpr("tickets AS t").Column("t.id").Where("t.department_id = ?", actor.DepartmentID))
		co := page(s.db.NewSelect().TableExpr("tickets AS t").Column("t.id").
			Where("t.id IN (SELECT ticket_id FROM ticket_co_departments WHERE department_id = ?)", actor.DepartmentID).
			Where("t.department_id IS DISTINCT FROM ?", actor.DepartmentID))
		q = pageQuery(q.Where("t.id IN ((?) UNION ALL (?))", own, co), f, nil)
	default:
		return nil, fmt.Errorf("list tickets: %w", ErrForbidden)
	}
	q = q.Limit(n).Offset(int64(f.Offset))
	if len(f.Words) > 0 && atLeast {
		// Words found in more tickets than CountCap are common: the page is the first few of
		// them in the list's order, found soonest by walking that order's index. The planner
		// cannot know it: it takes a word's bigrams as independent and expects a few hundred
		// matches, then fetches and sorts every match. The count just made tells.
		err = s.db.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL enable_bitmapscan = off"); err != nil {
				return err
			}
			return q.Conn(tx).Scan(ctx)
		})
	} else {
		err = q.Scan(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return s.pageOf(ts, f, total, atLeast), nil
}

// pageOf is the page of ts, read one past f's limit to tell whether a next page exists.
func (s *Service) pageOf(ts []Ticket, f Filter, total int, atLeast bool) *Page {
	p := &Page{Tickets: ts, Total: total, TotalAtLeast: atLeast}
	if len(ts) > f.Limit {
		p.Tickets = ts[:f.Limit]
		p.Next = cursorOf(f.OrderBy, &p.Tickets[f.Limit-1])
	}
	return p
}

// pageQuery orders q by f's order and starts it after c, when there is one. Each order ends
// with the id, so ties keep one order and a cursor one place.
func pageQuery(q *bun.SelectQuery, f Filter, c *cursor) *bun.SelectQuery {
	dir, op := "ASC", ">"
	if f.Desc {
		dir, op = "DESC", "<"
	}
	var key string
	switch f.OrderBy {
	case "due":
		key = dueExpr
	case "visit":
		key = visitExpr
	case "created":
		key = "t.created_at"
	case "number":
		// Numbers are unique: the number alone is the place.
		q = q.OrderExpr("t.number " + dir)
		if c != nil {
			q = q.Where("t.number "+op+" ?", c.number)
		}
		return q
	default:
		q = q.OrderExpr("t.id DESC")
		if c != nil {
			q = q.Where("t.id < ?", c.id)
		}
		return q
	}
	q = q.OrderExpr(key + " " + dir + ", t.id " + dir)
	if c != nil {
		q = q.Where("("+key+", t.id) "+op+" (?, ?)", c.at, c.id)
	}
	return q
}

// Clock states a list may keep to (Filter.Clock).
const (
	ClockOverdue = "overdue"
	ClockDueSoon = "due-soon"
)

// filter is the narrowing of a query to f, all but its order and page; a search that has
// no words to look for is bad input.
func (s *Service) filter(f Filter) (func(*bun.SelectQuery) *bun.SelectQuery, error) {
	var search *textsearch.Query
	if len(f.Words) > 0 {
		sq, err := textsearch.Parse(strings.Join(f.Words, " "))
		if err != nil {
			return nil, invalid("q", err.Error())
		}
		search = &sq
	}
	switch f.Clock {
	case "", ClockOverdue, ClockDueSoon:
	default:
		return nil, invalid("clock", fmt.Sprintf("unknown clock state %q", f.Clock))
	}
	now := s.clock.Now()
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		q = filterQuery(q, f)
		if search != nil {
			cond, args := search.Condition("t.search", searchText)
			q = q.Where(cond, args...)
		}
		switch f.Clock {
		case ClockOverdue:
			q = q.Where("t.status IN ('dispatched', 'accepted') AND "+dueExpr+" < ?", now)
		case ClockDueSoon:
			q = q.Where("t.status IN ('dispatched', 'accepted') AND "+dueExpr+" >= ? AND "+dueExpr+" < ?", now, now.Add(SoonWindow))
		}
		return q
	}, nil
}

// searchText is the text the search vector is made of (the ticket_search migration), for the
// check that a word of three or more characters is there as written.
const searchText = "(t.description || ' ' || t.address || ' ' || t.title || ' ' || t.resolution)"

// filterQuery narrows q to the fields of f that need nothing but the query.
func filterQuery(q *bun.SelectQuery, f Filter) *bun.SelectQuery {
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
			// The expression of tickets_phone_last4_idx.
			q = q.Where("right(t.caller_phone, 4) = ? AND t.caller_phone <> ''", f.Phone)
		} else {
			q = q.Where("t.caller_phone = ?", f.Phone)
		}
	}
	switch {
	case len(f.categoryIDs) > 0:
		q = q.Where("t.category_id IN (?)", bun.List(f.categoryIDs))
	case f.CategoryID != 0:
		q = q.Where("t.category_id IN ("+categorySubtree+")", f.CategoryID)
	}
	if f.Type != "" {
		q = q.Where("t.type = ?", f.Type)
	}
	if f.Channel != "" {
		q = q.Where("t.channel = ?", f.Channel)
	}
	if !f.From.IsZero() {
		q = q.Where("t.created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("t.created_at < ?", f.To)
	}
	if f.HandlerID != 0 {
		q = q.Where("t.id IN (SELECT ticket_id FROM ticket_events WHERE actor_id = ?)", f.HandlerID)
	}
	if f.VisitDue {
		q = q.Where("t.status = ? AND t.visited_at IS NULL AND t.department_id IS NOT NULL AND t.master_id IS NULL", StatusResolved)
	}
	if !f.Since.IsZero() {
		q = q.Where("t.created_at >= ?", f.Since)
	}
	return q
}

// categorySubtree selects a category and every category under it.
const categorySubtree = `WITH RECURSIVE sub AS (
    SELECT id FROM categories WHERE id = ?
    UNION SELECT c.id FROM categories AS c JOIN sub ON c.parent_id = sub.id)
SELECT id FROM sub`

// capped is the tickets filterQuery matches for actor, up to CountCap+1 of them, each as
// cols: a department's staff's own tickets and those they co-handle, each capped on its own
// index.
func (s *Service) capped(actor Actor, filterQuery func(*bun.SelectQuery) *bun.SelectQuery, cols string) (*bun.SelectQuery, error) {
	capped := func(q *bun.SelectQuery) *bun.SelectQuery {
		return filterQuery(q.TableExpr("tickets AS t").ColumnExpr(cols)).Limit(CountCap + 1)
	}
	switch {
	case cityWide(actor.Role):
		return capped(s.db.NewSelect()), nil
	case org.DepartmentStaff.Has(actor.Role):
		own := capped(s.db.NewSelect().Where("t.department_id = ?", actor.DepartmentID))
		co := capped(s.db.NewSelect().
			Where("t.id IN (SELECT ticket_id FROM ticket_co_departments WHERE department_id = ?)", actor.DepartmentID).
			Where("t.department_id IS DISTINCT FROM ?", actor.DepartmentID))
		return s.db.NewSelect().TableExpr("((?) UNION ALL (?)) AS u", own, co).ColumnExpr("u.*"), nil
	}
	return nil, fmt.Errorf("count tickets: %w", ErrForbidden)
}

// countCapped counts the tickets filterQuery matches for actor, up to CountCap; atLeast says
// there are more.
func (s *Service) countCapped(ctx context.Context, actor Actor, filterQuery func(*bun.SelectQuery) *bun.SelectQuery) (n int, atLeast bool, err error) {
	q, err := s.capped(actor, filterQuery, "1")
	if err != nil {
		return 0, false, err
	}
	if err := s.db.NewSelect().TableExpr("(?) AS m", q).ColumnExpr("count(*)").Scan(ctx, &n); err != nil {
		return 0, false, fmt.Errorf("count tickets: %w", err)
	}
	if n > CountCap {
		return CountCap, true, nil
	}
	return n, false, nil
}

// countPage counts the tickets f matches for actor, up to CountCap, and, when they are no
// more, gives the ids of the page after c (limit of them) in f's order, in one pass: the
// matches, each with the key of the order, are gathered once, then counted and the page
// taken from them. Past CountCap atLeast is true and ids empty: the matches gathered are the
// first found, not the first in the order, which the caller walks its index for.
func (s *Service) countPage(ctx context.Context, actor Actor, f Filter, c *cursor, limit int64,
	filterQuery func(*bun.SelectQuery) *bun.SelectQuery) (total int, atLeast bool, ids []int64, err error) {
	// The columns pageQuery orders and starts the page by, on the matches named t.
	cols := "t.id"
	switch f.OrderBy {
	case "due":
		cols += ", t.resolve_due"
	case "visit":
		cols += ", t.callback_due"
	case "created":
		cols += ", t.created_at"
	case "number":
		cols += ", t.number"
	}
	m, err := s.capped(actor, filterQuery, cols)
	if err != nil {
		return 0, false, nil, err
	}
	page := pageQuery(s.db.NewSelect().TableExpr("m AS t").Column("t.id"), f, c).Limit(limit).Offset(int64(f.Offset))
	// The page is an InitPlan, run only when the CASE reaches it.
	err = s.db.NewSelect().With("m", m).
		ColumnExpr("(SELECT count(*) FROM m) AS n").
		ColumnExpr("CASE WHEN (SELECT count(*) FROM m) <= ? THEN ARRAY(?) END AS ids", CountCap, page).
		Scan(ctx, &total, pgdialect.Array(&ids))
	if err != nil {
		return 0, false, nil, fmt.Errorf("count tickets: %w", err)
	}
	if total > CountCap {
		return CountCap, true, nil, nil
	}
	return total, false, ids, nil
}

// countFromCounters answers the count of a list of open tickets by status from the board
// counters (ticket_counts), which hold them per lead department; ok is false for a filter
// they cannot answer. A department's staff also see the tickets they co-handle (协办) for
// another lead department: those are counted over the co-handling table.
func (s *Service) countFromCounters(ctx context.Context, actor Actor, f Filter) (int, bool, error) {
	if len(f.Statuses) == 0 || f.Phone != "" || len(f.Words) > 0 || f.VisitDue || !f.Since.IsZero() || f.Offset != 0 ||
		f.CategoryID != 0 || f.Type != "" || f.Channel != "" || f.Clock != "" || !f.From.IsZero() || !f.To.IsZero() || f.HandlerID != 0 {
		return 0, false, nil
	}
	var kinds []string
	for _, st := range f.Statuses {
		switch st {
		case StatusDispatched, StatusAccepted, StatusReturned:
			kinds = append(kinds, string(st))
			if !f.Queue {
				kinds = append(kinds, "merged-"+string(st))
			}
		default:
			return 0, false, nil
		}
	}
	dept := f.DepartmentID
	co := false
	switch {
	case cityWide(actor.Role):
	case org.DepartmentStaff.Has(actor.Role):
		if dept != 0 && dept != actor.DepartmentID {
			return 0, false, nil
		}
		dept, co = actor.DepartmentID, true
	default:
		return 0, false, fmt.Errorf("count tickets: %w", ErrForbidden)
	}
	var n int
	err := s.db.NewRaw(`SELECT coalesce(sum(n), 0) FROM (
    SELECT n FROM ticket_counts WHERE kind IN (?0) AND (?1 = 0 OR department_id = ?1)
    UNION ALL
    SELECT n FROM ticket_count_deltas WHERE kind IN (?0) AND (?1 = 0 OR department_id = ?1)
    UNION ALL
    SELECT count(*) FROM ticket_co_departments AS co JOIN tickets AS t ON t.id = co.ticket_id
    WHERE ?2 AND co.department_id = ?1 AND t.department_id IS DISTINCT FROM ?1 AND t.status IN (?3)
      AND (NOT ?4 OR t.master_id IS NULL)
) AS c`, bun.List(kinds), dept, co, bun.List(f.Statuses), f.Queue).Scan(ctx, &n)
	if err != nil {
		return 0, false, fmt.Errorf("count tickets: %w", err)
	}
	return n, true, nil
}

// cursor is where a page ended: the last ticket's place in the list's order.
type cursor struct {
	at     any // time.Time, or "infinity" for a missing deadline
	id     int64
	number string
}

// cursorOf is the cursor after t in order: "<id>" newest first, the number by number, else
// "<unix µs>_<id>" with "inf" for a missing deadline.
func cursorOf(order string, t *Ticket) string {
	var at *time.Time
	switch order {
	case "due":
		at = t.ResolveDue
	case "visit":
		at = t.CallbackDue
	case "created":
		at = &t.CreatedAt
	case "number":
		return t.Number
	default:
		return strconv.FormatInt(t.ID, 10)
	}
	if at == nil {
		return "inf_" + strconv.FormatInt(t.ID, 10)
	}
	return strconv.FormatInt(at.UnixMicro(), 10) + "_" + strconv.FormatInt(t.ID, 10)
}

// numberCursor is what a ticket number may hold.
var numberCursor = regexp.MustCompile(`^[A-Za-z0-9-]{1,40}$`)

// parseCursor reads a cursor made by cursorOf for order.
func parseCursor(order, s string) (cursor, error) {
	bad := invalid("after", "not a cursor of this list: follow the list's next link")
	var c cursor
	timed := order == "due" || order == "visit" || order == "created"
	if order == "number" {
		if !numberCursor.MatchString(s) {
			return c, bad
		}
		c.number = s
		return c, nil
	}
	at, id, ok := strings.Cut(s, "_")
	if !timed {
		if ok {
			return c, bad
		}
		id = at
	} else if !ok {
		return c, bad
	}
	var err error
	if c.id, err = strconv.ParseInt(id, 10, 64); err != nil || c.id < 0 {
		return c, bad
	}
	if timed {
		if at == "inf" && order != "created" {
			c.at = "infinity"
		} else if us, err := strconv.ParseInt(at, 10, 64); err == nil {
			c.at = time.UnixMicro(us).UTC()
		} else {
			return c, bad
		}
	}
	return c, nil
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
