package telephony

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/telephony/acd"
)

// The floor's figures, as the wallboard shows them and the metrics report them: the queue as
// this process holds it, and the day's calls from the records every process writes.

// QueueFigures are the queue's calls waiting, the longest wait among them, and the agents by
// state (acd.AgentInfo.Bucket, every bucket present).
type QueueFigures struct {
	Waiting     int
	LongestWait time.Duration
	Agents      map[string]int
}

// QueueFigures reads the queue of this process.
func (s *Server) QueueFigures() QueueFigures {
	snap := s.queue.Snapshot()
	q := QueueFigures{Waiting: len(snap.Waiting), Agents: map[string]int{}}
	for _, b := range acd.Buckets {
		q.Agents[b] = 0
	}
	for _, c := range snap.Waiting {
		q.LongestWait = max(q.LongestWait, c.Waited)
	}
	for _, a := range snap.Agents {
		q.Agents[a.Bucket()]++
	}
	return q
}

// DayCalls are the calls to 12345 since a day's midnight: by outcome (in_progress: not ended
// yet), and of those ended the ones offered, answered, answered within 15 seconds of arriving
// (接通率 and 15秒接通率 are their ratios to Offered) and abandoned.
type DayCalls struct {
	ByOutcome                                map[string]int
	Offered, Answered, Answered15, Abandoned int
}

// CallsToday counts the calls since midnight in loc of the day of now.
func CallsToday(ctx context.Context, db bun.IDB, now time.Time, loc *time.Location) (DayCalls, error) {
	y, m, d := now.In(loc).Date()
	var rows []struct {
		Outcome    string `bun:"outcome"`
		N          int    `bun:"n"`
		Answered   int    `bun:"answered"`
		Answered15 int    `bun:"answered15"`
	}
	err := db.NewRaw(`SELECT outcome, count(*) AS n, count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
			count(*) FILTER (WHERE answered_at IS NOT NULL AND queue_wait_ms + ring_ms <= 15000) AS answered15
		FROM call_records WHERE started_at >= ? GROUP BY outcome`, time.Date(y, m, d, 0, 0, 0, 0, loc)).Scan(ctx, &rows)
	if err != nil {
		return DayCalls{}, fmt.Errorf("today's calls: %w", err)
	}
	out := DayCalls{ByOutcome: map[string]int{}}
	abandoned := []string{string(acd.OutcomeAbandonedQueue), string(acd.OutcomeAbandonedRinging)}
	for _, r := range rows {
		out.ByOutcome[r.Outcome] = r.N
		if r.Outcome == OutcomeInProgress {
			continue
		}
		out.Offered += r.N
		out.Answered += r.Answered
		out.Answered15 += r.Answered15
		if slices.Contains(abandoned, r.Outcome) {
			out.Abandoned += r.N
		}
	}
	return out, nil
}
