package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
)

// newEscalationEnv is the staff env with the escalation service wired in.
func newEscalationEnv(t *testing.T) (*staffEnv, *escalation.Service) {
	t.Helper()
	var esc *escalation.Service
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		esc = escalation.New(e.db, e.clock, d.Calendar, testNow.Location(), log, e.tickets, nil, escalation.Options{})
		d.Escalation = EscalationDeps{Service: esc, Poll: 50 * time.Millisecond}
	})
	return e, esc
}

func TestExtensionAPI(t *testing.T) {
	t.Parallel()
	e, _ := newEscalationEnv(t)
	tk := e.register("工地拖欠工资三个月", "wage-arrears", "13900001111", "hrss") // resolution due 2026-12-02 17:00
	h, other, sup, agent := e.token("handler-hrss"), e.token("handler-market"), e.token("supervisor"), e.token("agent1")
	path := "/api/v1/tickets/" + tk.Number + "/extensions"
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		body   any
		status int
		want   string
	}{
		{"agent", agent, map[string]any{"reason": "x", "workdays": 2}, 403, errRoleRefused},
		{"other department", other, map[string]any{"reason": "x", "workdays": 2}, 403, "not allowed"},
		{"no reason", h, map[string]any{"workdays": 2}, 400, `"field":"reason"`},
		{"bad date", h, map[string]any{"reason": "x", "new_due": "next week"}, 400, `"field":"new_due"`},
		{"bad workdays", h, url.Values{"reason": {"x"}, "workdays": {"two"}}, 400, `"field":"workdays"`},
		{"earlier", h, map[string]any{"reason": "x", "new_due": "2026-11-30"}, 400, `"field":"new_due"`},
		{"not JSON", h, "{", 400, "not a JSON object"},
		{"unknown ticket", h, map[string]any{"reason": "x", "workdays": 2}, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := path
			if tc.name == "unknown ticket" {
				p = "/api/v1/tickets/20261123-999999/extensions"
			}
			r := e.do(nil, "POST", p, tc.body, tc.hdr)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d %s, want %d with %q", r.Status, r.Body, tc.status, tc.want)
			}
		})
	}
	r := e.do(nil, "POST", path, url.Values{"reason": {"等待劳动仲裁"}, "new_due": {"2026-12-04"}}, h)
	if r.Status != 201 || r.json(t)["status"] != "pending" || r.json(t)["new_due"] != "2026-12-04T17:00:00+08:00" {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	id := int(r.json(t)["id"].(float64))
	if r := e.do(nil, "POST", path, map[string]any{"reason": "again", "workdays": 1}, h); r.Status != 409 {
		t.Fatalf("second request: %d %s", r.Status, r.Body)
	}
	list := e.do(nil, "GET", "/api/v1/extensions?status=pending", nil, sup).json(t)["extensions"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["ticket"] != tk.Number {
		t.Fatalf("supervisor's pending list: %v", list)
	}
	if got := e.do(nil, "GET", "/api/v1/extensions", nil, other).json(t)["extensions"].([]any); len(got) != 0 {
		t.Fatalf("another department sees %v", got)
	}
	if r := e.do(nil, "GET", "/api/v1/extensions?status=maybe", nil, sup); r.Status != 400 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
	approve := "/api/v1/extensions/" + strconv.Itoa(id) + "/approve"
	if r := e.do(nil, "POST", approve, nil, h); r.Status != 403 {
		t.Fatalf("handler approving: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/extensions/"+strconv.Itoa(id)+"/refuse", nil, sup); r.Status != 400 || !strings.Contains(r.Body, `"field":"text"`) {
		t.Fatalf("refusal without reason: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/extensions/abc/approve", nil, sup); r.Status != 404 {
		t.Fatalf("bad id: %d", r.Status)
	}
	if r := e.do(nil, "POST", approve, map[string]string{"text": "同意"}, sup); r.Status != 200 || r.json(t)["status"] != "approved" {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", approve, nil, sup); r.Status != 409 {
		t.Fatalf("approve twice: %d", r.Status)
	}
	got := e.do(nil, "GET", "/api/v1/tickets/"+tk.Number, nil, sup).json(t)
	if due, _ := time.Parse(time.RFC3339, got["resolve_due"].(string)); !due.Equal(time.Date(2026, 12, 4, 17, 0, 0, 0, testNow.Location())) {
		t.Fatalf("ticket's deadline after approval: %v", got["resolve_due"])
	}
	// The handler hears of the decision in the app.
	ns := e.do(nil, "GET", "/api/v1/notifications", nil, h).json(t)["notifications"].([]any)
	if len(ns) != 1 || ns[0].(map[string]any)["kind"] != "extension_approved" || ns[0].(map[string]any)["ticket"] != tk.Number {
		t.Fatalf("handler's notifications: %v", ns)
	}
	nid := int(ns[0].(map[string]any)["id"].(float64))
	if r := e.do(nil, "POST", "/api/v1/notifications/"+strconv.Itoa(nid)+"/read", nil, other); r.Status != 404 {
		t.Fatalf("someone else's notification: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/notifications/"+strconv.Itoa(nid)+"/read", nil, h); r.Status != 200 {
		t.Fatalf("mark read: %d %s", r.Status, r.Body)
	}
}

func TestSupervisionAPIAndLiveStream(t *testing.T) {
	t.Parallel()
	e, _ := newEscalationEnv(t)
	tk := e.register("餐馆后厨卫生问题", "food-safety", "13900002222", "market")
	h, other, sup := e.token("handler-market"), e.token("handler-hrss"), e.token("supervisor")
	path := "/api/v1/tickets/" + tk.Number + "/supervision"
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		body   any
		status int
		want   string
	}{
		{"handler", h, map[string]any{"text": "x", "workdays": 1}, 403, errRoleRefused},
		{"no text", sup, map[string]any{"workdays": 1}, 400, `"field":"text"`},
		{"past", sup, map[string]any{"text": "x", "due": "2026-11-01T10:00:00+08:00"}, 400, `"field":"due"`},
		{"bad due", sup, map[string]any{"text": "x", "due": "soon"}, 400, `"field":"due"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(nil, "POST", path, tc.body, tc.hdr)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d %s, want %d with %q", r.Status, r.Body, tc.status, tc.want)
			}
		})
	}

	// The market handler's browser listens before the notice is issued.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/notifications/stream", nil)
	req.Header.Set("Authorization", h["Authorization"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") {
				events <- l
			}
		}
		close(events)
	}()

	r := e.do(nil, "POST", path, url.Values{"text": {"请说明处理进展"}, "workdays": {"1"}}, sup)
	if r.Status != 201 || r.json(t)["department"] != "market" || r.json(t)["status"] != "open" {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	number := r.json(t)["number"].(string)
	select {
	case ev := <-events:
		if !strings.Contains(ev, number) || !strings.Contains(ev, `"kind":"supervision_issued"`) {
			t.Fatalf("stream event: %s", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live notification for the new notice")
	}
	if r := e.do(nil, "GET", "/api/v1/supervision/"+number, nil, other); r.Status != 403 {
		t.Fatalf("another department reads the notice: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/supervision/"+number+"/reply", map[string]string{"text": "x"}, other); r.Status != 403 {
		t.Fatalf("another department replies: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/supervision/"+number+"/reply", map[string]string{"text": ""}, h); r.Status != 400 {
		t.Fatalf("empty reply: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/supervision/DB2026-999999/reply", map[string]string{"text": "x"}, h); r.Status != 404 {
		t.Fatalf("unknown notice: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/supervision/"+number+"/reply", map[string]string{"text": "已现场检查，责令整改"}, h); r.Status != 200 || r.json(t)["status"] != "replied" {
		t.Fatalf("reply: %d %s", r.Status, r.Body)
	}
	list := e.do(nil, "GET", "/api/v1/supervision?status=replied", nil, h).json(t)["notices"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["number"] != number {
		t.Fatalf("department's notices: %v", list)
	}
	if got := e.do(nil, "GET", "/api/v1/supervision", nil, other).json(t)["notices"].([]any); len(got) != 0 {
		t.Fatalf("another department lists %v", got)
	}
}
