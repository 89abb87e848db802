package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// routingEnv is a web server with routing wired as serve wires it, on its own database with
// the demo directory, rules and a few accounts.
type routingEnv struct {
	t       *testing.T
	db      *bun.DB
	ts      *httptest.Server
	tickets *tickets.Service
	svc     *routing.Service
	agent   tickets.Actor
	tokens  map[string]string
}

func newRoutingEnv(t *testing.T) *routingEnv {
	t.Helper()
	c := demotest.New(t, demotest.At(time.Date(2026, 11, 23, 10, 0, 0, 0, mustZone("Asia/Shanghai"))),
		demotest.Staff("admin", "dispatcher", "handler-hrss"), demotest.Routing(),
		demotest.Intake(intake.Config{CatalogueTTL: time.Minute}), demotest.Escalation(escalation.Options{}))
	srv, err := New(depsFor(c))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &routingEnv{t: t, db: c.DB, ts: hs, tickets: c.Tickets, svc: c.Routing, tokens: map[string]string{}, agent: c.Agent}
}

// call sends a request as user (logging in once through the API) and decodes a JSON answer;
// body is nil, url.Values (a form), a string (raw JSON) or a value to encode.
func (e *routingEnv) call(user, method, path string, body any) (int, map[string]any, string) {
	e.t.Helper()
	tok, ok := e.tokens[user]
	if !ok && user != "" {
		pw := map[string]string{"admin": "demo-admin", "dispatcher": "demo-dispatcher", "handler-hrss": "demo-handler"}[user]
		_, m, raw := e.call("", "POST", "/api/v1/tokens", map[string]string{"username": user, "password": pw})
		if m["token"] == nil {
			e.t.Fatalf("login %s: %s", user, raw)
		}
		tok = m["token"].(string)
		e.tokens[user] = tok
	}
	req := newRequest(e.t, method, e.ts.URL+path, body)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return res.StatusCode, m, string(raw)
}

func (e *routingEnv) register(in tickets.RegisterInput) *tickets.Ticket {
	e.t.Helper()
	in.Channel = "phone"
	tk, err := e.tickets.Register(context.Background(), e.agent, in)
	if err != nil {
		e.t.Fatal(err)
	}
	tk, err = e.tickets.Get(context.Background(), tk.Number)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk
}

