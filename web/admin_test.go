package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdministration(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	admin := e.browser("admin")
	// The refusals are read in English, where they name the field as the form does.
	base, _ := url.Parse(e.ts.URL)
	admin.Jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: "en"}})
	same := map[string]string{"Origin": e.ts.URL}
	for _, tab := range adminTabs {
		if r := e.do(admin, "GET", "/admin"+tab.Path, nil, nil); r.Status != 200 {
			t.Fatalf("%s: %d", tab.Name, r.Status)
		}
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		want       string
	}{
		{"department", "/admin/departments", url.Values{"code": {"sports"}, "name_zh": {"体育局"}, "kind": {"bureau"}, "active": {"1"}}, 303, ""},
		{"department bad code", "/admin/departments", url.Values{"code": {"Sports Bureau"}, "name_zh": {"体育局"}, "kind": {"bureau"}}, 400, "code:"},
		{"department bad kind", "/admin/departments", url.Values{"code": {"x"}, "name_zh": {"x"}, "kind": {"ministry"}}, 400, "kind:"},
		{"staff", "/admin/staff", url.Values{"username": {"handler-sports"}, "display_name": {"体育局 承办人"}, "role": {"handler"}, "department": {"sports"}, "password": {"sports-pass-123"}, "active": {"1"}}, 303, ""},
		{"staff without password", "/admin/staff", url.Values{"username": {"newbie"}, "display_name": {"新人"}, "role": {"agent"}, "department": {"centre"}}, 400, "password:"},
		{"staff short password", "/admin/staff", url.Values{"username": {"newbie"}, "display_name": {"新人"}, "role": {"agent"}, "department": {"centre"}, "password": {"short"}}, 400, "password:"},
		{"staff bad role", "/admin/staff", url.Values{"username": {"newbie"}, "display_name": {"新人"}, "role": {"god"}, "department": {"centre"}, "password": {"long-enough-pw"}}, 400, "role:"},
		{"profile", "/admin/profiles", url.Values{"code": {"fast"}, "name_zh": {"快速"}, "accept_hours": {"1"}, "feedback_hours": {"2"}, "resolve_workdays": {"1"}, "callback_workdays": {"1"}}, 303, ""},
		{"profile zero", "/admin/profiles", url.Values{"code": {"slow"}, "name_zh": {"慢"}, "accept_hours": {"0"}, "feedback_hours": {"2"}, "resolve_workdays": {"1"}, "callback_workdays": {"1"}}, 400, "accept_hours:"},
		{"category", "/admin/categories", url.Values{"code": {"stadium"}, "name_zh": {"体育场馆"}, "ticket_type": {"complaint"}, "profile": {"fast"}, "active": {"1"}}, 303, ""},
		{"category bad profile", "/admin/categories", url.Values{"code": {"gym"}, "name_zh": {"健身"}, "ticket_type": {"complaint"}, "profile": {"none"}}, 400, "profile:"},
		{"calendar day", "/admin/calendar", url.Values{"date": {"2027-01-01"}, "kind": {"holiday"}, "name": {"元旦"}}, 303, ""},
		{"calendar bad date", "/admin/calendar", url.Values{"date": {"2027-13-01"}, "kind": {"holiday"}}, 400, "date:"},
		{"calendar delete", "/admin/calendar/delete", url.Values{"date": {"2027-01-01"}}, 303, ""},
		{"calendar delete missing", "/admin/calendar/delete", url.Values{"date": {"2027-01-01"}}, 400, "no calendar entry"},
		{"article", "/admin/kb", url.Values{"code": {"gym-hours"}, "title": {"体育馆开放时间"}, "body": {"每日9时至21时"}, "source": {"体育局公告"}, "valid_from": {"2026-01-01"}, "active": {"1"}}, 303, ""},
		{"article ends before it starts", "/admin/kb", url.Values{"code": {"x"}, "title": {"x"}, "body": {"x"}, "source": {"x"}, "valid_from": {"2026-01-01"}, "valid_until": {"2025-01-01"}}, 400, "valid_until:"},
		{"revoke missing token", "/admin/tokens/999/revoke", nil, 400, "no such active token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(admin, "POST", tc.path, tc.form, same)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d, want %d with %q: %s", r.Status, tc.status, tc.want, r.Body[:min(len(r.Body), 300)])
			}
		})
	}
	// The new handler can log in; disabling the account ends its session.
	jar := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": "handler-sports", "password": "sports-pass-123"}, nil)
	if jar.Status != 200 {
		t.Fatalf("new account login: %d", jar.Status)
	}
	var n int
	e.db.NewRaw("SELECT count(*) FROM audit_log WHERE action IN ('department_saved','staff_saved','profile_saved','category_saved','calendar_day_saved','calendar_day_deleted','article_saved')").Scan(context.Background(), &n)
	if n != 7 {
		t.Fatalf("audit entries: %d, want 7 (refused changes leave none)", n)
	}
	audit := e.do(nil, "GET", "/api/v1/admin/audit", nil, e.token("admin"))
	if audit.Status != 200 || !strings.Contains(audit.Body, "staff_saved") || strings.Contains(audit.Body, "sports-pass-123") {
		t.Fatalf("audit API: %d", audit.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/admin/audit", nil, e.token("supervisor")); r.Status != 403 {
		t.Fatalf("supervisor reads audit: %d", r.Status)
	}
}
