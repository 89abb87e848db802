package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

func TestTicketAPIJourney(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent, handler, other, sup := e.token("agent1"), e.token("handler-hrss"), e.token("handler-market"), e.token("supervisor")

	r := e.do(nil, "POST", "/api/v1/tickets", map[string]any{"category": "wage-arrears", "description": "公司拖欠三个月工资",
		"caller_name": "王女士", "caller_phone": "13912345678", "address": "西城区新街口外大街8号", "department": "hrss"}, agent)
	if r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	tk := r.json(t)
	no := tk["number"].(string)
	if tk["status"] != "dispatched" || tk["caller_phone"] != "13912345678" {
		t.Fatalf("registered ticket: %v", tk)
	}

	// The handler sees the number masked; another department's handler does not see the ticket.
	got := e.do(nil, "GET", "/api/v1/tickets/"+no, nil, handler)
	if got.Status != 200 || got.json(t)["caller_phone"] != "139****5678" || got.json(t)["phone_masked"] != true {
		t.Fatalf("handler read: %d %s", got.Status, got.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/tickets/"+no, nil, other); r.Status != 403 {
		t.Fatalf("other department read: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+no+"/accept", nil, other); r.Status != 403 {
		t.Fatalf("other department accept: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/tickets/20261123-999999", nil, handler); r.Status != 404 {
		t.Fatalf("missing ticket: %d", r.Status)
	}
	list := e.do(nil, "GET", "/api/v1/tickets", nil, other).json(t)["tickets"].([]any)
	if len(list) != 0 {
		t.Fatalf("another department lists %d tickets", len(list))
	}

	steps := []struct {
		action string
		body   any
		status int
		want   string
	}{
		{"resolve", url.Values{"text": {"已办"}}, 409, "cannot resolve"},
		{"accept", nil, 200, `"accepted"`},
		{"accept", nil, 409, "cannot accept"},
		{"feedback", map[string]string{"text": ""}, 400, `"field":"text"`},
		{"feedback", map[string]string{"text": "已电话联系王女士，说明将约谈企业"}, 200, `"accepted"`},
		{"notes", url.Values{"text": {"企业负责人下午到场"}}, 200, ""},
		{"notes", map[string]any{"text": "version too old", "version": 1}, 409, "version"},
		{"notes", map[string]any{"text": "x", "version": "abc"}, 400, `"field":"version"`},
		{"resolve", map[string]any{"text": "企业已补发工资", "attachments": []string{"receipt.pdf"}}, 400, `"field":"attachments"`},
		{"resolve", map[string]any{"text": "企业已补发工资"}, 200, `"resolved"`},
	}
	for _, s := range steps {
		r := e.do(nil, "POST", "/api/v1/tickets/"+no+"/"+s.action, s.body, handler)
		if r.Status != s.status || !strings.Contains(r.Body, s.want) {
			t.Fatalf("%s: got %d %s, want %d with %q", s.action, r.Status, r.Body, s.status, s.want)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+no+"/close", nil, handler); r.Status != 403 || !strings.Contains(r.Body, errRoleRefused) {
		t.Fatalf("handler close: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+no+"/close", map[string]string{"text": "回访满意"}, sup); r.Status != 200 {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	full := e.do(nil, "GET", "/api/v1/tickets/"+no, nil, sup).json(t)
	var kinds []string
	for _, ev := range full["events"].([]any) {
		kinds = append(kinds, ev.(map[string]any)["kind"].(string))
	}
	if strings.Join(kinds, ",") != "register,dispatch,accept,feedback,note,resolve,close" {
		t.Fatalf("timeline: %v", kinds)
	}
}

func TestRevealPhone(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("小区垃圾无人清运", "", "13800138000", "urban")
	h := e.token("handler-urban")
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/reveal-phone", map[string]string{"reason": ""}, h); r.Status != 400 || !strings.Contains(r.Body, `"field":"reason"`) {
		t.Fatalf("reveal without reason: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/reveal-phone", map[string]string{"reason": "x"}, e.token("handler-market")); r.Status != 403 {
		t.Fatalf("reveal by another department: %d", r.Status)
	}
	r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/reveal-phone", url.Values{"reason": {"需电话联系市民核实地址"}}, h)
	if r.Status != 200 || r.json(t)["caller_phone"] != "13800138000" {
		t.Fatalf("reveal: %d %s", r.Status, r.Body)
	}
	evs, _ := e.tickets.Events(context.Background(), tk.ID, true)
	last := evs[len(evs)-1]
	if last.Kind != "phone_revealed" || last.Body != "需电话联系市民核实地址" || last.Public {
		t.Fatalf("timeline entry: %+v", last)
	}
	pub, _ := e.tickets.Events(context.Background(), tk.ID, false)
	for _, ev := range pub {
		if ev.Kind == "phone_revealed" {
			t.Fatal("reveal shown on the citizen's timeline")
		}
	}
}

func TestAnswerFromKnowledgeBase(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.token("agent1")
	kb := e.do(nil, "GET", "/api/v1/kb?q="+url.QueryEscape("社保 转移"), nil, agent).json(t)["articles"].([]any)
	// The article with both words in its title ranks first.
	if len(kb) == 0 || kb[0].(map[string]any)["code"] != "social-insurance-transfer" {
		t.Fatalf("kb search: %v", kb)
	}
	if got := e.do(nil, "GET", "/api/v1/kb?q="+url.QueryEscape("防疫"), nil, agent).json(t)["articles"].([]any); len(got) != 0 {
		t.Fatalf("expired article offered: %v", got)
	}
	if got := e.do(nil, "GET", "/api/v1/kb?q="+url.QueryEscape("100%_"), nil, agent).json(t)["articles"].([]any); len(got) != 0 {
		t.Fatalf("wildcards matched: %v", got)
	}
	for _, tc := range []struct {
		name, article string
		status        int
		want          string
	}{
		{"expired article", "old-epidemic-policy", 400, "not valid today"},
		{"unknown article", "nope", 400, `"field":"article"`},
		{"valid article", "social-insurance-transfer", 201, `"closed"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(nil, "POST", "/api/v1/tickets", map[string]any{"type": "consultation", "description": "咨询社保转移",
				"caller_phone": "13700001111", "article": tc.article}, agent)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
	var n int
	e.db.NewRaw("SELECT count(*) FROM tickets").Scan(context.Background(), &n)
	if n != 1 {
		t.Fatalf("refused registrations left %d tickets, want 1", n)
	}
	var data string
	e.db.NewRaw("SELECT data::text FROM ticket_events WHERE kind = 'answer'").Scan(context.Background(), &data)
	if !strings.Contains(data, "social-insurance-transfer") || !strings.Contains(data, "kb_source") {
		t.Fatalf("article not recorded: %s", data)
	}
}

func TestRegisterBadInput(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.token("agent1")
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"no description", map[string]any{"category": "noise"}, `"field":"description"`},
		{"unknown category", map[string]any{"description": "x", "category": "nope"}, `"field":"category"`},
		{"bad latitude", map[string]any{"description": "x", "lat": "north", "lon": "1"}, `"field":"lat"`},
		{"unknown department", map[string]any{"description": "x", "department": "nope"}, `"field":"department"`},
		{"answer and dispatch", map[string]any{"description": "x", "answer": "y", "department": "hrss"}, `"field":"department"`},
		{"bad status filter", nil, `"field":"status"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r resp
			if tc.body == nil {
				r = e.do(nil, "GET", "/api/v1/tickets?status=open", nil, agent)
			} else {
				r = e.do(nil, "POST", "/api/v1/tickets", tc.body, agent)
			}
			if r.Status != 400 || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
	var n int
	e.db.NewRaw("SELECT count(*) FROM tickets").Scan(context.Background(), &n)
	if n != 0 {
		t.Fatalf("bad input left %d tickets", n)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets", map[string]any{"description": "x"}, e.token("handler-hrss")); r.Status != 403 {
		t.Fatalf("handler registers: %d", r.Status)
	}
}

func TestDuplicatesAndCallerHistory(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, withRouting)
	noise := e.register("建筑工地夜间施工噪音扰民，凌晨两点还在打桩", "noise", "13600001234", "")
	e.register("公司拖欠工资", "wage-arrears", "13500005678", "")
	agent := e.token("agent1")
	// description is the field's first name, text routing's; both reach the same search.
	for _, field := range []string{"description", "text"} {
		r := e.do(nil, "GET", "/api/v1/duplicates?"+url.Values{field: {"工地夜间施工噪音很大，凌晨还在打桩"}, "category": {"noise"}}.Encode(), nil, agent)
		c := r.json(t)["candidates"].([]any)
		if r.Status != 200 || len(c) != 1 || c[0].(map[string]any)["number"] != noise.Number ||
			!strings.Contains(c[0].(map[string]any)["description"].(string), "打桩") || c[0].(map[string]any)["same_category"] != true {
			t.Fatalf("duplicates by %s: %d %s", field, r.Status, r.Body)
		}
	}
	// The routing path is an alias of the same handler: the same answer.
	// A phone number travels in a POST body, never in the URL.
	byPhone := map[string]string{"phone": "13500005678"}
	a, b := e.do(nil, "POST", "/api/v1/duplicates", byPhone, agent), e.do(nil, "POST", "/api/v1/routing/duplicates", byPhone, agent)
	if a.Status != 200 || a.Body != b.Body || !strings.Contains(a.Body, "same phone") {
		t.Fatalf("alias: %d %s / %d %s", a.Status, a.Body, b.Status, b.Body)
	}
	q := "?" + url.Values{"phone": {"13500005678"}}.Encode()
	if r := e.do(nil, "GET", "/api/v1/duplicates"+q, nil, agent); r.Status != 400 || r.json(t)["field"] != "phone" {
		t.Fatalf("a phone number in the URL: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct{ query, field string }{{"", "text"}, {"?text=x&category=no-such-category", "category"}} {
		if r := e.do(nil, "GET", "/api/v1/duplicates"+tc.query, nil, agent); r.Status != 400 || r.json(t)["field"] != tc.field {
			t.Fatalf("duplicates%s: %d %s, want 400 naming %s", tc.query, r.Status, r.Body, tc.field)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/duplicates", byPhone, e.token("handler-hrss")); r.Status != 403 {
		t.Fatalf("handler asks for duplicates: %d", r.Status)
	}
	h := e.do(nil, "POST", "/api/v1/callers/tickets", byPhone, agent).json(t)["tickets"].([]any)
	if len(h) != 1 {
		t.Fatalf("caller history: %v", h)
	}
	if r := e.do(nil, "POST", "/api/v1/callers/tickets", map[string]string{}, agent); r.Status != 400 || r.json(t)["field"] != "phone" {
		t.Fatalf("caller history without a phone: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/callers/13500005678/tickets", nil, agent); r.Status != 404 {
		t.Fatalf("the old URL with the number in it: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/search", byPhone, agent); r.Status != 200 || strings.Count(r.Body, `"number"`) != 1 || !strings.Contains(r.Body, "公司拖欠工资") {
		t.Fatalf("tickets by phone in the body: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/tickets?phone=13500005678", nil, e.token("handler-hrss")); r.Status != 403 {
		t.Fatalf("handler searches by phone: %d", r.Status)
	}
}

// The ticket list finds tickets by words of their description, address, title or result
// (two-character Chinese words too) and by a full phone number or its last four digits, and
// says how many match in all beyond the page; bad searches are refused with their field.
func TestTicketSearch(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	a := e.register("建筑工地夜间施工噪音扰民", "noise", "13600001234", "")
	e.register("公司拖欠工资三个月", "wage-arrears", "13500005678", "")
	e.register("小区噪音 100%_扰民", "noise", "13700009999", "")
	sup := e.token("supervisor")
	get := func(q url.Values) resp { return e.do(nil, "GET", "/api/v1/tickets?"+q.Encode(), nil, sup) }
	for _, tc := range []struct {
		q     url.Values
		total float64
	}{
		{url.Values{"q": {"噪音"}}, 2},
		{url.Values{"q": {"噪音 工地"}}, 1},
		{url.Values{"q": {"安定门"}}, 3}, // the address all three share
		{url.Values{"q": {"100%_"}}, 1},
		{url.Values{"phone": {"1234"}}, 1},
		{url.Values{"phone": {"136-0000-1234"}}, 1},
		{url.Values{"q": {"噪音"}, "limit": {"1"}}, 2},
	} {
		r := get(tc.q)
		if r.Status != 200 || r.json(t)["total"] != tc.total {
			t.Errorf("%v: %d %s", tc.q, r.Status, r.Body)
		}
	}
	if r := get(url.Values{"q": {"工地"}}); !strings.Contains(r.Body, a.Number) || strings.Count(r.Body, `"number"`) != 1 {
		t.Errorf("the ticket found: %s", r.Body)
	}
	for _, tc := range []struct {
		q     url.Values
		field string
	}{
		{url.Values{"phone": {"12ab"}}, "phone"},
		{url.Values{"phone": {"123"}}, "phone"},
		{url.Values{"q": {"一 二 三 四 五 六 七 八 九 十 十一"}}, "q"},
		{url.Values{"q": {"%"}}, "q"}, // no word to look for
	} {
		if r := get(tc.q); r.Status != 400 || r.json(t)["field"] != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %s", tc.q, r.Status, r.Body, tc.field)
		}
	}
}
