package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/telephony"

	"github.com/hotline-city/hotline/internal/metrics"
	"github.com/hotline-city/hotline/internal/testdb"
)

// A sweep that commits counts its actions and moves the last-success time; a failed one
// counts as a failure and leaves that time, which the "sweep stalled" alert watches. Requests
// are labelled by route, whatever the path.
func TestSweepAndRequestMetrics(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	m := metrics.New(db.DB, "test")
	m.Sweep(200*time.Millisecond, 3, nil)
	m.Sweep(time.Second, 0, errors.New("database gone"))
	h := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.SetRoute(r.Context(), "GET /tickets/{number}")
		w.WriteHeader(http.StatusTeapot)
	}))
	for _, n := range []string{"1", "2"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/tickets/2026-"+n, nil))
	}
	out := scrape(t, m)
	for _, want := range []string{"hotline_sweep_actions_total 3", "hotline_sweep_failures_total 1", "hotline_sweep_duration_seconds_count 2",
		`hotline_http_request_duration_seconds_count{code="418",method="GET",route="GET /tickets/{number}"} 2`, "hotline_outbox_pending 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hotline_sweep_last_success_timestamp_seconds 0\n") {
		t.Error("the successful sweep left no time")
	}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// The queue is reported as a scrape finds it, and today's calls by outcome from the call
// records, with those answered within 15 seconds; yesterday's calls are not today's.
func TestQueueAndCallMetrics(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	m := metrics.New(db.DB, "test")
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, loc)
	m.Queue(func() metrics.QueueState {
		return metrics.QueueState{Waiting: 2, LongestWait: 75 * time.Second, Agents: map[string]int{"available": 0, "talking": 3}}
	})
	m.Calls(func(ctx context.Context) (map[string]int, int, error) {
		day, err := telephony.CallsToday(ctx, db, now, loc)
		return day.ByOutcome, day.Answered15, err
	})
	m.SIP(func() []metrics.SIPCount { return []metrics.SIPCount{{Method: "INVITE", Code: "486", N: 4}} })
	for i, c := range []struct {
		outcome string
		at      time.Time
		wait    int
	}{
		{"answered", now.Add(-time.Hour), 5000}, {"answered", now.Add(-time.Hour), 40000},
		{"abandoned_queue", now.Add(-time.Minute), 30000}, {"answered", now.Add(-24 * time.Hour), 1000},
	} {
		var answered any
		if c.outcome == "answered" {
			answered = c.at
		}
		if _, err := db.Exec(`INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, answered_at, queue_wait_ms, caller_call_id)
			VALUES (gen_random_uuid(), '13800000000', '12345', '', ?, ?, ?, ?, ?)`, c.outcome, c.at, answered, c.wait, i); err != nil {
			t.Fatal(err)
		}
	}
	out := scrape(t, m)
	for _, want := range []string{"hotline_queue_calls_waiting 2", "hotline_queue_longest_wait_seconds 75", `hotline_agents{state="talking"} 3`,
		`hotline_agents{state="available"} 0`, `hotline_calls_today{outcome="answered"} 2`, `hotline_calls_today{outcome="abandoned_queue"} 1`,
		"hotline_calls_answered_15s_today 1", `hotline_sip_responses_total{code="486",method="INVITE"} 4`} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
