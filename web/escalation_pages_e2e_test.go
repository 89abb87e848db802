package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/tickets"
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
	// The loop's part: one hrss ticket visited and satisfied, another resolved and waiting for
	// its visit, which the journey records as 不满意.
	ctx := context.Background()
	yes := true
	happy := e.register("单位未缴社保", "wage-arrears", "13900002222", "hrss")
	e.resolve(happy.Number, "hrss", "已责令单位补缴")
	if _, _, err := e.tickets.RecordVisit(ctx, e.actor("agent1"), happy.Number, tickets.VisitInput{Channel: "phone", Outcome: "reached",
		Contacted: &yes, Solved: "solved", Satisfaction: "satisfied"}); err != nil {
		t.Fatal(err)
	}
	unhappy := e.register("公司拖欠加班费", "wage-arrears", "13900003333", "hrss")
	e.resolve(unhappy.Number, "hrss", "已督促公司支付")
	shots, err := filepath.Abs(filepath.Join("..", "var", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(jctx, "node", "e2e/escalation_journey.js", e.ts.URL, shots, tk.Number, unhappy.Number, testNow.Format("2006-01")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DONE "+tk.Number) {
		t.Fatalf("journey failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SATISFACTION 1 0.5") {
		t.Errorf("hrss's satisfaction rate before and after the journey's visit: want 1 then 0.5\n%s", out)
	}
	if got, err := e.tickets.Get(ctx, unhappy.Number); err != nil || got.Status != tickets.StatusDispatched || got.ReopenCount != 1 {
		t.Fatalf("the dissatisfied ticket after the journey: %v %+v", err, got)
	}
	got, err := e.tickets.Get(context.Background(), tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 4, 17, 0, 0, 0, testNow.Location()); got.ResolveDue == nil || !got.ResolveDue.Equal(want) {
		t.Fatalf("resolution deadline after the journey: %v, want %v", got.ResolveDue, want)
	}
	for _, name := range []string{"workbench-extension", "bell", "board-extensions", "ticket-extension", "notifications", "visit-queue", "rectifications", "stats"} {
		if fi, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s missing or empty: %v", name, err)
		}
	}
}
