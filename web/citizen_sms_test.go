package web

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// newCitizenSMSEnv is the staff env with SMS to citizens on, the rating link signed by intake.
func newCitizenSMSEnv(t *testing.T) *staffEnv {
	t.Helper()
	return newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		esc := escalation.New(e.db, e.clock, d.Calendar, testNow.Location(), log, e.tickets, nil,
			escalation.Options{SMS: true, PublicURL: "https://12345.example.gov.cn"})
		esc.LinkRatings(d.Intake.Service.RatingToken)
		e.tickets.Follow(esc)
		d.Escalation = EscalationDeps{Service: esc, Poll: 50 * time.Millisecond}
	})
}

// sms are the texts queued for a citizen's number about a ticket, of one kind, oldest first.
func (e *staffEnv) sms(tk *tickets.Ticket, kind string) []string {
	e.t.Helper()
	var bodies []string
	if err := e.db.NewRaw("SELECT body FROM notifications WHERE channel = 'sms' AND ticket_id = ? AND kind = ? AND address = ? ORDER BY id",
		tk.ID, kind, tk.CallerPhone).Scan(context.Background(), &bodies); err != nil {
		e.t.Fatal(err)
	}
	return bodies
}

var ratingPath = regexp.MustCompile(`https://12345\.example\.gov\.cn(/rate/[A-Za-z0-9_.-]+)`)

// The citizen hears by SMS: a receipt with the number and tracking link at registration (none
// for a confidential report without consent), and at resolution a signed rating link that
// opens the three questions; answering there is a return visit of the sms channel; the link
// used twice, expired or forged gets a clear page and records nothing more. Administrators
// edit the texts; a broken placeholder is refused.
func TestCitizenSMSAndRatingLink(t *testing.T) {
	t.Parallel()
	e := newCitizenSMSEnv(t)
	ctx := context.Background()
	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	if got := e.sms(tk, "receipt"); len(got) != 1 || !strings.Contains(got[0], tk.Number) ||
		!strings.Contains(got[0], "https://12345.example.gov.cn/track?number="+tk.Number) {
		t.Fatalf("receipt: %q", got)
	}
	report := func(data map[string]any) *tickets.Ticket {
		r, err := e.tickets.Register(ctx, e.actor("dispatcher"), tickets.RegisterInput{Type: "report", Channel: "phone", Category: "wage-arrears",
			Description: "举报企业违法用工", CallerPhone: "13700137000", CallerName: "李女士", Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if got := e.sms(report(nil), "receipt"); len(got) != 0 {
		t.Fatalf("a confidential report without consent got %q", got)
	}
	if got := e.sms(report(map[string]any{"sms_consent": true}), "receipt"); len(got) != 1 {
		t.Fatalf("a report with consent got %q", got)
	}
	// A complaint registered as confidential (保密) is treated like a report.
	conf, err := e.tickets.Register(ctx, e.actor("dispatcher"), tickets.RegisterInput{Channel: "phone", Category: "noise",
		Description: "夜间施工噪音", CallerPhone: "13700137001", Confidential: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sms(conf, "receipt"); len(got) != 0 {
		t.Fatalf("a confidential complaint without consent got %q", got)
	}

	e.resolve(tk.Number, "hrss", "已督促公司支付")
	links := e.sms(tk, "rating_link")
	if len(links) != 1 || !ratingPath.MatchString(links[0]) || !strings.Contains(links[0], "7 天") {
		t.Fatalf("rating link SMS: %q", links)
	}
	link := ratingPath.FindStringSubmatch(links[0])[1]
	mustContain(t, "the rating page", e.do(nil, "GET", link, nil, nil), tk.Number, `id="rate-form"`, "已督促公司支付")
	if r := e.do(nil, "POST", link, url.Values{"rating": {"satisfied"}, "solved": {"solved"}}, nil); r.Status != 400 || !strings.Contains(r.Body, `id="contacted-error"`) {
		t.Fatalf("no answer to contacted: %d", r.Status)
	}
	answers := url.Values{"contacted": {"yes"}, "solved": {"partly"}, "rating": {"dissatisfied"}, "comment": {"只补发了一半"}}
	if r := e.do(nil, "POST", link, answers, nil); r.Status != 200 || !strings.Contains(r.Body, "感谢") {
		t.Fatalf("rating by link: %d %s", r.Status, r.Body)
	}
	got, _ := e.tickets.Get(ctx, tk.Number)
	vs, _ := e.tickets.Visits(ctx, got.ID)
	if len(vs) != 1 || vs[0].Channel != "sms" || !vs[0].Valid || got.Status != tickets.StatusDispatched {
		t.Fatalf("after the link: %s, visits %+v", got.Status, vs)
	}
	for _, method := range []string{"POST", "GET"} {
		if r := e.do(nil, method, link, answers, nil); r.Status != 409 && r.Status != 410 || !strings.Contains(r.Body, "评价链接") {
			t.Fatalf("%s the used link: %d %s", method, r.Status, r.Body)
		}
	}
	if vs, _ := e.tickets.Visits(ctx, got.ID); len(vs) != 1 {
		t.Fatalf("the second use recorded: %d visits", len(vs))
	}

	// A second resolution sends a new link; unused for eight days it has expired.
	if r := e.do(nil, "POST", "/api/v1/admin/sms-templates", map[string]any{"kind": "rating", "body": "工单{number}已办结，评价：{link}"}, e.token("admin")); r.Status != 200 {
		t.Fatalf("a new rating text: %d %s", r.Status, r.Body)
	}
	e.resolve(tk.Number, "hrss", "已全部补发")
	links = e.sms(tk, "rating_link")
	if len(links) != 2 || links[1] != "工单"+tk.Number+"已办结，评价："+ratingPath.FindString(links[1]) {
		t.Fatalf("the second link, in the new text: %q", links)
	}
	second := ratingPath.FindStringSubmatch(links[1])[1]
	e.clock.Set(testNow.AddDate(0, 0, 8))
	if r := e.do(nil, "GET", second+"?lang=en", nil, nil); r.Status != 410 || !strings.Contains(r.Body, "has expired") {
		t.Fatalf("the expired link: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", second, answers, nil); r.Status != 410 {
		t.Fatalf("answering through the expired link: %d", r.Status)
	}
	if r := e.do(nil, "GET", link[:len(link)-3]+"AAA", nil, nil); r.Status != 410 {
		t.Fatalf("a forged link: %d", r.Status)
	}

	for _, bad := range []map[string]any{
		{"kind": "rating", "body": "请评价：{url}"},
		{"kind": "rating", "body": "请评价工单 {number}"},
		{"kind": "receipt", "body": "已受理 {number"},
		{"kind": "receipt", "body": ""},
	} {
		if r := e.do(nil, "POST", "/api/v1/admin/sms-templates", bad, e.token("admin")); r.Status != 400 || r.json(t)["field"] != "body" {
			t.Errorf("template %v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/admin/sms-templates", map[string]any{"kind": "receipt", "body": "{number}"}, e.token("agent1")); r.Status != 403 {
		t.Errorf("an agent edits the texts: %d", r.Status)
	}
	mustContain(t, "the admin page", e.do(e.browser("admin"), "GET", "/admin/sms-templates", nil, nil), `id="sms-receipt"`, "{number}")
}
