package web

import (
	"net/url"
	"testing"

	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// TestCalendarEditReachesRunningServices edits the calendar on the admin page and checks that
// deadlines counted afterwards in the same process follow the edit, without a restart.
func TestCalendarEditReachesRunningServices(t *testing.T) {
	t.Parallel()
	var live *workcal.Live
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		live = workcal.NewLive(d.Calendar)
		d.LiveCalendar = live
		e.tickets = tickets.NewService(e.db, e.clock, live, testNow.Location(), e.log)
		d.Tickets = e.tickets
	})
	admin := e.browser("admin")
	same := map[string]string{"Origin": e.ts.URL}
	tuesday := testNow.AddDate(0, 0, 1)
	before := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")

	if r := e.do(admin, "POST", "/admin/calendar", url.Values{"date": {tuesday.Format("2006-01-02")}, "kind": {"holiday"}, "name": {"临时假日"}}, same); r.Status != 303 {
		t.Fatalf("save day: %d %s", r.Status, r.Body)
	}
	if live.IsWorkday(tuesday) || live.Loads() != 1 {
		t.Fatalf("after the edit: Tuesday a working day %v, loads %d", live.IsWorkday(tuesday), live.Loads())
	}
	after := e.register("公司拖欠工资", "wage-arrears", "13800138001", "hrss")
	if before.ResolveDue == nil || after.ResolveDue == nil || !after.ResolveDue.After(*before.ResolveDue) {
		t.Fatalf("resolution due %v before the holiday was added, %v after: want later", before.ResolveDue, after.ResolveDue)
	}

	// A refused edit changes nothing and reloads nothing.
	if r := e.do(admin, "POST", "/admin/calendar", url.Values{"date": {"2026-02-30"}, "kind": {"holiday"}}, same); r.Status != 400 || live.Loads() != 1 {
		t.Fatalf("bad date: %d, loads %d", r.Status, live.Loads())
	}
	if r := e.do(admin, "POST", "/admin/calendar/delete", url.Values{"date": {tuesday.Format("2006-01-02")}}, same); r.Status != 303 {
		t.Fatalf("delete day: %d", r.Status)
	}
	if !live.IsWorkday(tuesday) {
		t.Fatal("the deleted holiday still counts")
	}
	again := e.register("公司拖欠工资", "wage-arrears", "13800138002", "hrss")
	if !again.ResolveDue.Equal(*before.ResolveDue) {
		t.Fatalf("resolution due %v after the holiday was removed, want %v", again.ResolveDue, before.ResolveDue)
	}
}
