package acd

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// model is a Switch that keeps its own view of every agent and call, built
// only from what the test told the queue and what the queue called back, and
// checks each callback against it.
type model struct {
	t     *testing.T
	clock *FakeClock
	cfg   Config

	registered map[string]bool
	status     map[string]Status
	ringing    map[string]string // ext -> call ringing there
	ringCall   map[string]string // call -> ext it rings
	talking    map[string]string // ext -> call
	talkCall   map[string]string // call -> ext
	wrapUntil  map[string]time.Time

	live     map[string]bool // enqueued, not yet finished
	finished map[string]int
	outcomes map[Outcome]int
	rings    int
	pauses   int
}

func newModel(t *testing.T, clock *FakeClock, cfg Config) *model {
	return &model{
		t: t, clock: clock, cfg: cfg.withDefaults(),
		registered: map[string]bool{}, status: map[string]Status{},
		ringing: map[string]string{}, ringCall: map[string]string{},
		talking: map[string]string{}, talkCall: map[string]string{},
		wrapUntil: map[string]time.Time{}, live: map[string]bool{},
		finished: map[string]int{}, outcomes: map[Outcome]int{},
	}
}

func (m *model) Ring(callID, ext string) {
	m.rings++
	now := m.clock.Now()
	switch {
	case !m.live[callID]:
		m.t.Errorf("ring %s %s: call is not live", callID, ext)
	case m.ringCall[callID] != "":
		m.t.Errorf("ring %s %s: call already rings %s", callID, ext, m.ringCall[callID])
	case m.ringing[ext] != "":
		m.t.Errorf("ring %s %s: agent already rung with %s", callID, ext, m.ringing[ext])
	case m.talking[ext] != "":
		m.t.Errorf("ring %s %s: agent is talking on %s", callID, ext, m.talking[ext])
	case now.Before(m.wrapUntil[ext]):
		m.t.Errorf("ring %s %s: agent wraps up until %v", callID, ext, m.wrapUntil[ext])
	case m.status[ext] != StatusAvailable:
		m.t.Errorf("ring %s %s: agent status is %v", callID, ext, m.status[ext])
	case !m.registered[ext]:
		m.t.Errorf("ring %s %s: phone not registered", callID, ext)
	}
	m.ringing[ext], m.ringCall[callID] = callID, ext
}

func (m *model) CancelRing(callID, ext string) {
	if m.ringing[ext] != callID {
		m.t.Errorf("cancel %s %s: not ringing there", callID, ext)
	}
	m.stopRing(callID)
}

func (m *model) stopRing(callID string) {
	delete(m.ringing, m.ringCall[callID])
	delete(m.ringCall, callID)
}

func (m *model) Abandon(callID string, reason Outcome) {
	if !m.live[callID] || m.ringCall[callID] != "" || m.talkCall[callID] != "" {
		m.t.Errorf("abandon %s %s: call live=%v ringing=%q talking=%q",
			callID, reason, m.live[callID], m.ringCall[callID], m.talkCall[callID])
	}
	if reason != OutcomeMaxWait && reason != OutcomeNoAgent {
		m.t.Errorf("abandon %s: reason %s", callID, reason)
	}
}

func (m *model) AgentPaused(ext string) {
	m.pauses++
	if m.status[ext] != StatusAvailable {
		m.t.Errorf("paused %s: status was %v", ext, m.status[ext])
	}
	m.status[ext] = StatusBreak
}

func (m *model) Finished(rec CallRecord) {
	id := rec.CallID
	m.finished[id]++
	m.outcomes[rec.Outcome]++
	if m.finished[id] > 1 {
		m.t.Errorf("call %s finished %d times", id, m.finished[id])
	}
	if m.ringCall[id] != "" || m.talkCall[id] != "" {
		m.t.Errorf("call %s finished while ringing %q / talking %q", id, m.ringCall[id], m.talkCall[id])
	}
	var ring time.Duration
	for _, o := range rec.Offers {
		ring += o.Until.Sub(o.At)
	}
	if ring != rec.Ring || rec.Ring > rec.Wait || !rec.Ended.Equal(m.clock.Now()) {
		m.t.Errorf("call %s: inconsistent record %+v", id, rec)
	}
	if (rec.Outcome == OutcomeAnswered) != (rec.Agent != "") {
		m.t.Errorf("call %s: outcome %s with agent %q", id, rec.Outcome, rec.Agent)
	}
	delete(m.live, id)
}

func (m *model) anySignedIn() bool {
	for ext, reg := range m.registered {
		if reg && m.status[ext] != StatusSignedOut {
			return true
		}
	}
	return false
}

// sorted returns the keys in order, so that random picks depend only on the
// seed and not on map iteration.
func sorted[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// TestRandomOperations drives the queue with many random operations from a
// fixed seed and checks the invariants after every step: every call finishes
// exactly once, an agent is never rung with two calls, and nobody on break,
// signed out, unregistered, talking or wrapping up is ever rung.
func TestRandomOperations(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3, 12345} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			randomRun(t, seed)
		})
	}
}

func randomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 12345))
	clock := NewFakeClock(t0)
	cfg := Config{}
	m := newModel(t, clock, cfg)
	q := New(cfg, clock, m)
	exts := []string{"1001", "1002", "1003", "1004", "1005"}
	statuses := []Status{StatusAvailable, StatusAvailable, StatusBreak, StatusSignedOut}
	pick := func(keys []string) string { return keys[rng.IntN(len(keys))] }
	next := 0

	answer := func(callID string) {
		ext := m.ringCall[callID]
		if err := q.Answered(callID, ext); err != nil {
			t.Fatalf("Answered(%s, %s): %v", callID, ext, err)
		}
		m.stopRing(callID)
		m.talking[ext], m.talkCall[callID] = callID, ext
	}
	// endTalk updates the model first because the queue reports Finished
	// before CallEnded or Hangup returns.
	endTalk := func(callID string, end func(string) error) {
		ext := m.talkCall[callID]
		delete(m.talking, ext)
		delete(m.talkCall, callID)
		m.wrapUntil[ext] = clock.Now().Add(m.cfg.WrapUp)
		if err := end(callID); err != nil {
			t.Fatalf("ending %s: %v", callID, err)
		}
	}

	for step := range 5000 {
		switch op := rng.IntN(100); {
		case op < 20:
			next++
			id := fmt.Sprint("c", next)
			want := Queued
			if !m.anySignedIn() {
				want = Refused
			}
			m.live[id] = true
			res, err := q.Enqueue(id, "1380013"+id)
			if err != nil || res != want {
				t.Fatalf("step %d: Enqueue(%s) = %v, %v; want %v", step, id, res, err, want)
			}
			if res == Refused && m.finished[id] != 1 {
				t.Fatalf("step %d: refused %s not reported", step, id)
			}
		case op < 40:
			clock.Advance(time.Duration(rng.IntN(20000)) * time.Millisecond)
		case op < 46:
			ext := pick(exts)
			reg := rng.IntN(3) > 0
			m.registered[ext] = reg
			q.SetRegistered(ext, reg)
		case op < 54:
			ext := pick(exts)
			s := statuses[rng.IntN(len(statuses))]
			m.status[ext] = s
			if err := q.SetStatus(ext, s); err != nil {
				t.Fatal(err)
			}
		case op < 68:
			if len(m.ringCall) > 0 {
				answer(pick(sorted(m.ringCall)))
			}
		case op < 74:
			if len(m.ringCall) > 0 {
				id := pick(sorted(m.ringCall))
				ext := m.ringCall[id]
				m.stopRing(id)
				if err := q.AgentRejected(id, ext); err != nil {
					t.Fatalf("step %d: AgentRejected(%s, %s): %v", step, id, ext, err)
				}
			}
		case op < 80:
			if len(m.live) > 0 {
				id := pick(sorted(m.live))
				if m.talkCall[id] != "" {
					endTalk(id, q.Hangup)
				} else if err := q.Hangup(id); err != nil {
					t.Fatalf("step %d: Hangup(%s): %v", step, id, err)
				}
			}
		case op < 94:
			if len(m.talkCall) > 0 {
				endTalk(pick(sorted(m.talkCall)), q.CallEnded)
			}
		default:
			// Stray SIP events must be refused without side effects.
			if len(m.live) > 0 {
				id := pick(sorted(m.live))
				ext := pick(exts)
				if m.ringCall[id] != ext {
					if err := q.Answered(id, ext); !errors.Is(err, ErrStaleOffer) {
						t.Fatalf("step %d: stray Answered(%s, %s) = %v", step, id, ext, err)
					}
				}
				if m.talkCall[id] == "" {
					if err := q.CallEnded(id); !errors.Is(err, ErrNotTalking) {
						t.Fatalf("step %d: stray CallEnded(%s) = %v", step, id, err)
					}
				}
			}
		}
		checkSnapshot(t, step, q.Snapshot(), m)
		if t.Failed() {
			t.Fatalf("invariant broken at step %d", step)
		}
	}

	// Wind down: answer and end whatever is left; waiting calls end by
	// MaxWait at the latest.
	for len(m.live) > 0 {
		for _, id := range sorted(m.ringCall) {
			answer(id)
		}
		for _, id := range sorted(m.talkCall) {
			endTalk(id, q.CallEnded)
		}
		clock.Advance(30 * time.Second)
	}
	clock.Advance(time.Hour)
	for i := 1; i <= next; i++ {
		if id := fmt.Sprint("c", i); m.finished[id] != 1 {
			t.Errorf("call %s finished %d times", id, m.finished[id])
		}
	}
	if n := clock.Pending(); n != 0 {
		t.Errorf("%d timers left pending", n)
	}
	// The run is only meaningful if it reached every outcome.
	for _, o := range []Outcome{OutcomeAnswered, OutcomeAbandonedQueue, OutcomeAbandonedRinging, OutcomeNoAgent, OutcomeMaxWait} {
		if m.outcomes[o] == 0 {
			t.Errorf("no call ended %s", o)
		}
	}
	if m.pauses == 0 {
		t.Error("no agent was ever paused")
	}
	t.Logf("%d calls, %d rings, %d pauses, outcomes %v", next, m.rings, m.pauses, m.outcomes)
}

