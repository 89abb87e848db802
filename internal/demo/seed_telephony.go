package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
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

// seedTelephony loads the telephony part of the demo city: a few call records and the
// callback tasks of the missed ones.
func seedTelephony(ctx context.Context, db bun.IDB) error {
	now := time.Now().Truncate(time.Second)
	for _, c := range demoCalls {
		start := now.Add(-time.Duration(c.minutes) * time.Minute)
		end := start.Add(30*time.Second + time.Duration(c.talk)*time.Second)
		var answered *time.Time
		if c.outcome == "answered" {
			a := start.Add(30 * time.Second)
			answered = &a
		}
		_, err := db.NewRaw(`INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, answered_at,
			ended_at, queue_wait_ms, talk_ms, caller_call_id) VALUES (?, ?, '12345', ?, ?, ?, ?, ?, 30000, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			c.id, c.caller, c.ext, c.outcome, start, answered, end, c.talk*1000, "demo-"+c.id).Exec(ctx)
		if err != nil {
			return fmt.Errorf("seed call %s: %w", c.id, err)
		}
		if c.outcome != "answered" {
			if _, err := db.NewRaw(`INSERT INTO callback_tasks (call_id, phone, created_at, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (call_id) DO NOTHING`, c.id, c.caller, end, end).Exec(ctx); err != nil {
				return fmt.Errorf("seed callback %s: %w", c.id, err)
			}
		}
	}
	return nil
}
