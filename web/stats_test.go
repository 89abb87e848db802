package web

import (
	"context"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/tickets"
)

// The month's scorecard through the API for the centre, and published on /stats as a page and
// open data with no personal data; bad periods are refused.
func TestScorecardAPIAndPublishedStats(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("公司拖欠三个月工资，联系电话13912345678", "wage-arrears", "13800138000", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付")
	yes := true
	dispatcher, _ := e.org.Staff(context.Background(), "dispatcher")
	if _, _, err := e.tickets.RecordVisit(context.Background(), tickets.ActorFor(dispatcher), tk.Number,
		tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &yes, Solved: "solved", Satisfaction: "basically", Comment: "张先生说还行"}); err != nil {
		t.Fatal(err)
	}
	month := testNow.Format("2006-01")
	r := e.do(nil, "GET", "/api/v1/scorecards/"+month, nil, e.token("supervisor"))
	if r.Status != 200 || !strings.Contains(r.Body, `"department":"hrss"`) || !strings.Contains(r.Body, `"satisfaction_rate":0.9`) ||
		!strings.Contains(r.Body, `"rank":1`) || !strings.Contains(r.Body, `"on_time_feedback_rate":null`) {
		t.Fatalf("scorecard: %d %s", r.Status, r.Body)
	}
	for path, status := range map[string]int{"/api/v1/scorecards/2026-13": 400, "/api/v1/scorecards/2099-01": 400} {
		if r := e.do(nil, "GET", path, nil, e.token("supervisor")); r.Status != status || r.json(t)["field"] != "period" {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := e.do(nil, "GET", "/api/v1/scorecards/"+month, nil, e.token("handler-hrss")); r.Status != 403 {
		t.Errorf("a department's handler reads the centre's scorecard: %d", r.Status)
	}
	page := e.do(nil, "GET", "/stats?month="+month, nil, nil)
	if page.Status != 200 || !strings.Contains(page.Body, "人力资源和社会保障局") || !strings.Contains(page.Body, "90.0%") ||
		!strings.Contains(page.Body, `data-department="hrss"`) || !strings.Contains(page.Header.Get("Cache-Control"), "public") {
		t.Fatalf("/stats: %d (Cache-Control %q) %s", page.Status, page.Header.Get("Cache-Control"), page.Body)
	}
	if !strings.Contains(page.Body, `<p id="stats-as-of">数据截至 `) {
		t.Errorf("/stats does not say as of when its figures hold: %s", page.Body)
	}
	en := e.do(nil, "GET", "/stats?month="+month+"&lang=en", nil, nil)
	if !strings.Contains(en.Body, "Satisfaction rate") || !strings.Contains(en.Body, "Human Resources and Social Security Bureau") ||
		!strings.Contains(en.Body, `<p id="stats-as-of">Figures as of `) {
		t.Fatalf("/stats in English: %s", en.Body)
	}
	js := e.do(nil, "GET", "/stats/"+month+".json", nil, nil)
	csv := e.do(nil, "GET", "/stats/"+month+".csv", nil, nil)
	if js.Status != 200 || csv.Status != 200 || !strings.HasPrefix(csv.Body, "\ufeffperiod,rank,department") || !strings.Contains(csv.Body, ",hrss,") {
		t.Fatalf("open data: %d %d %s", js.Status, csv.Status, csv.Body)
	}
	for _, out := range []resp{page, en, js, csv} {
		for _, personal := range []string{"13912345678", "13800138000", "张先生", tk.Number, "拖欠三个月工资", "还行"} {
			if strings.Contains(out.Body, personal) {
				t.Errorf("published %q", personal)
			}
		}
	}
	if r := e.do(nil, "GET", "/stats?month=1999-99", nil, nil); r.Status != 400 {
		t.Errorf("/stats with a bad month: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/stats/2026-13.json", nil, nil); r.Status != 400 {
		t.Errorf("open data with a bad month: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/stats/"+month+".xlsx", nil, nil); r.Status != 404 {
		t.Errorf("an unknown format: %d", r.Status)
	}
}
