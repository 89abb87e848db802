package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/tickets"
)

// The return visit settings decide what a valid visit (有效回访) is and when a citizen counts
// as unreachable: with "contacted?" not asked and SMS not counted, a reached SMS visit stays
// an attempt (the clock runs on) while a reached call without the contacted answer is valid;
// with two attempts allowed, the second call nobody answers ends the visit and the ticket
// leaves the queue. Bad settings are refused naming the field, and only administrators may
// change them.
func TestVisitSettingsDecideValidity(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	agent, admin := e.token("agent1"), e.token("admin")
	set := map[string]any{"valid_needs_contacted": false, "valid_channels": []string{"phone", "web"}, "max_attempts": 2}
	if r := e.do(nil, "POST", "/api/v1/admin/loop-settings", set, agent); r.Status != 403 {
		t.Fatalf("an agent changes the settings: %d", r.Status)
	}
	for field, bad := range map[string]any{"max_attempts": 0, "valid_channels": "fax", "unrated_rule": "happy", "valid_needs_solved": "maybe", "rectify_workdays": "x"} {
		if r := e.do(nil, "POST", "/api/v1/admin/loop-settings", map[string]any{field: bad}, admin); r.Status != 400 || r.json(t)["field"] != field {
			t.Errorf("%s=%v: %d %s, want 400 naming it", field, bad, r.Status, r.Body)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/admin/loop-settings", set, admin); r.Status != 200 || r.json(t)["max_attempts"] != float64(2) || r.json(t)["valid_needs_solved"] != true {
		t.Fatalf("save the settings: %d %s", r.Status, r.Body)
	}
	post := func(number string, body map[string]any) resp {
		return e.do(nil, "POST", "/api/v1/tickets/"+number+"/visits", body, agent)
	}
	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付拖欠工资")
	r := post(tk.Number, map[string]any{"channel": "sms", "outcome": "reached", "contacted": true, "solved": "solved", "satisfaction": "satisfied"})
	if v, _ := r.json(t)["visit"].(map[string]any); r.Status != 200 || v["valid"] != false {
		t.Fatalf("a reached SMS visit with SMS not counted: %d %s", r.Status, r.Body)
	}
	if got, _ := e.tickets.Get(ctx, tk.Number); got.VisitedAt != nil {
		t.Fatal("a visit that does not count stopped the clock")
	}
	r = post(tk.Number, map[string]any{"channel": "phone", "outcome": "reached", "solved": "solved", "satisfaction": "basically"})
	if v, _ := r.json(t)["visit"].(map[string]any); r.Status != 200 || v["valid"] != true {
		t.Fatalf("a reached call without the contacted answer, not asked: %d %s", r.Status, r.Body)
	}
	if got, _ := e.tickets.Get(ctx, tk.Number); got.VisitedAt == nil {
		t.Fatal("the valid visit did not stop the clock")
	}

	gone := e.register("拖欠工资", "wage-arrears", "13900139000", "hrss")
	e.resolve(gone.Number, "hrss", "已处理")
	if r := post(gone.Number, map[string]any{"channel": "phone", "outcome": "no_answer"}); r.Status != 200 {
		t.Fatalf("first attempt: %d %s", r.Status, r.Body)
	}
	mustContain(t, "queue after one attempt", e.do(e.browser("agent1"), "GET", "/visits", nil, nil), `data-number="`+gone.Number+`"`)
	if got, _ := e.tickets.Get(ctx, gone.Number); got.VisitedAt != nil {
		t.Fatal("one attempt of two ended the visit")
	}
	if r := post(gone.Number, map[string]any{"channel": "phone", "outcome": "wrong_number"}); r.Status != 200 || r.json(t)["status"] != "resolved" {
		t.Fatalf("second attempt: %d %s", r.Status, r.Body)
	}
	if got, _ := e.tickets.Get(ctx, gone.Number); got.VisitedAt == nil {
		t.Fatal("the last attempt allowed did not end the visit")
	}
	mustLack(t, "queue after the last attempt", e.do(e.browser("agent1"), "GET", "/visits", nil, nil), `data-number="`+gone.Number+`"`)
}

// Wherever a satisfaction figure is shown, so is the rule for citizens who never answered:
// the scorecard API, the public page in both languages, its JSON and its CSV.
func TestUnratedRuleIsShownWithTheFigures(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付")
	month := testNow.Format("2006-01")
	shown := func(rule, api, zh, en, csv string) {
		t.Helper()
		if r := e.do(nil, "GET", "/api/v1/scorecards/"+month, nil, e.token("supervisor")); r.json(t)["unrated_rule"] != rule {
			t.Errorf("scorecard API under %s: %s", rule, r.Body)
		}
		mustContain(t, "/stats under "+rule, e.do(nil, "GET", "/stats?month="+month, nil, nil), zh)
		mustContain(t, "/stats in English under "+rule, e.do(nil, "GET", "/stats?month="+month+"&lang=en", nil, nil), en)
		mustContain(t, "JSON under "+rule, e.do(nil, "GET", "/stats/"+month+".json", nil, nil), api)
		mustContain(t, "CSV under "+rule, e.do(nil, "GET", "/stats/"+month+".csv", nil, nil), ",unrated_rule\n", csv)
	}
	shown("not_rated", `"unrated_rule":"not_rated"`, "未作答的市民不计入", "are not counted", ",not_rated\n")
	if r := e.do(nil, "POST", "/api/v1/admin/loop-settings", map[string]any{"unrated_rule": "satisfied", "unrated_days": 10}, e.token("admin")); r.Status != 200 {
		t.Fatalf("set the rule: %d %s", r.Status, r.Body)
	}
	shown("satisfied", `"unrated_days":10`, "10 天内未作答的市民按满意计入", "within 10 days", ",satisfied_after_10_days\n")
}

// A co-handled ticket (主办 hrss, 协办 market): the co-handler's part is visited about on its
// own — recorded for market, reopening nothing, its named 不满意 market's rectification — and
// the lead's part stops the clock; a department that is neither is refused, naming the field.
// The scorecard credits each visit to its part: hrss's 三率 count only hrss's visit.
func TestCoHandlerPartVisit(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	agent := e.token("agent1")
	tk := e.register("公司拖欠工资且食堂卫生差", "wage-arrears", "13800138000", "")
	if _, err := e.tickets.Dispatch(ctx, e.actor("dispatcher"), tk.Number, tickets.DispatchInput{Department: "hrss", CoHandlers: []string{"market"}}); err != nil {
		t.Fatal(err)
	}
	e.resolve(tk.Number, "hrss", "已督促公司支付，食堂已整改")
	mustContain(t, "the queue's part choice", e.do(e.browser("agent1"), "GET", "/visits", nil, nil), `name="department"`, `value="market"`)
	post := func(body map[string]any) resp {
		return e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits", body, agent)
	}
	if r := post(map[string]any{"department": "police", "channel": "phone", "outcome": "no_answer"}); r.Status != 400 || r.json(t)["field"] != "department" {
		t.Fatalf("a department that is no part of the ticket: %d %s", r.Status, r.Body)
	}
	r := post(map[string]any{"department": "market", "channel": "phone", "outcome": "reached", "contacted": true, "solved": "partly", "satisfaction": "dissatisfied", "comment": "食堂仍不卫生"})
	if r.Status != 200 || r.json(t)["status"] != "resolved" || r.json(t)["reopened"] != false {
		t.Fatalf("the co-handler's part: %d %s", r.Status, r.Body)
	}
	if got, _ := e.tickets.Get(ctx, tk.Number); got.VisitedAt != nil {
		t.Fatal("the co-handler's part stopped the ticket's visit clock")
	}
	rs := e.do(nil, "GET", "/api/v1/rectifications", nil, e.token("handler-market")).json(t)["rectifications"].([]any)
	if len(rs) != 1 || rs[0].(map[string]any)["ticket"] != tk.Number {
		t.Fatalf("market's rectification: %v", rs)
	}
	if r := post(map[string]any{"channel": "phone", "outcome": "reached", "contacted": true, "solved": "solved", "satisfaction": "satisfied"}); r.Status != 200 {
		t.Fatalf("the lead's part: %d %s", r.Status, r.Body)
	}
	if got, _ := e.tickets.Get(ctx, tk.Number); got.VisitedAt == nil || got.Status != tickets.StatusResolved {
		t.Fatalf("the lead's visit: %+v", got)
	}
	vs := e.do(nil, "GET", "/api/v1/tickets/"+tk.Number+"/visits", nil, agent).json(t)["visits"].([]any)
	if len(vs) != 2 || vs[0].(map[string]any)["department"] != "market" || vs[1].(map[string]any)["department"] != "hrss" {
		t.Fatalf("visits by part: %v", vs)
	}
	sc := e.do(nil, "GET", "/api/v1/scorecards/"+testNow.Format("2006-01"), nil, e.token("supervisor")).json(t)
	for _, d := range sc["departments"].([]any) {
		d := d.(map[string]any)
		if d["department"] == "hrss" && (d["valid_visits"] != float64(1) || d["indicators"].(map[string]any)["satisfaction_rate"] != float64(1)) {
			t.Fatalf("hrss's figures count another part's visit: %v", d)
		}
	}
}

// The settings page: the form shows the settings, an unticked answer and channel are saved
// as not needed and not counted, and a bad number is refused on the page, nothing saved.
func TestLoopSettingsPage(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	admin := e.browser("admin")
	same := map[string]string{"Origin": e.ts.URL}
	mustContain(t, "the settings page", e.do(admin, "GET", "/admin/loop-settings", nil, nil), `name="max_attempts"`, `value="3"`, `value="sms" checked`)
	form := url.Values{"valid_needs_contacted": {"true", "false"}, "valid_needs_solved": {"false"}, "valid_needs_satisfaction": {"true", "false"},
		"valid_channels": {"phone", "web", ""}, "max_attempts": {"4"}, "rectify_workdays": {"3"}, "unrated_rule": {"satisfied"}, "unrated_days": {"5"}}
	if r := e.do(admin, "POST", "/admin/loop-settings", form, same); r.Status != 303 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	l, err := e.tickets.LoopSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !l.ValidNeedsContacted || l.ValidNeedsSolved || !l.ValidNeedsSatisfaction || strings.Join(l.ValidChannels, ",") != "phone,web" ||
		l.MaxAttempts != 4 || l.RectifyWorkdays != 3 || l.UnratedRule != "satisfied" || l.UnratedDays != 5 {
		t.Fatalf("saved: %+v", l)
	}
	form.Set("max_attempts", "0")
	if r := e.do(admin, "POST", "/admin/loop-settings", form, same); r.Status != 400 || !strings.Contains(r.Body, "max_attempts") {
		t.Fatalf("a bad number: %d", r.Status)
	}
	if l, _ := e.tickets.LoopSettings(context.Background()); l.MaxAttempts != 4 {
		t.Fatalf("a refused form saved %d attempts", l.MaxAttempts)
	}
	if r := e.do(e.browser("agent1"), "GET", "/admin/loop-settings", nil, nil); r.Status != 403 {
		t.Fatalf("an agent: %d", r.Status)
	}
}
