package escalation

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Action is one thing a sweep did, as `hotline sweep` prints it.
type Action struct {
	Ticket     string    `json:"ticket"`
	Clock      string    `json:"clock"`
	Action     string    `json:"action"`
	Level      int       `json:"level"`
	Due        time.Time `json:"due"`
	At         time.Time `json:"at"`
	Notice     string    `json:"notice,omitempty"`
	Department string    `json:"department,omitempty"`
	Recipients []string  `json:"recipients"`

	id int64 // its row in escalation_actions
}

// clockRow is one live clock and how far it has gone.
type clockRow struct {
	bun.BaseModel `bun:"table:escalation_clocks,alias:c"`

	TicketID      int64      `bun:"ticket_id,pk"`
	Clock         string     `bun:"clock,pk"`
	NoticeID      int64      `bun:"notice_id,pk"`
	DepartmentID  *int64     `bun:"department_id"`
	StartedAt     time.Time  `bun:"started_at"`
	Due           time.Time  `bun:"due"`
	Stage         int        `bun:"stage"`
	NextAt        *time.Time `bun:"next_at"`
	TicketVersion int        `bun:"ticket_version"`
}

// actionRow is one action taken; its unique key is what makes it happen once.
type actionRow struct {
	bun.BaseModel `bun:"table:escalation_actions,alias:a"`

	ID           int64     `bun:"id,pk,autoincrement"`
	TicketID     int64     `bun:"ticket_id"`
	Clock        string    `bun:"clock"`
	NoticeID     int64     `bun:"notice_id"`
	Due          time.Time `bun:"due"`
	Level        int       `bun:"level"`
	Action       string    `bun:"action"`
	DepartmentID *int64    `bun:"department_id"`
	At           time.Time `bun:"at"`
}

type actionKey struct {
	ticket int64
	clock  string
	notice int64
	due    int64
	level  int
}

func (a *actionRow) key() actionKey {
	return actionKey{a.TicketID, a.Clock, a.NoticeID, a.Due.UnixMicro(), a.Level}
}

// Sweep runs one sweep as if the time were now: it first brings the clocks of every ticket
// changed since the last sweep up to date, then applies every warning and escalation due at
// now. Each batch of actions commits with its timeline events and outbox rows; emit is called
// for each action after its batch committed, so what is emitted has happened. Once a batch
// comes back full, further batches run side by side on their own connections (Workers): the
// claims skip each other's locked clocks, so they share the work without waiting.
func (s *Service) Sweep(ctx context.Context, now time.Time, emit func(Action)) (int, error) {
	if _, err := s.Plan(ctx); err != nil {
		return 0, err
	}
	dir, err := loadDirectory(ctx, s.db)
	if err != nil {
		return 0, err
	}
	var (
		mu    sync.Mutex // serialises emit and total
		total int
	)
	err = s.fanOut(func() (int, bool, error) {
		var done []Action
		var n int
		err := s.retry(ctx, func() error {
			done = nil
			var err error
			n, err = s.actBatch(ctx, now, dir, &done)
			return err
		})
		if err != nil {
			return 0, false, fmt.Errorf("sweep: %w", err)
		}
		mu.Lock()
		if emit != nil {
			for _, a := range done {
				emit(a)
			}
		}
		total += len(done)
		mu.Unlock()
		if len(done) > 0 {
			s.hub.Queued()
		}
		return n, n >= s.opt.Batch, nil
	})
	if err != nil {
		return total, err
	}
	n, err := s.sweepRectifications(ctx, now, dir, emit) // the fan-out is over: emit runs alone
	return total + n, err
}

// retry runs fn again when PostgreSQL aborted it for a deadlock or a serialization failure,
// which concurrent sweeps planning the same ticket can cause.
func (s *Service) retry(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001") && attempt < 5 {
			s.log.WarnContext(ctx, "sweep batch retried", "reason", pgErr.Code)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
			}
			continue
		}
		return err
	}
}

