package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// actor is username as the actor of service calls.
func (e *staffEnv) actor(username string) tickets.Actor {
	e.t.Helper()
	st, err := e.org.Staff(context.Background(), username)
	if err != nil {
		e.t.Fatal(err)
	}
	return tickets.ActorFor(st)
}

// mustContain fails unless the response holds every one of wants.
func mustContain(t *testing.T, what string, r resp, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Fatalf("%s lacks %q (status %d)", what, w, r.Status)
		}
	}
}

// mustLack fails if the response holds any of unwanted.
func mustLack(t *testing.T, what string, r resp, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(r.Body, w) {
			t.Fatalf("%s shows %q", what, w)
		}
	}
}

// resolveDueOnPage is the resolution deadline the ticket page shows.
var resolveDueOnPage = regexp.MustCompile(`<td>办结时限</td><td>([^<]*)</td>`)

func (e *staffEnv) resolveDueShown(c *http.Client, number string) string {
	e.t.Helper()
	r := e.do(c, "GET", "/tickets/"+number, nil, nil)
	m := resolveDueOnPage.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		e.t.Fatalf("ticket page %s: %d, no resolution deadline", number, r.Status)
	}
	return m[1]
}

func TestEscalationPagesByRole(t *testing.T) {
	t.Parallel()
	e, _ := newEscalationEnv(t)
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	ticket := "/tickets/" + tk.Number
	for _, tc := range []struct {
		user, path string
		status     int
		wants      []string
		unwanted   []string
	}{
		{"handler-hrss", "/workbench", 200, []string{`action="/tickets/` + tk.Number + `/extensions"`, `name="new_due" min="2026-12-03"`, `sse-connect="/api/v1/notifications/stream"`}, nil},
		{"head-hrss", "/workbench", 200, []string{`action="/tickets/` + tk.Number + `/extensions"`}, nil},
		{"handler-market", "/workbench", 200, nil, []string{tk.Number}},
		{"supervisor", "/workbench", 403, nil, nil},
		{"agent1", "/workbench", 403, nil, nil},
		{"supervisor", "/board", 200, []string{`id="escalation"`, `id="extension-queue"`, `id="notices"`, `action="/supervision"`, `id="counts-box"`}, nil},
		{"admin", "/board", 200, []string{`action="/supervision"`}, nil},
		{"leader", "/board", 200, []string{`id="extension-queue"`}, nil},
		{"head-hrss", "/board", 200, []string{`id="extension-queue"`}, []string{`action="/supervision"`}},
		{"handler-hrss", "/board", 403, nil, nil},
		{"agent1", "/board", 403, nil, nil},
		{"handler-hrss", ticket, 200, []string{`id="escalation"`, `action="/tickets/` + tk.Number + `/extensions"`}, []string{`action="/tickets/` + tk.Number + `/supervision"`}},
		{"supervisor", ticket, 200, []string{`action="/tickets/` + tk.Number + `/supervision"`}, []string{`/extensions"`}},
		{"agent1", ticket, 200, []string{`id="escalation"`}, []string{`/supervision"`, `/extensions"`}},
		{"handler-market", ticket, 403, nil, nil},
		{"handler-hrss", "/notifications", 200, []string{"暂无通知"}, nil},
		{"agent1", "/notifications", 200, nil, nil},
		{"supervisor", "/notifications/bell", 200, []string{"0 条未读"}, []string{`id="bell-count"`}},
		{"supervisor", "/board/escalations", 200, []string{`id="esc-matrix"`, "暂无超期升级的工单"}, nil},
		{"handler-hrss", "/board/escalations", 403, nil, nil},
	} {
		t.Run(tc.user+" "+tc.path, func(t *testing.T) {
			r := e.do(nil, "GET", tc.path, nil, e.token(tc.user))
			if r.Status != tc.status {
				t.Fatalf("%d, want %d", r.Status, tc.status)
			}
			mustContain(t, tc.path, r, tc.wants...)
			mustLack(t, tc.path, r, tc.unwanted...)
		})
	}
	// Forms posted by roles they are not for.
	for _, tc := range []struct {
		user, path string
		form       url.Values
		status     int
	}{
		{"supervisor", ticket + "/extensions", url.Values{"reason": {"x"}, "new_due": {"2026-12-04"}}, 403},
		{"agent1", ticket + "/extensions", url.Values{"reason": {"x"}, "new_due": {"2026-12-04"}}, 403},
		{"handler-market", ticket + "/extensions", url.Values{"reason": {"x"}, "new_due": {"2026-12-04"}}, 403},
		{"handler-hrss", "/extensions/1/approve", nil, 403},
		{"head-hrss", "/extensions/1/refuse", url.Values{"text": {"x"}}, 403},
		{"handler-hrss", ticket + "/supervision", url.Values{"text": {"x"}, "workdays": {"2"}}, 403},
		{"agent1", "/supervision", url.Values{"ticket": {tk.Number}, "text": {"x"}, "workdays": {"2"}}, 403},
		{"supervisor", "/supervision/DB2026-000001/reply", url.Values{"text": {"x"}}, 403},
	} {
		t.Run("POST "+tc.user+" "+tc.path, func(t *testing.T) {
			if r := e.do(nil, "POST", tc.path, tc.form, e.token(tc.user)); r.Status != tc.status {
				t.Fatalf("%d, want %d: %s", r.Status, tc.status, r.Body)
			}
		})
	}
	if n, _ := e.srv.Escalation.Service.Extensions(context.Background(), e.actor("supervisor"), "", 0); len(n) != 0 {
		t.Fatalf("refused forms left requests: %v", n)
	}
}

