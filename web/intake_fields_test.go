package web

import (
	"net/http"
	"strings"
	"testing"
)

// The console's intake fields: a confidential (保密) registration shows the departments no
// contact details anywhere — the ticket's read, its page, the workbench, the export — while
// the centre sees them; an anonymous one keeps no name; "no reply wanted" is kept and shown; the
// address is placed in its district and street by the gazetteer.
func TestConfidentialAndAnonymousIntake(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.token("agent1")
	r := e.do(nil, "POST", "/api/v1/tickets", map[string]any{"category": "wage-arrears", "description": "举报某公司长期拖欠工资",
		"caller_name": "李四", "caller_phone": "13812345678", "address": "金融大街9号", "confidential": true, "reply_wanted": "false",
		"department": "hrss"}, agent)
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	number := m["number"].(string)
	if m["confidential"] != true || m["reply_wanted"] != false || m["district"] != "西城区" || m["street"] != "金融街街道" {
		t.Fatalf("registered: %v", m)
	}
	handler := e.token("handler-hrss")
	h := e.do(nil, "GET", "/api/v1/tickets/"+number, nil, handler).json(t)
	if h["caller_phone"] != "" || h["caller_name"] != "" || h["contact_withheld"] != true {
		t.Fatalf("the department reads: %v %v %v", h["caller_phone"], h["caller_name"], h["contact_withheld"])
	}
	if s := e.do(nil, "GET", "/api/v1/tickets/"+number, nil, e.token("supervisor")).json(t); s["caller_phone"] != "13812345678" || s["caller_name"] != "李四" {
		t.Fatalf("the centre reads: %v %v", s["caller_phone"], s["caller_name"])
	}
	hb := e.browser("handler-hrss")
	for _, path := range []string{"/tickets/" + number, "/workbench", "/export/open"} {
		body := e.do(hb, "GET", path, nil, nil).Body
		if strings.Contains(body, "5678") || strings.Contains(body, "李四") {
			t.Errorf("%s shows the department the confidential citizen", path)
		}
	}
	page := e.do(hb, "GET", "/tickets/"+number, nil, nil).Body
	if !strings.Contains(page, `id="withheld"`) || !strings.Contains(page, "无需回复") || !strings.Contains(between(page, `id="place"`, "</dd>"), "金融街街道") {
		t.Errorf("the department's page: withheld %v, no reply %v", strings.Contains(page, `id="withheld"`), strings.Contains(page, "无需回复"))
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+number+"/reveal-phone", map[string]string{"reason": "核实"}, handler); r.Status != http.StatusForbidden {
		t.Errorf("a department reveals a confidential number: %d", r.Status)
	}
	// Anonymous: no name kept, and confidential.
	r = e.do(nil, "POST", "/api/v1/tickets", map[string]any{"category": "noise", "description": "夜间施工噪音", "caller_name": "王五",
		"caller_phone": "13900001111", "anonymous": "1"}, agent)
	if m := r.json(t); m["caller_name"] != "" || m["confidential"] != true || m["reply_wanted"] != true {
		t.Errorf("anonymous: %v %v %v", m["caller_name"], m["confidential"], m["reply_wanted"])
	}
}
