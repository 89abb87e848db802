package acd

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder is the test double of the SIP layer: it logs every callback,
// stamped with the fake time since t0, and keeps the finished records.
type recorder struct {
	clock *FakeClock

	mu      sync.Mutex
	events  []string
	records []CallRecord

	// onRing, if set, runs after a Ring is logged, like a SIP layer that
	// learns at once that the phone cannot ring.
	onRing func(callID, ext string)
}

func (r *recorder) log(format string, args ...any) {
	line := r.clock.Now().Sub(t0).String() + " " + fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.events = append(r.events, line)
	r.mu.Unlock()
}

func (r *recorder) Ring(callID, ext string) {
	r.log("ring %s %s", callID, ext)
	if r.onRing != nil {
		r.onRing(callID, ext)
	}
}

func (r *recorder) CancelRing(callID, ext string) { r.log("cancel %s %s", callID, ext) }

func (r *recorder) Abandon(callID string, reason Outcome) { r.log("abandon %s %s", callID, reason) }

func (r *recorder) AgentPaused(ext string) { r.log("paused %s", ext) }

func (r *recorder) Finished(rec CallRecord) {
	r.log("finished %s %s", rec.CallID, rec.Outcome)
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
}

// env drives a Queue through the scenario steps; every helper fails the
// test on an unexpected error so that scenarios read as a script.
type env struct {
	t     *testing.T
	clock *FakeClock
	rec   *recorder
	q     *Queue
}

func newEnv(t *testing.T, cfg Config) *env {
	clock := NewFakeClock(t0)
	rec := &recorder{clock: clock}
	return &env{t: t, clock: clock, rec: rec, q: New(cfg, clock, rec)}
}