func TestExtensionAskApproveRefusePages(t *testing.T) {
	t.Parallel()
	e, esc := newEscalationEnv(t)
	approved := e.register("工地拖欠工资三个月", "wage-arrears", "13900001111", "hrss") // resolution due 2026-12-02 17:00
	refused := e.register("公司拖欠两个月工资", "wage-arrears", "13900002222", "hrss")
	h, sup := e.browser("handler-hrss"), e.browser("supervisor")
	same := map[string]string{"Origin": e.ts.URL}
	ask := func(number string, form url.Values) resp {
		t.Helper()
		return e.do(h, "POST", "/tickets/"+number+"/extensions", form, same)
	}
	if got := e.resolveDueShown(h, approved.Number); got != "2026-12-02 17:00" {
		t.Fatalf("deadline before: %q", got)
	}

	// Bad input, from the workbench: the workbench again with the reason and what was typed.
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no reason", url.Values{"from": {"workbench"}, "new_due": {"2026-12-04"}}, 400, "reason"},
		{"no date", url.Values{"from": {"workbench"}, "reason": {"等待仲裁结果"}}, 400, "new_due"},
		{"bad date", url.Values{"from": {"workbench"}, "reason": {"等待仲裁结果"}, "new_due": {"next week"}}, 400, "new_due"},
		{"before the old deadline", url.Values{"from": {"workbench"}, "reason": {"等待仲裁结果"}, "new_due": {"2026-11-30"}}, 400, "must be after the current deadline 2026-12-02 17:00"},
		{"the old deadline itself", url.Values{"from": {"workbench"}, "reason": {"等待仲裁结果"}, "new_due": {"2026-12-02"}}, 400, "must be after the current deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ask(approved.Number, tc.form)
			if r.Status != tc.status {
				t.Fatalf("%d, want %d", r.Status, tc.status)
			}
			mustContain(t, "refused form", r, `role="alert"`, tc.want, `id="queue"`, `<details open><summary>申请延期`)
			if v := tc.form.Get("reason"); v != "" {
				mustContain(t, "refused form", r, ">"+v+"</textarea>")
			}
		})
	}

	// The handler asks from the workbench; markup in the reason stays text.
	r := ask(approved.Number, url.Values{"from": {"workbench"}, "new_due": {"2026-12-04"}, "reason": {"需等待劳动仲裁结果 " + evil}})
	if r.Status != 303 || r.Header.Get("Location") != "/workbench?done=extension_request" {
		t.Fatalf("ask: %d %s", r.Status, r.Header.Get("Location"))
	}
	wb := e.do(h, "GET", "/workbench?done=extension_request", nil, nil)
	mustContain(t, "workbench", wb, "已提交延期申请", "延期申请待审批", "2026-12-02 17:00 → <strong class=\"new-due\">2026-12-04 17:00</strong>")
	mustLack(t, "workbench", wb, `action="/tickets/`+approved.Number+`/extensions"`)
	// A second request while one waits: refused, nothing more waits.
	r = ask(approved.Number, url.Values{"new_due": {"2026-12-08"}, "reason": {"再延"}})
	if r.Status != 409 {
		t.Fatalf("second request: %d", r.Status)
	}
	mustContain(t, "second request", r, tr("zh", "error.conflict"), `id="escalation"`)
	if xs, _ := esc.Extensions(context.Background(), e.actor("supervisor"), "", 0); len(xs) != 1 {
		t.Fatalf("requests after the second: %d", len(xs))
	}

	// The supervisor hears of it, sees it in the queue and on the ticket page.
	mustContain(t, "supervisor's bell", e.do(sup, "GET", "/notifications/bell", nil, nil), `id="bell-count">1<`, "申请延期")
	board := e.do(sup, "GET", "/board", nil, nil)
	mustContain(t, "board", board, `data-ticket="`+approved.Number+`"`, "2026-12-04 17:00", "&lt;script&gt;", `action="/extensions/`)
	mustLack(t, "board", board, evil)
	page := e.do(sup, "GET", "/tickets/"+approved.Number, nil, nil)
	mustContain(t, "ticket page", page, `class="ext-pending"`, "待审批", "&lt;script&gt;", `data-kind="extension_requested"`)
	mustLack(t, "ticket page", page, evil, "due.new")

	// Refusing without a reason changes nothing.
	xs, _ := esc.Extensions(context.Background(), e.actor("supervisor"), "pending", 0)
	id := xs[0].ID
	r = e.do(sup, "POST", "/extensions/"+itoa(id)+"/refuse", url.Values{"from": {"board"}, "ticket": {approved.Number}}, same)
	if r.Status != 400 {
		t.Fatalf("refusal without a reason: %d", r.Status)
	}
	mustContain(t, "refusal without a reason", r, `role="alert"`, "a refusal needs a reason", `id="extension-queue"`)

	// Approved from the board: the ticket page shows the new deadline and where it came from.
	r = e.do(sup, "POST", "/extensions/"+itoa(id)+"/approve", url.Values{"from": {"board"}, "ticket": {approved.Number}, "text": {"同意 " + evil}}, same)
	if r.Status != 303 || r.Header.Get("Location") != "/board?done=extension_approve#escalation" {
		t.Fatalf("approve: %d %s", r.Status, r.Header.Get("Location"))
	}
	mustContain(t, "board after", e.do(sup, "GET", "/board?done=extension_approve", nil, nil), "已批准延期 ✓", "暂无待审批的延期申请")
	if got := e.resolveDueShown(h, approved.Number); got != "2026-12-04 17:00" {
		t.Fatalf("deadline after approval: %q", got)
	}
	page = e.do(h, "GET", "/tickets/"+approved.Number, nil, nil)
	mustContain(t, "ticket page after", page, `<tr data-event="extend">`, "2026-12-02 17:00 → 2026-12-04 17:00", "延期（已批准）",
		`class="badge b-approved">已批准`, "同意 &lt;script&gt;", `action="/tickets/`+approved.Number+`/extensions"`)
	mustLack(t, "ticket page after", page, evil)
	if r := e.do(sup, "POST", "/extensions/"+itoa(id)+"/approve", url.Values{"ticket": {approved.Number}}, same); r.Status != 409 {
		t.Fatalf("approving twice: %d", r.Status)
	}
	notes := e.do(h, "GET", "/notifications", nil, nil)
	mustContain(t, "handler's notifications", notes, `data-kind="extension_approved"`, "延期已批准", `class="unread"`)
	mustLack(t, "handler's notifications", notes, evil)

	// The other request, asked from the ticket page, is refused there: the deadline stays.
	r = ask(refused.Number, url.Values{"from": {"ticket"}, "new_due": {"2026-12-10"}, "reason": {"企业负责人出差"}})
	if r.Status != 303 || r.Header.Get("Location") != "/tickets/"+refused.Number+"?done=extension_request#escalation" {
		t.Fatalf("ask from the ticket page: %d %s", r.Status, r.Header.Get("Location"))
	}
	xs, _ = esc.Extensions(context.Background(), e.actor("supervisor"), "pending", 0)
	r = e.do(sup, "POST", "/extensions/"+itoa(xs[0].ID)+"/refuse", url.Values{"from": {"ticket"}, "ticket": {refused.Number}, "text": {"理由不充分 " + evil}}, same)
	if r.Status != 303 || r.Header.Get("Location") != "/tickets/"+refused.Number+"?done=extension_refuse#escalation" {
		t.Fatalf("refuse: %d %s", r.Status, r.Header.Get("Location"))
	}
	if got := e.resolveDueShown(h, refused.Number); got != "2026-12-02 17:00" {
		t.Fatalf("deadline after refusal: %q", got)
	}
	page = e.do(h, "GET", "/tickets/"+refused.Number, nil, nil)
	mustContain(t, "refused ticket", page, `class="badge b-refused">未批准`, "理由不充分 &lt;script&gt;", `data-kind="extension_refused"`, "延期未获批准")
	mustLack(t, "refused ticket", page, evil, `data-event="extend"`)

	// After the deadline no form is offered and a request is refused.
	e.clock.Set(time.Date(2026, 12, 3, 9, 0, 0, 0, testNow.Location()))
	defer e.clock.Set(testNow)
	mustContain(t, "late ticket page", e.do(h, "GET", "/tickets/"+refused.Number, nil, nil), "办结时限已过，不能再申请延期")
	r = ask(refused.Number, url.Values{"new_due": {"2026-12-10"}, "reason": {"还要再等"}})
	if r.Status != 409 {
		t.Fatalf("request after the deadline: %d", r.Status)
	}
	mustContain(t, "request after the deadline", r, "the deadline 2026-12-02 17:00 has passed")
	if xs, _ := esc.Extensions(context.Background(), e.actor("supervisor"), "pending", 0); len(xs) != 0 {
		t.Fatalf("a late request waits: %v", xs)
	}
}

