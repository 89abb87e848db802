package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"right password", map[string]string{"username": "agent1", "password": "demo-agent"}, 200, `"token"`},
		{"form encoded", url.Values{"username": {"agent1"}, "password": {"demo-agent"}}, 200, `"token"`},
		{"wrong password", map[string]string{"username": "agent1", "password": "nope"}, 401, "Wrong username or password"},
		{"unknown account", map[string]string{"username": "ghost", "password": "nope"}, 401, "Wrong username or password"},
		{"missing password", map[string]string{"username": "agent1"}, 400, "required"},
		{"not JSON", "{not json", 400, "not a JSON object"},
		{"nested object", `{"username": {"a": 1}, "password": "x"}`, 400, "objects are not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(nil, "POST", "/api/v1/tokens", tc.body, nil)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d %s, want %d with %q", r.Status, r.Body, tc.status, tc.want)
			}
		})
	}
	t.Run("bearer use and revoke", func(t *testing.T) {
		h := e.token("handler-hrss")
		r := e.do(nil, "GET", "/api/v1/me", nil, h)
		if r.Status != 200 || !strings.Contains(r.Body, `"handler-hrss"`) {
			t.Fatalf("me: %d %s", r.Status, r.Body)
		}
		var n int
		if err := e.db.NewRaw("SELECT count(*) FROM api_tokens WHERE token_hash = ?", sha256Hex(strings.TrimPrefix(h["Authorization"], "Bearer "))).Scan(context.Background(), &n); err != nil || n != 1 {
			t.Fatalf("token not stored hashed: %d %v", n, err)
		}
		list := e.do(nil, "GET", "/api/v1/tokens", nil, h).json(t)["tokens"].([]any)
		id := list[len(list)-1].(map[string]any)["id"]
		if r := e.do(nil, "DELETE", fmt.Sprintf("/api/v1/tokens/%v", id), nil, h); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := e.do(nil, "GET", "/api/v1/me", nil, h); r.Status != 401 {
			t.Fatalf("revoked token still works: %d", r.Status)
		}
	})
	t.Run("bad and missing tokens", func(t *testing.T) {
		if r := e.do(nil, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer hl_forged"}); r.Status != 401 || !strings.Contains(r.Body, "invalid or expired token") {
			t.Fatalf("forged: %d %s", r.Status, r.Body)
		}
		if r := e.do(nil, "GET", "/api/v1/me", nil, nil); r.Status != 401 || !strings.Contains(r.Body, "login required") {
			t.Fatalf("anonymous: %d %s", r.Status, r.Body)
		}
	})
}