// Plan brings the clock rows of every ticket changed since the last plan up to date: which
// clocks run, their deadlines and when each must be looked at next. It returns the number of
// tickets looked at. Concurrent planners share the work (SKIP LOCKED), and a plan with more
// than a batch to do runs Workers of them; a clock row only ever moves to a newer version of
// its ticket.
func (s *Service) Plan(ctx context.Context) (int, error) {
	dir, err := loadDirectory(ctx, s.db)
	if err != nil {
		return 0, err
	}
	batch := max(s.opt.Batch, 2000)
	var total atomic.Int64
	err = s.fanOut(func() (int, bool, error) {
		var n, claimed int
		err := s.retry(ctx, func() error {
			var err error
			n, claimed, err = s.planBatch(ctx, dir, batch)
			return err
		})
		if err != nil {
			return 0, false, fmt.Errorf("plan clocks: %w", err)
		}
		total.Add(int64(n))
		return claimed, claimed >= batch, nil
	})
	return int(total.Load()), err
}

// fanOut calls batch until it claims nothing. Once a batch comes back full, Workers-1 more
// loops run beside this one, each on its own connection: the claims skip each other's locked
// rows, so they share the work without waiting, and a sweep with little to do stays on one
// connection.
func (s *Service) fanOut(batch func() (claimed int, full bool, err error)) error {
	var wg sync.WaitGroup
	errs := make(chan error, s.opt.Workers)
	var loop func(spawn bool) error
	loop = func(spawn bool) error {
		for {
			n, full, err := batch()
			if err != nil || n == 0 {
				return err
			}
			if full && spawn {
				spawn = false
				for range s.opt.Workers - 1 {
					wg.Go(func() { errs <- loop(false) })
				}
			}
		}
	}
	err := loop(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		err = cmp.Or(err, e)
	}
	return err
}

// planBatch plans the tickets of one batch of changes; it returns how many tickets it looked
// at and how many change rows it claimed.
func (s *Service) planBatch(ctx context.Context, dir *directory, batch int) (int, int, error) {
	n, claimed := 0, 0
	err := s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var dirty []struct {
			ID       int64 `bun:"id"`
			TicketID int64 `bun:"ticket_id"`
		}
		err := tx.NewSelect().Table("escalation_dirty").Column("id", "ticket_id").Order("id").Limit(int64(batch)).
			For("UPDATE SKIP LOCKED").Scan(ctx, &dirty)
		if err != nil {
			return wrap("claim changed tickets", err)
		}
		claimed = len(dirty)
		if len(dirty) == 0 {
			return nil
		}
		ids := make([]int64, 0, len(dirty))
		seen := map[int64]bool{}
		dirtyIDs := make([]int64, 0, len(dirty))
		for _, d := range dirty {
			dirtyIDs = append(dirtyIDs, d.ID)
			if !seen[d.TicketID] {
				seen[d.TicketID] = true
				ids = append(ids, d.TicketID)
			}
		}
		slices.Sort(ids)
		n = len(ids)
		var ts []ticketClocks
		err = tx.NewSelect().TableExpr("tickets AS t").ColumnExpr(ticketClockColumns).
			ColumnExpr("coalesce(p.feedback_hours, 0) AS feedback_hours").
			Join("LEFT JOIN deadline_profiles AS p ON p.code = t.profile_code").
			Where("t.id IN (?)", bun.List(ids)).Scan(ctx, &ts)
		if err != nil {
			return wrap("read tickets", err)
		}
		var existing []clockRow
		err = tx.NewSelect().Model(&existing).Where("ticket_id IN (?) AND notice_id = 0", bun.List(ids)).
			Order("ticket_id", "clock").For("UPDATE").Scan(ctx)
		if err != nil {
			return wrap("read clocks", err)
		}
		have := map[[2]any]clockRow{}
		for _, c := range existing {
			have[[2]any{c.TicketID, c.Clock}] = c
		}
		var upserts []clockRow
		keep := map[[2]any]bool{}
		for i := range ts {
			t := &ts[i]
			for _, l := range liveClocks(t, dir.centreID) {
				k := [2]any{t.ID, l.clock}
				keep[k] = true
				stage := -1
				if old, ok := have[k]; ok && old.Due.Equal(l.due) {
					stage = old.Stage
				}
				upserts = append(upserts, clockRow{TicketID: t.ID, Clock: l.clock, DepartmentID: l.deptID, StartedAt: l.start,
					Due: l.due, Stage: stage, NextAt: s.nextAt(l.start, l.due, l.clock, stage, dir.top(l.deptID)), TicketVersion: t.Version})
			}
		}
		version := map[int64]int{}
		for _, t := range ts {
			version[t.ID] = t.Version
		}
		for _, c := range existing {
			if keep[[2]any{c.TicketID, c.Clock}] {
				continue
			}
			_, err := tx.NewDelete().Model((*clockRow)(nil)).
				Where("ticket_id = ? AND clock = ? AND notice_id = 0 AND ticket_version <= ?", c.TicketID, c.Clock, version[c.TicketID]).Exec(ctx)
			if err != nil {
				return wrap("drop stopped clock", err)
			}
		}
		if err := saveClocks(ctx, tx, upserts); err != nil {
			return err
		}
		if err := s.rearmNotices(ctx, tx, dir, ts); err != nil {
			return err
		}
		_, err = tx.Tx.ExecContext(ctx, "DELETE FROM escalation_dirty WHERE id = ANY($1::bigint[])", prepared, dirtyIDs)
		return wrap("clear changed tickets", err)
	})
	return n, claimed, err
}