func TestRoutingAPIRules(t *testing.T) {
	t.Parallel()
	e := newRoutingEnv(t)
	st, m, raw := e.call("admin", "POST", "/api/v1/routing/rules", `{"name":"共享单车","priority":50,"enabled":true,
		"conditions":{"keywords":["共享单车"]},"action":{"lead":"urban"}}`)
	if st != http.StatusCreated || m["version"] != float64(1) {
		t.Fatalf("create: %d %s", st, raw)
	}
	id := int64(m["id"].(float64))
	path := "/api/v1/routing/rules/" + jsonNum(id)
	if st, m, raw = e.call("dispatcher", "GET", path, nil); st != http.StatusOK || m["name"] != "共享单车" {
		t.Fatalf("read: %d %s", st, raw)
	}
	if st, m, raw = e.call("admin", "PUT", path, `{"name":"共享单车","priority":50,"enabled":true,"version":1,
		"conditions":{"keywords":["共享单车","单车"]},"action":{"lead":"transport"}}`); st != http.StatusOK || m["version"] != float64(2) {
		t.Fatalf("update: %d %s", st, raw)
	}
	tk := e.register(tickets.RegisterInput{Description: "共享单车堆满了人行道"})
	if tk.Department == nil || tk.Department.Code != "transport" {
		t.Fatalf("after the update the ticket went to %v", tk.Department)
	}
	if st, m, raw = e.call("dispatcher", "GET", path+"/versions", nil); st != http.StatusOK || len(m["versions"].([]any)) != 2 {
		t.Fatalf("versions: %d %s", st, raw)
	}
	if st, _, raw = e.call("admin", "DELETE", path, nil); st != http.StatusOK {
		t.Fatalf("delete: %d %s", st, raw)
	}
	if st, _, _ = e.call("admin", "GET", path, nil); st != http.StatusNotFound {
		t.Fatalf("read deleted: %d, want 404", st)
	}
	if st, m, _ = e.call("admin", "GET", path+"/versions", nil); st != http.StatusOK || len(m["versions"].([]any)) != 3 {
		t.Fatalf("versions after delete: %d %v", st, m)
	}
	if st, m, _ = e.call("dispatcher", "GET", "/api/v1/routing/rules", nil); st != http.StatusOK || len(m["rules"].([]any)) != len(demo.Rules()) {
		t.Fatalf("list: %d, %d rules", st, len(m["rules"].([]any)))
	}
	// Each change has its audit entry, written with it; a refused change has none.
	if st, _, _ = e.call("admin", "PUT", path, `{"name":"x","version":1,"action":{"lead":"nowhere"}}`); st != http.StatusBadRequest && st != http.StatusNotFound && st != http.StatusConflict {
		t.Fatalf("refused update: %d", st)
	}
	var actions []string
	if err := e.db.NewRaw("SELECT action || ':' || object_key || ':' || (detail->>'version') FROM audit_log WHERE object_type = 'routing_rule' ORDER BY id").
		Scan(context.Background(), &actions); err != nil {
		t.Fatal(err)
	}
	want := []string{"routing_rule_created:" + jsonNum(id) + ":1", "routing_rule_updated:" + jsonNum(id) + ":2", "routing_rule_deleted:" + jsonNum(id) + ":3"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit trail %v, want %v", actions, want)
	}
}

func jsonNum(id int64) string { b, _ := json.Marshal(id); return string(b) }

