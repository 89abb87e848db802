// Package escalation watches the deadline clocks of tickets: it warns the handling department
// before a deadline, escalates (催办) level by level once it has passed, handles extensions (延期)
// and supervision notices (督办单), and delivers the resulting notifications through an outbox.
//
// A sweep is state-based and idempotent: it looks at what is due at the time it is given, and
// every action it takes is keyed by (ticket, clock, deadline, level), so that running it twice,
// running two at once, or running it again after a crash never repeats or loses an action.
package escalation

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/tickets"
)

// Calendar is the working-day arithmetic the clocks need (package workcal provides it).
type Calendar interface {
	AddWorkdays(t time.Time, n int) time.Time
	AddWorkingHours(t time.Time, d time.Duration) time.Time
	WorkingDuration(from, to time.Time) time.Duration
}

// Options tune the escalation rules.
type Options struct {
	WarnShare float64       // share of a clock after which the department is warned; default 0.75
	Period    time.Duration // each further period overdue is one more level; default 24h
	Batch     int           // clocks handled per transaction; default 2000
	Workers   int           // plan and sweep batches run at once, each on its own connection; default 2
	Email     bool          // write e-mail rows to the outbox (an SMTP server is configured)
	SMS       bool          // write SMS rows to the outbox (an SMS gateway is configured)
	// PublicURL is where citizens reach this site (tracking and rating links in SMS).
	PublicURL string
	// A sweep's transactions hold the clocks they claimed. PostgreSQL ends one that sits
	// idle for TxIdle (a scheduler paused, frozen or cut off mid-batch; default 10 s) or runs
	// a statement for TxStatement (default 60 s), releasing its clocks to the other
	// schedulers: a frozen process holds escalations back for at most that long, plus the
	// other scheduler's next tick.
	TxIdle      time.Duration
	TxStatement time.Duration
}

// Service runs sweeps, extensions and supervision notices.
type Service struct {
	db      *bun.DB
	clock   clock.Clock
	cal     Calendar
	loc     *time.Location
	log     *slog.Logger
	tickets *tickets.Service
	opt     Options
	hub     *Hub
	// ratingToken signs the rating link sent at resolution (LinkRatings).
	ratingToken func(number string, round int) string
}

// New wires the service. The hub is told about new notifications so the delivery worker and
// live browser streams wake at once; it may be nil.
func New(db *bun.DB, clk clock.Clock, cal Calendar, loc *time.Location, log *slog.Logger, ts *tickets.Service, hub *Hub, opt Options) *Service {
	if opt.WarnShare <= 0 || opt.WarnShare >= 1 {
		opt.WarnShare = 0.75
	}
	if opt.Period <= 0 {
		opt.Period = 24 * time.Hour
	}
	if opt.Batch <= 0 {
		opt.Batch = 2000
	}
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.TxIdle <= 0 {
		opt.TxIdle = 10 * time.Second
	}
	if opt.TxStatement <= 0 {
		opt.TxStatement = time.Minute
	}
	if hub == nil {
		hub = NewHub()
	}
	return &Service{db: db, clock: clk, cal: cal, loc: loc, log: log, tickets: ts, opt: opt, hub: hub}
}

// Hub returns the service's notification hub.
func (s *Service) Hub() *Hub { return s.hub }

// Clock names.
const (
	ClockAccept   = "accept"   // 签收
	ClockFeedback = "feedback" // 首次反馈
	ClockResolve  = "resolve"  // 办结
	ClockCallback = "callback" // 回访
	ClockNotice   = "notice"   // 督办单
)

// Action names, as the sweep prints them.
const (
	ActionWarned    = "warned"
	ActionEscalated = "escalated"
)

// clockZh names a clock for people.
func clockZh(c string) string {
	switch c {
	case ClockAccept:
		return "签收"
	case ClockFeedback:
		return "首次反馈"
	case ClockResolve:
		return "办结"
	case ClockCallback:
		return "回访"
	case ClockNotice:
		return "督办"
	}
	return c
}

// live is one running clock of a ticket.
type live struct {
	clock  string
	deptID *int64
	start  time.Time
	due    time.Time
}

// ticketClocks is what the clocks are computed from: the ticket row and its profile.
type ticketClocks struct {
	ID            int64      `bun:"id"`
	Number        string     `bun:"number"`
	Version       int        `bun:"version"`
	Status        string     `bun:"status"`
	DepartmentID  *int64     `bun:"department_id"`
	CreatedAt     time.Time  `bun:"created_at"`
	DispatchedAt  *time.Time `bun:"dispatched_at"`
	AcceptedAt    *time.Time `bun:"accepted_at"`
	FeedbackAt    *time.Time `bun:"feedback_at"`
	ResolvedAt    *time.Time `bun:"resolved_at"`
	AcceptDue     *time.Time `bun:"accept_due"`
	FeedbackDue   *time.Time `bun:"feedback_due"`
	ResolveDue    *time.Time `bun:"resolve_due"`
	CallbackDue   *time.Time `bun:"callback_due"`
	VisitedAt     *time.Time `bun:"visited_at"`
	MasterID      *int64     `bun:"master_id"`
	ReopenCount   int        `bun:"reopen_count"`
	FeedbackHours int        `bun:"feedback_hours"`
}

const ticketClockColumns = "t.id, t.number, t.version, t.status, t.department_id, t.created_at, t.dispatched_at, " +
	"t.accepted_at, t.feedback_at, t.resolved_at, t.accept_due, t.feedback_due, t.resolve_due, t.callback_due, " +
	"t.visited_at, t.master_id, t.reopen_count"

