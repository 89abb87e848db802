package telephony

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/hotline-city/hotline/telephony/acd"
)

// Outcomes of a call beyond the queue's own (acd.Outcome).
const (
	OutcomeInProgress  = "in_progress"
	OutcomeTransferred = "transferred"
	OutcomeFailed      = "failed"
)

// Record is one call to the hotline as stored in call_records.
type Record struct {
	bun.BaseModel `bun:"table:call_records,alias:cr"`

	ID             string          `bun:"id,pk,type:uuid" json:"id"`
	Caller         string          `bun:"caller" json:"caller"`
	Dialled        string          `bun:"dialled" json:"dialled"`
	Extension      string          `bun:"extension" json:"extension"`
	Outcome        string          `bun:"outcome" json:"outcome"`
	StartedAt      time.Time       `bun:"started_at" json:"started_at"`
	AnsweredAt     *time.Time      `bun:"answered_at" json:"answered_at"`
	EndedAt        *time.Time      `bun:"ended_at" json:"ended_at"`
	QueueWaitMS    int64           `bun:"queue_wait_ms" json:"queue_wait_ms"`
	RingMS         int64           `bun:"ring_ms" json:"ring_ms"`
	TalkMS         int64           `bun:"talk_ms" json:"talk_ms"`
	CallerCallID   string          `bun:"caller_call_id" json:"caller_call_id"`
	AgentCallID    string          `bun:"agent_call_id" json:"agent_call_id"`
	TransferTarget string          `bun:"transfer_target" json:"transfer_target,omitempty"`
	TicketID       *int64          `bun:"ticket_id" json:"-"`
	Offers         json.RawMessage `bun:"offers,type:jsonb" json:"offers"`
	// QueueEpoch is the call queue lease's epoch (fencing token) the record was written
	// under; 0 for records from outside the queue, which are not fenced.
	QueueEpoch int64 `bun:"queue_epoch" json:"-"`
	// EndReason says why a call ended other than by a hang-up: "no_rtp" (no audio from the
	// caller), "no_rtp_agent" (none from the agent's phone), "out_of_hours"; empty otherwise.
	EndReason string `bun:"end_reason" json:"end_reason,omitempty"`

	// Ticket is the linked ticket's number, read by a join.
	Ticket string `bun:"ticket,scanonly" json:"ticket"`
}

// missed reports whether the call never reached an agent, so the centre owes a callback.
func (r *Record) missed() bool { return slices.Contains(callbackOutcomes, r.Outcome) }

// callbackOutcomes are the outcomes that make a callback task: the missed calls and the
// callers who asked to be called back.
var callbackOutcomes = append(slices.Clone(missedOutcomes), OutcomeCallbackRequested)

// missedOutcomes are the outcomes of calls that never reached an agent.
var missedOutcomes = []string{string(acd.OutcomeAbandonedQueue), string(acd.OutcomeAbandonedRinging),
	string(acd.OutcomeNoAgent), string(acd.OutcomeMaxWait), OutcomeFailed}

// CallbackTask is a missed call to phone back (漏接回拨).
type CallbackTask struct {
	bun.BaseModel `bun:"table:callback_tasks,alias:cb"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	CallID        string     `bun:"call_id,type:uuid" json:"call_id"`
	Phone         string     `bun:"phone" json:"phone"`
	Status        string     `bun:"status" json:"status"`
	Attempts      int        `bun:"attempts" json:"attempts"`
	LastResult    string     `bun:"last_result" json:"last_result"`
	LastAttemptAt *time.Time `bun:"last_attempt_at" json:"last_attempt_at"`
	// MissedCalls counts the calls the task stands for: its own and later ones from the number.
	MissedCalls int `bun:"missed_calls,scanonly" json:"missed_calls"`
	// Messages are the call IDs of the voice messages (留言) left from the number since the
	// task's call, oldest first.
	Messages  []string  `bun:"messages,array,scanonly" json:"messages"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// recordWriter writes call records in batches from one goroutine: at a thousand calls a
// second a transaction per call would make PostgreSQL the bottleneck, while one multi-row
// upsert every few milliseconds costs little. Each call is sent twice, when it arrives and
// when it ends; a batch keeps only the newest state of a call.
type recordWriter struct {
	db  bun.IDB
	log *slog.Logger
	in  chan *Record
	// stamp, when set, gives the queue's epoch for each record put; fenced hears of the
	// epochs whose records the database refused.
	stamp  func() int64
	fenced func(epoch int64)

	mu     sync.RWMutex
	closed bool
	done   chan struct{}
}

func newRecordWriter(db bun.IDB, log *slog.Logger) *recordWriter {
	return &recordWriter{db: db, log: log, in: make(chan *Record, 1<<16), done: make(chan struct{})}
}

// put queues a copy of r for writing. It blocks only when the database falls far behind.
func (w *recordWriter) put(r Record) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.log.Error("call record after shutdown", "call_id", r.CallerCallID, "outcome", r.Outcome)
		return
	}
	if w.stamp != nil {
		r.QueueEpoch = w.stamp()
	}
	w.in <- &r
}