// checkSnapshot compares the queue's view with the model's.
func checkSnapshot(t *testing.T, step int, s Snapshot, m *model) {
	t.Helper()
	for _, a := range s.Agents {
		want := StateIdle
		switch {
		case m.ringing[a.Ext] != "":
			want = StateRinging
		case m.talking[a.Ext] != "":
			want = StateTalking
		case s.At.Before(m.wrapUntil[a.Ext]):
			want = StateWrapUp
		}
		if a.State != want || a.Status != m.status[a.Ext] || a.Registered != m.registered[a.Ext] {
			t.Errorf("step %d: agent %+v, model says %v %v registered=%v",
				step, a, want, m.status[a.Ext], m.registered[a.Ext])
		}
		if want == StateRinging && a.CallID != m.ringing[a.Ext] || want == StateTalking && a.CallID != m.talking[a.Ext] {
			t.Errorf("step %d: agent %s on call %q", step, a.Ext, a.CallID)
		}
	}
	// With nobody on shift no call may be left waiting for ever.
	if !m.anySignedIn() && len(s.Waiting) > 0 {
		t.Errorf("step %d: nobody signed in but %d calls wait", step, len(s.Waiting))
	}
	var prev time.Time
	for _, w := range s.Waiting {
		if !m.live[w.CallID] || m.talkCall[w.CallID] != "" || w.Ringing != m.ringCall[w.CallID] {
			t.Errorf("step %d: waiting %+v does not match the model", step, w)
		}
		at := s.At.Add(-w.Waited)
		if at.Before(prev) {
			t.Errorf("step %d: waiting calls out of order", step)
		}
		prev = at
	}
}

// TestConcurrentUse hammers one queue from several goroutines, including
// the one advancing the clock, so that the race detector can see the
// locking. The model test above covers correctness; here only "finished
// exactly once" is checked.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(t0)
	sw := &concurrentSwitch{finished: map[string]int{}}
	q := New(Config{}, clock, sw)
	for i := range 8 {
		ext := fmt.Sprint(1001 + i)
		q.SetRegistered(ext, true)
		if err := q.SetStatus(ext, StatusAvailable); err != nil {
			t.Fatal(err)
		}
	}

	const workers, perWorker = 8, 300
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perWorker {
				switch rng.IntN(6) {
				case 0, 1:
					_, _ = q.Enqueue(fmt.Sprintf("w%d-%d", w, i), "13800138000")
				case 2:
					if r, ok := sw.takeRing(); ok {
						if q.Answered(r[0], r[1]) == nil {
							_ = q.CallEnded(r[0])
						}
					}
				case 3:
					clock.Advance(time.Duration(rng.IntN(5)) * time.Second)
				case 4:
					ext := fmt.Sprint(1001 + rng.IntN(8))
					_ = q.SetStatus(ext, StatusAvailable)
				case 5:
					_ = q.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	for len(q.Snapshot().Waiting) > 0 {
		clock.Advance(time.Minute)
	}
	clock.Advance(time.Hour)

	sw.mu.Lock()
	defer sw.mu.Unlock()
	for id, n := range sw.finished {
		if n != 1 {
			t.Errorf("call %s finished %d times", id, n)
		}
	}
	if len(sw.finished) == 0 {
		t.Error("no call finished")
	}
	if n := clock.Pending(); n != 0 {
		t.Errorf("%d timers left pending", n)
	}
}

type concurrentSwitch struct {
	mu       sync.Mutex
	rings    [][2]string
	finished map[string]int
}

func (s *concurrentSwitch) Ring(callID, ext string) {
	s.mu.Lock()
	s.rings = append(s.rings, [2]string{callID, ext})
	s.mu.Unlock()
}

func (s *concurrentSwitch) takeRing() ([2]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rings) == 0 {
		return [2]string{}, false
	}
	r := s.rings[0]
	s.rings = s.rings[1:]
	return r, true
}

func (s *concurrentSwitch) CancelRing(string, string) {}
func (s *concurrentSwitch) Abandon(string, Outcome)   {}
func (s *concurrentSwitch) AgentPaused(string)        {}
func (s *concurrentSwitch) Finished(rec CallRecord) {
	s.mu.Lock()
	s.finished[rec.CallID]++
	s.mu.Unlock()
}
