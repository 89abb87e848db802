package main

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
)

// escLoad is the escalation side of the chaos run: tickets dispatched to the bureaus whose
// acceptance deadlines (签收时限) fall due while the faults happen — a steady stream through the
// node's death and the primary's, and a wave at one moment, on which one node's scheduler is
// frozen. Each clock must be escalated (level 1) exactly once, by whichever scheduler.
type escLoad struct {
	prefix string // the tickets' numbers start with it
	last   time.Time

	mu      sync.Mutex
	seen    int64     // the last escalation_actions id looked at
	late    []float64 // seconds from each escalation's deadline until the poller saw it
	waveAt  time.Time
	waveLag []float64
}

// loadEscalations inserts steady tickets due one after another between from and to, and wave
// tickets all due at waveAt. A steady ticket was dispatched at load time, so its warning (预警)
// may come first; a wave ticket's clock starts at its deadline, so it has no warning and the
// wave is one claim of many clocks at one moment. Only the acceptance clock runs (no feedback
// or resolution deadlines), and tickets inserted with a status other than registered are
// marked for the planner by the tickets' trigger, as a bulk import is.
func loadEscalations(ctx context.Context, db *bun.DB, run string, steady int, from, to time.Time, wave int, waveAt time.Time) (*escLoad, error) {
	// PostgreSQL keeps microseconds: the wave's deadline as read back.
	waveAt = waveAt.Truncate(time.Microsecond)
	e := &escLoad{prefix: "CE" + run + "-", waveAt: waveAt, last: to}
	if waveAt.After(e.last) {
		e.last = waveAt
	}
	step := to.Sub(from) / time.Duration(max(steady, 1))
	_, err := db.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accept_due)
SELECT ? || lpad(g::text, 6, '0'), 'complaint', 'phone', 'dispatched', 'chaos escalation ' || ?,
       b.ids[1 + g % cardinality(b.ids)], 'standard', now(), now(),
       CASE WHEN g <= ? THEN now() ELSE ?::timestamptz END,
       CASE WHEN g <= ? THEN ?::timestamptz + (g - 1) * ?::interval ELSE ?::timestamptz END
FROM generate_series(1, ?::int) AS g,
     (SELECT array_agg(id ORDER BY id) AS ids FROM departments WHERE kind = 'bureau') AS b`,
		e.prefix, run, steady, waveAt, steady, from, fmt.Sprintf("%d microseconds", step.Microseconds()), waveAt, steady+wave)
	if err != nil {
		return nil, fmt.Errorf("load escalation tickets: %w", err)
	}
	return e, nil
}

// poll notes, once a second until stop, how long after its deadline each escalation became
// visible; errors (the primary being down) are skipped.
func (e *escLoad) poll(ctx context.Context, db *bun.DB, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Second):
		}
		rows, err := db.QueryContext(ctx, `SELECT a.id, extract(epoch FROM now() - t.accept_due), t.accept_due
			FROM escalation_actions a JOIN tickets t ON t.id = a.ticket_id
			WHERE a.id > ? AND a.clock = 'accept' AND a.level = 1 AND t.number LIKE ?`, e.seen, e.prefix+"%")
		if err != nil {
			continue
		}
		e.mu.Lock()
		for rows.Next() {
			var id int64
			var lag float64
			var due time.Time
			if rows.Scan(&id, &lag, &due) != nil {
				break
			}
			e.seen = max(e.seen, id)
			e.late = append(e.late, lag)
			if due.Equal(e.waveAt) {
				e.waveLag = append(e.waveLag, lag)
			}
		}
		e.mu.Unlock()
		rows.Close()
	}
}

// escCount is what the database holds of the run's escalations at the end.
type escCount struct {
	expected, done, warnings      int
	doubledActions, doubledEvents int
	doubledNotes, withoutEvent    int
}

func (c escCount) doubled() int { return c.doubledActions + c.doubledEvents + c.doubledNotes }
func (c escCount) missing() int { return c.expected - c.done + c.withoutEvent }

// count reads the run's escalations: expected, one level-1 escalation for every clock whose
// deadline passed before cutoff; done, those clocks escalated; doubled, an action recorded
// twice for one clock and level, its timeline event written twice, or one person's
// notification of it queued twice on one channel; missing, an expected escalation not done,
// or done without its timeline event.
func (e *escLoad) count(ctx context.Context, db *bun.DB, cutoff time.Time) (escCount, error) {
	var c escCount
	like := e.prefix + "%"
	err := db.QueryRowContext(ctx, `
WITH t AS (SELECT id, accept_due FROM tickets WHERE number LIKE ?),
     a AS (SELECT a.* FROM escalation_actions a JOIN t ON t.id = a.ticket_id),
     ev AS (SELECT e.ticket_id, e.data->>'clock' AS clock, (e.data->>'level')::int AS level
            FROM ticket_events e JOIN t ON t.id = e.ticket_id WHERE e.kind = 'escalation'),
     n AS (SELECT n.* FROM notifications n JOIN t ON t.id = n.ticket_id WHERE n.action_id IS NOT NULL)
