package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
)

// An administrator sets up an agent's phone from the staff page: a new extension with its SIP
// password (stored as the digest credentials the registrar checks), each bad choice refused
// in the reader's language with nothing changed, an API call without the SIP fields keeping
// them, and an empty extension removing the phone's credentials.
func TestAdminSetsStaffSIPPhone(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	admin := e.browser("admin")
	save := func(sip url.Values) resp {
		f := url.Values{"username": {"agent1"}, "display_name": {"话务员一"}, "role": {"agent"}, "department": {"centre"}, "active": {"1"}}
		for k, v := range sip {
			f[k] = v
		}
		return e.do(admin, "POST", "/admin/staff", f, nil)
	}
	account := func() *org.Staff {
		st, err := e.org.Staff(ctx, "agent1")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := account()
	for _, c := range []struct {
		name string
		sip  url.Values
		want string
	}{
		{"new extension without password", url.Values{"sip_extension": {"1011"}}, "新分机需要同时设置 SIP 密码"},
		{"letters", url.Values{"sip_extension": {"10a1"}, "sip_password": {"phone-secret-1"}}, "应为 3 到 8 位数字"},
		{"short password", url.Values{"sip_extension": {"1011"}, "sip_password": {"short"}}, "至少 8 位"},
		{"another's extension", url.Values{"sip_extension": {"1002"}, "sip_password": {"phone-secret-1"}}, "已分配给其他账号"},
		{"password without extension", url.Values{"sip_extension": {""}, "sip_password": {"phone-secret-1"}}, "需要先填写分机号"},
	} {
		r := save(c.sip)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, c.want) {
			t.Errorf("%s: %d, want 400 with %q", c.name, r.Status, c.want)
		}
		if got := account(); *got.SIPExtension != *before.SIPExtension || got.SIPHA1 != before.SIPHA1 {
			t.Fatalf("%s changed the account", c.name)
		}
	}
	if r := save(url.Values{"sip_extension": {"1011"}, "sip_password": {"phone-secret-1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("a new extension: %d %s", r.Status, r.Body)
	}
	got := account()
	if got.SIPExtension == nil || *got.SIPExtension != "1011" || got.SIPHA1 != org.DigestHA1("1011", "hotline", "phone-secret-1") {
		t.Fatalf("the account's phone after the change: %v %q", got.SIPExtension, got.SIPHA1)
	}
	var detail string
	e.db.NewRaw("SELECT detail::text FROM audit_log WHERE action = 'staff_saved' ORDER BY id DESC LIMIT 1").Scan(ctx, &detail)
	if !strings.Contains(detail, `"sip_extension": "1011"`) || !strings.Contains(detail, `"sip_password_changed": true`) || strings.Contains(detail, "phone-secret") {
		t.Errorf("the audit entry: %s", detail)
	}
	// The API without SIP fields keeps the phone.
	if r := e.do(nil, "POST", "/api/v1/admin/staff", map[string]any{"username": "agent1", "display_name": "话务员一（早班）", "role": "agent",
		"department": "centre", "active": true}, e.token("admin")); r.Status != http.StatusOK {
		t.Fatalf("API save: %d %s", r.Status, r.Body)
	}
	if got := account(); *got.SIPExtension != "1011" || got.SIPHA1 == "" || got.DisplayName != "话务员一（早班）" {
		t.Fatalf("the API save lost the phone: %v %q", got.SIPExtension, got.SIPHA1)
	}
	// The edit button fills the form with the account; an unknown one is a 404.
	page := e.do(admin, "GET", "/admin/staff?edit=agent1", nil, nil)
	for _, want := range []string{`name="username" required value="agent1" readonly`, `value="话务员一（早班）"`, `name="sip_extension" inputmode="numeric" pattern="[0-9]{3,8}" value="1011"`, `<option value="agent" selected>`, `<option value="centre" selected>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	if r := e.do(admin, "GET", "/admin/staff?edit=nobody", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("editing an unknown account: %d", r.Status)
	}
	// An empty extension removes the phone and its credentials.
	if r := save(url.Values{"sip_extension": {""}}); r.Status != http.StatusSeeOther {
		t.Fatalf("removing the extension: %d %s", r.Status, r.Body)
	}
	if got := account(); got.SIPExtension != nil || got.SIPHA1 != "" {
		t.Fatalf("the removed phone: %v %q", got.SIPExtension, got.SIPHA1)
	}
}

// Every administration table's edit button fills its form with the row, selects included.
func TestAdminEditButtonsFillTheForm(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	admin := e.browser("admin")
	for path, wants := range map[string][]string{
		"/admin?edit=hrss":                      {`name="code" required value="hrss" readonly`, `value="人力资源和社会保障局"`, `<option value="bureau" selected>`},
		"/admin/catalogue?edit=wage-arrears":    {`name="code" required value="wage-arrears" readonly`, `selected>`},
		"/admin/catalogue?edit_profile=complex": {`name="code" required value="complex" readonly`, `name="resolve_workdays" type="number" min="1" required value="15"`},
	} {
		r := e.do(admin, "GET", path, nil, nil)
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d", path, r.Status)
			continue
		}
		for _, want := range wants {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
	}
	if r := e.do(admin, "GET", "/admin?edit=hrss", nil, nil); !strings.Contains(r.Body, `class="edit"`) {
		t.Error("the departments table has no edit buttons")
	}
}
