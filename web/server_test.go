package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
)

// New refuses to build a server without a dependency it needs and names it, rather than a
// handler finding it missing on a user's request.
func TestNewNamesMissingDependency(t *testing.T) {
	t.Parallel()
	c := demotest.New(t, demotest.Intake(intake.Config{}), demotest.Escalation(escalation.Options{}))
	for name, drop := range map[string]func(d *Deps){
		"Accounts":           func(d *Deps) { d.Accounts = nil },
		"KB":                 func(d *Deps) { d.KB = nil },
		"Routing.Service":    func(d *Deps) { d.Routing.Service = nil },
		"Escalation.Service": func(d *Deps) { d.Escalation.Service = nil },
		"Intake.Service":     func(d *Deps) { d.Intake.Service = nil },
	} {
		d := depsFor(c)
		drop(&d)
		if srv, err := New(d); srv != nil || err == nil || !strings.Contains(err.Error(), name+" is required") {
			t.Errorf("without %s: %v, %v", name, srv, err)
		}
	}
	if _, err := New(depsFor(c)); err != nil {
		t.Fatalf("every dependency given: %v", err)
	}
}

// Without the SIP front end (a centre whose calls a PBX handles) the call-control routes
// answer 503, decided once as they are mounted, while the call list still reads the records.
func TestCallControlWithoutSIP(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.token("agent1")
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/agent/status"}, {"POST", "/api/v1/agent/status"}, {"GET", "/api/v1/callbacks"},
		{"POST", "/api/v1/calls/x/transfer"}, {"GET", "/api/v1/calls/x"},
	} {
		if r := e.do(nil, rt.method, rt.path, map[string]string{"status": "available", "target": "110"}, agent); r.Status != 503 ||
			!strings.Contains(r.Body, "telephony is not running") {
			t.Errorf("%s %s: %d %s", rt.method, rt.path, r.Status, r.Body)
		}
	}
	if r := e.do(nil, "GET", "/api/v1/calls", nil, agent); r.Status != 200 {
		t.Fatalf("call list: %d %s", r.Status, r.Body)
	}
}

// Staff pages carry a Content-Security-Policy with neither inline code nor eval, and no
// template relies on what it forbids: no inline script, event handler attribute, style
// attribute or javascript: URL anywhere.
func TestContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	for _, path := range []string{"/login", "/board", "/admin", "/tickets"} {
		r := e.do(e.browser("admin"), "GET", path, nil, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>|\son[a-z]+\s*=|\sstyle\s*=|javascript:`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		for _, m := range inline.FindAllString(string(b), -1) {
			if strings.HasPrefix(strings.ToLower(m), "<script") && (strings.Contains(m, "src=") || strings.Contains(m, `type="application/json"`)) {
				continue // a script file, or data that is never run
			}
			t.Errorf("%s: %q is not allowed by the pages' CSP", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
