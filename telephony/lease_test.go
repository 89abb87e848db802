package telephony

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/telephony/acd"
)

// stepUntil steps l until cond accepts a change, at most within d.
func stepUntil(t *testing.T, l *lease, d time.Duration, cond func(leaseChange) bool) leaseChange {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ch, err := l.step(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if cond(ch) {
			return ch
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease %s: no change wanted within %v", l.node, d)
		}
		time.Sleep(l.renew / 2)
	}
}

// One process holds the call queue; when it stops renewing, another takes over under a new
// epoch and closes the old holder's live calls as dropped (a callback for the caller who never
// reached an agent); the old holder, resumed, can neither offer nor write, and learns it lost.
func TestLeaseTakeoverFencesTheOldHolder(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	cfg := LeaseConfig{TTL: 3 * time.Second, Renew: 300 * time.Millisecond} // renewals 0.3 s apart, with room for a loaded machine
	a := newLease(db, LeaseConfig{Node: "a", TTL: cfg.TTL, Renew: cfg.Renew})
	b := newLease(db, LeaseConfig{Node: "b", TTL: cfg.TTL, Renew: cfg.Renew})

	if ch, err := a.step(ctx, time.Now()); err != nil || ch.gained != 1 {
		t.Fatalf("first step of a: %+v %v", ch, err)
	}
	for range 3 {
		if ch, err := b.step(ctx, time.Now()); err != nil || ch.gained != 0 || b.valid() != 0 {
			t.Fatalf("b took a live lease: %+v %v", ch, err)
		}
		if ch, err := a.step(ctx, time.Now()); err != nil || ch.gained != 0 || ch.lost || a.valid() != 1 {
			t.Fatalf("a's renewal: %+v %v valid=%d", ch, err, a.valid())
		}
		time.Sleep(cfg.Renew)
	}

	// Two calls up on a: one waiting in the queue, one talking.
	start := time.Now().Add(-time.Minute)
	answered := start.Add(10 * time.Second)
	waiting := &Record{ID: uuid.NewString(), Caller: "13800138001", Dialled: "12345", Outcome: OutcomeInProgress, StartedAt: start, CallerCallID: "w", QueueEpoch: a.stamp()}
	talking := &Record{ID: uuid.NewString(), Caller: "13800138002", Dialled: "12345", Extension: "1001", Outcome: OutcomeInProgress,
		StartedAt: start, AnsweredAt: &answered, CallerCallID: "t", QueueEpoch: a.stamp()}
	if err := writeRecords(ctx, db, []*Record{waiting, talking}); err != nil {
		t.Fatal(err)
	}

	// a stops renewing (killed, or paused): b takes over after the TTL, not before.
	stopped := time.Now()
	ch := stepUntil(t, b, 20*time.Second, func(ch leaseChange) bool { return ch.gained != 0 })
	took := time.Since(stopped)
	if ch.gained != 2 || ch.dropped != 2 || b.valid() != 2 {
		t.Fatalf("takeover: %+v valid=%d", ch, b.valid())
	}
	if took < cfg.TTL-cfg.Renew {
		t.Fatalf("b took over %v after a's last renewal, before the lease expired", took)
	}
	t.Logf("takeover %v after the last renewal (TTL %v)", took, cfg.TTL)
	rs, err := ListCalls(ctx, db, CallFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Outcome != OutcomeDropped || r.EndedAt == nil {
			t.Fatalf("a's call after the takeover: %+v", r)
		}
		if r.ID == talking.ID && r.TalkMS <= 0 {
			t.Fatalf("dropped talking call has no talk time: %+v", r)
		}
	}
	var tasks []string
	if err := db.NewSelect().Table("callback_tasks").Column("phone").Scan(ctx, &tasks); err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0] != waiting.Caller {
		t.Fatalf("callback tasks %v, want one for the caller who never reached an agent", tasks)
	}

	// a resumes: it cannot be sure of the lease, so offers nothing, and its writes are refused.
	if a.valid() != 0 {
		t.Fatal("resumed old holder still counts itself the holder")
	}
	final := *talking
	final.Outcome = "answered"
	ended := time.Now()
	final.EndedAt = &ended
	fresh := Record{ID: uuid.NewString(), Caller: "13800138003", Dialled: "12345", Outcome: OutcomeInProgress, StartedAt: ended, CallerCallID: "f", QueueEpoch: a.stamp()}
	var fe *fencedError
	if err := writeRecords(ctx, db, []*Record{&final, &fresh}); !errors.As(err, &fe) || fe.refused != 2 || len(fe.epochs) != 1 || fe.epochs[0] != 1 {
		t.Fatalf("old holder's write: %v", err)
	}
	rs, _ = ListCalls(ctx, db, CallFilter{Limit: 10})
	if len(rs) != 2 || rs[0].Outcome != OutcomeDropped || rs[1].Outcome != OutcomeDropped {
		t.Fatalf("the old holder's write changed the records: %s", describe(rs))
	}
	if ch, err := a.step(ctx, time.Now()); err != nil || !ch.lost || ch.gained != 0 || a.valid() != 0 || a.stamp() != -1 {
		t.Fatalf("old holder's step: %+v %v", ch, err)
	}
	// The new holder's records are written.
	mine := Record{ID: uuid.NewString(), Caller: "13800138004", Dialled: "12345", Outcome: OutcomeInProgress, StartedAt: ended, CallerCallID: "m", QueueEpoch: b.stamp()}
	if err := writeRecords(ctx, db, []*Record{&mine}); err != nil {
		t.Fatal(err)
	}
	// A holder that stops cleanly releases the lease, and the other takes it at once.
	if err := b.release(ctx); err != nil {
		t.Fatal(err)
	}
	if ch, err := a.step(ctx, time.Now()); err != nil || ch.gained != 3 {
		t.Fatalf("after release: %+v %v", ch, err)
	}
}

