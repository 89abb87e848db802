package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTicketSearchFiltersAndBadInput searches through the API and the page with the filters
// together, and refuses each bad parameter with a 400 naming it, in the reader's language on
// the page.
func TestTicketSearchFiltersAndBadInput(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	noise := e.register("楼下酒吧夜间噪音扰民", "noise", "13600001234", "environment")
	e.register("工地老板欠薪三个月", "wage-arrears", "13500001234", "hrss")
	e.register("小区噪音", "construction-noise", "13700005678", "")
	sup := e.token("supervisor")
	get := func(q url.Values) resp { return e.do(nil, "GET", "/api/v1/tickets?"+q.Encode(), nil, sup) }
	day := testNow.In(e.srv.location()).Format("2006-01-02")
	for _, tc := range []struct {
		q     url.Values
		total float64
	}{
		{url.Values{"q": {"噪音"}}, 2},
		{url.Values{"q": {"欠薪"}}, 1},
		{url.Values{"q": {"噪音"}, "category": {"eco-environment"}}, 1}, // noise is under it, construction noise is not
		{url.Values{"q": {"噪音"}, "department": {"environment"}, "status": {"dispatched"}}, 1},
		{url.Values{"phone": {"1234"}, "type": {"complaint"}, "channel": {"phone"}}, 2},
		{url.Values{"from": {day}, "to": {day}}, 3},
		{url.Values{"to": {"2020-01-01"}}, 0},
		{url.Values{"handler": {"dispatcher"}, "q": {"噪音"}}, 2},
		{url.Values{"handler": {"agent1"}}, 0},
		{url.Values{"clock": {"overdue"}}, 0},
		{url.Values{"order": {"-number"}, "limit": {"1"}}, 3},
	} {
		r := get(tc.q)
		if r.Status != 200 || r.json(t)["total"] != tc.total {
			t.Errorf("%v: %d %s, want total %v", tc.q, r.Status, r.Body, tc.total)
		}
	}
	for _, tc := range []struct {
		q     url.Values
		field string
	}{
		{url.Values{"from": {"2026-13-01"}}, "from"},
		{url.Values{"to": {"yesterday"}}, "to"},
		{url.Values{"from": {"2026-03-02"}, "to": {"2026-03-01"}}, "to"},
		{url.Values{"department": {"nowhere"}}, "department"},
		{url.Values{"category": {"nothing"}}, "category"},
		{url.Values{"type": {"rumour"}}, "type"},
		{url.Values{"channel": {"pigeon"}}, "channel"},
		{url.Values{"clock": {"late"}}, "clock"},
		{url.Values{"handler": {"nobody"}}, "handler"},
		{url.Values{"order": {"-new"}}, "order"},
		{url.Values{"order": {"number"}, "after": {"a b"}}, "after"},
		{url.Values{"order": {"created"}, "after": {"12"}}, "after"},
		{url.Values{"q": {strings.Repeat("噪", 65)}}, "q"},
	} {
		if r := get(tc.q); r.Status != 400 || r.json(t)["field"] != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %s", tc.q, r.Status, r.Body, tc.field)
		}
	}

	// The page: the same search in the URL, the hit shown, sortable columns; bad input says
	// what to mend in the reader's language.
	c := e.browser("supervisor")
	status, body := e.getIn(c, "zh", "/tickets?q="+url.QueryEscape("酒吧")+"&department=environment")
	if status != 200 || !strings.Contains(body, noise.Number) || strings.Count(body, `<a href="/tickets/2`) != 1 {
		t.Errorf("page search: %d, want only %s", status, noise.Number)
	}
	if !strings.Contains(body, `aria-sort="none"><a href="/tickets?department=environment&amp;order=number&amp;q=`) {
		t.Errorf("page search: no sort link keeping the search")
	}
	for lang, want := range map[string]string{"zh": "登记日期从：须为日期，如 2027-01-01", "en": "Registered from: "} {
		status, body := e.getIn(c, lang, "/tickets?from=2026-02-30")
		if status != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: bad date: %d, want 400 with %q in %s", lang, status, want, pageError(body))
		}
	}
	status, body = e.getIn(c, "zh", "/tickets?department=nowhere")
	if status != 400 || !strings.Contains(body, "没有这个部门") {
		t.Errorf("unknown department: %d %s", status, pageError(body))
	}
}