func TestRoutingAPIBadInput(t *testing.T) {
	t.Parallel()
	e := newRoutingEnv(t)
	for _, tc := range []struct {
		name, user, method, path string
		body                     any
		status                   int
		field                    string
	}{
		{"dispatcher may not write", "dispatcher", "POST", "/api/v1/routing/rules", `{"name":"x","action":{"hold":true}}`, 403, ""},
		{"handler may not read", "handler-hrss", "GET", "/api/v1/routing/rules", nil, 403, ""},
		{"not logged in", "", "GET", "/api/v1/routing/rules", nil, 401, ""},
		{"not JSON", "admin", "POST", "/api/v1/routing/rules", `name=x`, 400, "body"},
		{"misspelt field", "admin", "POST", "/api/v1/routing/rules", `{"name":"x","conditoins":{},"action":{"hold":true}}`, 400, "conditoins"},
		{"wrong type", "admin", "POST", "/api/v1/routing/rules", `{"name":"x","priority":"high","action":{"hold":true}}`, 400, "priority"},
		{"empty name", "admin", "POST", "/api/v1/routing/rules", `{"name":"","action":{"hold":true}}`, 400, "name"},
		{"unknown department", "admin", "POST", "/api/v1/routing/rules", `{"name":"x","action":{"lead":"nasa"}}`, 400, "action.lead"},
		{"unknown category", "admin", "POST", "/api/v1/routing/rules", `{"name":"x","conditions":{"categories":["ufo"]},"action":{"lead":"urban"}}`, 400, "conditions.categories[0]"},
		{"bad regexp", "admin", "POST", "/api/v1/routing/rules", `{"name":"x","conditions":{"regexps":["("]},"action":{"lead":"urban"}}`, 400, "conditions.regexps[0]"},
		{"bad time window", "admin", "POST", "/api/v1/routing/rules", `{"name":"x","conditions":{"time_window":{"from":"25:00","to":"06:00"}},"action":{"lead":"urban"}}`, 400, "conditions.time_window"},
		{"taken id", "admin", "POST", "/api/v1/routing/rules", `{"id":30,"name":"x","action":{"lead":"urban"}}`, 400, "id"},
		{"stale version", "admin", "PUT", "/api/v1/routing/rules/30", `{"name":"x","version":7,"action":{"lead":"hrss"}}`, 409, ""},
		{"id mismatch", "admin", "PUT", "/api/v1/routing/rules/30", `{"id":31,"name":"x","action":{"lead":"hrss"}}`, 400, "id"},
		{"bad id", "admin", "GET", "/api/v1/routing/rules/abc", nil, 400, "id"},
		{"no such rule", "admin", "DELETE", "/api/v1/routing/rules/99999", nil, 404, ""},
		{"dry run without text", "dispatcher", "POST", "/api/v1/routing/dry-run", map[string]string{}, 400, "text"},
		{"dry run bad channel", "dispatcher", "POST", "/api/v1/routing/dry-run", map[string]string{"text": "x", "channel": "pigeon"}, 400, "channel"},
		{"dry run bad time", "dispatcher", "POST", "/api/v1/routing/dry-run", map[string]string{"text": "x", "at": "tonight"}, 400, "at"},
		{"dry run bad lat", "dispatcher", "POST", "/api/v1/routing/dry-run", map[string]string{"text": "x", "lat": "north"}, 400, "lat"},
		{"dry run unknown category", "dispatcher", "POST", "/api/v1/routing/dry-run", map[string]string{"text": "x", "category": "ufo"}, 400, "category"},
		{"suggest without text", "dispatcher", "GET", "/api/v1/routing/suggest", nil, 400, "text"},
		{"review bad decision", "dispatcher", "POST", "/api/v1/routing/returns/20261123-000001/review", map[string]string{"decision": "maybe"}, 400, "decision"},
		{"review unknown ticket", "dispatcher", "POST", "/api/v1/routing/returns/20000101-000001/review", map[string]string{"decision": "send_back", "note": "n"}, 404, ""},
		{"review bad version", "dispatcher", "POST", "/api/v1/routing/returns/20000101-000001/review", map[string]string{"decision": "send_back", "version": "v1"}, 400, "version"},
		{"stats bad days", "admin", "GET", "/api/v1/routing/return-stats?days=-3", nil, 400, "days"},
		{"duplicates of nothing", "dispatcher", "GET", "/api/v1/routing/duplicates", nil, 400, "text"},
		{"merge without master", "dispatcher", "POST", "/api/v1/tickets/20261123-000001/merge", map[string]string{}, 400, "master"},
		{"merge by a department", "handler-hrss", "POST", "/api/v1/tickets/20261123-000001/merge", map[string]string{"master": "x"}, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, m, raw := e.call(tc.user, tc.method, tc.path, tc.body)
			if st != tc.status {
				t.Fatalf("%d %s, want %d", st, raw, tc.status)
			}
			if m["error"] == nil || m["error"] == "" {
				t.Errorf("no error message: %s", raw)
			}
			if tc.field != "" && m["field"] != tc.field {
				t.Errorf("field %v, want %s: %s", m["field"], tc.field, raw)
			}
		})
	}
	// A rule's problem names the rule too.
	_, m, _ := e.call("admin", "POST", "/api/v1/routing/rules", `{"name":"坏规则","action":{"lead":"nasa"}}`)
	if m["rule"] != "坏规则" || !strings.Contains(m["error"].(string), "坏规则") {
		t.Errorf("validation error %v does not name the rule", m)
	}
}

