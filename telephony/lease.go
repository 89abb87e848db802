package telephony

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// OutcomeDropped is the outcome of a call that was up on a process that died or lost the
// call queue: the process that took the queue over closes its record.
const OutcomeDropped = "dropped"

// Lease timings: the holder renews every LeaseRenew; another process takes the queue over
// once the lease has expired (LeaseTTL after its last renewal) and it has seen it unchanged
// for LeaseTTL-LeaseRenew, so that after a database outage the holder, which renews first,
// keeps it.
const (
	DefaultLeaseTTL   = 5 * time.Second
	DefaultLeaseRenew = 2 * time.Second
)

// LeaseConfig names this process in the call queue's lease and times it.
type LeaseConfig struct {
	// Node names the process; empty means its host name, process id and a random suffix, so
	// that a restarted process is a new holder and takes over under a new epoch.
	Node  string
	TTL   time.Duration
	Renew time.Duration
}

// lease is the call queue's lease (call_queue_lease): only its holder answers citizens'
// calls and offers them to agents. Its epoch, incremented on every takeover, is the fencing
// token that call records carry; the database refuses records of an epoch that is no longer
// the lease's. The lease runs on the wall clock, not the server's injected clock: it is
// about real time between processes.
type lease struct {
	db    *bun.DB
	node  string
	ttl   time.Duration
	renew time.Duration

	mu         sync.Mutex
	epoch      int64     // the epoch this process holds or last held; 0 when fenced or never held
	validUntil time.Time // until when this process can be sure it still holds the lease
	seen       leaseRow  // the lease as last read while another process held it
	seenAt     time.Time
}

type leaseRow struct {
	holder    string
	epoch     int64
	expiresAt time.Time
}

func newLease(db *bun.DB, cfg LeaseConfig) *lease {
	if cfg.Node == "" {
		host, _ := os.Hostname()
		cfg.Node = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Renew <= 0 || cfg.Renew >= cfg.TTL {
		cfg.Renew = min(DefaultLeaseRenew, cfg.TTL/2)
	}
	return &lease{db: db, node: cfg.Node, ttl: cfg.TTL, renew: cfg.Renew}
}

// valid returns the epoch under which this process holds the lease for sure right now, or 0.
// A process paused past its lease's expiry reads 0 when it resumes.
func (l *lease) valid() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch == 0 || !time.Now().Before(l.validUntil) {
		return 0
	}
	return l.epoch
}

// stamp is the epoch the records written now carry: the one last held, which the database
// accepts only while it is still the lease's; -1 when none, which it never accepts.
func (l *lease) stamp() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch == 0 {
		return -1
	}
	return l.epoch
}

// fence forgets epoch, which the database refused; it reports whether it was the one held.
func (l *lease) fence(epoch int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch != epoch || epoch == 0 {
		return false
	}
	l.epoch, l.validUntil = 0, time.Time{}
	return true
}

// leaseChange is what one step of the lease did.
type leaseChange struct {
	gained  int64 // the epoch taken (over), 0 when none
	lost    bool  // this process held the lease and another took it
	dropped int   // calls of the previous holder closed as dropped
}

