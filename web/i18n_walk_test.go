package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/html"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
)

// walkTickets are the demo tickets the walk visits, each in another state: one with every
// kind of event the timeline shows, one merged into it, one escalated, one returned, one
// answered at once.
type walkTickets struct {
	full, merged, escalated, returned, answered string
}

// seedWalk makes the walk's tickets through the staff API and the citizens' rating, as
// people would, and a dispatch rule for the routing pages.
func seedWalk(t *testing.T, e *staffEnv) (walkTickets, string) {
	t.Helper()
	disp, sup, admin := e.token("dispatcher"), e.token("supervisor"), e.token("admin")
	hrss, market := e.token("handler-hrss"), e.token("handler-market")
	post := func(hdr map[string]string, path string, body any, want int) map[string]any {
		t.Helper()
		r := e.do(nil, "POST", path, body, hdr)
		if r.Status != want {
			t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
		}
		return r.json(t)
	}
	register := func(desc string, extra map[string]any) string {
		body := map[string]any{"description": desc, "category": "wage-arrears", "caller_phone": "13900002222",
			"caller_name": "王女士", "address": "东城区景山前街4号"}
		for k, v := range extra {
			body[k] = v
		}
		m := post(disp, "/api/v1/tickets", body, http.StatusCreated)
		return m["number"].(string)
	}
	var w walkTickets
	w.full = register("公司拖欠三个月工资，多次讨要无果", nil)
	tk := "/api/v1/tickets/" + w.full + "/"
	post(disp, tk+"dispatch", map[string]any{"department": "hrss", "co_handlers": []string{"market"}}, http.StatusOK)
	post(hrss, tk+"accept", map[string]any{}, http.StatusOK)
	post(hrss, tk+"feedback", map[string]any{"text": "已电话联系市民"}, http.StatusOK)
	post(hrss, tk+"notes", map[string]any{"text": "需核实劳动合同"}, http.StatusOK)
	post(market, tk+"co-reply", map[string]any{"text": "该公司营业执照正常"}, http.StatusOK)
	ext := post(hrss, tk+"extensions", map[string]any{"reason": "等待劳动仲裁", "workdays": 2}, http.StatusCreated)
	post(sup, fmt.Sprintf("/api/v1/extensions/%v/refuse", ext["id"]), map[string]any{"text": "时限充足"}, http.StatusOK)
	notice := post(sup, tk+"supervision", map[string]any{"text": "请尽快办理", "workdays": 2}, http.StatusCreated)
	post(hrss, "/api/v1/supervision/"+notice["number"].(string)+"/reply", map[string]any{"text": "正在办理"}, http.StatusOK)
	post(disp, tk+"reveal-phone", map[string]any{"reason": "回访需要"}, http.StatusOK)

	w.merged = register("同一公司拖欠工资", nil)
	post(disp, "/api/v1/tickets/"+w.merged+"/merge", map[string]any{"master": w.full}, http.StatusOK)

	post(hrss, tk+"resolve", map[string]any{"text": "已责令公司支付工资"}, http.StatusOK)
	// The citizen is not satisfied: rated, and reopened (重办).
	ctx := context.Background()
	svc := e.srv.Intake.Service
	v, err := svc.Track(ctx, "192.0.2.1", w.full, "13900002222")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Rate(ctx, "192.0.2.1", v.Access, rated(intake.Dissatisfied, "工资还没到账")); err != nil {
		t.Fatal(err)
	}
	post(hrss, tk+"accept", map[string]any{}, http.StatusOK)
	post(hrss, tk+"resolve", map[string]any{"text": "工资已全部到账"}, http.StatusOK)
	post(disp, tk+"close", map[string]any{"text": "市民满意"}, http.StatusOK)

	w.escalated = register("工地欠薪", nil)
	post(disp, "/api/v1/tickets/"+w.escalated+"/dispatch", map[string]any{"department": "hrss"}, http.StatusOK)
	w.returned = register("不属于本单位的诉求", nil)
	post(disp, "/api/v1/tickets/"+w.returned+"/dispatch", map[string]any{"department": "market"}, http.StatusOK)
	post(market, "/api/v1/tickets/"+w.returned+"/return", map[string]any{"text": "非本单位职责"}, http.StatusOK)
	w.answered = register("社保卡如何补办", map[string]any{"type": "consultation", "answer": "携带身份证到社保窗口办理"})

	// Escalation: the clocks run out for the ticket nobody accepted.
	if _, err := e.srv.Escalation.Service.Sweep(ctx, e.clock.Now().Add(10*24*time.Hour), func(escalation.Action) {}); err != nil {
		t.Fatal(err)
	}
	rule := post(admin, "/api/v1/routing/rules", map[string]any{"name": "欠薪派人社局", "priority": 10, "enabled": true,
		"conditions": map[string]any{"keywords": []string{"欠薪"}}, "action": map[string]any{"lead": "hrss"}}, http.StatusCreated)
	return w, fmt.Sprint(rule["id"])
}

