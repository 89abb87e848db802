package web

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// templateKeyRE finds a catalogue key a template looks up: T "key", .T "key", tr $lang "key".
var templateKeyRE = regexp.MustCompile(`(?:\bT|\btr\s+(?:\$lang|\.Lang|\$\.Lang|"zh"|"en"))\s+"([^"%]+)"`)

// goKeyRE finds a catalogue key Go code looks up: tr(lang, "key"), trOr(lang, "key", …).
var goKeyRE = regexp.MustCompile(`\btr(?:Or)?\([^,()]+, "([^"%]*[a-z0-9_])"\s*[,)]`)

// TestCatalogueComplete checks that every key the templates and the Go code use exists in
// both languages, as does every key built from a value (statuses, roles, channels…).
func TestCatalogueComplete(t *testing.T) {
	t.Parallel()
	for k, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s: empty in one language: %q", k, m)
		}
	}
	used := map[string]string{} // key → where
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, m := range templateKeyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = path
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKeyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = f
		}
	}
	if len(used) < 300 {
		t.Fatalf("found only %d keys in use: the patterns miss the lookups", len(used))
	}
	family := func(where, prefix string, values ...string) {
		for _, v := range values {
			used[prefix+v] = where
		}
	}
	for _, s := range tickets.Statuses {
		family("statusName", "status.", string(s))
	}
	for _, a := range tickets.Actions {
		family("eventKind", "action.", string(a))
	}
	for _, r := range org.Roles {
		family("role names", "role.", string(r))
	}
	family("ticket types", "type.", tickets.Types...)
	family("channels", "channel.", tickets.Channels...)
	family("priorities", "priority.", "normal", "urgent")
	family("clock states", "clock.", clockNone, clockGreen, clockYellow, clockRed, clockOverdue)
	family("deadlines", "due.", deadlineKinds...)
	family("department kinds", "dept.kind.", "bureau", "enterprise", "district", "street", "centre", "leadership")
	for _, l := range tickets.BoardLists {
		family("board lists", "board.list.", string(l))
	}
	for _, tab := range adminTabs {
		family("admin tabs", "admin.tab.", tab.Name)
	}
	family("ratings", "rating.", intake.Ratings...)
	family("day types", "daytype.", "workday", "weekend", "holiday")
	family("rule versions", "routing.change.", "create", "update", "delete")
	family("timeline verbs", "event.", "merge", "follow_master", "rated", "routing", "call_transfer", "phone_revealed",
		"escalation", "extend", "extension_requested", "extension_refused", "extension_closed", "supervision_issued", "supervision_replied")
	family("error pages", "error.", "400", "403", "404", "405", "409", "500", "503")
	for _, e := range errorKeys {
		used[e.key] = "errorKeys"
	}
	for _, k := range fieldMsgKeys {
		used[k] = "fieldMsgKeys"
	}
	for _, k := range refusalKeys {
		used[k] = "refusalKeys"
	}
	for _, k := range exportColumns {
		used[k] = "exportColumns"
	}
	for k, where := range used {
		if _, ok := messages[k]; !ok {
			t.Errorf("%s uses %q, which the catalogue lacks", where, k)
		}
	}
}