func TestSupervisionNoticePages(t *testing.T) {
	t.Parallel()
	e, _ := newEscalationEnv(t)
	tk := e.register("餐馆后厨卫生问题", "food-safety", "13900002222", "market")
	h, other, sup := e.browser("handler-market"), e.browser("handler-hrss"), e.browser("supervisor")
	same := map[string]string{"Origin": e.ts.URL}

	// Bad input from the board: the board again, with what was typed.
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no ticket", url.Values{"from": {"board"}, "text": {"请说明进展"}, "workdays": {"2"}}, "ticket"},
		{"no text", url.Values{"from": {"board"}, "ticket": {tk.Number}, "workdays": {"2"}}, "text"},
		{"bad days", url.Values{"from": {"board"}, "ticket": {tk.Number}, "text": {"请说明进展"}, "workdays": {"99"}}, "workdays"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(sup, "POST", "/supervision", tc.form, same)
			if r.Status != 400 {
				t.Fatalf("%d", r.Status)
			}
			mustContain(t, tc.name, r, `role="alert"`, tc.want, `id="notices"`, "<details open><summary>下发督办单")
		})
	}
	if r := e.do(sup, "POST", "/supervision", url.Values{"ticket": {"20261123-999999"}, "text": {"x"}, "workdays": {"2"}}, same); r.Status != 404 {
		t.Fatalf("unknown ticket: %d", r.Status)
	}

	// Issued from the ticket page; the market handler's workbench shows it with a reply form.
	r := e.do(sup, "POST", "/tickets/"+tk.Number+"/supervision", url.Values{"from": {"ticket"}, "text": {"请两日内说明处理进展 " + evil}, "workdays": {"2"}}, same)
	if r.Status != 303 || r.Header.Get("Location") != "/tickets/"+tk.Number+"?done=supervision_issue#escalation" {
		t.Fatalf("issue: %d %s", r.Status, r.Header.Get("Location"))
	}
	page := e.do(sup, "GET", "/tickets/"+tk.Number+"?done=supervision_issue", nil, nil)
	mustContain(t, "ticket page", page, "已下发督办单 ✓", `data-status="open"`, "请两日内说明处理进展 &lt;script&gt;", "2026-11-25 17:00", `data-kind="supervision_issued"`)
	mustLack(t, "ticket page", page, evil, "/reply")
	number := regexp.MustCompile(`id="notice-(DB\d{4}-\d{6})"`).FindStringSubmatch(page.Body)[1]
	wb := e.do(h, "GET", "/workbench", nil, nil)
	mustContain(t, "workbench", wb, `id="notices"`, number, `action="/supervision/`+number+`/reply"`, "2026-11-25 17:00")
	mustLack(t, "workbench", wb, evil)
	mustContain(t, "handler's bell", e.do(h, "GET", "/notifications/bell", nil, nil), `id="bell-count">1<`)
	mustLack(t, "another department's workbench", e.do(other, "GET", "/workbench", nil, nil), number)

	// Replies: another department may not, an empty one is refused, the department's is kept.
	if r := e.do(other, "POST", "/supervision/"+number+"/reply", url.Values{"text": {"x"}}, same); r.Status != 403 {
		t.Fatalf("another department replies: %d", r.Status)
	}
	r = e.do(h, "POST", "/supervision/"+number+"/reply", url.Values{"from": {"workbench"}, "ticket": {tk.Number}, "text": {" "}}, same)
	if r.Status != 400 {
		t.Fatalf("empty reply: %d", r.Status)
	}
	mustContain(t, "empty reply", r, `role="alert"`, tr("zh", "error.reply_text"), `id="queue"`)
	r = e.do(h, "POST", "/supervision/"+number+"/reply", url.Values{"from": {"workbench"}, "ticket": {tk.Number}, "text": {"已现场检查，责令整改 " + evil}}, same)
	if r.Status != 303 || r.Header.Get("Location") != "/workbench?done=supervision_reply" {
		t.Fatalf("reply: %d %s", r.Status, r.Header.Get("Location"))
	}
	mustLack(t, "workbench after", e.do(h, "GET", "/workbench", nil, nil), `id="notices"`)
	if r := e.do(h, "POST", "/supervision/"+number+"/reply", url.Values{"text": {"again"}}, same); r.Status != 409 {
		t.Fatalf("second reply: %d", r.Status)
	}
	page = e.do(sup, "GET", "/tickets/"+tk.Number, nil, nil)
	mustContain(t, "ticket page after", page, `data-status="replied"`, "已现场检查，责令整改 &lt;script&gt;", `data-kind="supervision_replied"`)
	mustLack(t, "ticket page after", page, evil)
	board := e.do(sup, "GET", "/board", nil, nil)
	mustContain(t, "board", board, "最近答复", number)
	mustLack(t, "board", board, evil)
	mustContain(t, "supervisor's notifications", e.do(sup, "GET", "/notifications", nil, nil), `data-kind="supervision_replied"`)
}

