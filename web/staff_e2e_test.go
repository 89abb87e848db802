package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	e := newStaffEnv(t)
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
	var number string
	for _, line := range strings.Split(string(out), "\n") {
		if n, ok := strings.CutPrefix(line, "NUMBER "); ok {
			number = n
		}
	}
	tk, err := e.tickets.Get(context.Background(), number)
	if err != nil {
		t.Fatalf("ticket %q of the journey: %v\n%s", number, err, out)
	}
	if tk.Status != "resolved" || tk.FeedbackAt == nil || tk.Department == nil || tk.Department.Code != "hrss" {
		t.Fatalf("ticket after the journey: %s %v", tk.Status, tk.Department)
	}
	if n, err := e.db.NewSelect().Table("workcal_days").Where("day >= '2027-01-01'").Count(context.Background()); err != nil || n != 2 {
		t.Errorf("days of 2027 entered in the journey: %d, %v", n, err)
	}
	for _, name := range []string{"login", "console", "workbench", "ticket-resolved", "board", "ticket-timeline", "admin-staff", "admin-calendar-phone", "admin-calendar-preview"} {
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