// run writes batches until in is closed and drained.
func (w *recordWriter) run() {
	defer close(w.done)
	const maxBatch = 1000
	for {
		r, ok := <-w.in
		if !ok {
			return
		}
		batch := map[string]*Record{r.ID: r}
		order := []string{r.ID}
	fill:
		for len(order) < maxBatch {
			select {
			case r, ok := <-w.in:
				if !ok {
					break fill
				}
				if _, seen := batch[r.ID]; !seen {
					order = append(order, r.ID)
				}
				batch[r.ID] = r
			default:
				break fill
			}
		}
		rows := make([]*Record, 0, len(order))
		for _, id := range order {
			rows = append(rows, batch[id])
		}
		w.write(rows)
	}
}

// recordRetry is how long a batch of call records is retried: longer than a PostgreSQL
// failover (Patroni promotes the standby within about 30 s).
const recordRetry = time.Minute

// write stores one batch, retrying for a minute so that no call goes unrecorded through a
// database restart or failover.
func (w *recordWriter) write(rows []*Record) {
	backoff := 50 * time.Millisecond
	giveUp := time.Now().Add(recordRetry)
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := writeRecords(ctx, w.db, rows)
		cancel()
		var fe *fencedError
		if errors.As(err, &fe) {
			w.log.Warn("call records refused: written under a call queue lease another process has taken over",
				"count", fe.refused, "epochs", fe.epochs)
			for _, e := range fe.epochs {
				if w.fenced != nil {
					w.fenced(e)
				}
			}
			return
		}
		if err == nil {
			return
		}
		if time.Now().After(giveUp) {
			w.log.Error("call records lost", "count", len(rows), "err", err)
			return
		}
		w.log.Warn("write call records; retrying", "count", len(rows), "attempt", attempt, "err", err)
		time.Sleep(backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
}

// close flushes what is queued and stops the writer.
func (w *recordWriter) close() {
	w.mu.Lock()
	w.closed = true
	close(w.in)
	w.mu.Unlock()
	<-w.done
}

// fencedError reports records refused because their queue epoch is no longer the lease's;
// the others of the batch were written.
type fencedError struct {
	refused int
	epochs  []int64
}

func (e *fencedError) Error() string {
	return fmt.Sprintf("%d call records refused: call queue epochs %v are over", e.refused, e.epochs)
}

// writeRecords upserts rows with their callback tasks. Rows written under a call queue epoch
// are checked against the lease in the same transaction, which holds the lease row so that no
// takeover happens meanwhile: those of an epoch that is over are refused (fencedError).
func writeRecords(ctx context.Context, db bun.IDB, rows []*Record) error {
	for _, r := range rows {
		if len(r.Offers) == 0 {
			r.Offers = json.RawMessage("[]")
		}
	}
	var fe *fencedError
	err := runInTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
		fe = nil
		if slices.ContainsFunc(rows, func(r *Record) bool { return r.QueueEpoch != 0 }) {
			var current int64
			err := tx.QueryRowContext(ctx, "SELECT epoch FROM call_queue_lease WHERE id = 1 FOR SHARE").Scan(&current)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read the call queue lease: %w", err)
			}
			kept := rows[:0:0]
			for _, r := range rows {
				if r.QueueEpoch == 0 || r.QueueEpoch == current {
					kept = append(kept, r)
					continue
				}
				if fe == nil {
					fe = &fencedError{}
				}
				fe.refused++
				if !slices.Contains(fe.epochs, r.QueueEpoch) {
					fe.epochs = append(fe.epochs, r.QueueEpoch)
				}
			}
			rows = kept
		}
		if len(rows) == 0 {
			return nil
		}
		return upsertRecords(ctx, tx, rows)
	})
	if err == nil && fe != nil {
		return fe
	}
	return err
}