// rearmNotices sets going again the supervision notices' clocks that waited while their
// ticket was merged into another (并单), for the tickets of ts handled on their own.
func (s *Service) rearmNotices(ctx context.Context, tx bun.Tx, dir *directory, ts []ticketClocks) error {
	var own []int64
	for _, t := range ts {
		if t.MasterID == nil {
			own = append(own, t.ID)
		}
	}
	if len(own) == 0 {
		return nil
	}
	var parked []clockRow
	err := tx.NewSelect().Model(&parked).
		Where("c.ticket_id IN (?) AND c.notice_id <> 0 AND c.next_at IS NULL", bun.List(own)).
		Where("EXISTS (SELECT 1 FROM supervision_notices n WHERE n.id = c.notice_id AND n.status = 'open')").
		For("UPDATE").Scan(ctx)
	if err != nil {
		return wrap("read waiting notice clocks", err)
	}
	var moved []clockRow
	for _, c := range parked {
		if c.NextAt = s.nextAt(c.StartedAt, c.Due, c.Clock, c.Stage, dir.top(c.DepartmentID)); c.NextAt != nil {
			moved = append(moved, c)
		}
	}
	return advanceClocks(ctx, tx, moved)
}

// saveClocksSQL upserts clock rows sent as one array per column; a row only ever moves to a
// newer version of its ticket, so a slower planner holding an older read cannot undo a newer one.
const saveClocksSQL = `
INSERT INTO escalation_clocks AS c (ticket_id, clock, notice_id, department_id, started_at, due, stage, next_at, ticket_version)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::timestamptz[],
                     $7::int[], $8::timestamptz[], $9::int[])
ON CONFLICT (ticket_id, clock, notice_id) DO UPDATE
SET department_id = EXCLUDED.department_id, started_at = EXCLUDED.started_at, due = EXCLUDED.due,
    stage = EXCLUDED.stage, next_at = EXCLUDED.next_at, ticket_version = EXCLUDED.ticket_version
WHERE c.ticket_version <= EXCLUDED.ticket_version`

func saveClocks(ctx context.Context, tx bun.Tx, cs []clockRow) error {
	if len(cs) == 0 {
		return nil
	}
	n := len(cs)
	var (
		ticket  = make([]int64, n)
		clock   = make([]string, n)
		notice  = make([]int64, n)
		dept    = make([]*int64, n)
		started = make([]time.Time, n)
		due     = make([]time.Time, n)
		stage   = make([]int32, n)
		next    = make([]*time.Time, n)
		version = make([]int32, n)
	)
	for i, c := range cs {
		ticket[i], clock[i], notice[i], dept[i], started[i] = c.TicketID, c.Clock, c.NoticeID, c.DepartmentID, c.StartedAt
		due[i], stage[i], next[i], version[i] = c.Due, int32(c.Stage), c.NextAt, int32(c.TicketVersion)
	}
	_, err := tx.Tx.ExecContext(ctx, saveClocksSQL, prepared, ticket, clock, notice, dept, started, due, stage, next, version)
	return wrap("save clocks", err)
}

