package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestKnowledgePages searches the knowledge base as staff: two-character Chinese words hit and
// are marked (the article's text escaped), filters narrow, expired articles are found but
// shown as expired and never offered for a direct answer, and bad searches are a 400 in the
// reader's language.
func TestKnowledgePages(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.browser("agent1")
	get := func(c *http.Client, path string, want int) string {
		t.Helper()
		r := e.do(c, "GET", path, nil, nil)
		if r.Status != want {
			t.Fatalf("GET %s: %d, want %d: %.300s", path, r.Status, want, r.Body)
		}
		return r.Body
	}
	body := get(agent, "/kb?q="+url.QueryEscape("欠薪"), http.StatusOK)
	if !strings.Contains(body, "<mark>欠薪</mark>") || !strings.Contains(body, `href="/kb/labour-wage-complaint"`) {
		t.Fatalf("欠薪 not found and marked: %.2000s", body)
	}
	// A category narrows: 供暖 in the heating category only.
	body = get(agent, "/kb?"+url.Values{"q": {"暖气"}, "category": {"heating"}}.Encode(), http.StatusOK)
	if !strings.Contains(body, "/kb/heat-temperature") || strings.Contains(body, "/kb/heating-period") {
		t.Fatalf("category filter: %.2000s", body)
	}
	// The department filter: the tax bureau's articles only.
	body = get(agent, "/kb?department=tax", http.StatusOK)
	if !strings.Contains(body, "/kb/tax-invoice") || strings.Contains(body, "/kb/hf-transfer") {
		t.Fatalf("department filter: %.2000s", body)
	}
	// Expired: listed as such, its page says so, and it is offered neither in the console nor
	// by the API, nor accepted as a direct answer.
	body = get(agent, "/kb?q="+url.QueryEscape("防疫"), http.StatusOK)
	if !strings.Contains(body, "/kb/old-epidemic-policy") || !strings.Contains(body, "kb-expired") {
		t.Fatalf("expired article not shown as expired: %.2000s", body)
	}
	if body = get(agent, "/kb/old-epidemic-policy", http.StatusOK); !strings.Contains(body, "已过复核日期") {
		t.Fatalf("article page: %.2000s", body)
	}
	if body = get(agent, "/console/kb?q="+url.QueryEscape("防疫"), http.StatusOK); strings.Contains(body, "old-epidemic-policy") {
		t.Fatal("the console offers an expired article")
	}
	if body = get(agent, "/console/kb?q="+url.QueryEscape("供热费"), http.StatusOK); strings.Contains(body, "heat-bill") {
		t.Fatal("the console offers an article past its review date")
	}
	// Bad input.
	for _, c := range []struct{ path, want string }{
		{"/kb?q=" + url.QueryEscape(strings.Repeat("社保", 40)), "最多64个字"},
		{"/kb?q=" + url.QueryEscape("！？"), "请输入要检索的词语"},
		{"/kb?department=nope", "没有这个部门"},
		{"/kb?category=nope", "没有这个类别"},
	} {
		if body := get(agent, c.path, http.StatusBadRequest); !strings.Contains(body, c.want) {
			t.Errorf("%s: %.1000s", c.path, body)
		}
	}
	en := e.do(agent, "GET", "/kb?q="+url.QueryEscape(strings.Repeat("社保", 40)), nil, map[string]string{"Cookie": "lang=en"})
	if en.Status != http.StatusBadRequest || !strings.Contains(en.Body, "At most 64 characters") {
		t.Errorf("English error: %d %.1000s", en.Status, en.Body)
	}
	get(agent, "/kb/no-such-article", http.StatusNotFound)

	tok := e.token("agent1")
	for q, want := range map[string]int{"": 400, strings.Repeat("税", 65): 400, "公积金 提取": 200} {
		r := e.do(nil, "GET", "/api/v1/kb?q="+url.QueryEscape(q), nil, tok)
		if r.Status != want || (want == 400 && r.json(t)["field"] != "q") {
			t.Errorf("API q=%q: %d %s", q, r.Status, r.Body)
		}
	}
}

