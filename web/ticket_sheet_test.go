package web

import (
	"net/http"
	"strings"
	"testing"
)

// A ticket prints as a work sheet (工单流转单) with its facts and every step, and, once resolved,
// as a result sheet (办结单) with the result, whether it was on time, who resolved it and the
// return visit; the print stylesheet hides navigation and forms. A sheet follows the ticket's
// visibility and masks the phone for roles that do not see it.
func TestTicketSheets(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("小区夜间施工噪音扰民，持续到凌晨两点", "noise", "13800138000", "environment")
	sup := e.browser("supervisor")
	handler := e.browser("handler-environment")
	other := e.browser("handler-hrss")

	r := e.do(sup, "GET", "/tickets/"+tk.Number, nil, nil)
	if !strings.Contains(r.Body, `href="/tickets/`+tk.Number+`/sheet"`) || strings.Contains(r.Body, "/result-sheet") {
		t.Fatalf("an unresolved ticket's page offers the work sheet only: %s", r.Body)
	}
	r = e.do(sup, "GET", "/tickets/"+tk.Number+"/sheet", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("work sheet: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{"工单流转单", tk.Number, "小区夜间施工噪音扰民", "13800138000", "生态环境局", `id="sheet-flow"`, `data-kind="dispatch"`, "data-print", "北京时间"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("work sheet lacks %q", want)
		}
	}
	r = e.do(sup, "GET", "/tickets/"+tk.Number+"/result-sheet", nil, nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "尚未办结") {
		t.Fatalf("result sheet of an unresolved ticket: %d %s", r.Status, r.Body)
	}

	e.resolve(tk.Number, "environment", "已责令施工单位停止夜间施工")
	r = e.do(handler, "GET", "/tickets/"+tk.Number+"/result-sheet", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("result sheet: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{"办结单", "已责令施工单位停止夜间施工", "已解决", "尚未回访", "138****8000"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("result sheet lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "13800138000") {
		t.Error("the handler's result sheet shows the full phone number")
	}
	if onTime := between(r.Body, `id="sheet-on-time">`, "<"); onTime != "是" {
		t.Errorf("resolved the day it came, on time shows %q", onTime)
	}

	// The return visit shows on the result sheet once recorded.
	v := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits", map[string]any{"channel": "phone", "outcome": "reached",
		"contacted": true, "solved": "solved", "satisfaction": "basically"}, e.token("supervisor"))
	if v.Status != http.StatusCreated && v.Status != http.StatusOK {
		t.Fatalf("visit: %d %s", v.Status, v.Body)
	}
	r = e.do(sup, "GET", "/tickets/"+tk.Number+"/result-sheet", nil, nil)
	if visit := between(r.Body, `id="sheet-visit">`, "</td>"); !strings.Contains(visit, "电话回访") || !strings.Contains(visit, "基本满意") || !strings.Contains(visit, "是否联系") {
		t.Errorf("the visit on the result sheet: %q", visit)
	}

	// Another department sees neither sheet.
	for _, p := range []string{"/sheet", "/result-sheet"} {
		if r := e.do(other, "GET", "/tickets/"+tk.Number+p, nil, nil); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
			t.Errorf("another department's %s: %d", p, r.Status)
		}
	}
	// In English.
	r = e.do(sup, "GET", "/tickets/"+tk.Number+"/result-sheet", nil, map[string]string{"Cookie": "lang=en"})
	if !strings.Contains(r.Body, "Ticket result sheet") || !strings.Contains(r.Body, "Handled by (signature)") {
		t.Errorf("the English result sheet: %s", r.Body)
	}
}

// between is the text of s after start up to the next end.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return strings.TrimSpace(s[:j])
	}
	return s
}
