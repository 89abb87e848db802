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
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// TestStaffBrowserJourney runs the staff journey (agent → handler → supervisor, every other
// staff page once, then a handler on a 390 px phone) in Debian's chromium driven by
// playwright-core, with axe-core checking every page it visits, and keeps screenshots of the
// main pages under var/screenshots for people to look at. `make test` installs chromium, the CJK
// fonts, the driver and axe-core.
func TestStaffBrowserJourney(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser journey: slow, skipped with -short")
	}
	needBrowser(t)
	var esc *escalation.Service
	recs := &telephony.Recordings{Dir: t.TempDir()}
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		withRouting(e, d)
		esc = d.Escalation.Service
		recs.DB = e.db
		d.Calls.Recordings = recs
	})
	// The demo rules dispatch both to market: the phone's handler accepts one; the other waits
	// in the returns review.
	phoneTicket := e.register("菜市场摊位售卖过期熟食，要求查处", "food-safety", "13700001111", "")
	returned := e.register("小区门口餐馆油烟扰民", "food-safety", "13700002222", "")
	// The phone ticket's call was recorded: two seconds of stereo audio the supervisor plays.
	recordedCall(t, e, recs.Dir, phoneTicket.ID, promptWAV(8000, 2, 2))
	st, err := e.org.Staff(context.Background(), "handler-market")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Return(context.Background(), tickets.ActorFor(st), returned.Number, tickets.ActInput{Text: "油烟问题属生态环境局职责"}); err != nil {
		t.Fatal(err)
	}
	shots, err := filepath.Abs(filepath.Join("..", "var", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/staff_journey.js", e.ts.URL, shots, phoneTicket.Number)
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
	if tk, err := e.tickets.Get(context.Background(), phoneTicket.Number); err != nil || tk.Status != "accepted" || tk.FeedbackAt == nil {
		t.Fatalf("ticket handled on the phone: %v %+v", err, tk)
	}
	if n, err := e.db.NewSelect().Table("workcal_days").Where("day >= '2027-01-01'").Count(context.Background()); err != nil || n != 2 {
		t.Errorf("days of 2027 entered in the journey: %d, %v", n, err)
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
		"ticket-unmerged", "admin-staff", "phone-workbench", "phone-ticket", "admin-calendar-phone", "admin-calendar-preview"} {
		if fi, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s missing or empty: %v", name, err)
		}
	}
}

// needBrowser fails t when the browser journey cannot run: Debian's chromium, npm's
// playwright-core or axe-core (which checks every page a journey visits) is missing (make test
// installs them).
func needBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("chromium is missing: apt-get install -y chromium fonts-noto-cjk (make test does it)")
	}
	for _, mod := range []string{"playwright-core", "axe-core"} {
		if _, err := os.Stat("e2e/node_modules/" + mod); err != nil {
			t.Fatal(mod + " is missing: run npm install in web/e2e (make test does it)")
		}
	}
}
