package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// A named citizen's 不满意 reopens the ticket and opens a rectification (差评整改) for its
// department, an anonymous one only the reopening; the department gives proof (text and a
// file), another department cannot see or prove it, the centre refuses then accepts it; an
// overdue one is escalated by the sweep once, however often it runs.
func TestRectificationLoop(t *testing.T) {
	t.Parallel()
	e, esc := newEscalationEnv(t)
	ctx := context.Background()
	agent, hrss, market := e.token("agent1"), e.token("handler-hrss"), e.token("handler-market")
	dissatisfied := map[string]any{"channel": "phone", "outcome": "reached", "contacted": true, "solved": "partly", "satisfaction": "dissatisfied", "comment": "态度敷衍"}

	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付")
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits", dissatisfied, agent); r.Status != 200 || r.json(t)["reopened"] != true {
		t.Fatalf("a dissatisfied visit: %d %s", r.Status, r.Body)
	}
	anon, err := e.tickets.Register(ctx, e.actor("dispatcher"), tickets.RegisterInput{Channel: "phone", Category: "wage-arrears",
		Description: "拖欠工资", CallerPhone: "13900139000", Address: "东城区"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Dispatch(ctx, e.actor("dispatcher"), anon.Number, tickets.DispatchInput{Department: "hrss"}); err != nil {
		t.Fatal(err)
	}
	e.resolve(anon.Number, "hrss", "已处理")
	if r := e.do(nil, "POST", "/api/v1/tickets/"+anon.Number+"/visits", dissatisfied, agent); r.Status != 200 || r.json(t)["reopened"] != true {
		t.Fatalf("an anonymous dissatisfied visit: %d %s", r.Status, r.Body)
	}

	list := func(hdr map[string]string, query string) []any {
		r := e.do(nil, "GET", "/api/v1/rectifications"+query, nil, hdr)
		if r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		rs, _ := r.json(t)["rectifications"].([]any)
		return rs
	}
	rs := list(agent, "")
	if len(rs) != 1 || rs[0].(map[string]any)["ticket"] != tk.Number || rs[0].(map[string]any)["status"] != "open" {
		t.Fatalf("the centre's list: %v", rs)
	}
	if n := len(list(hrss, "")); n != 1 {
		t.Fatalf("the department's list: %d rows", n)
	}
	if n := len(list(market, "")); n != 0 {
		t.Fatalf("another department sees %d rows", n)
	}
	id := int64(rs[0].(map[string]any)["id"].(float64))
	proof := fmt.Sprintf("/api/v1/rectifications/%d/proof", id)
	decide := fmt.Sprintf("/api/v1/rectifications/%d/decide", id)
	if r := e.postFiles(nil, proof, map[string]string{"proof": "已上门道歉"}, nil, market); r.Status != 404 {
		t.Fatalf("proof from another department: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", proof, map[string]any{"proof": "已上门道歉"}, agent); r.Status != 403 {
		t.Fatalf("proof from the centre: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", decide, map[string]any{"decision": "accept"}, agent); r.Status != 409 {
		t.Fatalf("a decision before any proof: %d %s", r.Status, r.Body)
	}
	if r := e.postFiles(nil, proof, map[string]string{"proof": " "}, nil, hrss); r.Status != 400 || r.json(t)["field"] != "proof" {
		t.Fatalf("proof without words: %d %s", r.Status, r.Body)
	}
	if r := e.postFiles(nil, proof, map[string]string{"proof": "已上门道歉并督促公司补发工资"}, []testFile{{"回执.png", testPNG}}, hrss); r.Status != 200 ||
		r.json(t)["status"] != "submitted" || r.json(t)["attachment_id"] == nil {
		t.Fatalf("the department's proof: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", decide, map[string]any{"decision": "accept"}, hrss); r.Status != 403 {
		t.Fatalf("the department decides its own: %d %s", r.Status, r.Body)
	}
	for _, body := range []map[string]any{{"decision": "maybe"}, {"decision": "refuse"}} {
		if r := e.do(nil, "POST", decide, body, agent); r.Status != 400 {
			t.Fatalf("decision %v: %d %s", body, r.Status, r.Body)
		}
	}
	if r := e.do(nil, "POST", decide, map[string]any{"decision": "refuse", "note": "请补充公司付款凭证"}, agent); r.Status != 200 || r.json(t)["status"] != "open" {
		t.Fatalf("refused: %d %s", r.Status, r.Body)
	}
	if r := e.postFiles(nil, proof, map[string]string{"proof": "补充付款凭证"}, []testFile{{"凭证.pdf", testPDF}}, hrss); r.Status != 200 {
		t.Fatalf("proof again: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", decide, map[string]any{"decision": "accept"}, agent); r.Status != 200 || r.json(t)["status"] != "accepted" {
		t.Fatalf("accepted: %d %s", r.Status, r.Body)
	}

	// The pages: the department's with its proof form, the centre's with the decision.
	mustContain(t, "the centre's page", e.do(e.browser("agent1"), "GET", "/rectifications", nil, nil), tk.Number, "已完成")
	mustLack(t, "another department's page", e.do(e.browser("handler-market"), "GET", "/rectifications", nil, nil), tk.Number)

	// Overdue: a second bad rating left alone past its deadline is escalated once.
	e.resolve(tk.Number, "hrss", "已补发工资")
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits", dissatisfied, agent); r.Status != 200 {
		t.Fatalf("a second dissatisfied visit: %d %s", r.Status, r.Body)
	}
	open := list(agent, "?status=open")
	if len(open) != 1 {
		t.Fatalf("open rectifications: %v", open)
	}
	due, _ := time.Parse(time.RFC3339, open[0].(map[string]any)["due"].(string))
	late := due.Add(time.Hour)
	var acts []escalation.Action
	for range 2 {
		if _, err := esc.Sweep(ctx, late, func(a escalation.Action) {
			if a.Clock == escalation.ClockRectify {
				acts = append(acts, a)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(acts) != 1 || acts[0].Ticket != tk.Number || acts[0].Department != "hrss" || len(acts[0].Recipients) == 0 {
		t.Fatalf("overdue rectification escalations: %+v, want one", acts)
	}
	e.clock.Set(late)
	if rs := list(hrss, "?overdue=1"); len(rs) != 1 || rs[0].(map[string]any)["overdue"] != true {
		t.Fatalf("overdue list: %v", rs)
	}
	mustContain(t, "the overdue page", e.do(e.browser("handler-hrss"), "GET", "/rectifications?overdue=1", nil, nil), "已逾期", `action="/rectifications/`)
}