func upsertRecords(ctx context.Context, tx bun.IDB, rows []*Record) error {
	tasks := callbackTasks(rows)
	_, err := tx.NewInsert().Model(&rows).
		On("CONFLICT (id) DO UPDATE").
		Set("extension = EXCLUDED.extension, outcome = EXCLUDED.outcome, answered_at = EXCLUDED.answered_at, "+
			"ended_at = EXCLUDED.ended_at, queue_wait_ms = EXCLUDED.queue_wait_ms, ring_ms = EXCLUDED.ring_ms, "+
			"talk_ms = EXCLUDED.talk_ms, agent_call_id = EXCLUDED.agent_call_id, "+
			"transfer_target = EXCLUDED.transfer_target, offers = EXCLUDED.offers, end_reason = EXCLUDED.end_reason, "+
			"ticket_id = COALESCE(EXCLUDED.ticket_id, cr.ticket_id)").
		// Snapshots of a call are put from several goroutines; one taken while the call
		// was in progress must never replace the call's final record.
		Where("cr.outcome = ? OR EXCLUDED.outcome <> ?", OutcomeInProgress, OutcomeInProgress).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("upsert %d call records: %w", len(rows), err)
	}
	return insertCallbackTasks(ctx, tx, tasks)
}

// callbackTasks are the callback tasks (漏接回拨) of the missed calls among rows, open from
// the moment each call ended. A caller whose number is no number (anonymous, a name, a
// forged header) cannot be called back and gets none.
func callbackTasks(rows []*Record) []*CallbackTask {
	var tasks []*CallbackTask
	for _, r := range rows {
		if r.missed() && callableNumber.MatchString(r.Caller) {
			at := r.StartedAt
			if r.EndedAt != nil {
				at = *r.EndedAt
			}
			tasks = append(tasks, &CallbackTask{CallID: r.ID, Phone: r.Caller, Status: "open", CreatedAt: at, UpdatedAt: at})
		}
	}
	return tasks
}

// callableNumber is what a callback can dial: digits, perhaps with a leading +.
var callableNumber = regexp.MustCompile(`^\+?[0-9]{3,20}$`)

// callbackWindow is how long an open callback task covers further missed calls from its
// number: a citizen who tried five times is called back once, and a flood of calls from one
// number does not bury the other citizens' missed calls.
const callbackWindow = 24 * time.Hour

// insertCallbackTasks stores tasks, except that a missed call from a number which already
// has an open task from the window before it adds nothing (the task's missed_calls counts it
// when listed). Two tasks of one number in tasks are one. Inserting a task again (a batch
// retried) changes nothing.
func insertCallbackTasks(ctx context.Context, tx bun.IDB, tasks []*CallbackTask) error {
	if len(tasks) == 0 {
		return nil
	}
	ids, phones, ats := make([]string, len(tasks)), make([]string, len(tasks)), make([]time.Time, len(tasks))
	for i, t := range tasks {
		ids[i], phones[i], ats[i] = t.CallID, t.Phone, t.CreatedAt
	}
	_, err := tx.NewRaw(`INSERT INTO callback_tasks (call_id, phone, status, created_at, updated_at)
		SELECT DISTINCT ON (n.phone) n.call_id, n.phone, 'open', n.at, n.at
		FROM unnest(?::uuid[], ?::text[], ?::timestamptz[]) AS n (call_id, phone, at)
		WHERE NOT EXISTS (SELECT 1 FROM callback_tasks cb WHERE cb.phone = n.phone
			AND cb.status IN ('open', 'calling') AND cb.created_at > n.at - ?::interval)
		ORDER BY n.phone, n.at
		ON CONFLICT (call_id) DO NOTHING`,
		pgdialect.Array(ids), pgdialect.Array(phones), pgdialect.Array(ats), fmt.Sprintf("%d seconds", int(callbackWindow.Seconds()))).Exec(ctx)
	if err != nil {
		return fmt.Errorf("insert %d callback tasks: %w", len(tasks), err)
	}
	return nil
}

// ImportRecords stores finished calls recorded elsewhere (a demo, another call-centre
// system), with the callback tasks of the missed ones, as the SIP front end would have. A call
// whose id is stored already is left as it is, so importing the same calls twice changes
// nothing.
func ImportRecords(ctx context.Context, db bun.IDB, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	rows := make([]*Record, len(records))
	for i := range records {
		r := records[i]
		if len(r.Offers) == 0 {
			r.Offers = json.RawMessage("[]")
		}
		rows[i] = &r
	}
	tasks := callbackTasks(rows)
	return runInTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("import %d call records: %w", len(rows), err)
		}
		return insertCallbackTasks(ctx, tx, tasks)
	})
}

// runInTx runs fn in a transaction of db, or in db itself when it already is one.
func runInTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.IDB) error) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx) })
}

// offersJSON encodes the queue's offers of a call for the record.
func offersJSON(offers []acd.Offer) json.RawMessage {
	type offer struct {
		Ext    string    `json:"extension"`
		At     time.Time `json:"at"`
		Until  time.Time `json:"until"`
		Result string    `json:"result"`
	}
	out := make([]offer, len(offers))
	for i, o := range offers {
		out[i] = offer{o.Ext, o.At, o.Until, string(o.Result)}
	}
	b, _ := json.Marshal(out)
	return b
}
