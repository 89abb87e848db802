package web

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// TestCalendarEditReachesRunningServices edits the calendar on the admin page and checks that
// deadlines counted afterwards in the same process follow the edit, without a restart.
func TestCalendarEditReachesRunningServices(t *testing.T) {
	t.Parallel()
	var live *workcal.Live
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		live = workcal.NewLive(d.Calendar)
		d.LiveCalendar = live
		e.tickets = tickets.NewService(e.db, e.clock, live, testNow.Location(), e.log)
		d.Tickets = e.tickets
	})
	admin := e.browser("admin")
	same := map[string]string{"Origin": e.ts.URL}
	tuesday := testNow.AddDate(0, 0, 1)
	before := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")

	if r := e.do(admin, "POST", "/admin/calendar", url.Values{"date": {tuesday.Format("2006-01-02")}, "kind": {"holiday"}, "name": {"临时假日"}}, same); r.Status != 303 {
		t.Fatalf("save day: %d %s", r.Status, r.Body)
	}
	if live.IsWorkday(tuesday) || live.Loads() != 1 {
		t.Fatalf("after the edit: Tuesday a working day %v, loads %d", live.IsWorkday(tuesday), live.Loads())
	}
	after := e.register("公司拖欠工资", "wage-arrears", "13800138001", "hrss")
	if before.ResolveDue == nil || after.ResolveDue == nil || !after.ResolveDue.After(*before.ResolveDue) {
		t.Fatalf("resolution due %v before the holiday was added, %v after: want later", before.ResolveDue, after.ResolveDue)
	}

	// A refused edit changes nothing and reloads nothing.
	if r := e.do(admin, "POST", "/admin/calendar", url.Values{"date": {"2026-02-30"}, "kind": {"holiday"}}, same); r.Status != 400 || live.Loads() != 1 {
		t.Fatalf("bad date: %d, loads %d", r.Status, live.Loads())
	}
	if r := e.do(admin, "POST", "/admin/calendar/delete", url.Values{"date": {tuesday.Format("2006-01-02")}}, same); r.Status != 303 {
		t.Fatalf("delete day: %d", r.Status)
	}
	if !live.IsWorkday(tuesday) {
		t.Fatal("the deleted holiday still counts")
	}
	again := e.register("公司拖欠工资", "wage-arrears", "13800138002", "hrss")
	if !again.ResolveDue.Equal(*before.ResolveDue) {
		t.Fatalf("resolution due %v after the holiday was removed, want %v", again.ResolveDue, before.ResolveDue)
	}
}

// calendarEnv is a staff server whose services count on a live calendar, as serve wires them.
func calendarEnv(t *testing.T) (*staffEnv, *workcal.Live) {
	t.Helper()
	var live *workcal.Live
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		live = workcal.NewLive(d.Calendar)
		d.LiveCalendar = live
		e.tickets = tickets.NewService(e.db, e.clock, live, testNow.Location(), e.log)
		d.Tickets = e.tickets
	})
	return e, live
}

// postTable sends a year's table to path as the calendar form does: pasted, or as a file.
func (e *staffEnv) postTable(c *http.Client, path, year, table, file string, hdr map[string]string) resp {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("year", year)
	mw.WriteField("table", table)
	if file != "" {
		w, _ := mw.CreateFormFile("file", "2027.csv")
		w.Write([]byte(file))
	}
	mw.Close()
	req, err := http.NewRequest("POST", e.ts.URL+path, &b)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: string(body)}
}