SELECT (SELECT count(*) FROM t WHERE accept_due <= ?),
       (SELECT count(DISTINCT a.ticket_id) FROM a JOIN t ON t.id = a.ticket_id
         WHERE a.clock = 'accept' AND a.level = 1 AND t.accept_due <= ?),
       (SELECT count(*) FROM a WHERE level = 0),
       (SELECT count(*) - count(DISTINCT (ticket_id, clock, notice_id, level)) FROM a),
       (SELECT count(*) - count(DISTINCT (ticket_id, clock, level)) FROM ev),
       (SELECT count(*) - count(DISTINCT (ticket_id, staff_id, address, channel, subject)) FROM n),
       (SELECT count(*) FROM a WHERE NOT EXISTS (SELECT 1 FROM ev
         WHERE ev.ticket_id = a.ticket_id AND ev.clock = a.clock AND ev.level = a.level))`,
		like, cutoff, cutoff).Scan(&c.expected, &c.done, &c.warnings, &c.doubledActions, &c.doubledEvents, &c.doubledNotes, &c.withoutEvent)
	if err != nil {
		return c, fmt.Errorf("count escalations: %w", err)
	}
	return c, nil
}

// lags returns the median and the largest of the seconds from deadline to escalation, for all
// of the run's clocks and for the wave's.
func (e *escLoad) lags() (med, worst, waveMed, waveWorst float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := func(xs []float64) (float64, float64) {
		if len(xs) == 0 {
			return 0, 0
		}
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2], s[len(s)-1]
	}
	med, worst = q(e.late)
	waveMed, waveWorst = q(e.waveLag)
	return
}

// withAppName returns the database URL with the given application_name, so that the chaos run
// can tell each node's connections apart in pg_stat_activity.
func withAppName(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// frozen is what freezing a scheduler showed.
type frozen struct {
	node      int    // index of the node stopped
	caught    bool   // stopped inside a sweep transaction
	backend   int    // that transaction's PostgreSQL backend
	statement string // its last statement
	released  time.Duration
	held      time.Duration
	from, to  time.Time // SIGSTOP and SIGCONT
}

// sweepStatement matches the statements of a sweep batch's transaction that hold claimed
// clocks: the claim itself, then the actions, the notifications and the clocks' advance.
const sweepStatement = `(query LIKE '%next_at <= %FOR UPDATE SKIP LOCKED%' OR query LIKE '%INSERT INTO escalation_actions%'
	OR query LIKE '%INSERT INTO notifications%' OR query LIKE '%UPDATE escalation_clocks AS c SET stage%')`

// freezeScheduler waits (up to look) for one of the candidate nodes to be inside a sweep
// batch's transaction, stops that node with SIGSTOP (any candidate if none is caught), and
// resumes it with SIGCONT after hold; meanwhile it notes when PostgreSQL ended the frozen
// transaction (its idle-in-transaction timeout), which releases the clocks it claimed.
func freezeScheduler(ctx context.Context, super *bun.DB, nodes []*exec.Cmd, candidates []int, look, hold time.Duration,
	logf func(string, ...any)) (frozen, error) {
	f := frozen{node: candidates[0]}
	names := make([]string, len(candidates))
	for i, n := range candidates {
		names[i] = fmt.Sprintf("hotline-node%d", n+1)
	}
	for end := time.Now().Add(look); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		var app, stmt string
		var pid int
		err := super.QueryRowContext(ctx, `SELECT pid, application_name, left(regexp_replace(query, '\s+', ' ', 'g'), 60)
			FROM pg_stat_activity WHERE application_name IN (?) AND backend_xid IS NOT NULL AND `+sweepStatement+` LIMIT 1`,
			bun.List(names)).Scan(&pid, &app, &stmt)
		if err != nil {
			continue
		}
		for i, n := range names {
			if n == app {
				f.node = candidates[i]
			}
		}
		if err := nodes[f.node].Process.Signal(syscall.SIGSTOP); err != nil {
			return f, err
		}
		f.caught, f.backend, f.statement = true, pid, stmt
		break
	}
	stopped := time.Now()
	f.from = stopped
	if !f.caught {
		if err := nodes[f.node].Process.Signal(syscall.SIGSTOP); err != nil {
			return f, err
		}
		logf("SIGSTOP hotline node %d (pid %d): not caught inside a sweep within %s", f.node+1, nodes[f.node].Process.Pid, look)
	} else {
		logf("SIGSTOP hotline node %d (pid %d) inside its sweep transaction (backend %d: %s…)",
			f.node+1, nodes[f.node].Process.Pid, f.backend, f.statement)
	}
	defer nodes[f.node].Process.Signal(syscall.SIGCONT) // whatever happens, the node runs again
	for time.Since(stopped) < hold {
		time.Sleep(100 * time.Millisecond)
		if !f.caught || f.released > 0 {
			continue
		}
		var alive bool
		err := super.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ? AND backend_xid IS NOT NULL)", f.backend).Scan(&alive)
		if err == nil && !alive {
			f.released = time.Since(stopped)
			logf("PostgreSQL ended the frozen node's sweep transaction %.1f s after the freeze", f.released.Seconds())
		}
	}
	if err := nodes[f.node].Process.Signal(syscall.SIGCONT); err != nil {
		return f, err
	}
	f.to = time.Now()
	f.held = f.to.Sub(stopped)
	logf("SIGCONT hotline node %d after %.0f s", f.node+1, f.held.Seconds())
	return f, nil
}

// openSuper opens the superuser's connection that reads every session's statement.
func openSuper(ctx context.Context, url string) (*bun.DB, error) {
	if url == "" {
		return nil, fmt.Errorf("-super-url is needed to watch the schedulers' transactions")
	}
	return database.Open(ctx, url, 1)
}