// TestKnowledgeWorkflow: a department proposes a new article and an update of its own, the
// centre refuses one with a reason and approves the other, which is then offered; another
// department's article is refused with 403, a validity backwards with 400.
func TestKnowledgeWorkflow(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	hrss, market, sup, agent := e.token("handler-hrss"), e.token("handler-market"), e.token("supervisor"), e.token("agent1")
	post := func(hdr map[string]string, path string, body any, want int) map[string]any {
		t.Helper()
		r := e.do(nil, "POST", path, body, hdr)
		if r.Status != want {
			t.Fatalf("POST %s: %d, want %d: %s", path, r.Status, want, r.Body)
		}
		return r.json(t)
	}
	article := map[string]any{"code": "gig-worker-injury", "title": "新就业形态人员职业伤害保障", "body": "平台外卖骑手等可按规定享受职业伤害保障。",
		"source": "市人社局 政策问答", "valid_from": "2026-01-01", "valid_until": "2027-12-31", "category": "social-insurance", "submit": true}
	p := post(hrss, "/api/v1/kb/proposals", article, http.StatusCreated)
	if p["status"] != "review" {
		t.Fatalf("proposal: %v", p)
	}
	// Not offered before approval.
	if got := e.do(nil, "GET", "/api/v1/kb?q="+url.QueryEscape("骑手"), nil, agent).json(t)["articles"].([]any); len(got) != 0 {
		t.Fatalf("offered before review: %v", got)
	}
	id := fmt.Sprint(p["id"])
	post(agent, "/api/v1/kb/proposals/"+id+"/approve", map[string]any{}, http.StatusForbidden) // agents do not review
	if r := post(sup, "/api/v1/kb/proposals/"+id+"/refuse", map[string]any{"reason": " "}, http.StatusBadRequest); r["field"] != "reason" {
		t.Fatalf("refusal without reason: %v", r)
	}
	post(sup, "/api/v1/kb/proposals/"+id+"/approve", map[string]any{}, http.StatusOK)
	post(sup, "/api/v1/kb/proposals/"+id+"/approve", map[string]any{}, http.StatusConflict)
	got := e.do(nil, "GET", "/api/v1/kb?q="+url.QueryEscape("骑手"), nil, agent).json(t)["articles"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["code"] != "gig-worker-injury" {
		t.Fatalf("approved article not offered: %v", got)
	}

	// Another department's article: 403. A validity that ends before it starts: 400.
	upd := map[string]any{"code": "wage-arrears-how", "title": "被拖欠工资如何维权", "body": "新文本", "source": "x", "valid_from": "2026-01-01", "submit": true}
	post(market, "/api/v1/kb/proposals", upd, http.StatusForbidden)
	upd["valid_until"] = "2025-12-31"
	if r := post(hrss, "/api/v1/kb/proposals", upd, http.StatusBadRequest); r["field"] != "valid_until" {
		t.Fatalf("validity backwards: %v", r)
	}
	post(agent, "/api/v1/kb/proposals", article, http.StatusForbidden) // the centre does not propose

	// Through the pages: the form for an update, refused with a reason the department reads.
	hb := e.browser("handler-hrss")
	if r := e.do(hb, "GET", "/kb/propose?code=wage-arrears-how", nil, nil); r.Status != http.StatusOK || !strings.Contains(r.Body, "被拖欠工资如何维权") {
		t.Fatalf("propose form: %d %.1000s", r.Status, r.Body)
	}
	if r := e.do(hb, "GET", "/kb/propose?code=food-license", nil, nil); r.Status != http.StatusForbidden {
		t.Fatalf("another department's form: %d", r.Status)
	}
	origin := map[string]string{"Origin": e.ts.URL}
	form := url.Values{"code": {"wage-arrears-how"}, "existing": {"1"}, "title": {"被拖欠工资如何维权"}, "body": {"向劳动保障监察投诉。"},
		"source": {"《保障农民工工资支付条例》"}, "valid_from": {"2026-01-01"}, "valid_until": {"2025-01-01"}, "submit": {"1"}}
	if r := e.do(hb, "POST", "/kb/propose", form, origin); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "不能早于生效日期") || !strings.Contains(r.Body, "向劳动保障监察投诉。") {
		t.Fatalf("page validity backwards: %d %.2000s", r.Status, r.Body)
	}
	form.Set("valid_until", "2027-12-31")
	if r := e.do(hb, "POST", "/kb/propose", form, origin); r.Status != http.StatusSeeOther {
		t.Fatalf("page proposal: %d %.1000s", r.Status, r.Body)
	}
	sb := e.browser("supervisor")
	queue := e.do(sb, "GET", "/kb/review", nil, nil)
	if queue.Status != http.StatusOK || !strings.Contains(queue.Body, "向劳动保障监察投诉。") {
		t.Fatalf("review queue: %d %.2000s", queue.Status, queue.Body)
	}
	ps := e.do(nil, "GET", "/api/v1/kb/proposals?status=review", nil, sup).json(t)["proposals"].([]any)
	if len(ps) != 1 {
		t.Fatalf("in review: %v", ps)
	}
	pid := fmt.Sprint(ps[0].(map[string]any)["id"])
	if r := e.do(sb, "POST", "/kb/proposals/"+pid+"/refuse", url.Values{"reason": {"请补充投诉渠道"}}, origin); r.Status != http.StatusSeeOther {
		t.Fatalf("refuse: %d %.1000s", r.Status, r.Body)
	}
	if r := e.do(hb, "GET", "/kb/propose", nil, nil); !strings.Contains(r.Body, "请补充投诉渠道") {
		t.Fatalf("the department does not see the reason: %.2000s", r.Body)
	}
	a := e.do(nil, "GET", "/api/v1/kb/articles/wage-arrears-how", nil, agent).json(t)
	if a["article"].(map[string]any)["body"] == "向劳动保障监察投诉。" {
		t.Fatal("a refused update was published")
	}
	// Withdrawn by the centre: no longer offered for a direct answer.
	if r := e.do(sb, "POST", "/kb/gig-worker-injury/withdraw", url.Values{}, origin); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %.500s", r.Status, r.Body)
	}
	r := e.do(nil, "POST", "/api/v1/tickets", map[string]any{"description": "骑手受伤怎么办", "category": "social-insurance", "type": "consultation",
		"caller_phone": "13700001111", "article": "gig-worker-injury"}, agent)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("a withdrawn article answered: %d %s", r.Status, r.Body)
	}
}
