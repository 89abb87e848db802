package web

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The phone desk in the browser: the agent sets their status from the console header (a
// break needs its reason), sees their own calls while the centre sees every call, calls a
// missed caller back from the list, and the floor's wallboard counts today's calls.
func TestPhoneDeskPages(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		d.Calls.Telephony = startTelephony(t, e)
		d.Calls.WallboardEvery = 20 * time.Millisecond
	})
	ctx := context.Background()
	agent := e.browser("agent1")
	sup := e.browser("supervisor")

	// The console header: signed out, its phone not registered.
	r := e.do(agent, "GET", "/console", nil, nil)
	if !strings.Contains(r.Body, `id="desk-status" data-status="signed_out"`) || !strings.Contains(r.Body, `id="desk-unregistered"`) {
		t.Fatalf("the console header's status: %s", between(r.Body, `<div class="desk-status"`, "</form>"))
	}
	if r := e.do(agent, "POST", "/console/status", url.Values{"status": {"break"}}, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "请选择小休原因") {
		t.Fatalf("a break without a reason: %d", r.Status)
	}
	if r := e.do(agent, "POST", "/console/status", url.Values{"status": {"break"}, "reason": {"meal"}}, nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console" {
		t.Fatalf("a break: %d %s", r.Status, r.Header.Get("Location"))
	}
	if cur := between(e.do(agent, "GET", "/console", nil, nil).Body, `id="desk-current">`, "</strong>"); cur != "小休（用餐）" {
		t.Fatalf("the header after the break: %q", cur)
	}
	if r := e.do(nil, "GET", "/api/v1/agent/status", nil, e.token("agent1")); r.json(t)["status"] != "break" {
		t.Fatalf("the queue's status: %s", r.Body)
	}
	if r := e.do(agent, "POST", "/console/status", url.Values{"status": {"available"}}, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("ready: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/agent/status", nil, e.token("agent1")); r.json(t)["status"] != "available" {
		t.Fatalf("the queue's status after ready: %s", r.Body)
	}
	if r := e.do(sup, "POST", "/console/status", url.Values{"status": {"available"}}, nil); r.Status != http.StatusConflict {
		t.Errorf("a status without an extension: %d", r.Status)
	}

	// Calls of today: one answered by 1001 within 15 s, one answered by 1002 after 40 s, one
	// abandoned in the queue with a callback owed; one of yesterday.
	missed := uuid.NewString()
	for _, c := range []struct {
		id, caller, ext, outcome string
		at                       time.Time
		wait                     int
		answered                 bool
	}{
		{uuid.NewString(), "13800000001", "1001", "answered", testNow.Add(-time.Hour), 6000, true},
		{uuid.NewString(), "13800000002", "1002", "answered", testNow.Add(-50 * time.Minute), 40000, true},
		{missed, "13800000003", "", "abandoned_queue", testNow.Add(-40 * time.Minute), 30000, false},
		{uuid.NewString(), "13800000004", "1001", "answered", testNow.Add(-24 * time.Hour), 3000, true},
	} {
		var answered any
		if c.answered {
			answered = c.at.Add(time.Duration(c.wait) * time.Millisecond)
		}
		if _, err := e.db.NewRaw(`INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, answered_at, ended_at, queue_wait_ms, talk_ms, caller_call_id)
			VALUES (?, ?, '12345', ?, ?, ?, ?, ?, ?, 90000, ?)`, c.id, c.caller, c.ext, c.outcome, c.at, answered, c.at.Add(3*time.Minute), c.wait, "cid-"+c.id).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var task int64
	if err := e.db.NewRaw(`INSERT INTO callback_tasks (call_id, phone, status, created_at, updated_at) VALUES (?, '13800000003', 'open', ?, ?) RETURNING id`,
		missed, testNow, testNow).Scan(ctx, &task); err != nil {
		t.Fatal(err)
	}

	// The agent's call log holds their own calls; the supervisor's every call, filtered.
	r = e.do(agent, "GET", "/calls", nil, nil)
	if n := strings.Count(r.Body, "<tr data-outcome="); n != 2 || strings.Contains(r.Body, "13800000002") || !strings.Contains(r.Body, "13800000001") {
		t.Fatalf("the agent's calls: %d rows", n)
	}
	if n := strings.Count(e.do(sup, "GET", "/calls", nil, nil).Body, "<tr data-outcome="); n != 4 {
		t.Errorf("the supervisor's calls: %d rows", n)
	}
	if r := e.do(sup, "GET", "/calls?outcome=abandoned_queue", nil, nil); strings.Count(r.Body, "<tr data-outcome=") != 1 || !strings.Contains(r.Body, "排队中挂机") {
		t.Errorf("the abandoned calls: %s", between(r.Body, `<table class="list" id="calls">`, "</table>"))
	}
	for q, want := range map[string]string{"outcome=lost": "未知的结果", "before=yesterday": "RFC 3339"} {
		if r := e.do(sup, "GET", "/calls?"+q, nil, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, want) {
			t.Errorf("calls?%s: %d", q, r.Status)
		}
	}

	// The missed-call list offers the callback; without an outbound gateway it says so.
	r = e.do(agent, "GET", "/callbacks", nil, nil)
	if !strings.Contains(r.Body, fmt.Sprintf(`action="/callbacks/%d/call"`, task)) {
		t.Fatalf("the missed-call list: %s", between(r.Body, `<h1>`, "</section>"))
	}
	if r := e.do(agent, "POST", fmt.Sprintf("/callbacks/%d/call", task), nil, nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "未配置外呼线路") {
		t.Errorf("a callback without an outbound gateway: %d %s", r.Status, between(r.Body, `role="alert">`, "<"))
	}
	if r := e.do(sup, "GET", "/callbacks", nil, nil); strings.Contains(r.Body, "/call\"") {
		t.Error("the supervisor without a phone is offered a callback")
	}

	// The wallboard: today's three calls, two answered, one within 15 s, one abandoned, one
	// callback owed, and agent1 ready but offline.
	r = e.do(sup, "GET", "/wallboard", nil, nil)
	for id, want := range map[string]string{"wb-answered": "2<small> / 3</small>", "wb-answer-rate": "66.7%", "wb-answer15": "33.3%",
		"wb-abandoned": "1", "wb-callbacks": "1", "wb-waiting": "0"} {
		if got := between(between(r.Body, `id="`+id+`"`, "</div>"), "<dd>", "</dd>"); got != want {
			t.Errorf("wallboard %s: %q, want %q", id, got, want)
		}
	}
	// agent1 is ready, its phone not registered.
	if got := between(r.Body, `data-state="offline"><dt>话机离线</dt><dd>`, "</dd>"); got != "1" {
		t.Errorf("agents ready without a phone: %q", got)
	}
	// Its event stream tells the page to refresh.
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/wallboard/events", nil)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := sup.Do(req.WithContext(sctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	got := false
	for sc.Scan() {
		if sc.Text() == "event: calls" {
			got = true
			break
		}
	}
	if !got {
		t.Fatal("the wallboard's stream sent no event")
	}
}