// TestErrorPages: what no route, no role or no ticket answers is a page in the site's layout
// and the reader's language (the staff layout for staff, the citizens' otherwise) with the
// right status; the API keeps answering JSON; an outage is a 503.
func TestErrorPages(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	tk := e.register("路灯不亮", "", "13700001111", "")
	clients := map[string]*http.Client{"citizen": noRedirect(nil), "dispatcher": e.browser("dispatcher"), "agent1": e.browser("agent1")}
	const staffNav, publicNav = `<nav aria-label="main">`, `href="/track"`
	for _, tc := range []struct {
		who, lang, method, path string
		status                  int
		want                    []string
	}{
		{"citizen", "zh", "GET", "/no-such-page", 404, []string{publicNav, "页面不存在", tr("zh", "error.404.hint")}},
		{"citizen", "en", "GET", "/no-such-page", 404, []string{publicNav, "Page not found", `<html lang="en">`}},
		{"citizen", "en", "DELETE", "/complain", 405, []string{publicNav, "Method not allowed"}},
		{"dispatcher", "en", "GET", "/no-such-page", 404, []string{staffNav, "Page not found"}},
		{"dispatcher", "zh", "GET", "/tickets/20261123-999999", 404, []string{staffNav, "没有找到这张工单"}},
		{"dispatcher", "en", "GET", "/tickets/20261123-999999", 404, []string{staffNav, "We could not find that ticket"}},
		{"dispatcher", "en", "POST", "/tickets/" + tk.Number + "/fly", 404, []string{staffNav, "There is no such action."}},
		{"agent1", "zh", "GET", "/admin", 403, []string{staffNav, "无权访问", "您的角色无权使用此功能。"}},
		{"agent1", "en", "GET", "/admin/routing", 403, []string{staffNav, "Access denied", "Your role may not use this."}},
	} {
		t.Run(tc.who+" "+tc.lang+" "+tc.method+" "+tc.path, func(t *testing.T) {
			req := newRequest(t, tc.method, e.ts.URL+tc.path, nil)
			req.Header.Set("Origin", e.ts.URL)
			req.AddCookie(&http.Cookie{Name: "lang", Value: tc.lang})
			res, err := clients[tc.who].Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := string(raw)
			if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %s, want %d HTML", res.StatusCode, res.Header.Get("Content-Type"), tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q:\n%s", w, body)
				}
			}
			for _, raw := range []string{"ticket not found", "404 page not found", "Method Not Allowed"} {
				if strings.Contains(body, raw) {
					t.Errorf("shows the raw %q", raw)
				}
			}
			if tc.status == 405 && !strings.Contains(res.Header.Get("Allow"), "GET") {
				t.Errorf("Allow: %q", res.Header.Get("Allow"))
			}
			if problems := pageProblems(tc.lang, body); len(problems) > 0 {
				t.Errorf("language: %v", problems)
			}
		})
	}
	// The API answers JSON, whatever the path.
	tok := e.token("dispatcher")
	for path, status := range map[string]int{"/api/v1/no-such": 404, "/api/v1/tickets/20261123-999999": 404} {
		if r := e.do(nil, "GET", path, nil, tok); r.Status != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s %s", path, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	// The favicon, where browsers look and where both layouts link it.
	if r := e.do(nil, "GET", "/favicon.ico", nil, nil); r.Status != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.Body, "<svg") {
		t.Errorf("favicon: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/login", "/complain"} {
		if r := e.do(nil, "GET", path, nil, nil); !strings.Contains(r.Body, `<link rel="icon" href="/static/favicon.svg"`) {
			t.Errorf("%s does not link the favicon", path)
		}
	}
	if r := e.do(nil, "GET", "/static/favicon.svg", nil, nil); r.Status != 200 {
		t.Errorf("favicon.svg: %d", r.Status)
	}
	// A database that cannot be reached is an outage (503); a bug is a 500.
	down := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		path   string
		err    error
		status int
		want   string
	}{
		{"/tickets", down, 503, "服务暂时不可用"},
		{"/api/v1/tickets", down, 503, `"service unavailable`},
		{"/tickets", errors.New("nil map"), 500, "系统出错"},
		{"/api/v1/tickets", errors.New("nil map"), 500, `"internal error"`},
	} {
		rec := httptest.NewRecorder()
		fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.srv.serverError(w, r, tc.err) })
		e.srv.staff().sessions.LoadAndSave(fail).ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) || (tc.status == 503) != (rec.Header().Get("Retry-After") != "") {
			t.Errorf("%s %v: %d %s (Retry-After %q)", tc.path, tc.err, rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
		}
	}
}

// TestExportFollowsTheReadersLanguage: an export's header and named values are in the
// reader's language; the citizens' text stays as written.
func TestExportFollowsTheReadersLanguage(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.register("噪音扰民", "noise", "13700002222", "environment")
	c := e.browser("supervisor")
	base, _ := url.Parse(e.ts.URL)
	c.Jar.SetCookies(base, []*http.Cookie{{Name: "lang", Value: "en"}})
	r := e.do(c, "GET", "/export/open?format=csv", nil, nil)
	if r.Status != 200 {
		t.Fatalf("export: %d", r.Status)
	}
	lines := strings.Split(strings.TrimPrefix(r.Body, "\uFEFF"), "\r\n")
	if lines[0] != strings.Join(exportHeader("en"), ",") || !strings.HasPrefix(lines[0], "Ticket,Status,Type,Category,Department") {
		t.Fatalf("header: %q", lines[0])
	}
	if !strings.Contains(lines[1], ",Dispatched,Complaint,") || !strings.Contains(lines[1], "Ecology and Environment Bureau") ||
		!strings.Contains(lines[1], "噪音扰民") {
		t.Fatalf("row: %q", lines[1])
	}
}
