package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/tickets"
)

// A return visit through the API: an attempt that reaches nobody changes nothing but the
// timeline; a reached, satisfied citizen is the resolution's visit; an unsolved matter sends
// the ticket back (重办); bad input of every kind is refused with its field, and a ticket not
// yet resolved takes no visit.
func TestReturnVisitsAPI(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.token("agent1")
	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	post := func(number string, body map[string]any) resp {
		return e.do(nil, "POST", "/api/v1/tickets/"+number+"/visits", body, agent)
	}
	if r := post(tk.Number, map[string]any{"channel": "phone", "outcome": "reached", "contacted": true, "solved": "solved", "satisfaction": "satisfied"}); r.Status != 409 {
		t.Fatalf("a visit before resolution: %d %s", r.Status, r.Body)
	}
	e.resolve(tk.Number, "hrss", "已督促公司支付拖欠工资")
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"outcome": "reached"}, "channel"},
		{map[string]any{"channel": "fax", "outcome": "reached"}, "channel"},
		{map[string]any{"channel": "phone", "outcome": "maybe"}, "outcome"},
		{map[string]any{"channel": "phone", "outcome": "reached", "solved": "solved", "satisfaction": "satisfied"}, "contacted"},
		{map[string]any{"channel": "phone", "outcome": "reached", "contacted": "perhaps", "solved": "solved", "satisfaction": "satisfied"}, "contacted"},
		{map[string]any{"channel": "phone", "outcome": "reached", "contacted": true, "solved": "mostly", "satisfaction": "satisfied"}, "solved"},
		{map[string]any{"channel": "phone", "outcome": "reached", "contacted": true, "solved": "solved", "satisfaction": "delighted"}, "satisfaction"},
		{map[string]any{"channel": "phone", "outcome": "no_answer", "satisfaction": "satisfied"}, "outcome"},
		{map[string]any{"channel": "phone", "outcome": "reached", "contacted": true, "solved": "solved", "satisfaction": "satisfied", "comment": strings.Repeat("好", 2001)}, "comment"},
	} {
		if r := post(tk.Number, tc.body); r.Status != 400 || r.json(t)["field"] != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %s", tc.body, r.Status, r.Body, tc.field)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits", map[string]any{"channel": "phone", "outcome": "no_answer"}, e.token("handler-hrss")); r.Status != 403 {
		t.Fatalf("a department records its own visit: %d", r.Status)
	}
	if r := post(tk.Number, map[string]any{"channel": "phone", "outcome": "no_answer"}); r.Status != 200 || r.json(t)["status"] != "resolved" {
		t.Fatalf("an unanswered call: %d %s", r.Status, r.Body)
	}
	got, _ := e.tickets.Get(context.Background(), tk.Number)
	if got.VisitedAt != nil {
		t.Fatal("an unanswered call counted as the visit")
	}
	r := post(tk.Number, map[string]any{"channel": "phone", "outcome": "reached", "contacted": false, "solved": "unsolved", "satisfaction": "dissatisfied", "comment": "工资仍未发放"})
	if r.Status != 200 || r.json(t)["status"] != "dispatched" || r.json(t)["reopened"] != true {
		t.Fatalf("an unsolved matter: %d %s", r.Status, r.Body)
	}
	got, _ = e.tickets.Get(context.Background(), tk.Number)
	if got.ReopenCount != 1 || got.VisitedAt != nil {
		t.Fatalf("after the reopening visit: reopened %d, visited %v", got.ReopenCount, got.VisitedAt)
	}
	// Handled again and visited: satisfied this time, the visit of the second resolution.
	e.resolve(tk.Number, "hrss", "公司已补发全部工资")
	if r := post(tk.Number, map[string]any{"channel": "sms", "outcome": "reached", "contacted": true, "solved": "solved", "satisfaction": "basically"}); r.Status != 200 || r.json(t)["status"] != "resolved" {
		t.Fatalf("a satisfied visit: %d %s", r.Status, r.Body)
	}
	got, _ = e.tickets.Get(context.Background(), tk.Number)
	if got.VisitedAt == nil {
		t.Fatal("the reached visit did not mark the resolution visited")
	}
	list := e.do(nil, "GET", "/api/v1/tickets/"+tk.Number+"/visits", nil, agent)
	vs, _ := list.json(t)["visits"].([]any)
	if list.Status != 200 || len(vs) != 3 || vs[1].(map[string]any)["resolution"] != float64(0) || vs[2].(map[string]any)["resolution"] != float64(1) {
		t.Fatalf("the ticket's visits: %d %s", list.Status, list.Body)
	}
	var kinds []string
	e.db.NewRaw("SELECT kind FROM ticket_events WHERE ticket_id = ? AND kind IN ('visit_attempt', 'visit', 'reopen') ORDER BY id", got.ID).Scan(context.Background(), &kinds)
	if strings.Join(kinds, ",") != "visit_attempt,visit,reopen,visit" {
		t.Fatalf("the timeline: %v", kinds)
	}
	if _, err := e.db.ExecContext(context.Background(), "UPDATE return_visits SET satisfaction = 'satisfied'"); err == nil {
		t.Fatal("a recorded visit was changed")
	}
}

