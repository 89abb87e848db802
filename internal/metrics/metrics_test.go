package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
