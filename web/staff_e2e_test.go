package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
)

// TestStaffBrowserJourney runs the staff journey (agent → handler → supervisor) in Debian's
// chromium driven by playwright-core, and keeps screenshots of the main pages under
// var/screenshots for people to look at. `make test` installs chromium, the CJK fonts and the
// driver.
func TestStaffBrowserJourney(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser journey: slow, skipped with -short")
	}
	needBrowser(t)
	var esc *escalation.Service
	e := newStaffEnvWith(t, func(_ *staffEnv, d *Deps) { esc = d.Escalation.Service })
	shots, err := filepath.Abs(filepath.Join("..", "var", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/staff_journey.js", e.ts.URL, shots)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("journey failed: %v\n%s", err, out)
	}
	var number, merged string
	for _, line := range strings.Split(string(out), "\n") {
		if n, ok := strings.CutPrefix(line, "NUMBER "); ok {
			number = n
		}
		if n, ok := strings.CutPrefix(line, "MERGED "); ok {
			merged = n
		}
	}
	tk, err := e.tickets.Get(context.Background(), number)
	if err != nil {
		t.Fatalf("ticket %q of the journey: %v\n%s", number, err, out)
	}
	if tk.Status != "resolved" || tk.FeedbackAt == nil || tk.Department == nil || tk.Department.Code != "hrss" || tk.VisitedAt == nil {
		t.Fatalf("ticket after the journey: %s %v visited %v", tk.Status, tk.Department, tk.VisitedAt)
	}
	// The citizen's rating was the return visit: long after it was due, the sweep leaves the
	// 回访 clock alone.
	_, err = esc.Sweep(context.Background(), testNow.AddDate(0, 0, 10), func(a escalation.Action) {
		if a.Ticket == number && a.Clock == escalation.ClockCallback {
			t.Errorf("the rated ticket's return visit escalated: %+v", a)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.tickets.Get(context.Background(), merged)
	if err != nil || m.MasterID != nil || m.Status != "dispatched" {
		t.Fatalf("second ticket %q after its merge was undone: %v %+v", merged, err, m)
	}
	for _, name := range []string{"login", "console", "workbench", "ticket-resolved", "board", "ticket-timeline", "track-merged",
		"ticket-unmerged", "admin-staff"} {
		if fi, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s missing or empty: %v", name, err)
		}
	}
}

// needBrowser fails t when the browser journey cannot run: Debian's chromium or npm's
// playwright-core is missing (make test installs both).
func needBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("chromium is missing: apt-get install -y chromium fonts-noto-cjk (make test does it)")
	}
	if _, err := os.Stat("e2e/node_modules/playwright-core"); err != nil {
		t.Fatal("playwright-core is missing: run npm install in web/e2e (make test does it)")
	}
}