// resolve has dept's handler sign for the ticket (when not yet) and resolve it with text.
func (e *staffEnv) resolve(number, dept, text string) {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.org.Staff(ctx, "handler-"+dept)
	if err != nil {
		e.t.Fatal(err)
	}
	actor := tickets.ActorFor(st)
	if _, err := e.tickets.Accept(ctx, actor, number, tickets.ActInput{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.tickets.Resolve(ctx, actor, number, tickets.ActInput{Text: text}); err != nil {
		e.t.Fatal(err)
	}
}

// A resolution records its result type: solved when none is given, one of the five otherwise,
// anything else refused naming result_type; the ticket's read and page show it.
func TestResolveResultType(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	handler := e.token("handler-hrss")
	for _, tc := range []struct{ given, want string }{{"", "solved"}, {"informed", "informed"}} {
		tk := e.register("咨询社保缴费", "wage-arrears", "13800138000", "hrss")
		if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/accept", map[string]any{}, handler); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/resolve", map[string]any{"text": "已处理", "result_type": "maybe"}, handler); r.Status != 400 || r.json(t)["field"] != "result_type" {
			t.Fatalf("a fourth kind of result: %d %s", r.Status, r.Body)
		}
		body := map[string]any{"text": "已告知缴费政策"}
		if tc.given != "" {
			body["result_type"] = tc.given
		}
		if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/resolve", body, handler); r.Status != 200 {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
		if r := e.do(nil, "GET", "/api/v1/tickets/"+tk.Number, nil, handler); r.json(t)["result_type"] != tc.want {
			t.Fatalf("result type given %q: %s", tc.given, r.Body)
		}
	}
	// How the citizen was reached is recorded with the result, shown on the page and the result
	// sheet; an unknown way is refused naming the field.
	tk := e.register("咨询社保缴费", "wage-arrears", "13800138000", "hrss")
	e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/accept", map[string]any{}, handler)
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/resolve", map[string]any{"text": "已上门处理", "contact_method": "pigeon"}, handler); r.Status != 400 || r.json(t)["field"] != "contact_method" {
		t.Fatalf("an unknown contact method: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/resolve", map[string]any{"text": "已上门处理", "contact_method": "visit"}, handler); r.Status != 200 || r.json(t)["contact_method"] != "visit" {
		t.Fatalf("resolve with a contact method: %d %s", r.Status, r.Body)
	}
	hb := e.browser("handler-hrss")
	if page := e.do(hb, "GET", "/tickets/"+tk.Number, nil, nil).Body; !strings.Contains(between(page, `id="contact-method">`, "</dd>"), "上门") {
		t.Errorf("the page's contact method: %q", between(page, `id="contact-method">`, "</dd>"))
	}
	if sheet := e.do(hb, "GET", "/tickets/"+tk.Number+"/result-sheet", nil, nil).Body; between(sheet, `id="sheet-contact">`, "<") != "上门" {
		t.Errorf("the result sheet's contact method: %q", between(sheet, `id="sheet-contact">`, "<"))
	}
}

// The 回访 work queue lists the resolved tickets still to be visited, nearest deadline first,
// with the citizen's number masked; a row's form records the visit and the ticket leaves the
// queue; a department's handler has no queue.
func TestVisitQueuePage(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	first := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	e.resolve(first.Number, "hrss", "已督促公司支付")
	open := e.register("小区噪音扰民", "wage-arrears", "13900139000", "hrss")
	agent := e.browser("agent1")
	page := e.do(agent, "GET", "/visits", nil, nil)
	mustContain(t, "queue", page, `data-number="`+first.Number+`"`, "138****8000", `action="/visits/`+first.Number+`"`)
	mustLack(t, "queue", page, "13800138000", `data-number="`+open.Number+`"`)
	same := map[string]string{"Origin": e.ts.URL}
	r := e.do(agent, "POST", "/visits/"+first.Number, url.Values{"outcome": {"reached"}, "contacted": {"yes"}, "solved": {"solved"}, "satisfaction": {"satisfied"}}, same)
	if r.Status != 303 || !strings.Contains(r.Header.Get("Location"), "/visits?done=") {
		t.Fatalf("record from the queue: %d %s", r.Status, r.Body)
	}
	mustLack(t, "queue after the visit", e.do(agent, "GET", "/visits", nil, nil), `data-number="`+first.Number+`"`)
	if r := e.do(agent, "POST", "/visits/"+first.Number, url.Values{"outcome": {"reached"}}, same); r.Status != 409 && r.Status != 400 {
		t.Fatalf("a visit on a ticket no longer resolved or without answers: %d", r.Status)
	}
	if r := e.do(e.browser("handler-hrss"), "GET", "/visits", nil, nil); r.Status != 403 {
		t.Fatalf("a department's handler: %d", r.Status)
	}
}