func TestRoutingAPIDryRunReviewAndMerge(t *testing.T) {
	t.Parallel()
	e := newRoutingEnv(t)
	ctx := context.Background()
	st, m, raw := e.call("dispatcher", "POST", "/api/v1/routing/dry-run", map[string]string{
		"text": "工地拖欠农民工工资", "category": "food-safety", "address": "东城区安定门大街", "at": "2026-11-23T22:30"})
	if st != http.StatusOK {
		t.Fatalf("dry run: %d %s", st, raw)
	}
	dec := m["explanation"].(map[string]any)["decision"].(map[string]any)
	if dec["rule_id"] != float64(30) || dec["action"].(map[string]any)["lead"] != "hrss" || len(m["suggestions"].([]any)) != 3 {
		t.Fatalf("dry run decision %v", dec)
	}
	if st, m, raw = e.call("dispatcher", "GET", "/api/v1/routing/suggest?text="+url.QueryEscape("餐馆卖过期食品"), nil); st != 200 ||
		m["suggestions"].([]any)[0].(map[string]any)["department"] != "market" {
		t.Fatalf("suggest: %d %s", st, raw)
	}

	tk := e.register(tickets.RegisterInput{Category: "wage-arrears", Description: "公司拖欠工资三个月", CallerPhone: "13600000001", Address: "东城区安定门大街1号"})
	if tk.Department == nil || tk.Department.Code != "hrss" {
		t.Fatalf("wage arrears went to %v", tk.Department)
	}
	hrss, _ := org.NewStore(e.db).Department(ctx, "hrss")
	if _, err := e.tickets.Return(ctx, tickets.Actor{Name: "h", Role: org.RoleHandler, DepartmentID: hrss.ID}, tk.Number, tickets.ActInput{Text: "不归我局"}); err != nil {
		t.Fatal(err)
	}
	if st, m, raw = e.call("dispatcher", "GET", "/api/v1/routing/returns", nil); st != 200 || len(m["returns"].([]any)) != 1 {
		t.Fatalf("returns: %d %s", st, raw)
	}
	review := "/api/v1/routing/returns/" + tk.Number + "/review"
	if st, m, _ = e.call("dispatcher", "POST", review, map[string]string{"decision": "redispatch", "department": "hrss"}); st != 400 || m["field"] != "department" {
		t.Fatalf("re-dispatch to the returning department: %d %v", st, m)
	}
	if st, m, raw = e.call("dispatcher", "POST", review, url.Values{"decision": {"redispatch"}, "department": {"housing"}, "note": {"工地欠薪由住建局督促"}}); st != 200 || m["status"] != "dispatched" {
		t.Fatalf("re-dispatch: %d %s", st, raw)
	}
	if st, _, _ = e.call("dispatcher", "POST", review, map[string]string{"decision": "send_back", "note": "n"}); st != http.StatusConflict {
		t.Fatalf("reviewing a dispatched ticket: %d, want 409", st)
	}
	if st, m, raw = e.call("admin", "GET", "/api/v1/routing/return-stats?days=7", nil); st != 200 || len(m["departments"].([]any)) != 2 {
		t.Fatalf("stats: %d %s", st, raw)
	}

	dup := e.register(tickets.RegisterInput{Category: "wage-arrears", Description: "公司拖欠工资三个月了", CallerPhone: "13600000002", Address: "东城区安定门大街1号"})
	q := url.Values{"phone": {"13600000002"}, "address": {"东城区安定门大街1号"}, "category": {"wage-arrears"}, "text": {"公司拖欠工资三个月了"}, "exclude": {dup.Number}}
	if st, m, raw = e.call("dispatcher", "POST", "/api/v1/routing/duplicates", q); st != 200 ||
		len(m["candidates"].([]any)) != 1 || m["candidates"].([]any)[0].(map[string]any)["number"] != tk.Number {
		t.Fatalf("duplicates: %d %s", st, raw)
	}
	merge := "/api/v1/tickets/" + dup.Number + "/merge"
	if st, _, raw = e.call("dispatcher", "POST", merge, map[string]string{"master": tk.Number}); st != 200 {
		t.Fatalf("merge: %d %s", st, raw)
	}
	if st, _, _ = e.call("dispatcher", "POST", merge, map[string]string{"master": tk.Number}); st != http.StatusConflict {
		t.Fatalf("merging twice: %d, want 409", st)
	}
	if st, m, _ = e.call("dispatcher", "POST", "/api/v1/tickets/"+tk.Number+"/merge", map[string]string{"master": "20000101-000009"}); st != 400 || m["field"] != "master" {
		t.Fatalf("merge into an unknown ticket: %d %v", st, m)
	}
}

