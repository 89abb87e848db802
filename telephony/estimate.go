package telephony

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/hotline-city/hotline/telephony/acd"
)

// estimateWindow is how many recent answered calls the estimated wait is worked out from.
const estimateWindow = 20

// waitEstimator remembers the handle times (talk plus after-call work) of the last answered
// calls, from which a waiting caller's wait is estimated.
type waitEstimator struct {
	mu     sync.Mutex
	talks  []time.Duration // newest last, at most estimateWindow
	wrapUp time.Duration
}

// observe takes a call that left the queue: an answered one adds its talk time.
func (e *waitEstimator) observe(r acd.CallRecord) {
	if r.Outcome != acd.OutcomeAnswered || r.TalkStart.IsZero() || r.TalkEnd.Before(r.TalkStart) {
		return
	}
	e.add(r.TalkEnd.Sub(r.TalkStart))
}

func (e *waitEstimator) add(talk time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.talks = append(e.talks, talk)
	if len(e.talks) > estimateWindow {
		e.talks = e.talks[len(e.talks)-estimateWindow:]
	}
}

// handleTime is the mean handle time of the recent answered calls; ok is false before any.
func (e *waitEstimator) handleTime() (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.talks) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, t := range e.talks {
		sum += t
	}
	return sum/time.Duration(len(e.talks)) + max(0, e.wrapUp), true
}

// estimate is the expected wait of a caller with ahead calls before them when ready agents
// take calls (signed in, not on break, phone registered): each agent frees up once per handle
// time, so the caller's turn comes after (ahead+1) of those, shared among the agents. ok is
// false when nothing can honestly be said: no agent ready, or no call answered yet to learn
// the handle time from.
func (e *waitEstimator) estimate(ahead, ready int) (time.Duration, bool) {
	aht, ok := e.handleTime()
	if !ok || ready <= 0 || ahead < 0 {
		return 0, false
	}
	return time.Duration(float64(ahead+1) * float64(aht) / float64(ready)), true
}

// load primes the estimator with the talk times of the last answered calls stored, so that a
// process that just started estimates from the centre's recent calls.
func (e *waitEstimator) load(ctx context.Context, s *Server) {
	if s.db == nil {
		return
	}
	var talks []int64
	err := s.db.NewSelect().Model((*Record)(nil)).Column("talk_ms").
		Where("outcome = ? AND talk_ms > 0", string(acd.OutcomeAnswered)).
		OrderExpr("started_at DESC").Limit(estimateWindow).Scan(ctx, &talks)
	if err != nil {
		s.log.Warn("recent talk times for the estimated wait", "err", err)
		return
	}
	for i := len(talks) - 1; i >= 0; i-- {
		e.add(time.Duration(talks[i]) * time.Millisecond)
	}
}

// EstimatedWait is the expected wait of the caller whose call has Call-ID callID, counted
// from now; ok is false when it no longer waits or nothing can honestly be said.
func (s *Server) EstimatedWait(callID string) (time.Duration, bool) {
	return s.waits.estimate(s.queuePlace(callID))
}

// queuePlace is, from one snapshot of the queue, how many calls wait before callID (-1 when
// it no longer waits) and how many agents are ready.
func (s *Server) queuePlace(callID string) (ahead, ready int) {
	snap := s.queue.Snapshot()
	ahead = -1
	for i, w := range snap.Waiting {
		if w.CallID == callID {
			ahead = i
			break
		}
	}
	return ahead, readyAgents(snap)
}

// readyAgents counts the agents who take calls: signed in as available with their phone
// registered, whether idle or busy with another call.
func readyAgents(snap acd.Snapshot) int {
	n := 0
	for _, a := range snap.Agents {
		if a.Registered && a.Status == acd.StatusAvailable {
			n++
		}
	}
	return n
}

// waitMinutes is an estimated wait as announced: whole minutes rounded up, at least one.
func waitMinutes(d time.Duration) int {
	return max(1, int(math.Ceil(d.Minutes())))
}
