package acd

import (
	"errors"
	"fmt"
	"time"
)

// Status is what an agent (坐席, call-taker) has chosen on the console. It is
// independent of whether the agent's phone is registered.
type Status int

const (
	// StatusSignedOut is the zero Status: the agent has not signed in (签入)
	// or has signed out (签出). A signed-out agent is never rung and does not
	// count as staff when deciding whether to accept a call at all.
	StatusSignedOut Status = iota
	// StatusAvailable means the agent is ready to take calls.
	StatusAvailable
	// StatusBreak is a short break (小休): the agent is still on shift, so
	// calls keep waiting for them, but their phone is never rung. The queue
	// also sets it itself when an agent misses too many offers in a row.
	StatusBreak
)

var statusNames = [...]string{"signed_out", "available", "break"}

// String returns the status as used in logs and JSON: signed_out, available
// or break.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// MarshalText encodes the status as its String so that the board's JSON
// reads "break" rather than 2.
func (s Status) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("acd: invalid status %d", int(s))
	}
	return []byte(s.String()), nil
}

func (s Status) valid() bool { return s >= StatusSignedOut && s <= StatusBreak }

// AgentState is what an agent's phone is doing, as far as the queue knows.
type AgentState int

const (
	// StateIdle means no call: the agent can be offered one if their status
	// is available and their phone is registered.
	StateIdle AgentState = iota
	// StateRinging means the agent's phone is ringing with a queued call.
	StateRinging
	// StateTalking means the agent answered and is talking to a citizen.
	StateTalking
	// StateWrapUp is after-call work (话后处理), typically filling in the
	// ticket, during which the agent is not offered calls.
	StateWrapUp
)

var stateNames = [...]string{"idle", "ringing", "talking", "wrapup"}

// String returns idle, ringing, talking or wrapup.
func (s AgentState) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("AgentState(%d)", int(s))
	}
	return stateNames[s]
}

// MarshalText encodes the state as its String.
func (s AgentState) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("acd: invalid agent state %d", int(s))
	}
	return []byte(s.String()), nil
}

// Result is the queue's answer to Enqueue.
type Result int

const (
	// Queued means the call waits in the queue (and may already be ringing).
	Queued Result = iota
	// Refused means nobody is signed in, so the call was not queued: the SIP
	// layer answers 480 Temporarily Unavailable. The queue has already
	// reported the call to Switch.Finished with OutcomeNoAgent so that it is
	// recorded as a missed call like any other.
	Refused
)

// String returns queued or refused.
func (r Result) String() string {
	switch r {
	case Queued:
		return "queued"
	case Refused:
		return "refused"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Outcome is how a call left the queue. The SIP layer adds its own outcomes
// (such as a transfer) on top; these are the ones the queue decides.
type Outcome string

const (
	// OutcomeAnswered means an agent answered; the record is reported once
	// the conversation has ended.
	OutcomeAnswered Outcome = "answered"
	// OutcomeAbandonedQueue means the caller hung up while waiting.
	OutcomeAbandonedQueue Outcome = "abandoned_queue"
	// OutcomeAbandonedRinging means the caller hung up while an agent's
	// phone was ringing.
	OutcomeAbandonedRinging Outcome = "abandoned_ringing"
	// OutcomeNoAgent means nobody was signed in, either when the call arrived
	// or because the last agent left while it waited.
	OutcomeNoAgent Outcome = "no_agent"
	// OutcomeMaxWait means the call waited longer than Config.MaxWait.
	OutcomeMaxWait Outcome = "max_wait"
)

// OfferResult is how one offer of a call to one agent ended.
type OfferResult string

const (
	// OfferAnswered means the agent picked up.
	OfferAnswered OfferResult = "answered"
	// OfferNoAnswer means the ring timed out. It counts as a missed offer.
	OfferNoAnswer OfferResult = "no_answer"
	// OfferRejected means the agent's phone declined or was busy. It counts
	// as a missed offer.
	OfferRejected OfferResult = "rejected"
	// OfferWithdrawn means the queue took the offer back because the agent
	// went on break, signed out or lost registration while ringing. It does
	// not count as a missed offer: the agent said they were unavailable.
	OfferWithdrawn OfferResult = "withdrawn"
	// OfferUnable means the agent's phone could not take the call (no codec in
	// common). It does not count as a missed offer.
	OfferUnable OfferResult = "unable"
	// OfferCallerHangup means the caller hung up during the ring.
	OfferCallerHangup OfferResult = "caller_hangup"
)

// Offer is one attempt to connect a call to an agent.
type Offer struct {
	Ext    string
	At     time.Time // when the phone started ringing
	Until  time.Time // when the ring stopped, for whatever reason
	Result OfferResult
}

// CallRecord is the queue's account of one call, reported exactly once
// through Switch.Finished.
type CallRecord struct {
	CallID   string
	Caller   string
	Outcome  Outcome
	Agent    string    // extension that answered; empty unless answered
	Enqueued time.Time // when the call reached the queue
	// Wait runs from Enqueued until an agent answered or the call left the
	// queue otherwise. It includes Ring, because for the citizen ringing an
	// agent is still waiting.
	Wait time.Duration
	// Ring is the total time agents' phones rang for this call, over all
	// offers.
	Ring      time.Duration
	TalkStart time.Time // zero unless answered
	TalkEnd   time.Time // zero unless answered
	Ended     time.Time // when the queue was done with the call
	Offers    []Offer
}

// Snapshot is the queue as the console and the wallboard show it.
type Snapshot struct {
	At time.Time
	// Waiting lists the calls not yet answered, oldest first, including the
	// ones currently ringing an agent.
	Waiting []WaitingCall
	// Agents lists every agent the queue has heard of, by extension.
	Agents []AgentInfo
}

// WaitingCall is one unanswered call in a Snapshot.
type WaitingCall struct {
	CallID  string
	Caller  string
	Waited  time.Duration
	Ringing string // extension being rung; empty while the call just waits
}

// AgentInfo is one agent in a Snapshot.
type AgentInfo struct {
	Ext        string
	Registered bool
	Status     Status
	State      AgentState
	// IdleSince is when the agent last became free: the end of their last
	// wrap-up, or when they became available or registered. Among free
	// agents the one idle longest is offered the next call.
	IdleSince    time.Time
	MissedStreak int    // offers missed in a row; reset by an answer or by becoming available
	CallID       string // call ringing, being talked or being wrapped up
}

// Errors returned when the SIP layer reports something the queue cannot
// match. Events race in SIP (an answer can cross a ring timeout's CANCEL), so
// the SIP layer should log these and, for a late answer, hang up the agent's
// leg; they never corrupt the queue.
var (
	ErrDuplicateCall = errors.New("acd: call already in the queue")
	ErrUnknownCall   = errors.New("acd: unknown call")
	// ErrStaleOffer means the call is not ringing at that extension (any
	// more): the offer timed out, was withdrawn or the caller hung up.
	ErrStaleOffer = errors.New("acd: call is not ringing at that extension")
	// ErrNotTalking means CallEnded came for a call nobody answered; the
	// caller's hang-up before an answer is reported with Hangup.
	ErrNotTalking = errors.New("acd: call was not answered")
	ErrBadStatus  = errors.New("acd: invalid status")
)
