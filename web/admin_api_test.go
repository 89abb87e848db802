package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestAdminAPI makes every administrative change through /api/v1/admin: each writes its audit
// entry, bad input is a 400 naming the field and leaves no entry, and only an administrator
// may.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, withIntake)
	admin := e.token("admin")
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		field              string // the field a 400 names
		action             string // the audit entry a success writes
	}{
		{"department", "POST", "/api/v1/admin/departments", map[string]any{"code": "sports", "name_zh": "体育局", "kind": "bureau", "active": true}, 200, "", "department_saved"},
		{"department bad code", "POST", "/api/v1/admin/departments", map[string]any{"code": "Sports Bureau", "name_zh": "体育局", "kind": "bureau"}, 400, "code", ""},
		{"department bad kind", "POST", "/api/v1/admin/departments", map[string]any{"code": "x", "name_zh": "x", "kind": "ministry"}, 400, "kind", ""},
		{"department unknown parent", "POST", "/api/v1/admin/departments", map[string]any{"code": "x", "name_zh": "x", "kind": "bureau", "parent": "nowhere"}, 400, "parent", ""},
		{"staff", "POST", "/api/v1/admin/staff", map[string]any{"username": "handler-sports", "display_name": "体育局 承办人", "role": "handler", "department": "sports", "password": "sports-pass-123", "active": true}, 200, "", "staff_saved"},
		{"staff without password", "POST", "/api/v1/admin/staff", map[string]any{"username": "newbie", "display_name": "新人", "role": "agent", "department": "centre"}, 400, "password", ""},
		{"staff bad role", "POST", "/api/v1/admin/staff", map[string]any{"username": "newbie", "display_name": "新人", "role": "god", "department": "centre", "password": "long-enough-pw"}, 400, "role", ""},
		{"staff unknown department", "POST", "/api/v1/admin/staff", map[string]any{"username": "newbie", "display_name": "新人", "role": "agent", "department": "nowhere", "password": "long-enough-pw"}, 400, "department", ""},
		{"profile", "POST", "/api/v1/admin/profiles", map[string]any{"code": "fast", "name_zh": "快速", "accept_hours": 1, "feedback_hours": 2, "resolve_workdays": 1, "callback_workdays": 1}, 200, "", "profile_saved"},
		{"profile zero", "POST", "/api/v1/admin/profiles", map[string]any{"code": "slow", "name_zh": "慢", "accept_hours": 0, "feedback_hours": 2, "resolve_workdays": 1, "callback_workdays": 1}, 400, "accept_hours", ""},
		{"profile not a number", "POST", "/api/v1/admin/profiles", map[string]any{"code": "slow", "name_zh": "慢", "accept_hours": "soon", "feedback_hours": 2, "resolve_workdays": 1, "callback_workdays": 1}, 400, "accept_hours", ""},
		{"category", "POST", "/api/v1/admin/categories", map[string]any{"code": "stadium", "name_zh": "体育场馆", "ticket_type": "complaint", "profile": "fast", "active": true}, 200, "", "category_saved"},
		{"category bad profile", "POST", "/api/v1/admin/categories", map[string]any{"code": "gym", "name_zh": "健身", "ticket_type": "complaint", "profile": "none"}, 400, "profile", ""},
		{"category bad type", "POST", "/api/v1/admin/categories", map[string]any{"code": "gym", "name_zh": "健身", "ticket_type": "rumour", "profile": "fast"}, 400, "ticket_type", ""},
		{"calendar day", "POST", "/api/v1/admin/calendar", map[string]any{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}, 200, "", "calendar_day_saved"},
		{"calendar bad date", "POST", "/api/v1/admin/calendar", map[string]any{"date": "2027-13-01", "kind": "holiday"}, 400, "date", ""},
		{"calendar bad kind", "POST", "/api/v1/admin/calendar", map[string]any{"date": "2027-01-02", "kind": "party"}, 400, "kind", ""},
		{"calendar delete", "DELETE", "/api/v1/admin/calendar/2027-01-01", nil, 200, "", "calendar_day_deleted"},
		{"calendar delete missing", "DELETE", "/api/v1/admin/calendar/2027-01-01", nil, 400, "date", ""},
		{"calendar delete bad date", "DELETE", "/api/v1/admin/calendar/tomorrow", nil, 400, "date", ""},
		{"article", "POST", "/api/v1/admin/kb", map[string]any{"code": "gym-hours", "title": "体育馆开放时间", "body": "每日9时至21时", "source": "体育局公告", "valid_from": "2026-01-01", "active": true}, 200, "", "article_saved"},
		{"article without source", "POST", "/api/v1/admin/kb", map[string]any{"code": "x", "title": "x", "body": "x", "valid_from": "2026-01-01"}, 400, "source", ""},
		{"article ends before it starts", "POST", "/api/v1/admin/kb", map[string]any{"code": "x", "title": "x", "body": "x", "source": "x", "valid_from": "2026-01-01", "valid_until": "2025-01-01"}, 400, "valid_until", ""},
		{"open311 key", "POST", "/api/v1/admin/open311-keys", map[string]any{"organisation": "东城区政务服务中心", "label": "小程序", "rate_per_minute": 120, "burst": 20}, 201, "", "open311_key_issued"},
		{"open311 key without organisation", "POST", "/api/v1/admin/open311-keys", map[string]any{"label": "x"}, 400, "organisation", ""},
		{"open311 key negative rate", "POST", "/api/v1/admin/open311-keys", map[string]any{"organisation": "x", "rate_per_minute": -1}, 400, "rate_per_minute", ""},
		{"open311 key burst without rate", "POST", "/api/v1/admin/open311-keys", map[string]any{"organisation": "x", "burst": 5}, 400, "burst", ""},
		{"open311 revoke bad id", "DELETE", "/api/v1/admin/open311-keys/abc", nil, 400, "id", ""},
		{"open311 revoke unknown", "DELETE", "/api/v1/admin/open311-keys/999999", nil, 404, "id", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before int
			e.db.NewRaw("SELECT count(*) FROM audit_log").Scan(context.Background(), &before)
			r := e.do(nil, tc.method, tc.path, tc.body, admin)
			if r.Status != tc.status {
				t.Fatalf("%d, want %d: %s", r.Status, tc.status, r.Body)
			}
			m := r.json(t)
			if tc.field != "" && m["field"] != tc.field {
				t.Fatalf("field %v, want %q: %s", m["field"], tc.field, r.Body)
			}
			var after int
			var last string
			e.db.NewRaw("SELECT count(*) FROM audit_log").Scan(context.Background(), &after)
			e.db.NewRaw("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").Scan(context.Background(), &last)
			switch {
			case tc.action == "" && after != before:
				t.Fatalf("a refused change wrote %d audit entries", after-before)
			case tc.action != "" && (after != before+1 || last != tc.action):
				t.Fatalf("audit: %d new entries, last %q, want one %q", after-before, last, tc.action)
			}
		})
	}

	// What the API wrote is what the pages show, and works: the new account logs in.
	if r := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": "handler-sports", "password": "sports-pass-123"}, nil); r.Status != 200 {
		t.Fatalf("account made by the API cannot log in: %d", r.Status)
	}
	// A JSON false is unchecked: the account is disabled and cannot log in any more.
	if r := e.do(nil, "POST", "/api/v1/admin/staff", map[string]any{"username": "handler-sports", "display_name": "体育局 承办人",
		"role": "handler", "department": "sports", "active": false}, admin); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": "handler-sports", "password": "sports-pass-123"}, nil); r.Status != 401 {
		t.Fatalf("disabled account logs in: %d", r.Status)
	}
	page := e.do(e.browser("admin"), "GET", "/admin/kb", nil, nil)
	if !strings.Contains(page.Body, "gym-hours") {
		t.Fatalf("the knowledge page lacks the article saved by the API")
	}
	keys := e.do(nil, "GET", "/api/v1/admin/open311-keys", nil, admin)
	if keys.Status != 200 || !strings.Contains(keys.Body, `"organisation":"东城区政务服务中心"`) || strings.Contains(keys.Body, "api_key") {
		t.Fatalf("key list: %d %s", keys.Status, keys.Body)
	}
	var id string
	if err := e.db.NewRaw("SELECT id::text FROM intake_api_keys WHERE label = ?", "小程序").Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "DELETE", "/api/v1/admin/open311-keys/"+id, nil, admin); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "DELETE", "/api/v1/admin/open311-keys/"+id, nil, admin); r.Status != 404 {
		t.Fatalf("revoke twice: %d %s", r.Status, r.Body)
	}
	var revoked int
	e.db.NewRaw("SELECT count(*) FROM audit_log WHERE action = 'open311_key_revoked' AND object_key = ?", id).Scan(context.Background(), &revoked)
	if revoked != 1 {
		t.Fatalf("revocations on the audit trail: %d", revoked)
	}
	if r := e.do(nil, "POST", "/api/v1/admin/departments", map[string]any{"code": "x", "name_zh": "x", "kind": "bureau"}, e.token("supervisor")); r.Status != 403 {
		t.Fatalf("supervisor changes a department: %d", r.Status)
	}
}