// TestEveryPageInBothLanguages signs in as each role and reads every page of the staff and
// citizens' route tables in Chinese and in English. A page fails when it shows a catalogue key
// raw, when its English has Chinese outside names and citizens' text (marked translate="no"
// or lang="zh…"), or when a label says the same thing in both languages.
func TestEveryPageInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	w, ruleID := seedWalk(t, e)
	numbers := []string{w.full, w.merged, w.escalated, w.returned, w.answered}
	params := map[string][]string{"{number}": numbers, "{id}": {ruleID}, "{code}": {"wage-arrears-how", "old-epidemic-policy"}, "{list}": {"open", "overdue", "resolved"}}
	var pages []string
	for _, rt := range e.srv.staff().routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if method != "GET" || strings.HasPrefix(path, "/api/") || strings.HasSuffix(path, "/events") ||
			strings.Contains(path, "/attachments/") || strings.Contains(path, "/photos/") || strings.HasPrefix(path, "/export/") {
			continue // not HTML: the API, event streams, files and exports
		}
		pages = append(pages, expand(path, params)...)
	}
	pages = append(pages, "/console/side?"+url.Values{"caller_phone": {"13900002222"}, "category": {"wage-arrears"},
		"description": {"公司拖欠工资"}}.Encode(), "/console/kb?q=社保", "/tickets?status=dispatched", "/kb?q=社保", "/kb/propose?code=wage-arrears-how",
		"/admin/routing?"+url.Values{"dry": {"1"}, "text": {"工地欠薪"}, "category": {"wage-arrears"}}.Encode(),
		"/no-such-page", "/tickets/20261123-999999")
	accounts := []string{"admin", "supervisor", "dispatcher", "agent1", "leader", "handler-hrss", "head-hrss", "handler-market"}
	seen := 0
	for _, lang := range []string{"zh", "en"} {
		for _, user := range accounts {
			c := e.browser(user)
			st, err := e.org.Staff(context.Background(), user)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pages {
				if !admits(e.srv, st.Role, p) {
					continue
				}
				status, body := e.getIn(c, lang, p)
				if status >= 500 {
					t.Errorf("%s %s as %s: %d", lang, p, user, status)
					continue
				}
				seen++
				for _, problem := range pageProblems(lang, body) {
					t.Errorf("%s %s as %s: %s", lang, p, user, problem)
				}
			}
		}
		// The citizens' pages, and the error pages of someone not signed in.
		c := noRedirect(nil)
		for _, p := range []string{"/complain", "/track", "/stats", "/no-such-page", "/login"} {
			_, body := e.getIn(c, lang, p)
			seen++
			for _, problem := range pageProblems(lang, body) {
				t.Errorf("%s %s as a citizen: %s", lang, p, problem)
			}
		}
		r := e.do(c, "POST", "/track", url.Values{"number": {w.full}, "phone": {"13900002222"}},
			map[string]string{"Origin": e.ts.URL, "Cookie": "lang=" + lang})
		if r.Status != http.StatusOK {
			t.Fatalf("track %s: %d", w.full, r.Status)
		}
		for _, problem := range pageProblems(lang, r.Body) {
			t.Errorf("%s the citizen's view of %s: %s", lang, w.full, problem)
		}
	}
	t.Logf("read %d pages", seen)
	if seen < 200 {
		t.Fatalf("the walk read only %d pages", seen)
	}
}