// sipStatus sends one request over UDP to addr and returns the answer's status line.
func sipStatus(t *testing.T, addr, method, user string) string {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	id := uuid.NewString()
	msg := method + " sip:" + user + "@" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK-" + id + "\r\n" +
		"From: <sip:13800138000@" + local + ">;tag=" + id[:8] + "\r\nTo: <sip:" + user + "@" + addr + ">\r\nCall-ID: " + id +
		"\r\nCSeq: 1 " + method + "\r\nMax-Forwards: 70\r\nContact: <sip:13800138000@" + local + ">\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	for {
		conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no answer to %s %s: %v", method, user, err)
		}
		status, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		if !strings.HasPrefix(status, "SIP/2.0 1") {
			return status
		}
	}
}

// Two processes on one database: the first holds the queue, the other refuses citizens' calls
// with 503 and answers the queue probe 503 (every process answers the contract's OPTIONS 200).
// A phone registered through the standby is known to the holder's queue; unregistering it
// through the standby removes it there too.
func TestStandbyRefusesCallsAndSharesRegistrations(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	seedAgents(t, db, "1001")
	a := newTestServerOn(t, db)
	a.waitHolder(t)
	b := newTestServerOn(t, db)
	time.Sleep(200 * time.Millisecond)
	if a.lease.valid() == 0 || b.lease.valid() != 0 {
		t.Fatalf("holders: a %d, b %d", a.lease.valid(), b.lease.valid())
	}
	for _, c := range []struct{ srv, method, user, want string }{
		{a.Addr(), "OPTIONS", "12345", "SIP/2.0 200 OK"},
		{b.Addr(), "OPTIONS", "12345", "SIP/2.0 200 OK"},
		{a.Addr(), "OPTIONS", QueueProbeUser, "SIP/2.0 200 OK"},
		{b.Addr(), "OPTIONS", QueueProbeUser, "SIP/2.0 503 Call Queue On Another Node"},
		{b.Addr(), "INVITE", "12345", "SIP/2.0 503 Call Queue On Another Node"},
	} {
		if got := sipStatus(t, c.srv, c.method, c.user); got != c.want {
			t.Errorf("%s %s to %s: %q, want %q", c.method, c.user, c.srv, got, c.want)
		}
	}

	p := newPhone(t, "127.0.0.1", b.Addr())
	contact := "sip:1001@127.0.0.1:5999"
	_, challenge := p.register("1001", contact, "")
	if status, _ := p.register("1001", contact, answer(challenge, "1001", "demo-sip", 1)); status != "SIP/2.0 200 OK" {
		t.Fatalf("register through the standby: %s", status)
	}
	a.waitRegistered(t, "1001")
	bb, ok := b.reg.lookup("1001")
	ab, _ := a.reg.lookup("1001")
	if !ok || ab.contact.String() != contact || ab.dest != bb.dest || !ab.expires.Equal(bb.expires) {
		t.Fatalf("holder's binding %+v, standby's %+v", ab, bb)
	}
	_, challenge = p.register("1001", contact, "")
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if status := p.unregister("1001", answer(challenge, "1001", "demo-sip", 2)); status != "SIP/2.0 200 OK" {
		t.Fatalf("unregister through the standby: %s", status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Agent("1001").Registered {
		if time.Now().After(deadline) {
			t.Fatal("the holder still counts the phone registered")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The holder stops: the standby takes the queue over and answers citizens' calls by ringing
// the agent whose phone registered through the stopped process, without a new REGISTER.
func TestTakeoverOffersCallsToPhonesRegisteredElsewhere(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	db := testdb.New(t)
	seedAgents(t, db, "1001")
	a := newTestServerOn(t, db)
	a.waitHolder(t)
	b := newTestServerOn(t, db)
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	a.register(t, "1001", "demo-sip", aport, 200)
	a.waitRegistered(t, "1001")
	b.waitRegistered(t, "1001")
	a.stop()
	b.waitHolder(t)
	b.runSipp(t, "caller.xml", "caller", "13800138000", "-d", "200")
	agent.wait(t)
	rs := b.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if rs[0].Extension != "1001" {
		t.Fatalf("record: %+v", rs[0])
	}
}

// unregister removes every binding of ext (Contact: *, Expires: 0) and returns the status line.
func (p *phone) unregister(ext, authorization string) string {
	p.t.Helper()
	p.n++
	local := p.conn.LocalAddr().String()
	msg := "REGISTER sip:" + p.srv.String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-unreg-" + uuid.NewString() + ";rport\r\n" +
		"From: <sip:" + ext + "@" + p.srv.String() + ">;tag=u" + uuid.NewString()[:8] + "\r\nTo: <sip:" + ext + "@" + p.srv.String() + ">\r\n" +
		"Call-ID: replay-" + local + "\r\nCSeq: " + strconv.Itoa(p.n) + " REGISTER\r\nMax-Forwards: 70\r\n" +
		"Contact: *\r\nExpires: 0\r\nAuthorization: " + authorization + "\r\nContent-Length: 0\r\n\r\n"
	if _, err := p.conn.WriteToUDP([]byte(msg), p.srv); err != nil {
		p.t.Fatal(err)
	}
	buf := make([]byte, 8192)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := p.conn.ReadFromUDP(buf)
	if err != nil {
		p.t.Fatalf("no answer to REGISTER: %v", err)
	}
	status, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return status
}

// waitHolder waits until the server holds the call queue's lease.
func (ts *testServer) waitHolder(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ts.lease.valid() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server never took the call queue's lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A process that cannot be sure it holds the queue (its lease lapsed in a database outage)
// offers no call: it ends the call as one nobody could answer, and the agents, who missed
// nothing, stay available instead of being put on break as after missed offers.
func TestLapsedLeaseEndsCallsWithoutPausingAgents(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Realm: "hotline"}, Deps{Log: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.lease = newLease(nil, LeaseConfig{Node: "lapsed"})
	s.lease.epoch = 7 // held once, expired now
	for _, ext := range []string{"1001", "1002"} {
		s.queue.SetStatus(ext, acd.StatusAvailable)
		s.queue.SetRegistered(ext, true)
	}
	for i := range 3 {
		id := fmt.Sprintf("call-%d", i)
		c := &call{callID: id, abandoned: make(chan acd.Outcome, 1), answered: make(chan []byte, 1),
			ringing: map[string]context.CancelFunc{}, rec: Record{ID: uuid.NewString(), Outcome: OutcomeInProgress}}
		s.mu.Lock()
		s.calls[id] = c
		s.mu.Unlock()
		if _, err := s.queue.Enqueue(id, "13800138000"); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-c.abandoned:
			if got != acd.OutcomeNoAgent {
				t.Fatalf("call %d abandoned for %s", i, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d was neither offered nor ended", i)
		}
	}
	for _, a := range s.queue.Snapshot().Agents {
		if a.Status != acd.StatusAvailable {
			t.Fatalf("agent %s is %s after calls the lapsed queue withheld", a.Ext, a.Status)
		}
	}
}

// A citizen's call reaching a process that does not hold the queue waits for a takeover: it is
// refused 503 when the queue stays with another process (the proxy tries that one), recorded as
// missed, with a callback, and answered 480 when nobody holds the queue any more, and queued
// here when this process takes the queue over meanwhile.
func TestCallsOnAProcessWithoutTheQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	holdLease := func(t *testing.T, db *bun.DB, expires string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `INSERT INTO call_queue_lease (id, holder, epoch, expires_at, taken_at)
			VALUES (1, 'other', 4, now() + ?::interval, now())
			ON CONFLICT (id) DO UPDATE SET holder = 'other', epoch = 4, expires_at = EXCLUDED.expires_at`, expires); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("held elsewhere, then nowhere", func(t *testing.T) {
		t.Parallel()
		db := testdb.New(t)
		seedAgents(t, db, "1001")
		holdLease(t, db, "1 hour")
		// A lease this process would take over only after an hour of watching it.
		ts := newTestServerOn(t, db, func(c *Config) { c.Lease = LeaseConfig{TTL: time.Hour, Renew: time.Minute} })
		if got := sipStatus(t, ts.Addr(), "INVITE", "12345"); got != "SIP/2.0 503 Call Queue On Another Node" {
			t.Fatalf("while another holds the queue: %s", got)
		}
		if rs, _ := ListCalls(ctx, db, CallFilter{Limit: 10}); len(rs) != 0 {
			t.Fatalf("a call passed on to the holder was recorded here: %s", describe(rs))
		}
		// The holder died long ago and nobody took over.
		holdLease(t, db, "-2 hours")
		if got := sipStatus(t, ts.Addr(), "INVITE", "12345"); got != "SIP/2.0 480 No Agent Available" {
			t.Fatalf("while nobody holds the queue: %s", got)
		}
		rs, err := ListCalls(ctx, db, CallFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Outcome != "no_agent" || rs[0].Caller != "13800138000" || rs[0].EndedAt == nil {
			t.Fatalf("records: %s", describe(rs))
		}
		if n := ts.countCallbacks(t, "13800138000"); n != 1 {
			t.Fatalf("callback tasks: %d", n)
		}
	})
	t.Run("taken over while the call waits", func(t *testing.T) {
		t.Parallel()
		db := testdb.New(t)
		seedAgents(t, db, "1001")
		holdLease(t, db, "1 second")
		// The call waits TTL + 2 × Renew (6 s) for a takeover that needs the lease watched
		// unchanged for TTL − Renew (1.5 s): room for a loaded machine.
		ts := newTestServerOn(t, db, func(c *Config) { c.Lease = LeaseConfig{TTL: 3 * time.Second, Renew: 1500 * time.Millisecond} })
		// No phone is registered: the queue, once here, refuses the call at once (480) and
		// records it under its own epoch.
		if got := sipStatus(t, ts.Addr(), "INVITE", "12345"); got != "SIP/2.0 480 No Agent Available" {
			t.Fatalf("call during the takeover: %s", got)
		}
		ts.waitCalls(t, "the call's final record", func(rs []Record) bool { return len(rs) == 1 && rs[0].Outcome == "no_agent" })
		var epochs []int64
		if err := db.NewSelect().Table("call_records").Column("queue_epoch").Scan(ctx, &epochs); err != nil {
			t.Fatal(err)
		}
		if ts.lease.valid() != 5 || len(epochs) != 1 || epochs[0] != 5 {
			t.Fatalf("lease %d, records' epochs %v: want the call queued under the new epoch 5", ts.lease.valid(), epochs)
		}
	})
}

// After a database outage longer than the lease, the holder, which renews as soon as it can,
// keeps the queue: a standby takes over only a lease it has watched stay expired.
func TestHolderKeepsTheQueueAfterADatabaseOutage(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	a := newLease(db, LeaseConfig{Node: "a", TTL: time.Second, Renew: 300 * time.Millisecond})
	b := newLease(db, LeaseConfig{Node: "b", TTL: time.Second, Renew: 300 * time.Millisecond})
	if ch, err := a.step(ctx, time.Now()); err != nil || ch.gained != 1 {
		t.Fatalf("a: %+v %v", ch, err)
	}
	time.Sleep(1500 * time.Millisecond) // nobody reaches the database
	if ch, err := b.step(ctx, time.Now()); err != nil || ch.gained != 0 {
		t.Fatalf("b took over a lease it first saw expired: %+v %v", ch, err)
	}
	if ch, err := a.step(ctx, time.Now()); err != nil || ch.lost || ch.gained != 0 || a.valid() != 1 {
		t.Fatalf("a's renewal after the outage: %+v %v valid=%d", ch, err, a.valid())
	}
	if ch, err := b.step(ctx, time.Now()); err != nil || ch.gained != 0 {
		t.Fatalf("b took over a renewed lease: %+v %v", ch, err)
	}
}
