package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/hotline-city/hotline/telephony"
)

// seedRatedCalls stores calls of agents 1001 and 1002 in October and November 2026 (Beijing
// time), some rated by the caller after the call:
//
//	1001  Nov: 5 answered (one at 00:10 on 1 November, October still in UTC), rated
//	           dissatisfied, satisfied, satisfied, basically; one not rated
//	      Oct: 1 answered, satisfied
//	1002  Nov: 3 answered, rated satisfied and dissatisfied, one not rated; one still going on
//	      Oct: 1 answered at 23:50 on 31 October (UTC too), basically
//
// and a missed call in November, which no agent answered.
func seedRatedCalls(t *testing.T, e *staffEnv) {
	t.Helper()
	ctx := context.Background()
	bj := mustZone("Asia/Shanghai")
	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, bj)
	}
	for _, c := range []struct {
		ext, outcome, rating string
		started              time.Time
	}{
		{"1001", "answered", "dissatisfied", at(time.November, 1, 0, 10)},
		{"1001", "answered", "satisfied", at(time.November, 5, 9, 0)},
		{"1001", "answered", "satisfied", at(time.November, 10, 23, 0)},
		{"1001", "answered", "basically", at(time.November, 12, 14, 0)},
		{"1001", "answered", "", at(time.November, 20, 10, 0)},
		{"1001", "answered", "satisfied", at(time.October, 15, 10, 0)},
		{"1002", "answered", "satisfied", at(time.November, 3, 8, 30)},
		{"1002", "answered", "dissatisfied", at(time.November, 15, 16, 0)},
		{"1002", "answered", "", at(time.November, 22, 11, 0)},
		{"1002", "in_progress", "", at(time.November, 23, 9, 55)},
		{"1002", "answered", "basically", at(time.October, 31, 23, 50)},
		{"", "abandoned_queue", "", at(time.November, 6, 12, 0)},
	} {
		id := uuid.NewString()
		var answered, ended any
		if c.ext != "" {
			answered = c.started.Add(10 * time.Second)
		}
		if c.outcome != "in_progress" {
			ended = c.started.Add(3 * time.Minute)
		}
		if _, err := e.db.NewRaw(`INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, answered_at, ended_at, caller_call_id)
			VALUES (?, '13800138000', '12345', ?, ?, ?, ?, ?, ?)`, id, c.ext, c.outcome, c.started, answered, ended, "cid-"+id).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if c.rating != "" {
			if _, err := e.db.NewInsert().Model(&telephony.Rating{CallID: id, Extension: c.ext, Rating: c.rating,
				RatedAt: c.started.Add(4 * time.Minute)}).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCallRatingsReport: the post-call ratings per agent and for the centre, of a month in
// Beijing time or of days, as the API answers them to each role, and bad periods refused.
func TestCallRatingsReport(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	seedRatedCalls(t, e)
	v := func(f float64) *float64 { return &f }
	a1 := func(answered, rated, sat, bas, dis int, rr, sr *float64) telephony.RatingFigures {
		return telephony.RatingFigures{Extension: "1001", Name: "话务员 李娜", Answered: answered, Rated: rated, Satisfied: sat,
			Basically: bas, Dissatisfied: dis, RatingRate: rr, SatisfactionRate: sr}
	}
	a2 := func(answered, rated, sat, bas, dis int, rr, sr *float64) telephony.RatingFigures {
		f := a1(answered, rated, sat, bas, dis, rr, sr)
		f.Extension, f.Name = "1002", "话务员 王强"
		return f
	}
	centre := func(answered, rated, sat, bas, dis int, rr, sr *float64) *telephony.RatingFigures {
		f := a1(answered, rated, sat, bas, dis, rr, sr)
		f.Extension, f.Name = "", ""
		return &f
	}
	// November: 1001 rated 4 of 5, (2 + 0.9) / 4; 1002 rated 2 of 3 (the call going on is
	// not counted yet), 1 / 2; the centre 6 of 8, (3 + 0.9) / 6.
	nov := ratingsReport{Period: "2026-11", From: "2026-11-01", To: "2026-11-30", BasicallyWeight: 0.9,
		Agents: []telephony.RatingFigures{a1(5, 4, 2, 1, 1, v(0.8), v(0.725)), a2(3, 2, 1, 0, 1, v(0.6667), v(0.5))},
		Centre: centre(8, 6, 3, 1, 2, v(0.75), v(0.65))}
	oct := ratingsReport{Period: "2026-10", From: "2026-10-01", To: "2026-10-31", BasicallyWeight: 0.9,
		Agents: []telephony.RatingFigures{a1(1, 1, 1, 0, 0, v(1), v(1)), a2(1, 1, 0, 1, 0, v(1), v(0.9))},
		Centre: centre(2, 2, 1, 1, 0, v(1), v(0.95))}
	// 1 to 10 November, the last day counted to its end in Beijing.
	days := ratingsReport{Period: "2026-11-01..2026-11-10", From: "2026-11-01", To: "2026-11-10", BasicallyWeight: 0.9,
		Agents: []telephony.RatingFigures{a1(3, 3, 2, 0, 1, v(1), v(0.6667)), a2(1, 1, 1, 0, 0, v(1), v(1))},
		Centre: centre(4, 4, 3, 0, 1, v(1), v(0.75))}
	empty := ratingsReport{Period: "2026-09", From: "2026-09-01", To: "2026-09-30", BasicallyWeight: 0.9,
		Agents: []telephony.RatingFigures{}, Centre: centre(0, 0, 0, 0, 0, nil, nil)}
	own := func(r ratingsReport, f telephony.RatingFigures) ratingsReport {
		r.Agents, r.Centre = []telephony.RatingFigures{f}, nil
		return r
	}
	for _, tc := range []struct {
		name, user, query string
		want              ratingsReport
	}{
		{"supervisor november", "supervisor", "month=2026-11", nov},
		{"supervisor this month by default", "supervisor", "", nov},
		{"admin october", "admin", "month=2026-10", oct},
		{"leader days", "leader", "from=2026-11-01&to=2026-11-10", days},
		{"a month without calls", "supervisor", "month=2026-09", empty},
		{"agent1 their own", "agent1", "month=2026-11", own(nov, nov.Agents[0])},
		{"agent2 their own", "agent2", "month=2026-10", own(oct, oct.Agents[1])},
		{"agent2 with no call is a row of zeros", "agent2", "month=2026-09", own(empty, a2(0, 0, 0, 0, 0, nil, nil))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(nil, "GET", "/api/v1/calls/ratings?"+tc.query, nil, e.token(tc.user))
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			var got ratingsReport
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
		})
	}

	// Department staff are refused; a centre account without an extension has no row.
	for user, status := range map[string]int{"handler-hrss": http.StatusForbidden, "head-hrss": http.StatusForbidden, "dispatcher": http.StatusConflict} {
		if r := e.do(nil, "GET", "/api/v1/calls/ratings?month=2026-11", nil, e.token(user)); r.Status != status {
			t.Errorf("%s: %d %s, want %d", user, r.Status, r.Body, status)
		}
	}

	// Bad periods: 400 naming the field.
	sup := e.token("supervisor")
	for query, field := range map[string]string{
		"month=2026-13": "month", "month=11-2026": "month", "month=2026": "month", "month=2099-01": "month", "month=2026-11&from=2026-11-01": "month",
		"from=2026-11-01": "to", "to=2026-11-01": "from", "from=2026-11-31&to=2026-12-01": "from",
		"from=2026-11-10&to=2026-11-01": "to", "from=2025-01-01&to=2026-11-01": "to",
	} {
		r := e.do(nil, "GET", "/api/v1/calls/ratings?"+query, nil, sup)
		if r.Status != http.StatusBadRequest || r.json(t)["field"] != field {
			t.Errorf("%s: %d %s, want 400 naming %s", query, r.Status, r.Body, field)
		}
	}
}

// TestCallRatingsPage: the supervisors' page of the ratings, linked from the calls, in both
// languages; an agent's shows their own row; bad input is said in the reader's language.
func TestCallRatingsPage(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	seedRatedCalls(t, e)
	sup, agent, handler := e.browser("supervisor"), e.browser("agent1"), e.browser("handler-hrss")

	if r := e.do(sup, "GET", "/calls", nil, nil); !strings.Contains(r.Body, `href="/calls/ratings"`) {
		t.Errorf("the calls page does not link the ratings")
	}
	status, body := e.getIn(sup, "zh", "/calls/ratings?month=2026-11")
	table := between(body, `<table class="list" id="ratings">`, "</table>")
	for _, want := range []string{`<tr data-extension="1001">`, "话务员 李娜", `<td class="n">80.0%</td><td class="n">72.5%</td>`,
		`<tr data-extension="1002">`, `<td class="n">66.7%</td><td class="n">50.0%</td>`,
		"全中心", `<td class="n">8</td><td class="n">6</td>`, `<td class="n">75.0%</td><td class="n">65.0%</td>`} {
		if status != http.StatusOK || !strings.Contains(table, want) {
			t.Errorf("zh page: %d, lacks %q in\n%s", status, want, table)
		}
	}
	if !strings.Contains(body, "0.9 × 基本满意") {
		t.Errorf("the page does not say how satisfaction is computed")
	}
	for _, lang := range []string{"zh", "en"} {
		if problems := pageProblems(lang, func() string { _, b := e.getIn(sup, lang, "/calls/ratings?month=2026-11"); return b }()); len(problems) > 0 {
			t.Errorf("%s: %v", lang, problems)
		}
	}

	// The agent sees their own row, not the other agent's nor the centre's.
	_, body = e.getIn(agent, "en", "/calls/ratings?month=2026-11")
	if !strings.Contains(body, `data-extension="1001"`) || strings.Contains(body, `data-extension="1002"`) || strings.Contains(body, "Whole centre") ||
		!strings.Contains(body, "My call ratings") {
		t.Errorf("the agent's page: %s", between(body, "<h1>", "</section>"))
	}
	if status, _ := e.getIn(handler, "zh", "/calls/ratings"); status != http.StatusForbidden {
		t.Errorf("a department's handler: %d, want 403", status)
	}

	// Bad input: 400, the form kept, the field named in the reader's language.
	for lang, want := range map[string]string{"zh": "月份：须为月份，如 2026-11", "en": "Month: must be a month like 2026-11"} {
		status, body := e.getIn(sup, lang, "/calls/ratings?month=2026-13")
		if status != http.StatusBadRequest || !strings.Contains(between(body, `id="ratings-error">`, "<"), want) ||
			!strings.Contains(body, `value="2026-13"`) {
			t.Errorf("%s bad month: %d %q", lang, status, between(body, `id="ratings-error">`, "<"))
		}
	}
	if status, body := e.getIn(sup, "en", "/calls/ratings?from=2026-11-10&to=2026-11-01"); status != http.StatusBadRequest ||
		!strings.Contains(body, "To: must not be before from") {
		t.Errorf("en to before from: %d %q", status, between(body, `id="ratings-error">`, "<"))
	}
}