// actBatch claims up to one batch of clocks due at now, applies their actions with events and
// outbox rows, and advances them, in one transaction. It returns how many clocks it claimed.
//
// The transaction commits synchronously. Committing with synchronous_commit off would keep
// exactly-once (a batch lost in a server crash is lost whole, actions and clock advances
// together, and the next sweep redoes it as catch-up), but what emit printed and what the
// delivery worker already sent for that batch would then be printed and sent a second time;
// and the WAL flush it would save is 2 to 8 ms of a batch's several hundred (commit_ms below).
func (s *Service) actBatch(ctx context.Context, now time.Time, dir *directory, out *[]Action) (int, error) {
	claimed := 0
	var tm batchTimes
	var xid string
	begin := time.Now()
	err := s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		tm, xid = batchTimes{}, ""
		var err error
		claimed, err = s.actOnDue(ctx, tx, now, dir, out, &tm, &xid)
		return err
	})
	if errors.Is(err, database.ErrCommitUnknown) && xid != "" {
		// The COMMIT went unanswered: what it did is what is reported, no more and no less.
		done, lerr := s.committedActions(ctx, xid, *out)
		if lerr != nil {
			*out = nil
			return claimed, fmt.Errorf("%w; looking its actions up: %w", err, lerr)
		}
		if done != nil {
			s.log.WarnContext(ctx, "sweep batch committed though its commit went unanswered", "actions", len(done))
			*out = done
			return claimed, nil
		}
	}
	if err != nil {
		*out = nil
		return claimed, err
	}
	if claimed > 0 {
		s.logBatch(ctx, claimed, len(*out), time.Since(begin), tm)
	}
	return claimed, nil
}

