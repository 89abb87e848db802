package web

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hotline-city/hotline/tickets"
)

const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`

func TestMarkupRendersAsText(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	st, _ := e.org.Staff(ctx, "dispatcher")
	tk, err := e.tickets.Register(ctx, tickets.ActorFor(st), tickets.RegisterInput{Channel: "web", Title: evil, Description: evil,
		Address: evil, CallerName: evil, CallerPhone: "13800138000", CallerEmail: "a@b.c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Dispatch(ctx, tickets.ActorFor(st), tk.Number, tickets.DispatchInput{Department: "urban"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Note(ctx, tickets.ActorFor(st), tk.Number, tickets.ActInput{Text: evil}); err != nil {
		t.Fatal(err)
	}
	c := e.browser("supervisor")
	for _, path := range []string{"/tickets/" + tk.Number, "/tickets", "/board", "/board/counts", "/console"} {
		r := e.do(c, "GET", path, nil, nil)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		if strings.Contains(r.Body, `<script>alert`) || strings.Contains(r.Body, `<img src=x`) {
			t.Fatalf("%s renders markup from a ticket field", path)
		}
	}
	r := e.do(c, "GET", "/tickets/"+tk.Number, nil, nil)
	if !strings.Contains(r.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Fatal("the field is not shown as text")
	}
	h := e.browser("handler-urban")
	if r := e.do(h, "GET", "/workbench", nil, nil); r.Status != 200 || strings.Contains(r.Body, "<script>alert") {
		t.Fatalf("workbench: %d", r.Status)
	}
}

func TestPagesJourney(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.browser("agent1")
	same := map[string]string{"Origin": e.ts.URL}

	// A bad registration keeps what was typed.
	r := e.do(agent, "POST", "/console/tickets", url.Values{"description": {""}, "caller_name": {"李先生"}, "caller_phone": {"13911112222"}}, same)
	if r.Status != 400 || !strings.Contains(r.Body, "李先生") || !strings.Contains(r.Body, "13911112222") {
		t.Fatalf("bad registration: %d", r.Status)
	}
	r = e.do(agent, "POST", "/console/tickets", url.Values{"description": {"公司拖欠工资两个月"}, "category": {"wage-arrears"},
		"caller_name": {"李先生"}, "caller_phone": {"13911112222"}, "mode": {"dispatch"}, "department": {"hrss"}}, same)
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/console?registered=") {
		t.Fatalf("register: %d %s", r.Status, r.Header.Get("Location"))
	}
	number := registeredNumber(t, r)
	// Back to a blank form for the next caller, the focus in its first field, the ticket named.
	next := e.do(agent, "GET", r.Header.Get("Location"), nil, nil)
	if !strings.Contains(next.Body, `id="registered">`) || !strings.Contains(next.Body, `href="/tickets/`+number+`"`) ||
		!strings.Contains(next.Body, `data-key="alt+n" autofocus`) || strings.Contains(next.Body, `value="李先生"`) {
		t.Fatalf("the console after registering: %s", between(next.Body, `<section class="card register">`, "</form>"))
	}
	if side := e.do(agent, "POST", "/console/side", url.Values{"caller_phone": {"13911112222"}}, nil); !strings.Contains(side.Body, number) {
		t.Fatal("caller history misses the ticket")
	}
	if kb := e.do(agent, "GET", "/console/kb?q="+url.QueryEscape("欠薪"), nil, nil); !strings.Contains(kb.Body, "被拖欠工资如何维权") {
		t.Fatal("knowledge base search")
	}

	h := e.browser("handler-hrss")
	wb := e.do(h, "GET", "/workbench", nil, nil)
	if wb.Status != 200 || !strings.Contains(wb.Body, number) || !strings.Contains(wb.Body, "c-green") {
		t.Fatalf("workbench: %d", wb.Status)
	}
	page := e.do(h, "GET", "/tickets/"+number, nil, nil)
	if !strings.Contains(page.Body, "139****2222") || strings.Contains(page.Body, "13911112222") {
		t.Fatal("handler sees the full number")
	}
	for _, step := range []struct {
		action string
		form   url.Values
		status int
	}{
		{"resolve", url.Values{"text": {"x"}}, 409},
		{"accept", nil, 303},
		{"feedback", url.Values{"text": {""}}, 400},
		{"feedback", url.Values{"text": {"已联系李先生"}}, 303},
		{"notes", url.Values{"text": {"内部：约谈企业"}}, 303},
		{"resolve", url.Values{"text": {"企业已补发工资"}}, 303},
		{"frobnicate", nil, 404},
	} {
		r := e.do(h, "POST", "/tickets/"+number+"/"+step.action, step.form, same)
		if r.Status != step.status {
			t.Fatalf("%s: %d, want %d", step.action, r.Status, step.status)
		}
	}
	rev := e.do(h, "POST", "/tickets/"+number+"/reveal-phone", url.Values{"reason": {"回访核实"}}, same)
	if !strings.Contains(rev.Body, "13911112222") {
		t.Fatal("reveal on the page")
	}
	page = e.do(h, "GET", "/tickets/"+number, nil, nil)
	for _, want := range []string{`class="internal" data-kind="note"`, `class="public" data-kind="feedback"`, `data-kind="phone_revealed"`, "时限变更记录"} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("ticket page lacks %q", want)
		}
	}
	other := e.browser("handler-market")
	if r := e.do(other, "GET", "/tickets/"+number, nil, nil); r.Status != 403 {
		t.Fatalf("other department's page: %d", r.Status)
	}

	sup := e.browser("supervisor")
	counts := e.do(sup, "GET", "/board/counts", nil, nil)
	if !strings.Contains(counts.Body, `data-dept="hrss"`) || !strings.Contains(counts.Body, `resolved-today">1<`) {
		t.Fatalf("board counts: %s", counts.Body)
	}
}