func TestRoutingAdminPages(t *testing.T) {
	t.Parallel()
	e := newRoutingEnv(t)
	st, _, body := e.call("admin", "GET", "/admin/routing", nil)
	if st != 200 || !strings.Contains(body, "欠薪关键词") || !strings.Contains(body, `id="routing-rules"`) {
		t.Fatalf("admin page: %d", st)
	}
	q := url.Values{"dry": {"1"}, "text": {"<script>alert(1)</script>老板拖欠工资"}, "category": {"wage-arrears"}}
	st, _, body = e.call("admin", "GET", "/admin/routing?"+q.Encode(), nil)
	if st != 200 || !strings.Contains(body, "派往 <code>hrss</code>") || strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("dry run page: %d, escaped and decided? %v", st, strings.Contains(body, "派往 <code>hrss</code>"))
	}
	if st, _, _ = e.call("admin", "GET", "/admin/routing?dry=1&text=x&channel=pigeon", nil); st != 400 {
		t.Fatalf("dry run page with a bad channel: %d, want 400", st)
	}
	st, _, body = e.call("admin", "POST", "/admin/routing/rules", url.Values{"mode": {"json"}, "json": {`{"name":"x","action":{"lead":"nasa"}}`}})
	if st != 400 || !strings.Contains(body, "unknown department") {
		t.Fatalf("create a bad rule from the page: %d", st)
	}
	st, _, _ = e.call("admin", "POST", "/admin/routing/rules", url.Values{"mode": {"json"}, "json": {`{"name":"页面规则","enabled":true,"conditions":{"keywords":["页面"]},"action":{"lead":"urban"}}`}})
	if st != http.StatusSeeOther {
		t.Fatalf("create from the page: %d", st)
	}
	rules, _ := e.svc.Rules(context.Background())
	var id int64
	for _, r := range rules {
		if r.Name == "页面规则" {
			id = r.ID
		}
	}
	path := "/admin/routing/rules/" + jsonNum(id)
	if st, _, body = e.call("admin", "GET", path, nil); st != 200 || !strings.Contains(body, `id="rule-versions"`) {
		t.Fatalf("rule page: %d", st)
	}
	form := url.Values{"mode": {"form"}, "version": {"1"}, "name": {"页面规则"}, "priority": {"40"}, "enabled": {"1"},
		"keywords": {"页面,网页"}, "lead": {"market"}, "co_handlers": {"urban"}}
	if st, _, _ = e.call("admin", "POST", path, form); st != http.StatusSeeOther {
		t.Fatalf("update from the form: %d", st)
	}
	r, _ := e.svc.Rule(context.Background(), id)
	if r.Version != 2 || r.Priority != 40 || r.Action.Lead != "market" || len(r.Conditions.Keywords) != 2 {
		t.Fatalf("after the form: %+v", r)
	}
	if st, _, _ = e.call("admin", "POST", path, form); st != http.StatusConflict {
		t.Fatalf("stale form: %d, want 409", st)
	}
	if st, _, _ = e.call("admin", "POST", path+"/delete", nil); st != http.StatusSeeOther {
		t.Fatalf("delete from the page: %d", st)
	}
	if st, _, _ = e.call("dispatcher", "GET", "/admin/routing", nil); st != http.StatusForbidden {
		t.Fatalf("dispatcher on the admin page: %d, want 403", st)
	}
	if st, _, body = e.call("dispatcher", "GET", "/routing/returns", nil); st != 200 || !strings.Contains(body, `id="returns"`) {
		t.Fatalf("returns page: %d", st)
	}
}

