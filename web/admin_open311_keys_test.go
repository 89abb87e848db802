package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/intake"
)

// withIntake wires the intake area (Open311, public pages, photos) into a staff environment,
// with the demo's catalogue and key. Caches last a minute: a revocation must reach this
// process by being forgotten, not by the cache running out.
func withIntake(e *staffEnv, d *Deps) {
	e.t.Helper()
	ctx := context.Background()
	if err := demo.SeedIntake(ctx, e.db); err != nil {
		e.t.Fatal(err)
	}
	svc, err := intake.New(ctx, e.db, e.tickets, e.clock, testNow.Location(), e.log, intake.Config{CatalogueTTL: time.Minute})
	if err != nil {
		e.t.Fatal(err)
	}
	d.Intake = IntakeDeps{Service: svc}
}

var issuedKeyRE = regexp.MustCompile(`<code id="key-text">([^<]+)</code>`)

func TestOpen311KeysAdministration(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, withIntake)
	admin := e.browser("admin")
	same := map[string]string{"Origin": e.ts.URL}
	if r := e.do(admin, "GET", "/admin/open311-keys", nil, nil); r.Status != 200 || !strings.Contains(r.Body, `id="open311-keys"`) ||
		!strings.Contains(r.Body, "不限") || !strings.Contains(r.Body, `href="/admin/open311-keys"`) {
		t.Fatalf("keys page: %d", r.Status)
	}
	if r := e.do(nil, "GET", "/admin/open311-keys", nil, e.token("supervisor")); r.Status != 403 {
		t.Fatalf("supervisor opens the keys page: %d", r.Status)
	}

	// The refusals are read in English, where they name the field as the form does.
	base, _ := url.Parse(e.ts.URL)
	admin.Jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: "en"}})
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no organisation", url.Values{"label": {"x"}}, 400, "organisation: is required"},
		{"organisation too long", url.Values{"organisation": {strings.Repeat("区", 201)}}, 400, "organisation: at most 200"},
		{"negative rate", url.Values{"organisation": {"区政务服务中心"}, "rate_per_minute": {"-1"}}, 400, "rate_per_minute: must be a whole number"},
		{"rate not a number", url.Values{"organisation": {"区政务服务中心"}, "rate_per_minute": {"ten"}}, 400, "rate_per_minute:"},
		{"burst without rate", url.Values{"organisation": {"区政务服务中心"}, "burst": {"5"}}, 400, "burst: a burst needs a rate limit"},
		{"markup is text", url.Values{"organisation": {"<script>x</script>"}, "rate_per_minute": {"oops"}}, 400, "&lt;script&gt;x&lt;/script&gt;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(admin, "POST", "/admin/open311-keys", tc.form, same)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) || strings.Contains(r.Body, "<script>x") {
				t.Fatalf("got %d, want %d with %q: %s", r.Status, tc.status, tc.want, r.Body[:min(len(r.Body), 400)])
			}
		})
	}

	r := e.do(admin, "POST", "/admin/open311-keys", url.Values{"organisation": {"东城区政务服务中心"}, "label": {"微信小程序"},
		"rate_per_minute": {"120"}, "burst": {"20"}}, same)
	m := issuedKeyRE.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil || r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(r.Body, "120 a minute") {
		t.Fatalf("issue: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body[:min(len(r.Body), 400)])
	}
	key := m[1]
	// Shown once: the list never shows it again.
	if r := e.do(admin, "GET", "/admin/open311-keys", nil, nil); strings.Contains(r.Body, key) || !strings.Contains(r.Body, "东城区政务服务中心") {
		t.Fatalf("the list shows the key text or lacks the organisation")
	}

	post := func() (int, string) {
		t.Helper()
		f := url.Values{"api_key": {key}, "service_code": {"road-damage"}, "address_string": {"东城区安定门大街1号"},
			"description": {"路面塌陷一个大坑"}, "phone": {"13800138000"}, "attribute[damage_size]": {"large"}}
		r := e.do(nil, "POST", "/open311/v2/requests.json", f, nil)
		return r.Status, r.Body
	}
	if st, body := post(); st != 200 && st != 201 {
		t.Fatalf("Open311 with the new key: %d %s", st, body)
	}
	var id string
	if err := e.db.NewRaw("SELECT id::text FROM intake_api_keys WHERE label = ?", "微信小程序").Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	if r := e.do(admin, "POST", "/admin/open311-keys/"+id+"/revoke", nil, same); r.Status != 303 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	// Revoked in this process at once, though the key's last look-up is still cached.
	if st, body := post(); st != 403 || !strings.Contains(body, "api_key") {
		t.Fatalf("Open311 with the revoked key: %d %s, want 403", st, body)
	}
	if r := e.do(admin, "GET", "/admin/open311-keys", nil, nil); !strings.Contains(r.Body, tr("en", "admin.revoked")) {
		t.Fatalf("the list does not show the revocation")
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/admin/open311-keys/" + id + "/revoke", 404, "revoked already"},
		{"/admin/open311-keys/999999/revoke", 404, "no live key 999999"},
		{"/admin/open311-keys/abc/revoke", 400, "id: must be a positive whole number"},
	} {
		if r := e.do(admin, "POST", tc.path, nil, same); r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
			t.Fatalf("%s: %d, want %d with %q", tc.path, r.Status, tc.status, tc.want)
		}
	}
	var entries []string
	if err := e.db.NewRaw("SELECT action || ' ' || object_key || ' ' || detail::text FROM audit_log WHERE object_type = 'open311_key' ORDER BY id").
		Scan(context.Background(), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || !strings.HasPrefix(entries[0], "open311_key_issued "+id) || !strings.Contains(entries[0], "东城区政务服务中心") ||
		!strings.HasPrefix(entries[1], "open311_key_revoked "+id) || strings.Contains(strings.Join(entries, " "), key) {
		t.Fatalf("audit trail: %q (refused changes leave none; the key text never)", entries)
	}
}
