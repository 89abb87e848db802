// Package metrics exposes what operations watch, in Prometheus's format on a separate address
// (HOTLINE_METRICS_ADDR): HTTP requests and latencies by route, the escalation sweep (when it
// last ran, how long it took, what it did), the outbox backlog and failures, SIP
// registrations, the database pool, and the Go runtime and process.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the process's registry and the instruments other parts report to.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.HistogramVec

	sweepDuration prometheus.Histogram
	sweepActions  prometheus.Counter
	sweepFailures prometheus.Counter
	sweepLast     prometheus.Gauge
}

// New registers the process's metrics; db is the application's pool.
func New(db *sql.DB, version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hotline_http_request_duration_seconds", Help: "HTTP requests by route, method and status code, and how long they took.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method", "code"})
	m.sweepDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hotline_sweep_duration_seconds", Help: "How long each escalation sweep took.",
		Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60},
	})
	m.sweepActions = prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_sweep_actions_total", Help: "Warnings and escalations the sweeps committed."})
	m.sweepFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_sweep_failures_total", Help: "Sweeps that ended with an error."})
	m.sweepLast = prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_sweep_last_success_timestamp_seconds", Help: "When the last sweep finished without an error (alert when it is more than 5 minutes old)."})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_build_info", Help: "The running version.", ConstLabels: prometheus.Labels{"version": version}})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.sweepDuration, m.sweepActions, m.sweepFailures, m.sweepLast, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db, "hotline"),
		&outbox{db: db,
			pending: prometheus.NewDesc("hotline_outbox_pending", "Notifications (e-mail, SMS) waiting to be sent (alert when it keeps growing).", nil, nil),
			failed:  prometheus.NewDesc("hotline_outbox_failed", "Notifications given up on after their retries.", nil, nil)})
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gauge registers a gauge read at each scrape (SIP registrations, say).
func (m *Metrics) Gauge(name, help string, read func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, read))
}

// Instrument times h's requests by route: the pattern the request matched, which the router
// tells with SetRoute (not its path, which would make a series per ticket); "unmatched" when
// it tells none.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := "unmatched"
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route)))
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

type routeKey struct{}

// SetRoute tells Instrument which route pattern the request in ctx matched; outside Instrument
// it does nothing.
func SetRoute(ctx context.Context, pattern string) {
	if p, ok := ctx.Value(routeKey{}).(*string); ok && pattern != "" {
		*p = pattern
	}
}

// Sweep records one escalation sweep.
func (m *Metrics) Sweep(took time.Duration, actions int, err error) {
	m.sweepDuration.Observe(took.Seconds())
	if err != nil {
		m.sweepFailures.Inc()
		return
	}
	m.sweepActions.Add(float64(actions))
	m.sweepLast.SetToCurrentTime()
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushing event streams, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// outbox counts the notifications waiting and given up on, at each scrape.
type outbox struct {
	db              *sql.DB
	pending, failed *prometheus.Desc
}

func (o *outbox) Describe(ch chan<- *prometheus.Desc) { ch <- o.pending; ch <- o.failed }

func (o *outbox) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var pending, failed float64
	if err := o.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed')
		FROM notifications WHERE status IN ('pending', 'failed')`).Scan(&pending, &failed); err != nil {
		ch <- prometheus.NewInvalidMetric(o.pending, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(o.pending, prometheus.GaugeValue, pending)
	ch <- prometheus.MustNewConstMetric(o.failed, prometheus.GaugeValue, failed)
}

// QueueState is the call queue as a scrape reads it: calls waiting, the longest wait, and the
// agents by state (acd.AgentInfo.Bucket).
type QueueState struct {
	Waiting     int
	LongestWait time.Duration
	Agents      map[string]int
}

// Queue reports the call queue of this process at each scrape: hotline_queue_calls_waiting,
// hotline_queue_longest_wait_seconds and hotline_agents{state} (alert when no agent is
// available during opening hours).
func (m *Metrics) Queue(read func() QueueState) {
	m.reg.MustRegister(&queue{read: read,
		waiting: prometheus.NewDesc("hotline_queue_calls_waiting", "Calls waiting in this process's queue, ringing ones included.", nil, nil),
		longest: prometheus.NewDesc("hotline_queue_longest_wait_seconds", "The longest wait among the calls waiting.", nil, nil),
		agents:  prometheus.NewDesc("hotline_agents", "Agents by state (available, ringing, talking, wrap_up, break, offline, signed_out).", []string{"state"}, nil)})
}

type queue struct {
	read                     func() QueueState
	waiting, longest, agents *prometheus.Desc
}

func (q *queue) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.waiting
	ch <- q.longest
	ch <- q.agents
}

func (q *queue) Collect(ch chan<- prometheus.Metric) {
	s := q.read()
	ch <- prometheus.MustNewConstMetric(q.waiting, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(q.longest, prometheus.GaugeValue, s.LongestWait.Seconds())
	for state, n := range s.Agents {
		ch <- prometheus.MustNewConstMetric(q.agents, prometheus.GaugeValue, float64(n), state)
	}
}

// Calls reports the calls to 12345 since the start of today by outcome, as read reads them
// from the call records every process writes (hotline_calls_today{outcome}), and those
// answered within 15 seconds (hotline_calls_answered_15s_today): the centre's 接通率 and
// 15秒接通率.
func (m *Metrics) Calls(read func(ctx context.Context) (byOutcome map[string]int, answered15 int, err error)) {
	m.reg.MustRegister(&calls{read: read,
		byOutcome: prometheus.NewDesc("hotline_calls_today", "Calls to 12345 since midnight by outcome (in_progress: not ended yet).", []string{"outcome"}, nil),
		within15:  prometheus.NewDesc("hotline_calls_answered_15s_today", "Calls since midnight answered within 15 seconds of arriving.", nil, nil)})
}

type calls struct {
	read                func(ctx context.Context) (map[string]int, int, error)
	byOutcome, within15 *prometheus.Desc
}

func (c *calls) Describe(ch chan<- *prometheus.Desc) { ch <- c.byOutcome; ch <- c.within15 }

func (c *calls) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	byOutcome, fast, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.byOutcome, err)
		return
	}
	for outcome, n := range byOutcome {
		ch <- prometheus.MustNewConstMetric(c.byOutcome, prometheus.GaugeValue, float64(n), outcome)
	}
	ch <- prometheus.MustNewConstMetric(c.within15, prometheus.GaugeValue, float64(fast))
}

// SIPCount is how many requests of a method were answered with a code.
type SIPCount struct {
	Method, Code string
	N            uint64
}

// SIP reports the SIP responses this process sent, by method and code
// (hotline_sip_responses_total{method,code}).
func (m *Metrics) SIP(read func() []SIPCount) {
	m.reg.MustRegister(&sipResponses{read: read,
		desc: prometheus.NewDesc("hotline_sip_responses_total", "SIP responses this process sent, by request method and status code.", []string{"method", "code"}, nil)})
}

type sipResponses struct {
	read func() []SIPCount
	desc *prometheus.Desc
}

func (s *sipResponses) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

func (s *sipResponses) Collect(ch chan<- prometheus.Metric) {
	for _, c := range s.read() {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.CounterValue, float64(c.N), c.Method, c.Code)
	}
}