// committedActions tells, after the COMMIT of transaction xid went unanswered, which of the
// actions it recorded exist: nil when it did not commit. The actions are looked up by their
// rows once PostgreSQL holds the transaction as ended.
func (s *Service) committedActions(ctx context.Context, xid string, actions []Action) ([]Action, error) {
	committed, err := database.Committed(ctx, s.db, xid)
	if err != nil || !committed {
		return nil, err
	}
	ids := make([]int64, len(actions))
	for i, a := range actions {
		ids[i] = a.id
	}
	var found []int64
	if err := s.db.NewSelect().Table("escalation_actions").Column("id").Where("id IN (?)", bun.List(ids)).Scan(ctx, &found); err != nil {
		return nil, wrap("look committed actions up", err)
	}
	have := make(map[int64]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	done := make([]Action, 0, len(found))
	for _, a := range actions {
		if have[a.id] {
			done = append(done, a)
		}
	}
	return done, nil
}

// actOnDue is a sweep batch's transaction: it claims the due clocks, decides their actions,
// records those the unique key lets in with their events and notifications, and moves every
// claimed clock on. It appends the recorded actions to out, sorted, notes where the time went
// in tm, sets xid to the transaction's id when it recorded actions and returns how many clocks
// it claimed.
func (s *Service) actOnDue(ctx context.Context, tx bun.Tx, now time.Time, dir *directory, out *[]Action, tm *batchTimes, xid *string) (int, error) {
	mark := time.Now()
	rows, err := s.claimDue(ctx, tx, now)
	if err != nil {
		return 0, err
	}
	tm.claim = lap(&mark)
	if len(rows) == 0 {
		return 0, nil
	}
	plan := s.decide(now, dir, rows)
	tm.decide = lap(&mark)
	// Only the actions the unique key lets in are told about; a conflict means another
	// sweep already did it, whatever the state of this one's clock row.
	inserted, err := insertActions(ctx, tx, plan.actions, now, xid)
	if err != nil {
		return len(rows), err
	}
	tm.actions = lap(&mark)
	events, notes, err := s.describeActions(inserted, rows, plan.rowOf, dir, now, out)
	if err != nil {
		return len(rows), err
	}
	tm.describe = lap(&mark)
	if err := tickets.AppendEventsTx(ctx, tx, events); err != nil {
		return len(rows), err
	}
	tm.events = lap(&mark)
	if err := insertNotifications(ctx, tx, notes); err != nil {
		return len(rows), err
	}
	tm.notes = lap(&mark)
	if err := advanceClocks(ctx, tx, plan.updates); err != nil {
		return len(rows), err
	}
	tm.clocks = lap(&mark)
	if err := settleOutdated(ctx, tx, plan.drops, plan.stale); err != nil {
		return len(rows), err
	}
	sortActions(*out)
	tm.rest = lap(&mark)
	return len(rows), nil
}

// dueClock is a claimed clock with what deciding and wording its actions needs: the ticket's
// current deadlines and, for a supervision notice's clock, the notice as it is now.
type dueClock struct {
	TicketID     int64      `bun:"ticket_id"`
	Clock        string     `bun:"clock"`
	NoticeID     int64      `bun:"notice_id"`
	DeptID       *int64     `bun:"clock_department_id"`
	StartedAt    time.Time  `bun:"started_at"`
	Due          time.Time  `bun:"due"`
	Stage        int        `bun:"stage"`
	NoticeNumber *string    `bun:"notice_number"`
	NoticeStatus *string    `bun:"notice_status"`
	NoticeDue    *time.Time `bun:"notice_due"`
	ticketClocks
}

// claimDue locks up to a batch of clocks due at now, oldest look first, and reads them with
// their tickets and notices.
func (s *Service) claimDue(ctx context.Context, tx bun.Tx, now time.Time) ([]dueClock, error) {
	var rows []dueClock
	// The clocks are locked before the join, so that a sweep running beside this one
	// skips the clocks it holds without first reading their tickets.
	claim := tx.NewSelect().Table("escalation_clocks").
		Column("ticket_id", "clock", "notice_id", "department_id", "started_at", "due", "stage", "next_at").
		Where("next_at <= ?", now).Order("next_at").Limit(int64(s.opt.Batch)).For("UPDATE SKIP LOCKED")
	err := tx.NewSelect().With("c", claim).TableExpr("c").
		ColumnExpr("c.ticket_id, c.clock, c.notice_id, c.department_id AS clock_department_id, c.started_at, c.due, c.stage").
		ColumnExpr(ticketClockColumns).
		ColumnExpr("n.number AS notice_number, n.status AS notice_status, n.due AS notice_due").
		Join("JOIN tickets AS t ON t.id = c.ticket_id").
		Join("LEFT JOIN supervision_notices AS n ON n.id = c.notice_id").
		OrderExpr("c.next_at").Scan(ctx, &rows)
	return rows, wrap("claim due clocks", err)
}

// batchPlan is what a batch decided for its claimed clocks, before anything is written.
type batchPlan struct {
	updates []clockRow        // clocks moved to their new stage and next look
	stale   []int64           // tickets whose clock rows are older than the ticket
	drops   []clockRow        // clocks of notices answered or given another deadline
	actions []*actionRow      // warnings and escalations to record
	rowOf   map[actionKey]int // action key → index of its clock in the claimed rows
}

// decide works out, for each claimed clock, the warnings and escalations reached at now and
// when the clock must be looked at next. A clock that no longer runs with the deadline it was
// planned with takes no action: a notice's is dropped, a ticket's goes back to the planner.
func (s *Service) decide(now time.Time, dir *directory, rows []dueClock) batchPlan {
	p := batchPlan{rowOf: make(map[actionKey]int, len(rows))}
	for i := range rows {
		r := &rows[i]
		c := clockRow{TicketID: r.TicketID, Clock: r.Clock, NoticeID: r.NoticeID, DepartmentID: r.DeptID, StartedAt: r.StartedAt, Due: r.Due, Stage: r.Stage}
		// The clock row may be older than the ticket: a change committed after the last
		// plan. Act only on a clock that still runs with the same deadline.
		if r.NoticeID != 0 {
			if !r.noticeStillDue() {
				p.drops = append(p.drops, c)
				continue
			}
			if r.MasterID != nil {
				// A merged ticket's notice waits, where it stands, until the ticket is
				// unmerged: the planner then sets it going again (rearmNotices).
				c.NextAt = nil
				p.updates = append(p.updates, c)
				continue
			}
		} else if !r.ticketStillDue(dir.centreID) {
			p.stale = append(p.stale, r.TicketID)
			c.NextAt = nil
			p.updates = append(p.updates, c)
			continue
		}
		top := dir.top(r.DeptID)
		target := s.reached(now, r.StartedAt, r.Due, r.Clock, top)
		for _, level := range steps(r.Stage, target) {
			a := &actionRow{TicketID: r.TicketID, Clock: r.Clock, NoticeID: r.NoticeID, Due: r.Due, Level: level,
				Action: ActionEscalated, DepartmentID: r.DeptID, At: now}
			if level == 0 {
				a.Action = ActionWarned
			}
			p.actions = append(p.actions, a)
			p.rowOf[a.key()] = i
		}
		c.Stage = max(r.Stage, target)
		c.NextAt = s.nextAt(r.StartedAt, r.Due, r.Clock, c.Stage, top)
		p.updates = append(p.updates, c)
	}
	return p
}

// noticeStillDue reports whether the supervision notice of a notice clock is still open with
// the deadline the clock runs to.
func (r *dueClock) noticeStillDue() bool {
	return r.NoticeStatus != nil && *r.NoticeStatus == "open" && r.NoticeDue != nil && r.NoticeDue.Equal(r.Due)
}

// ticketStillDue reports whether the ticket, as it is now, still runs this clock with the same
// deadline and department.
func (r *dueClock) ticketStillDue(centreID int64) bool {
	for _, l := range liveClocks(&r.ticketClocks, centreID) {
		if l.clock == r.Clock && l.due.Equal(r.Due) && sameDept(l.deptID, r.DeptID) {
			return true
		}
	}
	return false
}

// describeActions words each recorded action for the ticket's timeline and for the people
// who must hear of it, and appends it to out as the sweep reports it. rowOf finds the claimed
// clock an action came from.
func (s *Service) describeActions(inserted []*actionRow, rows []dueClock, rowOf map[actionKey]int, dir *directory,
	now time.Time, out *[]Action) ([]*tickets.Event, []*Notification, error) {
	events := make([]*tickets.Event, 0, len(inserted))
	var notes []*Notification
	// A batch's thousands of actions share a few dozen (department, level) audiences.
	heard := audiences{}
	for _, a := range inserted {
		r := &rows[rowOf[a.key()]]
		notice := ""
		if r.NoticeNumber != nil {
			notice = *r.NoticeNumber
		}
		aud := heard.of(dir, a.DepartmentID, a.Level)
		subject, body := s.describe(a, r.Number, notice, dir, aud.to)
		data, err := json.Marshal(escalationData{Clock: a.Clock, Action: a.Action, Level: a.Level, Due: a.Due,
			Notice: notice, Recipients: aud.names})
		if err != nil {
			return nil, nil, err
		}
		events = append(events, &tickets.Event{TicketID: a.TicketID, Kind: "escalation", ActorName: tickets.System.Name,
			ActorRole: string(org.RoleSystem), At: now, Body: body, Data: data,
			FromStatus: r.Status, ToStatus: r.Status})
		id := a.ID
		// Each person hears once of a ticket reaching a level in a round of handling, whichever
		// of its clocks got there first (a ticket late to accept is late to resolve as well).
		notes = append(notes, s.rowsFor(message{kind: a.Action, subject: subject, body: body, ticketID: a.TicketID,
			actionID: &id, urgent: a.Level >= 1, dedup: escalationKey(a, r.ReopenCount)}, aud.to, now)...)
		*out = append(*out, Action{Ticket: r.Number, Clock: a.Clock, Action: a.Action, Level: a.Level, Due: a.Due.In(s.loc),
			At: now.In(s.loc), Notice: notice, Department: dir.deptCode(a.DepartmentID), Recipients: aud.names, id: a.ID})
	}
	return events, notes, nil
}

// escalationKey is the dedup key of an escalation's notifications: its ticket, the ticket's
// round of handling (reopen count) and the level; a supervision notice's have their own.
func escalationKey(a *actionRow, round int) string {
	return fmt.Sprintf("escalation:%d:%d:%d:%d", a.TicketID, round, a.NoticeID, a.Level)
}

// settleOutdated deletes the clocks of notices that were answered or given another deadline,
// and hands tickets whose clock rows were older than the ticket back to the planner.
func settleOutdated(ctx context.Context, tx bun.Tx, drops []clockRow, stale []int64) error {
	for _, c := range drops {
		if _, err := tx.NewDelete().Model(&c).WherePK().Exec(ctx); err != nil {
			return wrap("drop answered notice clock", err)
		}
	}
	if len(stale) > 0 {
		// The planner looks at these tickets again, with their current deadlines.
		if _, err := tx.ExecContext(ctx, "INSERT INTO escalation_dirty (ticket_id) SELECT unnest(?::bigint[])", pgdialect.Array(stale)); err != nil {
			return wrap("replan stale clocks", err)
		}
	}
	return nil
}

// sortActions puts a batch's actions in the order the sweep reports them: by ticket, clock,
// notice and level.
func sortActions(as []Action) {
	slices.SortFunc(as, func(a, b Action) int {
		return cmp.Or(strings.Compare(a.Ticket, b.Ticket), strings.Compare(a.Clock, b.Clock),
			strings.Compare(a.Notice, b.Notice), cmp.Compare(a.Level, b.Level))
	})
}

// logBatch logs at debug level where a batch's time went, total being from before BEGIN to
// after COMMIT.
func (s *Service) logBatch(ctx context.Context, claimed, actions int, total time.Duration, tm batchTimes) {
	s.log.DebugContext(ctx, "sweep batch", "clocks", claimed, "actions", actions, "total_ms", msOf(total),
		"claim_ms", msOf(tm.claim), "decide_ms", msOf(tm.decide), "actions_ms", msOf(tm.actions),
		"describe_ms", msOf(tm.describe), "events_ms", msOf(tm.events), "notifications_ms", msOf(tm.notes),
		"clocks_ms", msOf(tm.clocks), "rest_ms", msOf(tm.rest),
		"commit_ms", msOf(total-tm.claim-tm.decide-tm.actions-tm.describe-tm.events-tm.notes-tm.clocks-tm.rest))
}

// prepared, as the first argument of a statement, has pgx prepare it once per connection and
// send its arguments in binary, whatever the pool's default mode: the sweep's array statements
// have a fixed text and run for every batch, so planning them once pays, and binary arrays are
// smaller and quicker to read than their text form.
const prepared = pgx.QueryExecModeCacheStatement

// audienceKey is who hears of an action: a department (0 for none) at a level.
type audienceKey struct {
	dept  int64
	level int
}

// audience is the staff an audienceKey names, and their usernames.
type audience struct {
	to    []org.Staff
	names []string
}

// audiences remembers the audiences a batch has looked up.
type audiences map[audienceKey]audience

// of returns who hears of an action of dept at level, looking them up on first use.
func (h audiences) of(dir *directory, dept *int64, level int) audience {
	k := audienceKey{level: level}
	if dept != nil {
		k.dept = *dept
	}
	aud, ok := h[k]
	if !ok {
		aud.to = dir.recipients(dept, level)
		aud.names = make([]string, 0, len(aud.to))
		for _, u := range aud.to {
			aud.names = append(aud.names, u.Username)
		}
		h[k] = aud
	}
	return aud
}

// escalationData is the data of an escalation's timeline event.
type escalationData struct {
	Clock      string    `json:"clock"`
	Action     string    `json:"action"`
	Level      int       `json:"level"`
	Due        time.Time `json:"due"`
	Notice     string    `json:"notice"`
	Recipients []string  `json:"recipients"`
}

// batchTimes is where a sweep batch's time went, logged at debug level so that a slow sweep
// can be read without a profiler. commit is what is left: BEGIN, COMMIT and the WAL flush.
type batchTimes struct {
	claim, decide, actions, describe, events, notes, clocks, rest time.Duration
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// lap returns the time since *mark and moves mark to now.
func lap(mark *time.Time) time.Duration {
	now := time.Now()
	d := now.Sub(*mark)
	*mark = now
	return d
}

// insertActionsSQL records actions sent as one array per column; the unique key lets each
// (ticket, clock, notice, deadline, level) in once, and RETURNING names those that got in.
const insertActionsSQL = `
INSERT INTO escalation_actions (ticket_id, clock, notice_id, due, level, action, department_id, at)
SELECT u.ticket_id, u.clock, u.notice_id, u.due, u.level, u.action, u.department_id, $8
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[], $5::int[], $6::text[], $7::bigint[])
     WITH ORDINALITY AS u(ticket_id, clock, notice_id, due, level, action, department_id, ord)
ORDER BY u.ord
ON CONFLICT (ticket_id, clock, notice_id, due, level) DO NOTHING
RETURNING id, ticket_id, clock, notice_id, due, level, ` + database.TxIDSQL

// insertActions records actions and returns those the unique key let in, with their IDs; it
// sets xid to the transaction's id when any got in.
func insertActions(ctx context.Context, tx bun.Tx, actions []*actionRow, now time.Time, xid *string) ([]*actionRow, error) {
	if len(actions) == 0 {
		return nil, nil
	}
	n := len(actions)
	var (
		ticket = make([]int64, n)
		clock  = make([]string, n)
		notice = make([]int64, n)
		due    = make([]time.Time, n)
		level  = make([]int32, n)
		action = make([]string, n)
		dept   = make([]*int64, n)
		byKey  = make(map[actionKey]*actionRow, n)
	)
	for i, a := range actions {
		ticket[i], clock[i], notice[i], due[i], level[i], action[i], dept[i] = a.TicketID, a.Clock, a.NoticeID, a.Due, int32(a.Level), a.Action, a.DepartmentID
		byKey[a.key()] = a
	}
	rows, err := tx.Tx.QueryContext(ctx, insertActionsSQL, prepared, ticket, clock, notice, due, level, action, dept, now)
	if err != nil {
		return nil, wrap("record actions", err)
	}
	defer rows.Close()
	in := make([]*actionRow, 0, n)
	for rows.Next() {
		var k actionRow
		if err := rows.Scan(&k.ID, &k.TicketID, &k.Clock, &k.NoticeID, &k.Due, &k.Level, xid); err != nil {
			return nil, wrap("record actions", err)
		}
		a, ok := byKey[k.key()]
		if !ok {
			return nil, fmt.Errorf("record actions: %d/%s/%d/%d returned but not asked for", k.TicketID, k.Clock, k.NoticeID, k.Level)
		}
		a.ID = k.ID
		in = append(in, a)
	}
	return in, wrap("record actions", rows.Err())
}

// advanceClocksSQL sets the stage and next look of many clocks at once, sent as arrays.
const advanceClocksSQL = `
UPDATE escalation_clocks AS c SET stage = u.stage, next_at = u.next_at
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::int[], $5::timestamptz[])
     AS u(ticket_id, clock, notice_id, stage, next_at)
WHERE c.ticket_id = u.ticket_id AND c.clock = u.clock AND c.notice_id = u.notice_id`

func advanceClocks(ctx context.Context, tx bun.Tx, cs []clockRow) error {
	if len(cs) == 0 {
		return nil
	}
	n := len(cs)
	var (
		ticket = make([]int64, n)
		clock  = make([]string, n)
		notice = make([]int64, n)
		stage  = make([]int32, n)
		next   = make([]*time.Time, n)
	)
	for i, c := range cs {
		ticket[i], clock[i], notice[i], stage[i], next[i] = c.TicketID, c.Clock, c.NoticeID, int32(c.Stage), c.NextAt
	}
	_, err := tx.Tx.ExecContext(ctx, advanceClocksSQL, prepared, ticket, clock, notice, stage, next)
	return wrap("advance clocks", err)
}

func sameDept(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// describe words an action for the timeline and the notifications.
func (s *Service) describe(a *actionRow, number, notice string, dir *directory, to []org.Staff) (subject, body string) {
	what := clockZh(a.Clock) + "时限"
	if notice != "" {
		what = "督办单 " + notice + " 的答复时限"
	}
	names := make([]string, 0, len(to))
	for _, u := range to {
		names = append(names, u.DisplayName)
	}
	who := strings.Join(names, "、")
	if who == "" {
		who = "（无人）"
	}
	if a.Level == 0 {
		subject = fmt.Sprintf("[12345] 工单 %s %s预警", number, what)
		body = fmt.Sprintf("工单 %s 的%s将于 %s 到期（%s），已提醒：%s。", number, what, s.fmtTime(a.Due), dir.deptName(a.DepartmentID), who)
		return subject, body
	}
	subject = fmt.Sprintf("[12345] 工单 %s %s已超期（第 %d 级）", number, what, a.Level)
	body = fmt.Sprintf("工单 %s 的%s已于 %s 超期（%s），升级至第 %d 级，已通知：%s。", number, what, s.fmtTime(a.Due), dir.deptName(a.DepartmentID), a.Level, who)
	return subject, body
}
