// Package acd is the automatic call distributor (ACD): the call queue of the
// 12345 hotline. The SIP layer hands it every incoming call; the queue keeps
// the calls in arrival order and decides which agent's phone rings, and tells
// the SIP layer what to do through the Switch interface. It speaks no SIP and
// starts no goroutines: time comes from an injected Clock.
//
// The SIP layer drives a Queue like this:
//
//   - the registrar calls SetRegistered on REGISTER and on expiry;
//   - the agent console calls SetStatus on sign-in, break and sign-out;
//   - an incoming INVITE becomes Enqueue; on Refused answer 480;
//   - Switch.Ring means INVITE the agent; a 200 becomes Answered, a 486 or
//     603 becomes AgentRejected, and Switch.CancelRing means CANCEL that INVITE;
//   - the caller's CANCEL or BYE becomes Hangup, the end of an answered call
//     (BYE from either side) becomes CallEnded;
//   - Switch.Abandon means play the closing announcement and hang up;
//   - Switch.Finished carries the call's record for the statistics.
//
// The queue identifies an offer by call and extension only. If an agent who
// missed a call is rung with it again (nobody else was free) and the old
// INVITE answers after all, Answered accepts it as the answer to the current
// offer; the SIP layer then cancels whichever leg to that phone is left.
// Events that match no current offer return ErrStaleOffer or ErrUnknownCall.
package acd

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Defaults for the zero Config.
const (
	DefaultRingTimeout = 15 * time.Second
	DefaultMaxMissed   = 2
	DefaultWrapUp      = 10 * time.Second
	DefaultMaxWait     = 60 * time.Second
)

// Config tunes a Queue. Zero fields take the defaults above.
type Config struct {
	// RingTimeout is how long an agent's phone rings before the offer is
	// withdrawn and counted as missed.
	RingTimeout time.Duration
	// MaxMissed is how many offers in a row an agent may miss before the
	// queue puts them on break, so that an absent agent with a registered
	// phone does not delay every caller by a ring timeout. Negative: never.
	MaxMissed int
	// WrapUp is the after-call time before an agent is offered the next
	// call. Negative: none.
	WrapUp time.Duration
	// MaxWait is the longest a call may stay unanswered. A call that is
	// ringing when it expires keeps ringing, because the agent may be about
	// to pick up; if that offer fails, the call ends. Negative: no limit.
	MaxWait time.Duration
}