// step renews the lease if held, or takes it over when it is free or its holder is gone.
// endedAt is when dropped calls are recorded to have ended.
func (l *lease) step(ctx context.Context, endedAt time.Time) (leaseChange, error) {
	start := time.Now()
	l.mu.Lock()
	mine := l.epoch
	l.mu.Unlock()
	var ch leaseChange
	var held int64
	err := l.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ch, held = leaseChange{}, 0
		// PostgreSQL itself ends a step that waits too long, whatever happens to this process.
		ms := max(int64(l.renew/time.Millisecond), 100)
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d; SET LOCAL statement_timeout = %d", ms, ms)); err != nil {
			return err
		}
		var row leaseRow
		var expired bool
		err := tx.QueryRowContext(ctx, `SELECT holder, epoch, expires_at, expires_at < now()
			FROM call_queue_lease WHERE id = 1 FOR UPDATE`).Scan(&row.holder, &row.epoch, &row.expiresAt, &expired)
		if errors.Is(err, sql.ErrNoRows) {
			res, err := tx.ExecContext(ctx, `INSERT INTO call_queue_lease (id, holder, epoch, expires_at, taken_at)
				VALUES (1, ?, 1, now() + ?::interval, now()) ON CONFLICT (id) DO NOTHING`, l.node, interval(l.ttl))
			if err != nil {
				return fmt.Errorf("take the call queue lease: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				held, ch.gained = 1, 1
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the call queue lease: %w", err)
		}
		switch {
		case mine != 0 && row.holder == l.node && row.epoch == mine:
			if _, err := tx.ExecContext(ctx, "UPDATE call_queue_lease SET expires_at = now() + ?::interval WHERE id = 1", interval(l.ttl)); err != nil {
				return fmt.Errorf("renew the call queue lease: %w", err)
			}
			held = mine
			return nil
		case mine != 0:
			ch.lost = true
		}
		if row.holder != "" && !(expired && l.gone(row, start)) {
			return nil
		}
		if err := tx.QueryRowContext(ctx, `UPDATE call_queue_lease SET holder = ?, epoch = epoch + 1,
			expires_at = now() + ?::interval, taken_at = now() WHERE id = 1 RETURNING epoch`, l.node, interval(l.ttl)).Scan(&held); err != nil {
			return fmt.Errorf("take the call queue lease over: %w", err)
		}
		ch.gained = held
		n, err := closeDropped(ctx, tx, row.epoch, endedAt)
		ch.dropped = n
		return err
	})
	if err != nil {
		return leaseChange{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch.lost && l.epoch != mine {
		ch.lost = false // fenced meanwhile by a refused write
	}
	l.epoch = held
	if held != 0 {
		// The database's expiry is at least ttl after start; keep a margin for clock drift.
		l.validUntil = start.Add(l.ttl - l.ttl/10)
	} else {
		l.validUntil = time.Time{}
	}
	return ch, nil
}

// gone reports whether the holder of row has let it go unchanged for long enough, as this
// process has watched it, to be taken for dead. Runs under the lease transaction.
func (l *lease) gone(row leaseRow, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if row != l.seen {
		l.seen, l.seenAt = row, now
	}
	return now.Sub(l.seenAt) >= l.ttl-l.renew
}

// release gives the lease up at shutdown, so that another process takes over at once.
func (l *lease) release(ctx context.Context) error {
	l.mu.Lock()
	mine := l.epoch
	l.epoch, l.validUntil = 0, time.Time{}
	l.mu.Unlock()
	if mine == 0 {
		return nil
	}
	_, err := l.db.ExecContext(ctx, `UPDATE call_queue_lease SET holder = '', expires_at = now()
		WHERE id = 1 AND holder = ? AND epoch = ?`, l.node, mine)
	if err != nil {
		return fmt.Errorf("release the call queue lease: %w", err)
	}
	return nil
}

// closeDropped closes, as dropped, the records of the calls that were up under epochs up to
// last when the queue is taken over, and opens the callback tasks of those that never reached
// an agent.
func closeDropped(ctx context.Context, tx bun.IDB, last int64, endedAt time.Time) (int, error) {
	var rows []*Record
	err := tx.NewRaw(`UPDATE call_records SET outcome = ?, ended_at = ?::timestamptz,
			talk_ms = CASE WHEN answered_at IS NULL THEN 0
				ELSE GREATEST(0, (extract(epoch FROM ?::timestamptz - answered_at) * 1000)::bigint) END
		WHERE outcome = ? AND queue_epoch BETWEEN 1 AND ?
		RETURNING id, caller, outcome, started_at, answered_at, ended_at`,
		OutcomeDropped, endedAt, endedAt, OutcomeInProgress, last).Scan(ctx, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("close the calls of the previous queue: %w", err)
	}
	var missed []*Record
	for _, r := range rows {
		if r.AnsweredAt == nil {
			missed = append(missed, r)
		}
	}
	if err := insertCallbackTasks(ctx, tx, droppedTasks(missed)); err != nil {
		return 0, err
	}
	return len(rows), nil
}

// droppedTasks are the callback tasks of dropped calls that never reached an agent.
func droppedTasks(rows []*Record) []*CallbackTask {
	var tasks []*CallbackTask
	for _, r := range rows {
		if callableNumber.MatchString(r.Caller) {
			tasks = append(tasks, &CallbackTask{CallID: r.ID, Phone: r.Caller, Status: "open", CreatedAt: *r.EndedAt, UpdatedAt: *r.EndedAt})
		}
	}
	return tasks
}

func interval(d time.Duration) string { return fmt.Sprintf("%d milliseconds", d.Milliseconds()) }

// runLease keeps the lease: renewing it while held, watching for a takeover otherwise,
// until ctx ends.
func (s *Server) runLease(ctx context.Context) {
	for {
		wait := s.lease.renew
		if s.lease.valid() == 0 {
			wait = s.lease.renew / 2 // a standby watches more often, to take over sooner
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		s.leaseStep(ctx)
	}
}

// leaseStep runs one step of the lease and acts on what changed.
func (s *Server) leaseStep(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, s.lease.renew)
	held := s.lease.stamp()
	ch, err := s.lease.step(sctx, s.clock.Now())
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("call queue lease", "err", err)
		}
		return
	}
	if ch.lost {
		s.log.Warn("call queue taken over by another process; stopping this queue", "epoch", held)
		go s.stopQueue()
	}
	if ch.gained != 0 {
		s.log.Info("call queue lease taken", "node", s.lease.node, "epoch", ch.gained, "dropped_calls", ch.dropped)
		s.syncRegistrations(ctx)
	}
}