func TestBoardEscalationsAndTimeline(t *testing.T) {
	t.Parallel()
	e, esc := newEscalationEnv(t)
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	e.register("餐馆卫生差", "food-safety", "13700137000", "market")
	ctx := context.Background()
	// Two days on, neither department has accepted or called the citizen back.
	at := testNow.Add(50 * time.Hour)
	e.clock.Set(at)
	var acts []escalation.Action
	if _, err := esc.Sweep(ctx, at, func(a escalation.Action) { acts = append(acts, a) }); err != nil {
		t.Fatal(err)
	}
	if len(acts) == 0 {
		t.Fatal("the sweep escalated nothing")
	}
	sup := e.browser("supervisor")
	board := e.do(sup, "GET", "/board", nil, nil)
	mustContain(t, "board", board, `<tr data-dept="hrss">`, `<tr data-dept="market">`, `data-ticket="`+tk.Number+`" data-level="`, "第 1 级", "签收时限")
	counts := e.do(sup, "GET", "/board/escalations", nil, e.token("head-hrss"))
	mustContain(t, "head's counts", counts, `<tr data-dept="hrss">`)
	mustLack(t, "head's counts", counts, `data-dept="market"`)
	mustContain(t, "supervisor's counts", e.do(sup, "GET", "/board/escalations", nil, nil), `data-dept="market"`)
	page := e.do(sup, "GET", "/tickets/"+tk.Number, nil, nil)
	mustContain(t, "timeline", page, `data-kind="escalation"`, `<strong>催办</strong> <span class="esc-note">第 1 级 · 签收时限</span>`)
	mustContain(t, "supervisor's bell", e.do(sup, "GET", "/notifications/bell", nil, nil), `id="bell-count">`)

	// In English.
	en := e.do(sup, "GET", "/board", nil, map[string]string{"Cookie": "lang=en"})
	if en.Status != 200 {
		t.Fatalf("English board: %d", en.Status)
	}
}