func ts(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func caller(callID string) string { return "1380013" + strings.TrimPrefix(callID, "c") }

// to advances the fake clock to t0+sec.
func (e *env) to(sec int) {
	e.t.Helper()
	d := ts(sec).Sub(e.clock.Now())
	if d < 0 {
		e.t.Fatalf("to(%d): clock is already at %v", sec, e.clock.Now().Sub(t0))
	}
	e.clock.Advance(d)
}

// login registers the phones and makes the agents available.
func (e *env) login(exts ...string) {
	e.t.Helper()
	for _, ext := range exts {
		e.q.SetRegistered(ext, true)
		e.status(ext, StatusAvailable)
	}
}

func (e *env) status(ext string, s Status) {
	e.t.Helper()
	if err := e.q.SetStatus(ext, s); err != nil {
		e.t.Fatalf("SetStatus(%s, %v): %v", ext, s, err)
	}
}

func (e *env) enqueue(callID string) { e.t.Helper(); e.enqueueWant(callID, Queued) }

func (e *env) enqueueWant(callID string, want Result) {
	e.t.Helper()
	got, err := e.q.Enqueue(callID, caller(callID))
	if err != nil || got != want {
		e.t.Fatalf("Enqueue(%s) = %v, %v; want %v", callID, got, err, want)
	}
}

func (e *env) answer(callID, ext string) {
	e.t.Helper()
	if err := e.q.Answered(callID, ext); err != nil {
		e.t.Fatalf("Answered(%s, %s): %v", callID, ext, err)
	}
}

func (e *env) reject(callID, ext string) {
	e.t.Helper()
	if err := e.q.AgentRejected(callID, ext); err != nil {
		e.t.Fatalf("AgentRejected(%s, %s): %v", callID, ext, err)
	}
}

func (e *env) hangup(callID string) {
	e.t.Helper()
	if err := e.q.Hangup(callID); err != nil {
		e.t.Fatalf("Hangup(%s): %v", callID, err)
	}
}

func (e *env) end(callID string) {
	e.t.Helper()
	if err := e.q.CallEnded(callID); err != nil {
		e.t.Fatalf("CallEnded(%s): %v", callID, err)
	}
}

// wantAgent checks the agent as the console would see it.
func (e *env) wantAgent(want AgentInfo) {
	e.t.Helper()
	for _, got := range e.q.Snapshot().Agents {
		if got.Ext == want.Ext {
			if diff := cmp.Diff(want, got); diff != "" {
				e.t.Errorf("at %v agent %s (-want +got):\n%s", e.clock.Now().Sub(t0), want.Ext, diff)
			}
			return
		}
	}
	e.t.Errorf("agent %s missing from the snapshot", want.Ext)
}

// answeredRecord is the record of a call offered once and answered.
func answeredRecord(callID, ext string, enq, ring, answer, end int) CallRecord {
	return CallRecord{
		CallID: callID, Caller: caller(callID), Outcome: OutcomeAnswered, Agent: ext,
		Enqueued: ts(enq), Wait: secs(answer - enq), Ring: secs(answer - ring),
		TalkStart: ts(answer), TalkEnd: ts(end), Ended: ts(end),
		Offers: []Offer{{Ext: ext, At: ts(ring), Until: ts(answer), Result: OfferAnswered}},
	}
}

// endedRecord is the record of a call that left the queue unanswered.
func endedRecord(callID string, outcome Outcome, enq, ended int, offers ...Offer) CallRecord {
	r := CallRecord{
		CallID: callID, Caller: caller(callID), Outcome: outcome,
		Enqueued: ts(enq), Wait: secs(ended - enq), Ended: ts(ended), Offers: offers,
	}
	for _, o := range offers {
		r.Ring += o.Until.Sub(o.At)
	}
	return r
}

func offer(ext string, at, until int, res OfferResult) Offer {
	return Offer{Ext: ext, At: ts(at), Until: ts(until), Result: res}
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config // the zero Config: 15s ring, 2 misses, 10s wrap-up, 60s wait
		run     func(e *env)
		events  []string
		records []CallRecord
	}{{
		name: "single agent answers",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.to(3)
			e.answer("c1", "1001")
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusAvailable,
				State: StateTalking, IdleSince: ts(0), CallID: "c1"})
			e.to(63)
			e.end("c1")
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusAvailable,
				State: StateWrapUp, IdleSince: ts(0), CallID: "c1"})
			e.to(73)
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusAvailable,
				State: StateIdle, IdleSince: ts(73)})
		},
		events: []string{
			"0s ring c1 1001",
			"1m3s finished c1 answered",
		},
		records: []CallRecord{answeredRecord("c1", "1001", 0, 0, 3, 63)},
	}, {
		name: "longest idle agent chosen among three",
		run: func(e *env) {
			e.login("1003")
			e.to(1)
			e.login("1001")
			e.to(2)
			e.login("1002")
			e.to(3)
			e.enqueue("c1") // 1003 idle since 0s
			e.to(4)
			e.answer("c1", "1003")
			e.to(5)
			e.end("c1") // 1003 wraps up until 15s
			e.to(6)
			e.enqueue("c2") // 1001 idle since 1s
			e.answer("c2", "1001")
			e.to(7)
			e.end("c2") // 1001 wraps up until 17s
			e.to(20)
			e.enqueue("c3") // 1002 idle since 2s
			e.to(21)
			e.answer("c3", "1002")
			e.to(22)
			e.end("c3")
			e.to(40)
			e.enqueue("c4") // 1003 idle since 15s beats 1001 since 17s
			e.to(41)
			e.answer("c4", "1003")
			e.to(42)
			e.end("c4")
		},
		events: []string{
			"3s ring c1 1003",
			"5s finished c1 answered",
			"6s ring c2 1001",
			"7s finished c2 answered",
			"20s ring c3 1002",
			"22s finished c3 answered",
			"40s ring c4 1003",
			"42s finished c4 answered",
		},
		records: []CallRecord{
			answeredRecord("c1", "1003", 3, 3, 4, 5),
			answeredRecord("c2", "1001", 6, 6, 6, 7),
			answeredRecord("c3", "1002", 20, 20, 21, 22),
			answeredRecord("c4", "1003", 40, 40, 41, 42),
		},
	}, {
		name: "ring timeout moves the call to the next agent",
		run: func(e *env) {
			e.login("1001")
			e.to(1)
			e.login("1002")
			e.to(2)
			e.enqueue("c1")
			// 1001 is still the longest idle, but has just missed c1.
			e.to(17)
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusAvailable,
				State: StateIdle, IdleSince: ts(0), MissedStreak: 1})
			e.to(20)
			e.answer("c1", "1002")
			e.to(30)
			e.end("c1")
		},
		events: []string{
			"2s ring c1 1001",
			"17s cancel c1 1001",
			"17s ring c1 1002",
			"30s finished c1 answered",
		},
		records: []CallRecord{{
			CallID: "c1", Caller: caller("c1"), Outcome: OutcomeAnswered, Agent: "1002",
			Enqueued: ts(2), Wait: secs(18), Ring: secs(18),
			TalkStart: ts(20), TalkEnd: ts(30), Ended: ts(30),
			Offers: []Offer{
				offer("1001", 2, 17, OfferNoAnswer),
				offer("1002", 17, 20, OfferAnswered),
			},
		}},
	}, {
		name: "agent paused after two missed offers and never rung on break",
		run: func(e *env) {
			e.login("1001")
			e.to(1)
			e.login("1002")
			e.to(2)
			e.enqueue("c1")
			e.to(18)
			// Both free agents have now had c1; 1001 had it first.
			e.reject("c1", "1002")
			e.to(35)
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusBreak,
				State: StateIdle, IdleSince: ts(0), MissedStreak: 2})
			e.answer("c1", "1002")
			e.wantAgent(AgentInfo{Ext: "1002", Registered: true, Status: StatusAvailable,
				State: StateTalking, IdleSince: ts(1), CallID: "c1"})
			e.to(40)
			e.end("c1")
			e.to(45)
			e.enqueue("c2") // 1001 is free but on break; 1002 wraps up until 50s
			e.to(51)
			e.answer("c2", "1002")
			e.to(52)
			e.end("c2")
			e.to(53)
			e.status("1001", StatusAvailable)
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusAvailable,
				State: StateIdle, IdleSince: ts(53)})
		},
		events: []string{
			"2s ring c1 1001",
			"17s cancel c1 1001",
			"17s ring c1 1002",
			"18s ring c1 1001",
			"33s cancel c1 1001",
			"33s paused 1001",
			"33s ring c1 1002",
			"40s finished c1 answered",
			"50s ring c2 1002",
			"52s finished c2 answered",
		},
		records: []CallRecord{{
			CallID: "c1", Caller: caller("c1"), Outcome: OutcomeAnswered, Agent: "1002",
			Enqueued: ts(2), Wait: secs(33), Ring: secs(33),
			TalkStart: ts(35), TalkEnd: ts(40), Ended: ts(40),
			Offers: []Offer{
				offer("1001", 2, 17, OfferNoAnswer),
				offer("1002", 17, 18, OfferRejected),
				offer("1001", 18, 33, OfferNoAnswer),
				offer("1002", 33, 35, OfferAnswered),
			},
		}, answeredRecord("c2", "1002", 45, 50, 51, 52)},
	}, {
		name: "wrap-up delays the next offer",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.to(1)
			e.answer("c1", "1001")
			e.to(5)
			e.end("c1")
			e.to(6)
			e.enqueue("c2")
			e.to(16)
			e.answer("c2", "1001")
			e.to(20)
			e.end("c2")
		},
		events: []string{
			"0s ring c1 1001",
			"5s finished c1 answered",
			"15s ring c2 1001",
			"20s finished c2 answered",
		},
		records: []CallRecord{
			answeredRecord("c1", "1001", 0, 0, 1, 5),
			answeredRecord("c2", "1001", 6, 15, 16, 20),
		},
	}, {
		name: "negative wrap-up offers the next call at once",
		cfg:  Config{WrapUp: -1},
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.answer("c1", "1001")
			e.to(2)
			e.enqueue("c2")
			e.to(5)
			e.end("c1")
			e.answer("c2", "1001")
			e.to(6)
			e.end("c2")
		},
		events: []string{
			"0s ring c1 1001",
			"5s finished c1 answered",
			"5s ring c2 1001",
			"6s finished c2 answered",
		},
		records: []CallRecord{
			answeredRecord("c1", "1001", 0, 0, 0, 5),
			answeredRecord("c2", "1001", 2, 5, 5, 6),
		},
	}, {
		name: "max wait ends a waiting call",
		run: func(e *env) {
			e.q.SetRegistered("1001", true)
			e.status("1001", StatusBreak) // on shift, so the call waits
			e.enqueue("c1")
			e.to(60)
		},
		events: []string{
			"1m0s abandon c1 max_wait",
			"1m0s finished c1 max_wait",
		},
		records: []CallRecord{endedRecord("c1", OutcomeMaxWait, 0, 60)},
	}, {
		name: "max wait during a ring lets the ring finish",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.to(1)
			e.answer("c1", "1001")
			e.to(2)
			e.enqueue("c2")
			e.to(50)
			e.end("c1") // 1001 wraps up until 60s; c2 expires at 62s
			e.to(75)
		},
		events: []string{
			"0s ring c1 1001",
			"50s finished c1 answered",
			"1m0s ring c2 1001",
			"1m15s cancel c2 1001",
			"1m15s abandon c2 max_wait",
			"1m15s finished c2 max_wait",
		},
		records: []CallRecord{
			answeredRecord("c1", "1001", 0, 0, 1, 50),
			endedRecord("c2", OutcomeMaxWait, 2, 75, offer("1001", 60, 75, OfferNoAnswer)),
		},
	}, {
		name: "answer after max wait during the ring still counts",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.answer("c1", "1001")
			e.enqueue("c2")
			e.to(48)
			e.end("c1") // wrap-up until 58s; c2 expires at 60s, mid-ring
			e.to(62)
			e.answer("c2", "1001")
			e.to(72)
			e.end("c2")
		},
		events: []string{
			"0s ring c1 1001",
			"48s finished c1 answered",
			"58s ring c2 1001",
			"1m12s finished c2 answered",
		},
		records: []CallRecord{
			answeredRecord("c1", "1001", 0, 0, 0, 48),
			answeredRecord("c2", "1001", 0, 58, 62, 72),
		},
	}, {
		name: "refuse with nobody signed in",
		run: func(e *env) {
			e.enqueueWant("c1", Refused) // no agents at all
			e.q.SetRegistered("1001", true)
			e.enqueueWant("c2", Refused) // registered but signed out
			e.status("1002", StatusAvailable)
			e.enqueueWant("c3", Refused) // available but the phone is not registered
			e.status("1001", StatusBreak)
			e.enqueue("c4") // on break is still on shift: wait
			e.to(5)
			e.status("1001", StatusSignedOut)
		},
		events: []string{
			"0s finished c1 no_agent",
			"0s finished c2 no_agent",
			"0s finished c3 no_agent",
			"5s abandon c4 no_agent",
			"5s finished c4 no_agent",
		},
		records: []CallRecord{
			endedRecord("c1", OutcomeNoAgent, 0, 0),
			endedRecord("c2", OutcomeNoAgent, 0, 0),
			endedRecord("c3", OutcomeNoAgent, 0, 0),
			endedRecord("c4", OutcomeNoAgent, 0, 5),
		},
	}, {
		name: "caller hangs up in the queue",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.answer("c1", "1001")
			e.to(1)
			e.enqueue("c2")
			e.to(5)
			e.hangup("c2")
			e.to(9)
			e.hangup("c1") // the caller ending the conversation is the end of the talk
		},
		events: []string{
			"0s ring c1 1001",
			"5s finished c2 abandoned_queue",
			"9s finished c1 answered",
		},
		records: []CallRecord{
			endedRecord("c2", OutcomeAbandonedQueue, 1, 5),
			answeredRecord("c1", "1001", 0, 0, 0, 9),
		},
	}, {
		name: "caller hangs up while ringing",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.to(5)
			e.hangup("c1")
			// Not the agent's fault: no missed offer, and still first in line.
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusAvailable,
				State: StateIdle, IdleSince: ts(0)})
		},
		events: []string{
			"0s ring c1 1001",
			"5s cancel c1 1001",
			"5s finished c1 abandoned_ringing",
		},
		records: []CallRecord{
			endedRecord("c1", OutcomeAbandonedRinging, 0, 5, offer("1001", 0, 5, OfferCallerHangup)),
		},
	}, {
		name: "agents sign out while calls wait",
		run: func(e *env) {
			e.login("1001", "1002")
			e.status("1002", StatusBreak)
			e.enqueue("c1")
			e.to(1)
			e.answer("c1", "1001")
			e.to(2)
			e.enqueue("c2")
			e.to(3)
			e.enqueue("c3")
			e.to(10)
			e.status("1001", StatusSignedOut) // mid-call; 1002 is still on shift
			e.to(11)
			e.status("1002", StatusSignedOut)
			e.to(20)
			e.end("c1")
			e.enqueueWant("c4", Refused)
		},
		events: []string{
			"0s ring c1 1001",
			"11s abandon c2 no_agent",
			"11s finished c2 no_agent",
			"11s abandon c3 no_agent",
			"11s finished c3 no_agent",
			"20s finished c1 answered",
			"20s finished c4 no_agent",
		},
		records: []CallRecord{
			endedRecord("c2", OutcomeNoAgent, 2, 11),
			endedRecord("c3", OutcomeNoAgent, 3, 11),
			answeredRecord("c1", "1001", 0, 0, 1, 20),
			endedRecord("c4", OutcomeNoAgent, 20, 20),
		},
	}, {
		name: "last agent unregisters while ringing",
		run: func(e *env) {
			e.login("1001")
			e.enqueue("c1")
			e.to(4)
			e.q.SetRegistered("1001", false)
		},
		events: []string{
			"0s ring c1 1001",
			"4s cancel c1 1001",
			"4s abandon c1 no_agent",
			"4s finished c1 no_agent",
		},
		records: []CallRecord{
			endedRecord("c1", OutcomeNoAgent, 0, 4, offer("1001", 0, 4, OfferWithdrawn)),
		},
	}, {
		name: "break while ringing gives the call to the next agent",
		run: func(e *env) {
			e.login("1001")
			e.to(1)
			e.login("1002")
			e.to(2)
			e.enqueue("c1")
			e.to(4)
			e.status("1001", StatusBreak)
			e.wantAgent(AgentInfo{Ext: "1001", Registered: true, Status: StatusBreak,
				State: StateIdle, IdleSince: ts(0)})
			e.to(5)
			e.answer("c1", "1002")
			e.to(6)
			e.end("c1")
			e.to(20)
			e.enqueue("c2")
			e.to(21)
			e.answer("c2", "1002")
			e.to(22)
			e.end("c2")
		},
		events: []string{
			"2s ring c1 1001",
			"4s cancel c1 1001",
			"4s ring c1 1002",
			"6s finished c1 answered",
			"20s ring c2 1002",
			"22s finished c2 answered",
		},
		records: []CallRecord{{
			CallID: "c1", Caller: caller("c1"), Outcome: OutcomeAnswered, Agent: "1002",
			Enqueued: ts(2), Wait: secs(3), Ring: secs(3),
			TalkStart: ts(5), TalkEnd: ts(6), Ended: ts(6),
			Offers: []Offer{
				offer("1001", 2, 4, OfferWithdrawn),
				offer("1002", 4, 5, OfferAnswered),
			},
		}, answeredRecord("c2", "1002", 20, 20, 21, 22)},
	}, {
		name: "re-registered phone goes to the back of the line",
		run: func(e *env) {
			e.login("1001")
			e.to(1)
			e.login("1002")
			e.to(2)
			e.q.SetRegistered("1001", false)
			e.to(3)
			e.q.SetRegistered("1001", true) // idle since 3s now
			e.to(4)
			e.q.SetRegistered("1002", true) // a REGISTER refresh changes nothing
			e.to(5)
			e.enqueue("c1")
			e.answer("c1", "1002")
			e.to(6)
			e.end("c1")
		},
		events: []string{
			"5s ring c1 1002",
			"6s finished c1 answered",
		},
		records: []CallRecord{answeredRecord("c1", "1002", 5, 5, 5, 6)},
	}, {
		name: "FIFO among five calls and two agents",
		run: func(e *env) {
			e.login("1001")
			e.to(1)
			e.login("1002")
			e.to(2)
			e.enqueue("c1")
			e.to(3)
			e.enqueue("c2")
			e.to(4)
			e.answer("c1", "1001")
			e.answer("c2", "1002")
			e.enqueue("c3")
			e.to(5)
			e.enqueue("c4")
			e.to(6)
			e.enqueue("c5")
			e.to(10)
			e.end("c2") // 1002 wraps up until 20s
			e.to(12)
			e.end("c1") // 1001 wraps up until 22s
			e.to(21)
			e.answer("c3", "1002")
			e.to(23)
			e.answer("c4", "1001")
			e.to(30)
			e.end("c3")
			e.to(41)
			e.answer("c5", "1002")
			e.to(42)
			e.end("c4")
			e.to(43)
			e.end("c5")
		},
		events: []string{
			"2s ring c1 1001",
			"3s ring c2 1002",
			"10s finished c2 answered",
			"12s finished c1 answered",
			"20s ring c3 1002",
			"22s ring c4 1001",
			"30s finished c3 answered",
			"40s ring c5 1002",
			"42s finished c4 answered",
			"43s finished c5 answered",
		},
		records: []CallRecord{
			answeredRecord("c2", "1002", 3, 3, 4, 10),
			answeredRecord("c1", "1001", 2, 2, 4, 12),
			answeredRecord("c3", "1002", 4, 20, 21, 30),
			answeredRecord("c4", "1001", 5, 22, 23, 42),
			answeredRecord("c5", "1002", 6, 40, 41, 43),
		},
	}, {
		name: "switch calling back from inside Ring",
		run: func(e *env) {
			e.login("1001")
			e.to(1)
			e.login("1002")
			// 1001's phone is unreachable: the SIP layer rejects at once,
			// from inside the callback.
			e.rec.onRing = func(callID, ext string) {
				if ext == "1001" {
					if err := e.q.AgentRejected(callID, ext); err != nil {
						e.t.Errorf("AgentRejected from Ring: %v", err)
					}
				}
			}
			e.to(2)
			e.enqueue("c1")
			e.to(3)
			e.answer("c1", "1002")
			e.end("c1")
		},
		events: []string{
			"2s ring c1 1001",
			"2s ring c1 1002",
			"3s finished c1 answered",
		},
		records: []CallRecord{{
			CallID: "c1", Caller: caller("c1"), Outcome: OutcomeAnswered, Agent: "1002",
			Enqueued: ts(2), Wait: secs(1), Ring: secs(1),
			TalkStart: ts(3), TalkEnd: ts(3), Ended: ts(3),
			Offers: []Offer{
				offer("1001", 2, 2, OfferRejected),
				offer("1002", 2, 3, OfferAnswered),
			},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.cfg)
			tt.run(e)
			// Every scenario ends with all its calls finished: nothing may
			// happen later, and no timer may be left behind.
			e.clock.Advance(time.Hour)
			if diff := cmp.Diff(tt.events, e.rec.events); diff != "" {
				t.Errorf("callbacks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.records, e.rec.records); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if n := e.clock.Pending(); n != 0 {
				t.Errorf("%d timers left pending", n)
			}
			if w := e.q.Snapshot().Waiting; len(w) != 0 {
				t.Errorf("calls left waiting: %v", w)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.login("1001", "1002")
	e.enqueue("c1") // rings 1001
	e.enqueue("c2") // rings 1002
	e.status("1002", StatusBreak)
	e.enqueue("c3")

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"empty call ID", second(e.q.Enqueue("", "110")), nil},
		{"duplicate call", second(e.q.Enqueue("c1", "110")), ErrDuplicateCall},
		{"answer unknown call", e.q.Answered("c9", "1001"), ErrUnknownCall},
		{"answer at the wrong phone", e.q.Answered("c1", "1002"), ErrStaleOffer},
		{"answer a waiting call", e.q.Answered("c2", "1002"), ErrStaleOffer},
		{"reject at the wrong phone", e.q.AgentRejected("c1", "1003"), ErrStaleOffer},
		{"end an unanswered call", e.q.CallEnded("c1"), ErrNotTalking},
		{"end unknown call", e.q.CallEnded("c9"), ErrUnknownCall},
		{"hang up unknown call", e.q.Hangup("c9"), ErrUnknownCall},
		{"invalid status", e.q.SetStatus("1001", Status(7)), ErrBadStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(tt.err, tt.want) {
				t.Fatalf("error %v, want %v", tt.err, tt.want)
			}
		})
	}

	// Only 1001 is free when c1's ring times out, so c1 rings 1001 again.
	e.to(15)
	want := []string{
		"0s ring c1 1001",
		"0s ring c2 1002",
		"0s cancel c2 1002",
		"15s cancel c1 1001",
		"15s ring c1 1001",
	}
	if diff := cmp.Diff(want, e.rec.events); diff != "" {
		t.Errorf("callbacks (-want +got):\n%s", diff)
	}

	t.Run("late answer after the ring moved on", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, Config{})
		e.login("1001", "1002")
		e.enqueue("c1")
		e.to(15) // c1 now rings 1002
		if err := e.q.Answered("c1", "1001"); !errors.Is(err, ErrStaleOffer) {
			t.Fatalf("late Answered = %v, want ErrStaleOffer", err)
		}
		if err := e.q.AgentRejected("c1", "1001"); !errors.Is(err, ErrStaleOffer) {
			t.Fatalf("late AgentRejected = %v, want ErrStaleOffer", err)
		}
		e.answer("c1", "1002")
	})
}