// A dispatch rule is created and edited with the form's pickers, without JSON: the categories,
// types, channels and day types chosen, the lead and co-handling departments and the profile
// picked from the city's own lists; the rule page shows them chosen, and a bad choice is
// refused with the form keeping what was entered.
func TestRoutingRuleFormPickers(t *testing.T) {
	t.Parallel()
	e := newRoutingEnv(t)
	st, _, body := e.call("admin", "GET", "/admin/routing", nil)
	if st != 200 || !strings.Contains(body, `id="new-rule-form"`) || !strings.Contains(body, `<option value="wage-arrears">`) {
		t.Fatalf("the new rule form: %d", st)
	}
	form := url.Values{"mode": {"form"}, "name": {"夜间工地噪音"}, "priority": {"30"}, "enabled": {"1"},
		"categories": {"noise", "wage-arrears"}, "keywords": {"工地,夜间"}, "types": {"complaint"}, "channels": {"phone", "web"},
		"day_types": {"weekend", "holiday"}, "time_from": {"22:00"}, "time_to": {"06:00"},
		"lead": {"environment"}, "co_handlers": {"urban", "housing"}, "profile": {"urgent"}, "action_priority": {"urgent"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad["lead"] = []string{"nasa"}
	st, _, body = e.call("admin", "POST", "/admin/routing/rules", bad)
	if st != 400 || !strings.Contains(body, "nasa") || !strings.Contains(body, `value="夜间工地噪音"`) || !strings.Contains(body, `<option value="noise" selected>`) {
		t.Fatalf("a rule with an unknown lead: %d, the form kept? %v", st, strings.Contains(body, `value="夜间工地噪音"`))
	}
	st, _, _ = e.call("admin", "POST", "/admin/routing/rules", form)
	if st != http.StatusSeeOther {
		t.Fatalf("create from the form: %d", st)
	}
	var id int64
	rules, _ := e.svc.Rules(context.Background())
	for _, r := range rules {
		if r.Name == "夜间工地噪音" {
			id = r.ID
		}
	}
	r, err := e.svc.Rule(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	c, a := r.Conditions, r.Action
	if strings.Join(c.Categories, ",") != "noise,wage-arrears" || strings.Join(c.Types, ",") != "complaint" || strings.Join(c.Channels, ",") != "phone,web" ||
		strings.Join(c.DayTypes, ",") != "weekend,holiday" || c.TimeWindow == nil || c.TimeWindow.From != "22:00" ||
		a.Lead != "environment" || strings.Join(a.CoHandlers, ",") != "urban,housing" || a.Profile != "urgent" || a.Priority != "urgent" || r.Priority != 30 {
		t.Fatalf("the rule made by the form: %+v %+v", c, a)
	}
	path := "/admin/routing/rules/" + jsonNum(id)
	_, _, body = e.call("admin", "GET", path, nil)
	for _, want := range []string{`<option value="noise" selected>`, `<option value="environment" selected>`, `<option value="housing" selected>`,
		`name="channels" value="web" checked`, `name="day_types" value="holiday" checked`, `<option value="urgent" selected lang="zh-CN">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the rule page lacks %s", want)
		}
	}
	if strings.Contains(body, `name="channels" value="letter" checked`) {
		t.Error("a channel not chosen shows checked")
	}
	// A refused edit shows the form with what was entered.
	edit := url.Values{"mode": {"form"}, "version": {"1"}, "name": {"夜间工地噪音（改）"}, "priority": {"30"}, "enabled": {"1"},
		"categories": {"noise"}, "lead": {"nasa"}}
	st, _, body = e.call("admin", "POST", path, edit)
	if st != 400 || !strings.Contains(body, `value="夜间工地噪音（改）"`) {
		t.Errorf("a refused edit: %d, the form kept? %v", st, strings.Contains(body, `value="夜间工地噪音（改）"`))
	}
}