// pageError is the page's error paragraph, for a failure message.
func pageError(body string) string {
	if i := strings.Index(body, `class="error"`); i >= 0 {
		return body[i:min(len(body), i+200)]
	}
	return "(no error shown)"
}

// TestSavedSearchesArePrivate saves searches through the API and the page, lists and deletes
// them, and finds another person's neither readable nor deletable.
func TestSavedSearchesArePrivate(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent, sup := e.token("agent1"), e.token("supervisor")
	r := e.do(nil, "POST", "/api/v1/saved-filters", map[string]string{"name": "噪音超期", "query": "q=噪音&clock=overdue&after=5"}, agent)
	if r.Status != http.StatusCreated {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	saved := r.json(t)
	id := fmt.Sprint(saved["id"])
	if saved["query"] != "clock=overdue&q=%E5%99%AA%E9%9F%B3" {
		t.Errorf("saved query %v: want the search without its page", saved["query"])
	}
	if r := e.do(nil, "GET", "/api/v1/saved-filters/"+id, nil, agent); r.Status != 200 || r.json(t)["name"] != "噪音超期" {
		t.Errorf("own: %d %s", r.Status, r.Body)
	}
	for _, req := range []struct{ method, path string }{{"GET", "/api/v1/saved-filters/" + id}, {"DELETE", "/api/v1/saved-filters/" + id}} {
		if r := e.do(nil, req.method, req.path, nil, sup); r.Status != http.StatusNotFound {
			t.Errorf("%s another's: %d %s, want 404", req.method, r.Status, r.Body)
		}
	}
	if r := e.do(nil, "GET", "/api/v1/saved-filters", nil, sup); r.Status != 200 || strings.Contains(r.Body, "噪音超期") {
		t.Errorf("another's list: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"name": "", "query": "q=噪音"}, "name"},
		{map[string]string{"name": strings.Repeat("名", 61), "query": "q=噪音"}, "name"},
		{map[string]string{"name": "坏日期", "query": "from=2026-02-30"}, "from"},
		{map[string]string{"name": "空", "query": "after=3"}, "query"},
	} {
		if r := e.do(nil, "POST", "/api/v1/saved-filters", tc.body, agent); r.Status != 400 || r.json(t)["field"] != tc.field {
			t.Errorf("%v: %d %s, want 400 naming %s", tc.body, r.Status, r.Body, tc.field)
		}
	}

	// The page: save the current search, find it listed, delete it.
	c := e.browser("supervisor")
	r = e.do(c, "POST", "/tickets/saved-searches", url.Values{"name": {"我的欠薪"}, "query": {"q=欠薪&order=-created"}}, map[string]string{"Origin": e.ts.URL})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/tickets?order=-created&q=") {
		t.Fatalf("save on the page: %d %s", r.Status, r.Header.Get("Location"))
	}
	_, body := e.getIn(c, "zh", r.Header.Get("Location"))
	if !strings.Contains(body, "我的欠薪") || !strings.Contains(body, "查询已保存") {
		t.Errorf("saved search not listed on the page")
	}
	r = e.do(nil, "GET", "/api/v1/saved-filters", nil, sup)
	fs, _ := r.json(t)["filters"].([]any)
	if len(fs) != 1 {
		t.Fatalf("supervisor's saved: %s", r.Body)
	}
	mine := fmt.Sprint(fs[0].(map[string]any)["id"])
	if r := e.do(c, "POST", "/tickets/saved-searches/"+id+"/delete", url.Values{}, map[string]string{"Origin": e.ts.URL}); r.Status != http.StatusNotFound {
		t.Errorf("delete another's on the page: %d", r.Status)
	}
	if r := e.do(c, "POST", "/tickets/saved-searches/"+mine+"/delete", url.Values{}, map[string]string{"Origin": e.ts.URL}); r.Status != http.StatusSeeOther {
		t.Errorf("delete own on the page: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/saved-filters/"+id, nil, agent); r.Status != 200 {
		t.Errorf("the agent's search after the others' deletes: %d", r.Status)
	}
}