// fenced is called when the database refused records of epoch: another process holds the
// queue, so this one stops offering calls and ends the calls it still has.
func (s *Server) fenced(epoch int64) {
	if s.lease.fence(epoch) {
		s.log.Warn("call records refused: the call queue belongs to another process; stopping this queue", "epoch", epoch)
		go s.stopQueue()
	}
}

// stopQueue ends every live call of a queue whose lease was lost: the process that took over
// has closed their records as dropped, and the agents are free there.
func (s *Server) stopQueue() {
	s.mu.Lock()
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.mu.Lock()
		bridged := c.out != nil
		c.mu.Unlock()
		if bridged {
			go s.hangup(c, nil)
			continue
		}
		s.queue.Hangup(c.callID)
		select {
		case c.abandoned <- acd.OutcomeNoAgent:
		default:
		}
	}
}

// queueSwitch is the switch the queue drives: the server's, except that a process that cannot
// be sure it holds the lease offers no call to an agent.
type queueSwitch struct{ *switchboard }

// Such a call is ended instead, as one nobody could answer (a callback task follows): refusing
// the offer as the agent's would count against the agent, and the queue would put every agent
// on break during a database outage.
func (q queueSwitch) Ring(callID, ext string) {
	s := q.server()
	if s.lease != nil && s.lease.valid() == 0 {
		s.log.Warn("offer withheld: the call queue lease is not held", "call_id", callID, "ext", ext)
		go q.withhold(callID)
		return
	}
	q.switchboard.Ring(callID, ext)
}

func (q queueSwitch) withhold(callID string) {
	c := q.lookup(callID)
	s := q.server()
	s.queue.Hangup(callID)
	if c != nil {
		select {
		case c.abandoned <- acd.OutcomeNoAgent:
		default:
		}
	}
}