// liveClocks lists the clocks running on a ticket. The status tells which are live: acceptance
// while dispatched, feedback until it is given on a dispatched or accepted ticket, resolution
// while dispatched or accepted, the return visit (owed by the centre) while resolved and not
// yet done (the citizen's rating or a visit record does it). A ticket merged into another
// (并单) runs none: it follows its master, whose clocks run.
func liveClocks(t *ticketClocks, centreID int64) []live {
	if t.MasterID != nil {
		return nil
	}
	var out []live
	inDept := t.Status == string(tickets.StatusDispatched) || t.Status == string(tickets.StatusAccepted)
	startOr := func(p *time.Time, def time.Time) time.Time {
		if p != nil {
			return *p
		}
		return def
	}
	dispatched := startOr(t.DispatchedAt, t.CreatedAt)
	if t.Status == string(tickets.StatusDispatched) && t.AcceptDue != nil && t.AcceptedAt == nil {
		out = append(out, live{clock: ClockAccept, deptID: t.DepartmentID, start: dispatched, due: *t.AcceptDue})
	}
	if inDept && t.FeedbackDue != nil && t.FeedbackAt == nil {
		// The feedback clock runs from registration, or from the reopening that reset it.
		start := t.CreatedAt
		if s := t.FeedbackDue.Add(-time.Duration(t.FeedbackHours) * time.Hour); t.FeedbackHours > 0 && s.After(start) {
			start = s
		}
		out = append(out, live{clock: ClockFeedback, deptID: t.DepartmentID, start: start, due: *t.FeedbackDue})
	}
	if inDept && t.ResolveDue != nil {
		out = append(out, live{clock: ClockResolve, deptID: t.DepartmentID, start: dispatched, due: *t.ResolveDue})
	}
	if t.Status == string(tickets.StatusResolved) && t.CallbackDue != nil && t.VisitedAt == nil {
		var dept *int64
		if centreID != 0 {
			dept = &centreID
		}
		out = append(out, live{clock: ClockCallback, deptID: dept, start: startOr(t.ResolvedAt, t.CreatedAt), due: *t.CallbackDue})
	}
	return out
}

// warnAt is when a clock's warning is due: WarnShare of its length, counted in working time for
// the clocks measured in working hours and days (so a 2-working-hour acceptance clock started
// on Friday afternoon warns on Monday morning, not on Sunday), and in plain hours for feedback.
func (s *Service) warnAt(clock string, start, due time.Time) time.Time {
	if !start.Before(due) {
		return due
	}
	if clock != ClockFeedback {
		if wd := s.cal.WorkingDuration(start, due); wd > 0 {
			return s.cal.AddWorkingHours(start, time.Duration(float64(wd)*s.opt.WarnShare))
		}
	}
	return start.Add(time.Duration(float64(due.Sub(start)) * s.opt.WarnShare))
}

// levelAt is when escalation level n (n >= 1) is due.
func (s *Service) levelAt(due time.Time, n int) time.Time {
	return due.Add(time.Duration(n-1) * s.opt.Period)
}

// nextAt is when a clock at stage must be looked at again, or nil when the top level is reached.
func (s *Service) nextAt(start, due time.Time, clock string, stage, top int) *time.Time {
	var t time.Time
	switch {
	case stage < 0:
		if w := s.warnAt(clock, start, due); w.Before(due) {
			t = w
		} else {
			t = due
		}
	case stage >= top:
		return nil
	default:
		t = s.levelAt(due, stage+1)
	}
	return &t
}

// reached returns the highest stage reached at now: -1 before the warning, 0 warned, n for
// escalation level n, capped at top.
func (s *Service) reached(now, start, due time.Time, clock string, top int) int {
	if now.Before(due) {
		if w := s.warnAt(clock, start, due); w.Before(due) && !now.Before(w) {
			return 0
		}
		return -1
	}
	n := 1 + int(now.Sub(due)/s.opt.Period)
	if n > top {
		n = top
	}
	return n
}

// steps lists the levels to act on when a clock moves from stage to target. A warning is no
// longer worth sending once the deadline has passed, so a sweep catching up after downtime
// goes straight to the escalation levels, all of them, so every level's people hear of it.
func steps(stage, target int) []int {
	var out []int
	for l := stage + 1; l <= target; l++ {
		if l == 0 && target >= 1 {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (s *Service) fmtTime(t time.Time) string { return t.In(s.loc).Format("2006-01-02 15:04") }

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// runTx runs fn in a transaction bounded by the TxIdle and TxStatement timeouts.
func (s *Service) runTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return database.RunInTx(ctx, s.db, nil, func(ctx context.Context, tx bun.Tx) error {
		// Timeouts PostgreSQL enforces itself, so they hold even when this process cannot act.
		if _, err := tx.ExecContext(ctx, "SELECT set_config('idle_in_transaction_session_timeout', ?, true), set_config('statement_timeout', ?, true)",
			fmt.Sprint(s.opt.TxIdle.Milliseconds()), fmt.Sprint(s.opt.TxStatement.Milliseconds())); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

// Errors are the ticket domain's, so the edges map one set of errors.
var (
	ErrNotFound   = tickets.ErrNotFound
	ErrForbidden  = tickets.ErrForbidden
	ErrConflict   = tickets.ErrConflict
	ErrInvalid    = tickets.ErrInvalid
	ErrTransition = tickets.ErrTransition
)