func TestExports(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.register("=HYPERLINK(\"http://evil\")餐馆卫生差", "food-safety", "13800138000", "market")
	e.register("道路破损", "road-damage", "13700137000", "urban")
	sup := e.browser("supervisor")
	r := e.do(sup, "GET", "/export/open?format=csv", nil, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Body, "\uFEFF工单编号") || !strings.Contains(r.Header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv: %d %q", r.Status, r.Body[:min(40, len(r.Body))])
	}
	if !strings.Contains(r.Body, `"'=HYPERLINK`) || !strings.Contains(r.Body, "13800138000") {
		t.Fatalf("csv rows: %s", r.Body)
	}
	h := e.browser("handler-market")
	hr := e.do(h, "GET", "/export/open?format=csv", nil, nil)
	if strings.Contains(hr.Body, "道路破损") || !strings.Contains(hr.Body, "138****8000") {
		t.Fatalf("handler export not scoped or not masked: %s", hr.Body)
	}
	x := e.do(sup, "GET", "/export/overdue?format=xlsx", nil, nil)
	if x.Status != 200 {
		t.Fatalf("xlsx: %d", x.Status)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("工单")
	if len(rows) != 3 || !strings.Contains(rows[0][0], "超期工单") || rows[2][0] != "工单编号" {
		t.Fatalf("xlsx rows: %v", rows)
	}
	x = e.do(sup, "GET", "/export/open?format=xlsx", nil, nil)
	f, _ = excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	if rows, _ := f.GetRows("工单"); len(rows) != 5 {
		t.Fatalf("xlsx open rows: %d", len(rows))
	}
	for _, bad := range []string{"/export/nope?format=csv", "/export/open?format=pdf"} {
		if r := e.do(sup, "GET", bad, nil, nil); r.Status != 400 {
			t.Fatalf("%s: %d", bad, r.Status)
		}
	}
}

// registeredNumber is the number of the ticket the console's registration r made, from where
// it sends the agent next.
func registeredNumber(t *testing.T, r resp) string {
	t.Helper()
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || u.Path != "/console" || u.Query().Get("registered") == "" {
		t.Fatalf("registration went to %q", r.Header.Get("Location"))
	}
	return u.Query().Get("registered")
}