// holderOnly passes citizens' new calls to next only on the process that holds the call queue.
// Elsewhere a call waits (the caller hears 100 Trying) while the lease belongs to another
// process, for at most the time a takeover takes: the SIP proxy sends calls here when the
// holder stopped answering, and this process may be taking over, whereupon the call is queued
// here. A call that finds nobody holding the queue is recorded as missed, with its callback
// task, and answered 480; one still held elsewhere is refused 503 for the proxy to retry.
func (s *Server) holderOnly(next func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if _, inDialog := req.To().Params.Get("tag"); inDialog || s.lease == nil || s.lease.valid() != 0 {
			next(req, tx)
			return
		}
		if req.Recipient.User == s.cfg.Hotline && s.guard.isTrunk(sourceAddr(req)) {
			switch s.awaitQueue() {
			case queueHere:
				next(req, tx)
				return
			case queueNowhere:
				if s.recordUnqueued(req) {
					s.respond(tx, req, 480, "No Agent Available")
					return
				}
			}
		}
		s.respond(tx, req, 503, "Call Queue On Another Node", sip.NewHeader("Retry-After", "5"))
	}
}

type queuePlace int

const (
	queueElsewhere queuePlace = iota // another process holds it, or the database cannot tell
	queueHere
	queueNowhere
)

// maxQueueWait bounds how long a call waits for the queue on a process that does not hold it.
const maxQueueWait = 10 * time.Second

// awaitQueue waits until this process holds the call queue, at most as long as a takeover
// takes, and then says where the queue is. The queue is nowhere when its lease expired longer
// ago than a takeover takes: nobody is left to take it over. (Right after a database outage
// every lease looks that old, which is why the wait comes first: the holder renews meanwhile.)
func (s *Server) awaitQueue() queuePlace {
	deadline := time.Now().Add(min(s.lease.ttl+2*s.lease.renew, maxQueueWait))
	for time.Now().Before(deadline) {
		if s.lease.valid() != 0 {
			return queueHere
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s.queueElsewhere()
}

// queueElsewhere reads the lease: queueNowhere when it is free or expired longer ago than a
// takeover takes, queueElsewhere otherwise (another process holds it, one is taking it over,
// or the database cannot tell).
func (s *Server) queueElsewhere() queuePlace {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var free bool
	err := s.db.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM call_queue_lease
		WHERE holder <> '' AND expires_at > now() - ?::interval)`, interval(s.lease.ttl)).Scan(&free)
	if err != nil || !free {
		return queueElsewhere
	}
	return queueNowhere
}

// recordUnqueued records req, a citizen's call that no queue takes, as missed (no agent), and
// reports whether it could.
func (s *Server) recordUnqueued(req *sip.Request) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := s.clock.Now()
	rec := &Record{ID: uuid.NewString(), Caller: callerNumber(req), Dialled: req.Recipient.User, Outcome: string(acd.OutcomeNoAgent),
		StartedAt: now, EndedAt: &now, CallerCallID: req.CallID().Value()}
	if err := writeRecords(ctx, s.db, []*Record{rec}); err != nil {
		s.log.Error("record a call while no process holds the queue", "err", err)
		return false
	}
	s.log.Info("missed call: no process holds the call queue", "call_id", rec.ID, "caller", tickets.MaskPhone(rec.Caller))
	return true
}

// queueProbe answers OPTIONS to sip:queue@<host> 200 on the process that holds the call queue
// and 503 elsewhere: the SIP proxy's dispatcher probes it to send citizens' calls to the
// holder. Every other OPTIONS is next's, answered alike by every process.
func (s *Server) queueProbe(next func(*sip.Request, sip.ServerTransaction)) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.Recipient.User == QueueProbeUser && (s.lease == nil || s.lease.valid() == 0) {
			s.respond(tx, req, 503, "Call Queue On Another Node")
			return
		}
		next(req, tx)
	}
}

// QueueProbeUser is the user of the URI that only the call queue's holder answers 200.
const QueueProbeUser = "queue"