func stored2027(t *testing.T, e *staffEnv) int {
	t.Helper()
	n, err := e.db.NewSelect().Table("workcal_days").Where("day >= '2027-01-01' AND day < '2028-01-01'").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

var hiddenTable = regexp.MustCompile(`name="table" value="([^"]*)"`)

// TestCalendarYearPreviewThenSave uploads 2027's notice in late December: the preview lists
// the changed days and the open ticket whose deadline moves, and saves nothing; confirming
// writes the days, moves the deadline with an event on the ticket's timeline, records the
// audit entry and reloads the running calendar.
func TestCalendarYearPreviewThenSave(t *testing.T) {
	t.Parallel()
	e, live := calendarEnv(t)
	now := time.Date(2026, 12, 28, 10, 0, 0, 0, testNow.Location())
	e.clock.Set(now)
	open := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	if !open.ResolveDue.After(time.Date(2027, 1, 1, 0, 0, 0, 0, now.Location())) {
		t.Fatalf("the ticket's deadline %v does not reach 2027", open.ResolveDue)
	}
	before := *open.ResolveDue
	admin := e.browser("admin")
	same := map[string]string{"Origin": e.ts.URL}
	notice := "date,kind,name\n2027-01-01,放假,元旦\n2027-02-06,休,春节\n2027-02-20,班,春节\n"

	r := e.postTable(admin, "/admin/calendar/preview", "2027", "", notice, same)
	if r.Status != 200 {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	days, err := workcal.ParseTable(strings.NewReader(notice), 2027)
	if err != nil {
		t.Fatal(err)
	}
	newCal := workcal.New(append(e.srv.Calendar.Days(), days...), now.Location(), workcal.DefaultHours)
	profileDays := 0
	for d := 1; !e.srv.Calendar.AddWorkdays(now, d).After(before); d++ {
		profileDays = d
	}
	want := newCal.AddWorkdays(now, profileDays)
	if want.Equal(before) {
		t.Fatalf("2027's holidays do not move the deadline %v", before)
	}
	for _, s := range []string{"新增 3 天，删除 0 天，修改 0 天", `id="calendar-moves"`, open.Number,
		before.In(now.Location()).Format("2006-01-02 15:04"), want.In(now.Location()).Format("2006-01-02 15:04"), "保存后，1 件在办工单的办结时限将调整"} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("preview lacks %q", s)
		}
	}
	got, err := e.tickets.Get(context.Background(), open.Number)
	if err != nil {
		t.Fatal(err)
	}
	if stored2027(t, e) != 0 || !got.ResolveDue.Equal(before) || live.Loads() != 0 {
		t.Fatalf("the preview saved: %d days of 2027, deadline %v, loads %d", stored2027(t, e), got.ResolveDue, live.Loads())
	}

	m := hiddenTable.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the preview has no table to confirm")
	}
	r = e.do(admin, "POST", "/admin/calendar/year", url.Values{"year": {"2027"}, "table": {html.UnescapeString(m[1])}}, same)
	if r.Status != 303 || r.Header.Get("Location") != "/admin/calendar?year=2027&saved=1&moved=1" {
		t.Fatalf("save: %d %s %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if stored2027(t, e) != 3 || !live.Get().Covers(2027) || live.Loads() != 1 {
		t.Fatalf("after saving: %d days of 2027, live covers 2027 %v, loads %d", stored2027(t, e), live.Get().Covers(2027), live.Loads())
	}
	if got, err = e.tickets.Get(context.Background(), open.Number); err != nil {
		t.Fatal(err)
	}
	if !got.ResolveDue.Equal(want) {
		t.Fatalf("deadline after saving %v, want %v", got.ResolveDue, want)
	}
	var kinds []string
	if err := e.db.NewSelect().Table("ticket_events").Column("kind").Where("ticket_id = ? AND kind = ?", got.ID, tickets.ActCalendar).Scan(context.Background(), &kinds); err != nil || len(kinds) != 1 {
		t.Fatalf("timeline events of the move: %v, %v", kinds, err)
	}
	if page := e.do(admin, "GET", "/tickets/"+open.Number, nil, nil); !strings.Contains(page.Body, "办结时限随工作日历调整") {
		t.Error("the ticket's timeline does not show the move")
	}
	audit := e.do(nil, "GET", "/api/v1/admin/audit?limit=5", nil, e.token("admin"))
	if !strings.Contains(audit.Body, `"calendar_year_saved"`) || !strings.Contains(audit.Body, open.Number) {
		t.Errorf("audit trail: %s", audit.Body)
	}
	// A ticket registered now counts on 2027's holidays; saving the same table again changes nothing.
	if later := e.register("公司拖欠工资", "wage-arrears", "13800138001", "hrss"); !later.ResolveDue.Equal(want) {
		t.Errorf("a new ticket's deadline %v, want %v", later.ResolveDue, want)
	}
	r = e.postTable(admin, "/admin/calendar/preview", "2027", notice, "", same)
	if !strings.Contains(r.Body, "与现有日历相同，没有变更。") || !strings.Contains(r.Body, "没有在办工单的办结时限需要调整。") {
		t.Errorf("preview of the same table: %d %s", r.Status, r.Body)
	}
	page := e.do(admin, "GET", "/admin/calendar?year=2027&saved=1&moved=1", nil, nil)
	for _, s := range []string{"2027 年日历", `title="元旦"`, "已调整 1 件在办工单的办结时限", "保存后立即生效"} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("calendar page lacks %q", s)
		}
	}
	if strings.Contains(page.Body, "服务重启后") {
		t.Error("the calendar page still says changes wait for a restart")
	}
}

