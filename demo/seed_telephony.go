package demo

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/telephony"
)

// demoCalls are a morning's calls to the demo centre, so the call list and the callback
// list (漏接回拨) have something to show before anyone phones. Fixed IDs keep seeding
// idempotent.
var demoCalls = []struct {
	id, caller, ext, outcome string
	minutes                  int // before the seed runs
	talk                     int // seconds
}{
	{"6b1f0c64-5a4e-4c43-9a37-0d6a1f6c0001", "13800138001", "1001", "answered", 95, 184},
	{"6b1f0c64-5a4e-4c43-9a37-0d6a1f6c0002", "13900139002", "1002", "answered", 80, 96},
	{"6b1f0c64-5a4e-4c43-9a37-0d6a1f6c0003", "13700137003", "", "abandoned_queue", 62, 0},
	{"6b1f0c64-5a4e-4c43-9a37-0d6a1f6c0004", "13600136004", "", "max_wait", 40, 0},
}

// seedTelephony loads the telephony part of the demo city: a few call records, as of now, and
// the callback tasks of the missed ones.
func seedTelephony(ctx context.Context, db bun.IDB, now time.Time) error {
	now = now.Truncate(time.Second)
	records := make([]telephony.Record, len(demoCalls))
	for i, c := range demoCalls {
		start := now.Add(-time.Duration(c.minutes) * time.Minute)
		end := start.Add(30*time.Second + time.Duration(c.talk)*time.Second)
		r := telephony.Record{ID: c.id, Caller: c.caller, Dialled: "12345", Extension: c.ext, Outcome: c.outcome,
			StartedAt: start, EndedAt: &end, QueueWaitMS: 30000, TalkMS: int64(c.talk) * 1000, CallerCallID: "demo-" + c.id}
		if c.outcome == "answered" {
			a := start.Add(30 * time.Second)
			r.AnsweredAt = &a
		}
		records[i] = r
	}
	return telephony.ImportRecords(ctx, db, records)
}
