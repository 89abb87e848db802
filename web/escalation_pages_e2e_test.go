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

// TestEscalationBrowserJourney runs the extension journey (handler asks → supervisor approves,
// each hearing of it live through the bell) in Debian's chromium driven by playwright-core, and
// keeps screenshots under var/screenshots.
func TestEscalationBrowserJourney(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser journey: slow, skipped with -short")
	}
	needBrowser(t)
	e, _ := newEscalationEnv(t)
	tk := e.register("工地拖欠工资三个月，多次讨要无果", "wage-arrears", "13900001111", "hrss") // resolution due 2026-12-02 17:00
	shots, err := filepath.Abs(filepath.Join("..", "var", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "e2e/escalation_journey.js", e.ts.URL, shots, tk.Number).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DONE "+tk.Number) {
		t.Fatalf("journey failed: %v\n%s", err, out)
	}
	got, err := e.tickets.Get(context.Background(), tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 4, 17, 0, 0, 0, testNow.Location()); got.ResolveDue == nil || !got.ResolveDue.Equal(want) {
		t.Fatalf("resolution deadline after the journey: %v, want %v", got.ResolveDue, want)
	}
	for _, name := range []string{"workbench-extension", "bell", "board-extensions", "ticket-extension", "notifications"} {
		if fi, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s missing or empty: %v", name, err)
		}
	}
}