// getIn reads path in lang (the "lang" cookie) with c's session.
func (e *staffEnv) getIn(c *http.Client, lang, path string) (int, string) {
	e.t.Helper()
	req := newRequest(e.t, "GET", e.ts.URL+path, nil)
	if p, q, _ := strings.Cut(path, "?"); posted(p) {
		form, _ := url.ParseQuery(q)
		req = newRequest(e.t, "POST", e.ts.URL+p, form)
		req.Header.Set("Origin", e.ts.URL)
	}
	req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// expand fills a route's path parameters with every value given for them.
func expand(path string, params map[string][]string) []string {
	for p, vals := range params {
		if strings.Contains(path, p) {
			var out []string
			for _, v := range vals {
				out = append(out, expand(strings.Replace(path, p, v, 1), params)...)
			}
			return out
		}
	}
	return []string{path}
}

// admits tells whether role may open path by the staff route table: the walk reads the pages
// a role is offered (the others answer 403, which the authorisation tests cover).
func admits(s *Server, role org.Role, path string) bool {
	p, _, _ := strings.Cut(path, "?")
	method := "GET"
	if posted(p) {
		method = "POST"
	}
	req, _ := http.NewRequest(method, p, nil)
	_, pattern := s.mux.Handler(req)
	for _, rt := range s.staff().routes {
		if rt.Pattern == pattern {
			return rt.Roles == nil || slices.Contains(rt.Roles, role)
		}
	}
	return pattern == "" // an unknown page: everyone gets the 404
}

// catalogueKeyRE finds a catalogue key shown as text: a prefix of the catalogue's keys, a dot
// and more.
var catalogueKeyRE = func() *regexp.Regexp {
	prefixes := map[string]bool{}
	for k := range messages {
		if p, _, ok := strings.Cut(k, "."); ok {
			prefixes[regexp.QuoteMeta(p)] = true
		}
	}
	var alts []string
	for p := range prefixes {
		alts = append(alts, p)
	}
	slices.Sort(alts)
	return regexp.MustCompile(`\b(?:` + strings.Join(alts, "|") + `)\.[a-z0-9_.-]*[a-z0-9_]`)
}()

// lowerWordRE is an English word as labels spell them (brand names and codes are capitalised).
var lowerWordRE = regexp.MustCompile(`\b[a-z]{3,}\b`)

// isChinese tells Chinese characters and Chinese punctuation (、，：（）…) from the rest.
func isChinese(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef)
}

// pageProblems lists what is wrong with a page's language in lang: catalogue keys shown raw,
// Chinese in English mode outside names and citizens' text, labels in both languages.
func pageProblems(lang, body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return []string{"unreadable HTML: " + err.Error()}
	}
	var out []string
	check := func(text string, marked bool) {
		text = strings.TrimSpace(text)
		if text == "" {
			return
		}
		if k := catalogueKeyRE.FindString(text); k != "" && !marked {
			out = append(out, fmt.Sprintf("catalogue key %q shown raw in %q", k, text))
		}
		if marked {
			return
		}
		han := strings.IndexFunc(text, isChinese) >= 0
		switch {
		case lang == "en" && han:
			out = append(out, fmt.Sprintf("Chinese in English: %q", text))
		case lang == "zh" && han && lowerWordRE.MatchString(text):
			out = append(out, fmt.Sprintf("a label in both languages: %q", text))
		}
	}
	var walk func(n *html.Node, marked bool)
	walk = func(n *html.Node, marked bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style":
				return
			case "code":
				marked = true // codes and machine text, in no language
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "translate" && a.Val == "no", a.Key == "lang" && strings.HasPrefix(a.Val, "zh") && n.Data != "html":
					marked = true
				}
			}
			for _, a := range n.Attr {
				if a.Key == "placeholder" || a.Key == "aria-label" || a.Key == "alt" {
					check(a.Val, marked)
				}
			}
		}
		if n.Type == html.TextNode {
			check(n.Data, marked)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, marked)
		}
	}
	walk(doc, false)
	return out
}

// posted are the HTML fragments asked for with POST, since what they look up (a caller's
// number) must not be in a URL; the walk sends their query as the form.
func posted(path string) bool { return path == "/console/side" }

// rated is a rating with the other two answers of a visit: contacted, and solved.
func rated(rating, comment string) intake.RatingInput {
	yes := true
	return intake.RatingInput{Rating: rating, Contacted: &yes, Solved: "solved", Comment: comment}
}