func TestNotificationsMarkRead(t *testing.T) {
	t.Parallel()
	e, esc := newEscalationEnv(t)
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	ctx := context.Background()
	sup, _ := e.org.Staff(ctx, "supervisor")
	if _, err := esc.IssueNotice(ctx, tickets.ActorFor(sup), tk.Number, escalation.NoticeInput{Text: "请说明", Workdays: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := esc.IssueNotice(ctx, tickets.ActorFor(sup), tk.Number, escalation.NoticeInput{Text: "再次督办", Workdays: 1}); err != nil {
		t.Fatal(err)
	}
	h := e.browser("handler-hrss")
	same := map[string]string{"Origin": e.ts.URL}
	hrss, _ := e.org.Staff(ctx, "handler-hrss")
	ns, _ := esc.Recent(ctx, hrss.ID, 10)
	if len(ns) != 2 {
		t.Fatalf("notifications: %d", len(ns))
	}
	// Two notices on one ticket are one entry of the unread list.
	mustContain(t, "bell", e.do(h, "GET", "/notifications/bell", nil, nil), `id="bell-count">1<`)
	mustContain(t, "grouped page", e.do(h, "GET", "/notifications", nil, nil), "1 条未读",
		`class="unread" data-id="`+itoa(ns[0].ID)+`"`, `data-ticket="`+tk.Number+`"`, "2 条同一工单的通知")
	other := e.browser("handler-market")
	if r := e.do(other, "POST", "/notifications/"+itoa(ns[0].ID)+"/read", nil, same); r.Status != 404 {
		t.Fatalf("someone else's: %d", r.Status)
	}
	if r := e.do(h, "POST", "/notifications/x/read", nil, same); r.Status != 404 {
		t.Fatalf("bad id: %d", r.Status)
	}
	if r := e.do(h, "POST", "/notifications/"+itoa(ns[0].ID)+"/read", nil, same); r.Status != 303 {
		t.Fatalf("mark read: %d", r.Status)
	}
	// Reading the entry reads the ticket's notifications, the older one too.
	page := e.do(h, "GET", "/notifications", nil, nil)
	mustContain(t, "page", page, "0 条未读", `class="read" data-id="`+itoa(ns[0].ID)+`"`)
	mustLack(t, "page", page, `class="unread"`)
	mustContain(t, "bell after reading", e.do(h, "GET", "/notifications/bell", nil, nil), "0 条未读")
	var unread int
	if err := e.db.QueryRowContext(ctx, "SELECT count(*) FROM notifications WHERE staff_id = ? AND read_at IS NULL", hrss.ID).Scan(&unread); err != nil || unread != 0 {
		t.Fatalf("unread rows after reading the entry: %d %v", unread, err)
	}
	if r := e.do(h, "POST", "/notifications/read", nil, same); r.Status != 303 {
		t.Fatalf("mark all read: %d", r.Status)
	}
	mustContain(t, "bell after", e.do(h, "GET", "/notifications/bell", nil, nil), "0 条未读")
	mustContain(t, "page in English", e.do(h, "GET", "/notifications", nil, map[string]string{"Cookie": "lang=en"}), "0 unread", "Supervision notice")
}

// An escalation's notification reads in the reader's language, worded from the action it
// tells of, not from the Chinese subject stored for e-mail and SMS.
func TestEscalationNotificationInReadersLanguage(t *testing.T) {
	t.Parallel()
	e, esc := newEscalationEnv(t)
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	ctx := context.Background()
	if _, err := esc.Sweep(ctx, testNow.Add(time.Minute), nil); err != nil { // plans the clocks
		t.Fatal(err)
	}
	if _, err := esc.Sweep(ctx, testNow.AddDate(0, 0, 3), nil); err != nil {
		t.Fatal(err)
	}
	sup := e.browser("supervisor")
	zh := e.do(sup, "GET", "/notifications", nil, nil)
	mustContain(t, "Chinese", zh, "工单 "+tk.Number+"：签收时限", "升级至第")
	en := e.do(sup, "GET", "/notifications", nil, map[string]string{"Cookie": "lang=en"})
	mustContain(t, "English", en, "Ticket "+tk.Number+": Accept by", "escalated to level")
	mustLack(t, "English", en, "签收时限", "已超期")
}