// TestCalendarTableRefused sends bad tables: every bad line is named in the reader's
// language, with a 400, and nothing is saved or reloaded.
func TestCalendarTableRefused(t *testing.T) {
	t.Parallel()
	e, live := calendarEnv(t)
	admin := e.browser("admin")
	same := map[string]string{"Origin": e.ts.URL}
	table := "2027-01-01,放假,元旦\n2027-02-30,放假,春节\n2027-02-06,调休,春节\n2026-12-31,放假,元旦\n2027-01-01,上班,元旦\n2027-03-01,放假\n"
	wantZh := []string{"第 2 行：日期“2027-02-30”无效", "第 3 行：类型“调休”无法识别", "第 4 行：日期 2026-12-31 不在 2027 年内",
		"第 5 行：日期 2027-01-01 重复，第 1 行已填写", "第 6 行：应为 3 列"}
	wantEn := []string{`Line 2: &#34;2027-02-30&#34; is not a date`, `Line 3: unknown kind &#34;调休&#34;`, "Line 4: 2026-12-31 is not in 2027",
		"Line 5: 2027-01-01 is given twice, first on line 1", "Line 6: want 3 columns"}
	for _, path := range []string{"/admin/calendar/preview", "/admin/calendar/year"} {
		r := e.postTable(admin, path, "2027", table, "", same)
		if r.Status != 400 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		for _, s := range append(wantZh, "表格有误，未保存任何内容") {
			if !strings.Contains(r.Body, s) {
				t.Errorf("%s: lacks %q", path, s)
			}
		}
	}
	en := map[string]string{"Origin": e.ts.URL, "Cookie": "lang=en"}
	r := e.postTable(admin, "/admin/calendar/preview", "2027", table, "", en)
	for _, s := range wantEn {
		if !strings.Contains(r.Body, s) {
			t.Errorf("English: lacks %q", s)
		}
	}
	for _, tt := range []struct{ year, table, want string }{
		{"27", "2027-01-01,放假,元旦\n", "请填写 2000 到 2100 之间的年份"},
		{"2027", "# nothing\n", "表格中没有任何日期"},
		{"2027", "2027-01-01,放假,\"元旦\n", "第 1 行：格式无法识别"},
	} {
		if r := e.postTable(admin, "/admin/calendar/preview", tt.year, tt.table, "", same); r.Status != 400 || !strings.Contains(r.Body, tt.want) {
			t.Errorf("year %q table %q: %d, want %q", tt.year, tt.table, r.Status, tt.want)
		}
	}
	// The API refuses alike, in its JSON.
	api := e.do(nil, "POST", "/api/v1/admin/calendar/years", map[string]string{"year": "2027", "table": table}, e.token("admin"))
	if api.Status != 400 || !strings.Contains(api.Body, "line 2") {
		t.Errorf("API: %d %s", api.Status, api.Body)
	}
	if stored2027(t, e) != 0 || live.Loads() != 0 {
		t.Fatalf("a refused table saved %d days, loads %d", stored2027(t, e), live.Loads())
	}
}