func second[T any](_ T, err error) error { return err }

func TestSnapshot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.login("1002")
	e.to(1)
	e.login("1001")
	e.status("1001", StatusBreak)
	e.q.SetRegistered("1003", true)
	e.to(2)
	e.enqueue("c1")
	e.to(3)
	e.enqueue("c2")
	e.to(4)
	e.enqueue("c3")
	e.to(6)
	e.answer("c1", "1002")
	e.hangup("c2")
	e.to(7)
	e.enqueue("c4")
	e.to(10)

	got := e.q.Snapshot()
	want := Snapshot{
		At: ts(10),
		Waiting: []WaitingCall{
			{CallID: "c3", Caller: caller("c3"), Waited: secs(6)},
			{CallID: "c4", Caller: caller("c4"), Waited: secs(3)},
		},
		Agents: []AgentInfo{
			{Ext: "1001", Registered: true, Status: StatusBreak, IdleSince: ts(1)},
			{Ext: "1002", Registered: true, Status: StatusAvailable, State: StateTalking,
				IdleSince: ts(0), CallID: "c1"},
			{Ext: "1003", Registered: true, Status: StatusSignedOut},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}

	e.status("1001", StatusAvailable)
	got = e.q.Snapshot()
	if w := got.Waiting[0]; w.CallID != "c3" || w.Ringing != "1001" {
		t.Errorf("head of the queue = %+v, want c3 ringing 1001", w)
	}

	// The board serves the snapshot as JSON, where the enums read as words.
	b, err := json.Marshal(got.Agents[0])
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, `"Status":"available"`) || !strings.Contains(s, `"State":"ringing"`) {
		t.Errorf("JSON %s lacks the status and state words", s)
	}
	if _, err := json.Marshal(Status(9)); err == nil {
		t.Error("an invalid status marshalled without error")
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{StatusSignedOut.String(), "signed_out"},
		{StatusAvailable.String(), "available"},
		{StatusBreak.String(), "break"},
		{Status(-1).String(), "Status(-1)"},
		{StateIdle.String(), "idle"},
		{StateRinging.String(), "ringing"},
		{StateTalking.String(), "talking"},
		{StateWrapUp.String(), "wrapup"},
		{AgentState(4).String(), "AgentState(4)"},
		{Queued.String(), "queued"},
		{Refused.String(), "refused"},
		{Result(2).String(), "Result(2)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	got := Config{}.withDefaults()
	want := Config{RingTimeout: 15 * time.Second, MaxMissed: 2, WrapUp: 10 * time.Second, MaxWait: time.Minute}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	custom := Config{RingTimeout: time.Second, MaxMissed: -1, WrapUp: -1, MaxWait: -1}
	if got := custom.withDefaults(); got != custom {
		t.Errorf("explicit values changed to %+v", got)
	}
}

// benchSwitch remembers the last ring so that the benchmark can answer it.
type benchSwitch struct{ ext string }

func (s *benchSwitch) Ring(_, ext string)      { s.ext = ext }
func (s *benchSwitch) CancelRing(_, _ string)  {}
func (s *benchSwitch) Abandon(string, Outcome) {}
func (s *benchSwitch) AgentPaused(string)      {}
func (s *benchSwitch) Finished(CallRecord)     {}

func BenchmarkEnqueueAnswer(b *testing.B) {
	clock := NewFakeClock(t0)
	sw := &benchSwitch{}
	q := New(Config{}, clock, sw)
	for i := range 50 {
		ext := fmt.Sprint(1001 + i)
		q.SetRegistered(ext, true)
		if err := q.SetStatus(ext, StatusAvailable); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprint("call-", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		i++
		sw.ext = ""
		if res, err := q.Enqueue(id, "13800138000"); err != nil || res != Queued {
			b.Fatal(res, err)
		}
		if sw.ext == "" {
			b.Fatal("no agent rung")
		}
		if err := q.Answered(id, sw.ext); err != nil {
			b.Fatal(err)
		}
		if err := q.CallEnded(id); err != nil {
			b.Fatal(err)
		}
		// One call a second against a 10s wrap-up keeps 40 of 50 agents free.
		clock.Advance(time.Second)
	}
}

// panicSwitch panics on the first Finished, as a buggy statistics writer
// might.
type panicSwitch struct {
	recorder
	panicked bool
}

func (s *panicSwitch) Finished(rec CallRecord) {
	if !s.panicked {
		s.panicked = true
		panic("statistics down")
	}
	s.recorder.Finished(rec)
}

func TestCallbackPanicDoesNotJamTheQueue(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(t0)
	sw := &panicSwitch{recorder: recorder{clock: clock}}
	q := New(Config{}, clock, sw)
	q.SetRegistered("1001", true)
	if err := q.SetStatus("1001", StatusAvailable); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue("c1", caller("c1")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue("c2", caller("c2")); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "statistics down" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = q.Hangup("c1") // cancel c1, lose c1's record, then ring c2
	}()
	// The callbacks queued behind the panic go out with the next change.
	if err := q.Hangup("c2"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0s ring c1 1001",
		"0s cancel c1 1001",
		"0s ring c2 1001",
		"0s cancel c2 1001",
		"0s finished c2 abandoned_ringing",
	}
	if diff := cmp.Diff(want, sw.events); diff != "" {
		t.Errorf("callbacks (-want +got):\n%s", diff)
	}
}