// A password reset by an administrator revokes the account's scripts' tokens with its
// sessions, and new passwords meet the policy: twelve characters, not a common one, not the
// username, each refusal in the reader's language.
func TestPasswordResetRevokesTokensAndPolicy(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	admin := e.token("admin")
	bearer := e.token("agent2")
	if r := e.do(nil, "GET", "/api/v1/me", nil, bearer); r.Status != 200 {
		t.Fatalf("the token before: %d", r.Status)
	}
	save := func(pw string, hdr map[string]string) resp {
		return e.do(nil, "POST", "/api/v1/admin/staff", map[string]any{"username": "agent2", "display_name": "话务员二", "role": "agent",
			"department": "centre", "password": pw, "active": true}, hdr)
	}
	for pw, want := range map[string]string{"short-one": "12", "Password1234": "common", "agent2-is-me-now": "username"} {
		if r := save(pw, admin); r.Status != 400 || !strings.Contains(r.Body, want) {
			t.Errorf("password %q: %d %s", pw, r.Status, r.Body)
		}
	}
	page := e.do(e.browser("admin"), "POST", "/admin/staff", url.Values{"username": {"agent2"}, "display_name": {"话务员二"}, "role": {"agent"},
		"department": {"centre"}, "password": {"Password1234"}, "active": {"1"}}, nil)
	if page.Status != 400 || !strings.Contains(page.Body, "过于常见") {
		t.Errorf("the admin page's refusal: %d", page.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/me", nil, bearer); r.Status != 200 {
		t.Fatalf("a refused reset revoked the token: %d", r.Status)
	}
	if r := save("a-long-new-secret-42", admin); r.Status != 200 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/me", nil, bearer); r.Status != 401 {
		t.Fatalf("the token after the reset: %d", r.Status)
	}
	var detail string
	e.db.NewRaw("SELECT detail::text FROM audit_log WHERE action = 'staff_saved' ORDER BY id DESC LIMIT 1").Scan(context.Background(), &detail)
	if !strings.Contains(detail, `"tokens_revoked": 1`) {
		t.Fatalf("the audit entry: %s", detail)
	}
}
