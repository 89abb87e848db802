package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/tickets"
)

// The evaluation engine over HTTP: scorecards of any period ranked per group, a department
// seeing only itself, the drill-down, appeals from the department to the centre, the
// profile's versions with their dry run, the report as XLSX and CSV, and the pages.
func TestEvaluationEngineAPIAndPages(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付")
	other := e.register("又拖欠工资", "wage-arrears", "13800138001", "hrss")
	e.resolve(other.Number, "hrss", "已处理")
	yes := true
	dispatcher, _ := e.org.Staff(ctx, "dispatcher")
	for _, n := range []string{tk.Number, other.Number} {
		if _, _, err := e.tickets.RecordVisit(ctx, tickets.ActorFor(dispatcher), n,
			tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &yes, Solved: "solved", Satisfaction: "satisfied"}); err != nil {
			t.Fatal(err)
		}
	}
	month := testNow.Format("2006-01")
	sup, hrss, market, admin := e.token("supervisor"), e.token("handler-hrss"), e.token("handler-market"), e.token("admin")

	var card evaluation.Scorecard
	r := e.do(nil, "GET", "/api/v1/evaluation/scorecards?period="+month, nil, sup)
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &card) != nil {
		t.Fatalf("scorecard: %d %s", r.Status, r.Body)
	}
	h, ok := card.Department("hrss")
	if !ok || h.Group != "bureaus" || h.Tickets != 2 || deref(h.Indicators[evaluation.SatisfactionRate]) != 1.0 || deref(h.Score) != 100.0 {
		t.Fatalf("hrss: %+v", h)
	}
	for query, status := range map[string]int{
		"period=2026-Q4": 200, "period=2026": 200, "from=2026-11-01&to=2026-11-30": 200,
		"period=2099-01": 400, "period=2026-Q5": 400, "from=2026-11-30&to=2026-11-01": 400, "period=" + month + "&group=nope": 400,
	} {
		if r := e.do(nil, "GET", "/api/v1/evaluation/scorecards?"+query, nil, sup); r.Status != status {
			t.Errorf("%s: %d %s", query, r.Status, r.Body)
		}
	}
	// A department sees itself only.
	if r := e.do(nil, "GET", "/api/v1/evaluation/scorecards?period="+month, nil, market); r.Status != 200 || strings.Contains(r.Body, `"hrss"`) {
		t.Errorf("market sees hrss: %d %s", r.Status, r.Body)
	}
	explain := "/api/v1/evaluation/explain?period=" + month + "&department=hrss&indicator=" + evaluation.SatisfactionRate
	if r := e.do(nil, "GET", explain, nil, hrss); r.Status != 200 || !strings.Contains(r.Body, `"formula_zh":"(满意 + 0.9 × 基本满意) / 有效回访"`) {
		t.Errorf("explain for hrss: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", explain, nil, market); r.Status != 403 {
		t.Errorf("market explains hrss: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/evaluation/explain?period="+month+"&indicator="+evaluation.ResponseRate, nil, hrss); r.Status != 200 || !strings.Contains(r.Body, `"department":"hrss"`) {
		t.Errorf("hrss explains its own figure without naming itself: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/evaluation/explain?period="+month+"&indicator="+evaluation.AnswerRate, nil, sup); r.Status != 200 || !strings.Contains(r.Body, `"formula_zh":"接通量 / 呼入量"`) {
		t.Errorf("the centre's answer rate: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/evaluation/explain?period="+month+"&department=hrss&indicator=nope", nil, sup); r.Status != 404 {
		t.Errorf("an unknown indicator: %d %s", r.Status, r.Body)
	}

	// Appeals: not on another department's ticket; decided by the centre; visible once approved.
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/appeals", map[string]string{"reason": "not_duty", "text": "不是我们的"}, market); r.Status != 404 {
		t.Errorf("market appeals hrss's ticket: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/appeals", map[string]string{"reason": "whatever", "text": "x"}, hrss); r.Status != 400 {
		t.Errorf("a bad reason: %d %s", r.Status, r.Body)
	}
	r = e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/appeals", map[string]string{"reason": "unreasonable", "text": "诉求不合理"}, hrss)
	if r.Status != 201 {
		t.Fatalf("appeal: %d %s", r.Status, r.Body)
	}
	id := int64(r.json(t)["id"].(float64))
	approve := "/api/v1/evaluation/appeals/" + itoa(id) + "/approve"
	if r := e.do(nil, "POST", approve, map[string]string{}, hrss); r.Status != 403 {
		t.Errorf("a department approves its own appeal: %d", r.Status)
	}
	if r := e.do(nil, "POST", approve, map[string]string{"text": "属实"}, sup); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", approve, map[string]string{}, sup); r.Status != 409 {
		t.Errorf("approved twice: %d", r.Status)
	}
	r = e.do(nil, "GET", "/api/v1/evaluation/scorecards?period="+month, nil, hrss)
	if !strings.Contains(r.Body, `"excluded_by_appeal":1`) || !strings.Contains(r.Body, `"tickets":1`) {
		t.Errorf("after the appeal: %s", r.Body)
	}
	if r := e.do(nil, "GET", explain, nil, sup); !strings.Contains(r.Body, `"ticket":"`+tk.Number+`"`) {
		t.Errorf("the excluded ticket is not listed: %s", r.Body)
	}

	// The profile: a bad version is refused, a good one needs its dry run before adoption.
	if r := e.do(nil, "GET", "/api/v1/evaluation/profile", nil, hrss); r.Status != 200 || !strings.Contains(r.Body, `"formula_zh"`) {
		t.Errorf("profile: %d", r.Status)
	}
	bad := evaluation.Default()
	bad.Groups[0].Weights = map[string]float64{"nope": 1}
	if r := e.do(nil, "POST", "/api/v1/evaluation/profile/versions", map[string]any{"profile": bad}, admin); r.Status != 400 || r.json(t)["field"] != "groups[0].weights.nope" {
		t.Errorf("a bad profile: %d %s", r.Status, r.Body)
	}
	next := evaluation.Default()
	next.Settings["basically"] = 0.8
	if r := e.do(nil, "POST", "/api/v1/evaluation/profile/versions", map[string]any{"profile": next, "note": "0.8"}, sup); r.Status != 403 {
		t.Errorf("a supervisor proposes a profile: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/evaluation/profile/versions", map[string]any{"profile": next, "note": "0.8"}, admin); r.Status != 201 {
		t.Fatalf("propose: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/evaluation/profile/versions/2/adopt", map[string]string{}, admin); r.Status != 409 {
		t.Errorf("adopted without a dry run: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/evaluation/profile/versions/2/dry-run", map[string]string{"months": "2"}, admin); r.Status != 200 || !strings.Contains(r.Body, `"against":1`) {
		t.Errorf("dry run: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/evaluation/profile/versions/2/adopt", map[string]string{}, admin); r.Status != 200 {
		t.Errorf("adopt: %d %s", r.Status, r.Body)
	}

	// The report.
	x := e.do(nil, "GET", "/api/v1/evaluation/export?format=xlsx&period="+month, nil, sup)
	if x.Status != 200 {
		t.Fatalf("xlsx: %d %s", x.Status, x.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	if len(sheets) < 2 || sheets[0] != "排名" || !contains(sheets, "满意率") {
		t.Fatalf("sheets: %v", sheets)
	}
	title, _ := f.GetCellValue("排名", "A1")
	head, _ := f.GetCellValue("排名", "C3")
	dept, _ := f.GetCellValue("排名", "C4")
	typ, _ := f.GetCellType("排名", "D4")
	panes, _ := f.GetPanes("排名")
	style, _ := f.GetCellStyle("排名", "A3")
	st, _ := f.GetStyle(style)
	if title != "12345 热线承办单位考评通报" || head != "单位" || dept != "人力资源和社会保障局" || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString ||
		!panes.Freeze || panes.TopLeftCell != "A4" || st.Font == nil || !st.Font.Bold {
		t.Errorf("xlsx ranking: %q %q %q type %v panes %+v bold %+v", title, head, dept, typ, panes, st.Font)
	}
	c := e.do(nil, "GET", "/api/v1/evaluation/export?format=csv&period="+month, nil, sup)
	if c.Status != 200 || !strings.HasPrefix(c.Body, "\ufeff考评周期,分组,排名,单位,得分") || !strings.Contains(c.Body, "人力资源和社会保障局") {
		t.Errorf("csv: %d %s", c.Status, c.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/evaluation/export?format=pdf&period="+month, nil, sup); r.Status != 400 {
		t.Errorf("an unknown format: %d", r.Status)
	}

	// The pages.
	page := e.do(e.browser("supervisor"), "GET", "/evaluation?period="+month, nil, nil)
	if page.Status != 200 || !strings.Contains(page.Body, `data-group="bureaus"`) || !strings.Contains(page.Body, `id="eval-chart-data"`) ||
		!strings.Contains(page.Body, "0.8 × 基本满意) / 有效回访") {
		t.Errorf("evaluation page: %d %s", page.Status, page.Body)
	}
	if r := e.do(e.browser("supervisor"), "GET", "/evaluation?period=2099-01", nil, nil); r.Status != 400 || !strings.Contains(r.Body, "尚未开始") {
		t.Errorf("a future period's page: %d", r.Status)
	}
	hb := e.browser("handler-hrss")
	if r := e.do(hb, "GET", "/evaluation?period="+month, nil, nil); r.Status != 200 || !strings.Contains(r.Body, "本单位考评") {
		t.Errorf("hrss's own page: %d", r.Status)
	}
	if r := e.do(hb, "GET", "/evaluation/explain?period="+month+"&department=hrss&indicator="+evaluation.Composite, nil, nil); r.Status != 200 ||
		!strings.Contains(r.Body, "0.5 × 解决率") {
		t.Errorf("explain page: %d %s", r.Status, r.Body)
	}
	form := url.Values{"ticket": {other.Number}, "reason": {"duplicate"}, "text": {"与另一件重复"}}
	if r := e.do(hb, "POST", "/evaluation/appeals", form, map[string]string{"Origin": e.ts.URL}); r.Status != 303 {
		t.Errorf("appeal form: %d %s", r.Status, r.Body)
	}
	if r := e.do(e.browser("supervisor"), "GET", "/evaluation/appeals?status=pending", nil, nil); !strings.Contains(r.Body, other.Number) || !strings.Contains(r.Body, "重复件") {
		t.Errorf("appeals page: %s", r.Body)
	}

	// The same through the profile page: a bad document is shown again with its problem; a good
	// one is dry-run, side by side, then adopted.
	ab := e.browser("admin")
	origin := map[string]string{"Origin": e.ts.URL}
	if r := e.do(ab, "GET", "/evaluation/profile", nil, nil); r.Status != 200 || !strings.Contains(r.Body, `data-version="2"`) {
		t.Errorf("profile page: %d", r.Status)
	}
	if r := e.do(ab, "POST", "/evaluation/profile", url.Values{"profile": {`{"name_zh": "x"}`}}, origin); r.Status != 400 || !strings.Contains(r.Body, "indicators") {
		t.Errorf("a bad profile on the page: %d", r.Status)
	}
	third := evaluation.Default()
	third.Settings["satisfaction_weight"] = 0.5
	third.Settings["resolution_weight"] = 0.4
	doc, _ := json.Marshal(third)
	if r := e.do(ab, "POST", "/evaluation/profile", url.Values{"profile": {string(doc)}, "note": {"满意率权重 0.5"}}, origin); r.Status != 303 {
		t.Fatalf("propose on the page: %d %s", r.Status, r.Body)
	}
	// The past month (October) had no tickets: its table says so.
	r = e.do(ab, "POST", "/evaluation/profile/3/dry-run", url.Values{"months": {"1"}}, origin)
	if r.Status != 200 || !strings.Contains(r.Body, `data-period="2026-10"`) || !strings.Contains(r.Body, "本期没有可考评的单位") {
		t.Errorf("dry run on the page: %d %s", r.Status, r.Body)
	}
	if r := e.do(ab, "POST", "/evaluation/profile/3/adopt", nil, origin); r.Status != 303 {
		t.Errorf("adopt on the page: %d %s", r.Status, r.Body)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