func (c Config) withDefaults() Config {
	if c.RingTimeout <= 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.MaxMissed == 0 {
		c.MaxMissed = DefaultMaxMissed
	}
	if c.WrapUp == 0 {
		c.WrapUp = DefaultWrapUp
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	return c
}

// Switch is what the queue asks of the SIP layer.
//
// The queue calls it one method at a time, in the order the decisions were
// made, and never while holding its lock, so an implementation may call back
// into the Queue (for example report AgentRejected from inside Ring when the
// agent's phone is unreachable). Normally the callbacks run before the Queue
// method that caused them returns; if another goroutine is already
// delivering callbacks, that goroutine delivers them instead, which keeps
// the order.
type Switch interface {
	// Ring offers the call to the agent: INVITE the extension and bridge the
	// caller if it answers.
	Ring(callID, ext string)
	// CancelRing withdraws an offer that the agent has not answered.
	CancelRing(callID, ext string)
	// Abandon ends a waiting call for reason OutcomeMaxWait or
	// OutcomeNoAgent, for example after a closing announcement.
	Abandon(callID string, reason Outcome)
	// AgentPaused reports that the queue put the agent on break after
	// MaxMissed missed offers, so the console can show it.
	AgentPaused(ext string)
	// Finished reports the call's record, exactly once per call.
	Finished(rec CallRecord)
}

// Queue is the call queue. Its methods are safe for concurrent use; one
// mutex guards all state.
type Queue struct {
	cfg   Config
	clock Clock
	sw    Switch

	mu      sync.Mutex
	agents  map[string]*agent
	calls   map[string]*call // every call not yet finished
	waiting []*call          // calls not ringing and not answered, oldest first
	seq     uint64           // orders calls and offers; also tokens for timers

	// outbox holds the Switch callbacks decided under mu; outbox[sent:] are
	// still to be delivered, after mu is released, by whichever goroutine
	// has set delivering.
	outbox     []action
	sent       int
	delivering bool
}

type callState int

const (
	callWaiting callState = iota
	callRinging
	callTalking
)

type call struct {
	seq   uint64
	state callState
	agent string // extension ringing or talking
	offer uint64 // token of the current offer, so a stale ring timer is ignored
	// tried maps each extension already offered this call to that offer's
	// sequence number, so that a call that was missed goes to someone else
	// first, and round-robin if everyone free has missed it.
	tried map[string]uint64
	// unable are the extensions whose phones cannot take this call (no codec in common): never
	// offered it again, and not counted as having missed it.
	unable    map[string]bool
	ringTimer Timer
	waitTimer Timer
	expired   bool // MaxWait passed during a ring: end the call if it fails
	rec       CallRecord
}

type agent struct {
	ext        string
	registered bool
	status     Status
	state      AgentState
	callID     string
	idleSince  time.Time
	missed     int
	wrapToken  uint64 // identifies the current wrap-up, so a stale timer is ignored
}

// offerable reports whether the agent may be rung now.
func (a *agent) offerable() bool {
	return a.registered && a.status == StatusAvailable && a.state == StateIdle
}

// signedIn reports whether the agent counts as staff on shift: calls wait
// for them, even while they are busy or on break.
func (a *agent) signedIn() bool {
	return a.registered && a.status != StatusSignedOut
}

type actionKind int

const (
	actRing actionKind = iota
	actCancelRing
	actAbandon
	actPaused
	actFinished
)

type action struct {
	kind   actionKind
	callID string
	ext    string
	reason Outcome
	rec    CallRecord
}

// New returns an empty Queue. A nil clock means SystemClock.
func New(cfg Config, clock Clock, sw Switch) *Queue {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Queue{
		cfg:    cfg.withDefaults(),
		clock:  clock,
		sw:     sw,
		agents: make(map[string]*agent),
		calls:  make(map[string]*call),
	}
}

// Enqueue accepts a new call from caller. If nobody is signed in it returns
// Refused (and reports the call as finished with OutcomeNoAgent); otherwise
// the call joins the end of the queue and, if an agent is free and no older
// call waits, rings at once.
func (q *Queue) Enqueue(callID, caller string) (Result, error) {
	if callID == "" {
		return 0, fmt.Errorf("acd: empty call ID")
	}
	q.mu.Lock()
	defer q.unlockAndDeliver()
	if _, dup := q.calls[callID]; dup {
		return 0, fmt.Errorf("%w: %s", ErrDuplicateCall, callID)
	}
	now := q.clock.Now()
	if !q.anySignedIn() {
		q.emit(action{kind: actFinished, rec: CallRecord{
			CallID: callID, Caller: caller, Outcome: OutcomeNoAgent,
			Enqueued: now, Ended: now,
		}})
		return Refused, nil
	}
	q.seq++
	c := &call{seq: q.seq, rec: CallRecord{CallID: callID, Caller: caller, Enqueued: now}}
	q.calls[callID] = c
	q.waiting = append(q.waiting, c)
	if q.cfg.MaxWait > 0 {
		c.waitTimer = q.clock.AfterFunc(q.cfg.MaxWait, func() { q.maxWaitExpired(c) })
	}
	q.dispatch()
	return Queued, nil
}

// SetRegistered records whether the agent's phone is registered, creating
// the agent on first sight. Repeating the current value (a REGISTER refresh)
// changes nothing. Losing registration while ringing withdraws the offer.
func (q *Queue) SetRegistered(ext string, registered bool) {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	a := q.agent(ext)
	if a.registered == registered {
		return
	}
	a.registered = registered
	if registered {
		if a.status == StatusAvailable && a.state == StateIdle {
			a.idleSince = q.clock.Now()
		}
	} else {
		q.withdraw(a)
		q.endIfNobodySignedIn()
	}
	q.dispatch()
}

// SetStatus records the agent's console status, creating the agent on first
// sight. Going on break or signing out while ringing withdraws the offer and
// the call goes to the next agent; becoming available clears the missed
// streak and starts the agent's idle time.
func (q *Queue) SetStatus(ext string, status Status) error {
	if !status.valid() {
		return fmt.Errorf("%w: %d", ErrBadStatus, int(status))
	}
	q.mu.Lock()
	defer q.unlockAndDeliver()
	a := q.agent(ext)
	if a.status == status {
		return nil
	}
	a.status = status
	if status == StatusAvailable {
		a.missed = 0
		if a.state == StateIdle {
			a.idleSince = q.clock.Now()
		}
	} else {
		q.withdraw(a)
		q.endIfNobodySignedIn()
	}
	q.dispatch()
	return nil
}

// Answered reports that ext picked up callID: the call leaves the queue and
// the agent is busy until CallEnded. It returns ErrStaleOffer if the call is
// not ringing there, for example because the ring timed out just before.
func (q *Queue) Answered(callID, ext string) error {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	c, a, err := q.ringingAt(callID, ext)
	if err != nil {
		return err
	}
	now := q.clock.Now()
	q.closeOffer(c, now, OfferAnswered)
	if c.waitTimer != nil {
		c.waitTimer.Stop()
	}
	c.state = callTalking
	c.rec.Agent = ext
	c.rec.TalkStart = now
	c.rec.Wait = now.Sub(c.rec.Enqueued)
	a.state = StateTalking
	a.missed = 0
	return nil
}

// AgentRejected reports that ext declined callID or was busy. It counts as a
// missed offer, like a ring timeout, and the call goes to the next agent.
// The queue does not send CancelRing: the INVITE already failed.
func (q *Queue) AgentRejected(callID, ext string) error {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	c, _, err := q.ringingAt(callID, ext)
	if err != nil {
		return err
	}
	q.failOffer(c, OfferRejected)
	q.dispatch()
	return nil
}

// AgentUnable reports that ext's phone cannot take callID at all: it refused the offer for
// want of a codec in common (488, 415, 606). That is no missed offer — the agent is not paused
// for it, however many such calls come — and the call is never offered to ext again but goes
// to the next agent, or waits.
func (q *Queue) AgentUnable(callID, ext string) error {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	c, _, err := q.ringingAt(callID, ext)
	if err != nil {
		return err
	}
	if c.unable == nil {
		c.unable = make(map[string]bool)
	}
	c.unable[ext] = true
	q.failOffer(c, OfferUnable)
	q.dispatch()
	return nil
}

// Hangup reports that the caller hung up. A waiting call ends as
// abandoned_queue; a ringing call has its ring cancelled and ends as
// abandoned_ringing; an answered call ends as by CallEnded.
func (q *Queue) Hangup(callID string) error {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	c := q.calls[callID]
	if c == nil {
		return fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	switch c.state {
	case callWaiting:
		q.unwait(c)
		q.finish(c, OutcomeAbandonedQueue)
	case callRinging:
		a := q.agents[c.agent]
		q.closeOffer(c, q.clock.Now(), OfferCallerHangup)
		q.emit(action{kind: actCancelRing, callID: callID, ext: a.ext})
		a.state, a.callID = StateIdle, ""
		q.finish(c, OutcomeAbandonedRinging)
	case callTalking:
		q.endTalk(c)
	}
	q.dispatch()
	return nil
}

// CallEnded reports the end of an answered call. The call is reported as
// finished and the agent starts wrap-up, after which the queue offers them
// the next call.
func (q *Queue) CallEnded(callID string) error {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	c := q.calls[callID]
	if c == nil {
		return fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	if c.state != callTalking {
		return fmt.Errorf("%w: %s", ErrNotTalking, callID)
	}
	q.endTalk(c)
	q.dispatch()
	return nil
}

// Snapshot returns the queue's current state for the console and the board.
func (q *Queue) Snapshot() Snapshot {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	s := Snapshot{At: now, Agents: make([]AgentInfo, 0, len(q.agents))}
	for _, c := range q.calls {
		if c.state == callTalking {
			continue
		}
		w := WaitingCall{CallID: c.rec.CallID, Caller: c.rec.Caller, Waited: now.Sub(c.rec.Enqueued)}
		if c.state == callRinging {
			w.Ringing = c.agent
		}
		s.Waiting = append(s.Waiting, w)
	}
	slices.SortFunc(s.Waiting, func(x, y WaitingCall) int {
		return cmpUint(q.calls[x.CallID].seq, q.calls[y.CallID].seq)
	})
	for _, a := range q.agents {
		s.Agents = append(s.Agents, AgentInfo{
			Ext: a.ext, Registered: a.registered, Status: a.status, State: a.state,
			IdleSince: a.idleSince, MissedStreak: a.missed, CallID: a.callID,
		})
	}
	slices.SortFunc(s.Agents, func(x, y AgentInfo) int {
		switch {
		case x.Ext < y.Ext:
			return -1
		case x.Ext > y.Ext:
			return 1
		}
		return 0
	})
	return s
}

func cmpUint(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// The methods below run with q.mu held.

func (q *Queue) agent(ext string) *agent {
	a := q.agents[ext]
	if a == nil {
		a = &agent{ext: ext}
		q.agents[ext] = a
	}
	return a
}

func (q *Queue) anySignedIn() bool {
	for _, a := range q.agents {
		if a.signedIn() {
			return true
		}
	}
	return false
}

func (q *Queue) ringingAt(callID, ext string) (*call, *agent, error) {
	c := q.calls[callID]
	if c == nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrUnknownCall, callID)
	}
	if c.state != callRinging || c.agent != ext {
		return nil, nil, fmt.Errorf("%w: %s at %s", ErrStaleOffer, callID, ext)
	}
	return c, q.agents[ext], nil
}

// dispatch offers waiting calls, oldest first, while there are free agents.
// Only the head of the queue is ever offered, which keeps callers in order.
func (q *Queue) dispatch() {
	for i := 0; i < len(q.waiting); {
		c := q.waiting[i]
		a := q.pick(c)
		if a == nil {
			if len(c.unable) == 0 {
				return // nobody is free
			}
			i++ // only phones that cannot take this call are free: the next call may go
			continue
		}
		if i == 0 {
			q.waiting[0] = nil
			q.waiting = q.waiting[1:]
		} else {
			q.waiting = slices.Delete(q.waiting, i, i+1)
		}
		q.offer(c, a)
	}
}

// pick chooses the agent for c: agents not yet offered c before agents who
// already missed it (those in the order they were tried), then the longest
// idle, then the lowest extension so that ties are deterministic.
func (q *Queue) pick(c *call) *agent {
	var best *agent
	var bestTried uint64
	for _, a := range q.agents {
		if !a.offerable() || c.unable[a.ext] {
			continue
		}
		tried := c.tried[a.ext]
		if best == nil || tried < bestTried ||
			tried == bestTried && (a.idleSince.Before(best.idleSince) ||
				a.idleSince.Equal(best.idleSince) && a.ext < best.ext) {
			best, bestTried = a, tried
		}
	}
	return best
}

func (q *Queue) offer(c *call, a *agent) {
	q.seq++
	token := q.seq
	if c.tried == nil {
		c.tried = make(map[string]uint64)
	}
	c.tried[a.ext] = token
	c.state, c.agent, c.offer = callRinging, a.ext, token
	a.state, a.callID = StateRinging, c.rec.CallID
	c.rec.Offers = append(c.rec.Offers, Offer{Ext: a.ext, At: q.clock.Now()})
	c.ringTimer = q.clock.AfterFunc(q.cfg.RingTimeout, func() { q.ringTimedOut(c, token) })
	q.emit(action{kind: actRing, callID: c.rec.CallID, ext: a.ext})
}

// closeOffer ends the current offer's bookkeeping; the caller moves the call
// and the agent on.
func (q *Queue) closeOffer(c *call, now time.Time, res OfferResult) {
	if c.ringTimer != nil {
		c.ringTimer.Stop()
		c.ringTimer = nil
	}
	o := &c.rec.Offers[len(c.rec.Offers)-1]
	o.Until, o.Result = now, res
	c.rec.Ring += o.Until.Sub(o.At)
}

// failOffer handles an offer that did not connect while the caller still
// waits: the agent is freed (and paused after too many misses), and the call
// goes back to its place at the head of the queue, or ends if it has already
// waited too long.
func (q *Queue) failOffer(c *call, res OfferResult) {
	a := q.agents[c.agent]
	q.closeOffer(c, q.clock.Now(), res)
	if res != OfferRejected && res != OfferUnable {
		q.emit(action{kind: actCancelRing, callID: c.rec.CallID, ext: a.ext})
	}
	a.state, a.callID = StateIdle, ""
	if res == OfferNoAnswer || res == OfferRejected {
		a.missed++
		if q.cfg.MaxMissed > 0 && a.missed >= q.cfg.MaxMissed && a.status == StatusAvailable {
			a.status = StatusBreak
			q.emit(action{kind: actPaused, ext: a.ext})
		}
	}
	c.state, c.agent = callWaiting, ""
	if c.expired {
		q.finish(c, OutcomeMaxWait)
		return
	}
	// Calls are offered strictly from the head, so the returning call is
	// usually older than all waiting ones; search anyway to keep FIFO exact.
	i, _ := slices.BinarySearchFunc(q.waiting, c.seq, func(w *call, seq uint64) int {
		return cmpUint(w.seq, seq)
	})
	q.waiting = slices.Insert(q.waiting, i, c)
}

// withdraw takes back the offer ringing at a, if any, because the agent is
// no longer available.
func (q *Queue) withdraw(a *agent) {
	if a.state != StateRinging {
		return
	}
	q.failOffer(q.calls[a.callID], OfferWithdrawn)
}

// endIfNobodySignedIn ends the waiting calls when the last agent has left:
// nobody would ever answer them.
func (q *Queue) endIfNobodySignedIn() {
	if len(q.waiting) == 0 || q.anySignedIn() {
		return
	}
	waiting := q.waiting
	q.waiting = nil
	for _, c := range waiting {
		q.finish(c, OutcomeNoAgent)
	}
}

func (q *Queue) unwait(c *call) {
	i := slices.Index(q.waiting, c)
	q.waiting = slices.Delete(q.waiting, i, i+1)
}

func (q *Queue) endTalk(c *call) {
	now := q.clock.Now()
	c.rec.TalkEnd = now
	a := q.agents[c.agent]
	q.finish(c, OutcomeAnswered)
	if q.cfg.WrapUp <= 0 {
		a.state, a.callID, a.idleSince = StateIdle, "", now
		return
	}
	a.state = StateWrapUp
	q.seq++
	token := q.seq
	a.wrapToken = token
	q.clock.AfterFunc(q.cfg.WrapUp, func() { q.wrapUpDone(a, token) })
}

// finish reports the call and forgets it. The caller has already removed it
// from q.waiting and released its agent.
func (q *Queue) finish(c *call, outcome Outcome) {
	if c.ringTimer != nil {
		c.ringTimer.Stop()
	}
	if c.waitTimer != nil {
		c.waitTimer.Stop()
	}
	delete(q.calls, c.rec.CallID)
	now := q.clock.Now()
	c.rec.Outcome = outcome
	c.rec.Ended = now
	if outcome != OutcomeAnswered {
		c.rec.Wait = now.Sub(c.rec.Enqueued)
	}
	if outcome == OutcomeMaxWait || outcome == OutcomeNoAgent {
		q.emit(action{kind: actAbandon, callID: c.rec.CallID, reason: outcome})
	}
	q.emit(action{kind: actFinished, rec: c.rec})
}

func (q *Queue) emit(a action) { q.outbox = append(q.outbox, a) }

// Timer callbacks. Each checks that the state it was armed for still holds,
// because a real timer can fire after Stop was called too late.

func (q *Queue) ringTimedOut(c *call, token uint64) {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	if q.calls[c.rec.CallID] != c || c.state != callRinging || c.offer != token {
		return
	}
	q.failOffer(c, OfferNoAnswer)
	q.dispatch()
}

func (q *Queue) maxWaitExpired(c *call) {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	if q.calls[c.rec.CallID] != c {
		return
	}
	switch c.state {
	case callWaiting:
		q.unwait(c)
		q.finish(c, OutcomeMaxWait)
	case callRinging:
		c.expired = true
	}
}

func (q *Queue) wrapUpDone(a *agent, token uint64) {
	q.mu.Lock()
	defer q.unlockAndDeliver()
	if a.state != StateWrapUp || a.wrapToken != token {
		return
	}
	a.state, a.callID, a.idleSince = StateIdle, "", q.clock.Now()
	q.dispatch()
}

// unlockAndDeliver releases q.mu and then delivers the pending callbacks,
// unless another goroutine is already delivering: then that one will. Going
// through a single deliverer keeps the SIP layer's view in decision order
// (a Ring is never overtaken by its CancelRing), and delivering outside the
// lock lets callbacks call back into the queue. Each action is taken off
// the outbox before it runs, so a panicking callback loses only itself.
func (q *Queue) unlockAndDeliver() {
	if q.delivering || q.sent == len(q.outbox) {
		q.mu.Unlock()
		return
	}
	q.delivering = true
	defer func() {
		if r := recover(); r != nil {
			q.mu.Lock()
			q.delivering = false
			q.mu.Unlock()
			panic(r)
		}
	}()
	for q.sent < len(q.outbox) {
		a := q.outbox[q.sent]
		q.outbox[q.sent] = action{}
		q.sent++
		q.mu.Unlock()
		q.deliver(a)
		q.mu.Lock()
	}
	q.outbox, q.sent = q.outbox[:0], 0
	q.delivering = false
	q.mu.Unlock()
}

func (q *Queue) deliver(a action) {
	switch a.kind {
	case actRing:
		q.sw.Ring(a.callID, a.ext)
	case actCancelRing:
		q.sw.CancelRing(a.callID, a.ext)
	case actAbandon:
		q.sw.Abandon(a.callID, a.reason)
	case actPaused:
		q.sw.AgentPaused(a.ext)
	case actFinished:
		q.sw.Finished(a.rec)
	}
}