// TestCalendarYearOnlyAdministrators: supervisors may not change the calendar, and a
// cross-site form is refused before it reaches the handler.
func TestCalendarYearOnlyAdministrators(t *testing.T) {
	t.Parallel()
	e, live := calendarEnv(t)
	table := "2027-01-01,放假,元旦\n"
	sup := e.browser("supervisor")
	for _, path := range []string{"/admin/calendar/preview", "/admin/calendar/year"} {
		if r := e.postTable(sup, path, "2027", table, "", map[string]string{"Origin": e.ts.URL}); r.Status != 403 {
			t.Errorf("supervisor %s: %d", path, r.Status)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/admin/calendar/years", map[string]string{"year": "2027", "table": table}, e.token("supervisor")); r.Status != 403 {
		t.Errorf("supervisor API: %d", r.Status)
	}
	admin := e.browser("admin")
	if r := e.postTable(admin, "/admin/calendar/year", "2027", table, "", map[string]string{"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}); r.Status != 403 {
		t.Errorf("cross-site save: %d", r.Status)
	}
	if stored2027(t, e) != 0 || live.Loads() != 0 {
		t.Fatalf("refused saves wrote %d days, loads %d", stored2027(t, e), live.Loads())
	}
}

// TestCalendarMissingYearWarning: from 1 November, while next year has no entries,
// administrators are warned on the administration pages and supervisors on the board; the
// warning goes once the year is entered.
func TestCalendarMissingYearWarning(t *testing.T) {
	t.Parallel()
	e, _ := calendarEnv(t)
	admin, sup := e.browser("admin"), e.browser("supervisor")
	shown := func(c *http.Client, path string) (bool, string) {
		t.Helper()
		r := e.do(c, "GET", path, nil, nil)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		return strings.Contains(r.Body, `id="calendar-missing"`), r.Body
	}
	e.clock.Set(time.Date(2026, 10, 31, 23, 0, 0, 0, testNow.Location()))
	for _, p := range []struct {
		c    *http.Client
		path string
	}{{admin, "/admin"}, {admin, "/admin/calendar"}, {sup, "/board"}} {
		if on, _ := shown(p.c, p.path); on {
			t.Errorf("%s warns before 1 November", p.path)
		}
	}
	e.clock.Set(time.Date(2026, 11, 1, 0, 30, 0, 0, testNow.Location()))
	on, body := shown(admin, "/admin/staff")
	if !on || !strings.Contains(body, "2027 年的法定节假日和调休安排尚未录入") || !strings.Contains(body, `href="/admin/calendar?year=2027#calendar-import"`) {
		t.Errorf("administration page from 1 November: warning %v", on)
	}
	on, body = shown(sup, "/board")
	if !on || !strings.Contains(body, "请联系系统管理员") {
		t.Errorf("board from 1 November: warning %v", on)
	}
	if r := e.do(sup, "GET", "/board", nil, map[string]string{"Cookie": "lang=en"}); !strings.Contains(r.Body, "The public holidays and adjusted working days of 2027 are not entered yet") {
		t.Error("the board's warning is not in English")
	}
	r := e.do(nil, "POST", "/api/v1/admin/calendar/years", map[string]string{"year": "2027", "table": "2027-01-01,holiday,元旦\n"}, e.token("admin"))
	if r.Status != 200 {
		t.Fatalf("enter 2027: %d %s", r.Status, r.Body)
	}
	if on, _ := shown(admin, "/admin"); on {
		t.Error("the administration page still warns once 2027 is entered")
	}
	if on, _ := shown(sup, "/board"); on {
		t.Error("the board still warns once 2027 is entered")
	}
}