func TestLockout(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	wrong := map[string]string{"username": "agent2", "password": "wrong"}
	right := map[string]string{"username": "agent2", "password": "demo-agent"}
	for i := 0; i < 5; i++ {
		if r := e.do(nil, "POST", "/api/v1/tokens", wrong, nil); r.Status != 401 {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	// The account now waits: the right password gets the very answer a wrong one gets, so
	// nobody learns which usernames exist or are waiting.
	wrongAnswer := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": "nobody", "password": "x"}, nil)
	if r := e.do(nil, "POST", "/api/v1/tokens", right, nil); r.Status != 401 || r.Body != wrongAnswer.Body {
		t.Fatalf("waiting account: %d %s, unknown account: %d %s", r.Status, r.Body, wrongAnswer.Status, wrongAnswer.Body)
	}
	// The login page refuses too, in Chinese.
	jar, _ := cookiejar.New(nil)
	r := e.do(noRedirect(jar), "POST", "/login", url.Values{"username": {"agent2"}, "password": {"demo-agent"}}, nil)
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "用户名或密码错误") {
		t.Fatalf("login page while waiting: %d", r.Status)
	}
	// The wait grows with each failure but stays short: a second after the fifth failure,
	// doubling with each further one, never a shift.
	e.clock.Advance(1100 * time.Millisecond)
	var audits int
	e.db.NewRaw("SELECT count(*) FROM audit_log WHERE action = 'account_locked' AND object_key = 'agent2'").Scan(context.Background(), &audits)
	if audits != 1 {
		t.Fatalf("lock not on the audit trail: %d", audits)
	}
}

func TestLoginPageAndSessions(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	anon := e.do(nil, "GET", "/login", nil, nil)
	if anon.Status != 200 || !strings.Contains(anon.Body, "工作人员登录") {
		t.Fatalf("login page: %d", anon.Status)
	}
	en := e.do(nil, "GET", "/login", nil, map[string]string{"Cookie": "lang=en"})
	if !strings.Contains(en.Body, "Staff login") {
		t.Fatal("no English login page")
	}
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	bad := e.do(c, "POST", "/login", url.Values{"username": {"supervisor"}, "password": {"x"}}, nil)
	if bad.Status != 401 || !strings.Contains(bad.Body, "用户名或密码错误") || !strings.Contains(bad.Body, `value="supervisor"`) {
		t.Fatalf("bad login: %d", bad.Status)
	}
	ok := e.do(c, "POST", "/login", url.Values{"username": {"supervisor"}, "password": {"demo-supervisor"}, "next": {"//evil.example/"}}, nil)
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/board" {
		t.Fatalf("login: %d to %q", ok.Status, ok.Header.Get("Location"))
	}
	if r := e.do(c, "GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Fatalf("session not accepted by the API: %d", r.Status)
	}
	var n int
	e.db.NewRaw("SELECT count(*) FROM staff_sessions s JOIN staff u ON u.id = s.staff_id WHERE u.username = 'supervisor'").Scan(context.Background(), &n)
	if n != 1 {
		t.Fatalf("sessions in PostgreSQL for supervisor: %d", n)
	}
	other := e.browser("supervisor")
	if r := e.do(c, "POST", "/logout", nil, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.do(c, "GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("after logout: %d", r.Status)
	}
	if r := e.do(other, "GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Fatalf("logout ended another session: %d", r.Status)
	}
	third := e.browser("supervisor")
	if r := e.do(third, "POST", "/logout/everywhere", nil, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout everywhere: %d", r.Status)
	}
	if r := e.do(other, "GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("logout everywhere left a session: %d", r.Status)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("楼下餐馆油烟很大", "food-safety", "13800138000", "market")
	c := e.browser("handler-market")
	path := "/api/v1/tickets/" + tk.Number + "/notes"
	for _, tc := range []struct {
		name   string
		client *http.Client
		hdr    map[string]string
		status int
	}{
		{"cookie from another site (Sec-Fetch-Site)", c, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cookie from another origin (Origin)", c, map[string]string{"Origin": "http://evil.example"}, 403},
		{"cookie, same origin", c, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.ts.URL}, 200},
		{"cookie, no browser headers", c, nil, 200},
		{"bearer token, no browser headers", nil, e.token("handler-market"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.client, "POST", path, url.Values{"text": {"note " + tc.name}}, tc.hdr)
			if r.Status != tc.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.status)
			}
		})
	}
	t.Run("login form from another site", func(t *testing.T) {
		r := e.do(nil, "POST", "/login", url.Values{"username": {"admin"}, "password": {"demo-admin"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if r.Status != 403 {
			t.Fatalf("got %d", r.Status)
		}
	})
	evs, _ := e.tickets.Events(context.Background(), tk.ID, true)
	notes := 0
	for _, ev := range evs {
		if ev.Kind == "note" {
			notes++
		}
	}
	if notes != 3 {
		t.Fatalf("notes written: %d, want 3 (refused requests must change nothing)", notes)
	}
}

// sha256Hex is how a token is stored: the hex of its SHA-256.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Redirects after login and after the language switch stay on this site, however the target
// is disguised: browsers drop tabs and newlines and read backslashes as slashes.
func TestRedirectsStayOnSite(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	for _, next := range []string{"//evil.example/", "/\t/evil.example", "/\\evil.example", "/\n/evil.example",
		"https://evil.example/", "//evil.example%2F", "javascript:alert(1)", " //evil.example", "/\x00/evil.example"} {
		jar, _ := cookiejar.New(nil)
		c := noRedirect(jar)
		r := e.do(c, "POST", "/login", url.Values{"username": {"supervisor"}, "password": {"demo-supervisor"}, "next": {next}}, nil)
		if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != "/board" {
			t.Errorf("login with next=%q: %d to %q", next, r.Status, loc)
		}
		r = e.do(c, "GET", "/lang/en?next="+url.QueryEscape(next), nil, nil)
		if loc := r.Header.Get("Location"); loc != "/" {
			t.Errorf("language switch with next=%q: to %q", next, loc)
		}
		r = e.do(c, "GET", "/login?next="+url.QueryEscape(next), nil, nil)
		if loc := r.Header.Get("Location"); loc != "/board" {
			t.Errorf("login page when signed in, next=%q: to %q", next, loc)
		}
	}
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	r := e.do(c, "POST", "/login", url.Values{"username": {"supervisor"}, "password": {"demo-supervisor"}, "next": {"/tickets?q=%E5%99%AA%E5%A3%B0"}}, nil)
	if loc := r.Header.Get("Location"); loc != "/tickets?q=%E5%99%AA%E5%A3%B0" {
		t.Errorf("a page of this site: to %q", loc)
	}
}

// The session table holds only the hash of each token: whoever reads it (a backup, a
// replica) cannot sign in with what they find there. A session unused for the idle timeout
// (30 minutes by default) ends.
func TestSessionTokensStoredHashedAndIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	r := e.do(c, "POST", "/login", url.Values{"username": {"supervisor"}, "password": {"demo-supervisor"}}, nil)
	var token string
	for _, ck := range r.Header["Set-Cookie"] {
		if v, ok := strings.CutPrefix(ck, "hotline_session="); ok {
			token, _, _ = strings.Cut(v, ";")
		}
	}
	if token == "" {
		t.Fatalf("no session cookie: %v", r.Header["Set-Cookie"])
	}
	sum := sha256.Sum256([]byte(token))
	var plain, hashed int
	e.db.NewRaw("SELECT count(*) FILTER (WHERE token = ?), count(*) FILTER (WHERE token = ?) FROM staff_sessions", token, hex.EncodeToString(sum[:])).
		Scan(context.Background(), &plain, &hashed)
	if plain != 0 || hashed != 1 {
		t.Fatalf("sessions stored under the token: %d, under its hash: %d", plain, hashed)
	}
	if r := e.do(c, "GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Fatalf("the session: %d", r.Status)
	}
	// scs keeps idle deadlines in the session data with the wall clock, so the test ages the
	// stored deadline rather than the fixture's clock.
	if _, err := e.db.ExecContext(context.Background(), "UPDATE staff_sessions SET expiry = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if r := e.do(c, "GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("an expired session: %d", r.Status)
	}
	if got := e.srv.staff().sessions.IdleTimeout; got != 30*time.Minute {
		t.Fatalf("default idle timeout: %s", got)
	}
}

// Behind TLS the session cookie is Secure with the __Host- prefix and every answer carries
// HSTS; without the setting neither (a plain-HTTP demo would lose its cookie).
func TestSecureCookiesAndHSTS(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, func(_ *staffEnv, d *Deps) { d.Staff.SecureCookies = true })
	r := e.do(nil, "POST", "/login", url.Values{"username": {"supervisor"}, "password": {"demo-supervisor"}}, nil)
	ck := strings.Join(r.Header["Set-Cookie"], "\n")
	if !strings.Contains(ck, "__Host-hotline_session=") || !strings.Contains(ck, "Secure") || !strings.Contains(ck, "Path=/") || strings.Contains(ck, "Domain=") {
		t.Fatalf("session cookie behind TLS: %s", ck)
	}
	if h := r.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=31536000") {
		t.Fatalf("HSTS: %q", h)
	}
	plain := newStaffEnv(t)
	r = plain.do(nil, "GET", "/login", nil, nil)
	if h := r.Header.Get("Strict-Transport-Security"); h != "" {
		t.Fatalf("HSTS without TLS: %q", h)
	}
}
