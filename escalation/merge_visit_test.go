package escalation_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// TestMergedTicketRunsNoClock merges a ticket (并单) before its deadlines: its clocks stop, its
// master's run, it gets no return-visit clock when its master is resolved, and unmerging it
// sets its own clocks going again.
func TestMergedTicketRunsNoClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	master := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	dup := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	f.sweep(t, at("2026-11-16 10:10")) // both planned
	h := f.actor("handler-hrss")
	f.clk.Set(at("2026-11-16 10:20"))
	x, err := f.esc.RequestExtension(ctx, h, dup.Number, escalation.ExtensionInput{Workdays: 3, Reason: "需等待鉴定结果"})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Set(at("2026-11-16 10:30"))
	if _, err := f.tk.Merge(ctx, f.agent, dup.Number, master.Number, ""); err != nil {
		t.Fatal(err)
	}
	want := []step{{master.Number, "accept", "escalated", 1}}
	if d := cmp.Diff(want, f.sweep(t, at("2026-11-16 12:00"))); d != "" {
		t.Fatalf("sweep after merging (-want +got):\n%s", d)
	}
	if n := f.count(t, "SELECT count(*) FROM escalation_clocks WHERE ticket_id = ?", dup.ID); n != 0 {
		t.Fatalf("merged ticket keeps %d clocks", n)
	}
	f.clk.Set(at("2026-11-16 13:00"))
	// The merged ticket's deadlines are its master's: it asks for no extension of its own.
	if _, err := f.esc.RequestExtension(ctx, h, dup.Number, escalation.ExtensionInput{Workdays: 3, Reason: "需等待鉴定结果"}); !errors.Is(err, tickets.ErrMerged) {
		t.Fatalf("extension asked for on a merged ticket: %v, want ErrMerged", err)
	}
	if _, err := f.tk.Accept(ctx, h, master.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.Feedback(ctx, h, master.Number, tickets.ActInput{Text: "已联系"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.Resolve(ctx, h, master.Number, tickets.ActInput{Text: "已支付"}); err != nil {
		t.Fatal(err)
	}
	// The extension asked for before the merge ended with the matter's handling.
	if n := f.count(t, "SELECT count(*) FROM extension_requests WHERE id = ? AND status = 'closed'", x.ID); n != 1 {
		t.Fatal("the merged ticket's pending extension request outlived its master's resolution")
	}
	// The return visit of the matter is the master's: the merged ticket's 回访 never escalates.
	got := f.sweep(t, at("2026-11-18 09:00"))
	want = []step{{master.Number, "callback", "escalated", 1}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("sweep after the master's visit was due (-want +got):\n%s", d)
	}
	// Unmerged, the ticket is back where it stood (dispatched, its acceptance long overdue).
	f.clk.Set(at("2026-11-18 10:00"))
	if _, err := f.tk.Unmerge(ctx, f.actor("supervisor"), dup.Number, "不是同一件事"); err != nil {
		t.Fatal(err)
	}
	got = f.sweep(t, at("2026-11-18 10:00"))
	if len(got) == 0 || got[0].Ticket != dup.Number || got[0].Clock != "accept" {
		t.Fatalf("sweep after unmerging: %v, want the ticket's own acceptance clock", got)
	}
}

// TestVisitStopsTheVisitClock: once the return visit is done (the citizen's rating or a visit
// record), the 回访 clock stops; a reopened and resolved again ticket owes a new one.
func TestVisitStopsTheVisitClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	h := f.actor("handler-hrss")
	f.clk.Set(at("2026-11-16 10:10"))
	for _, do := range []func() error{
		func() error { _, err := f.tk.Accept(ctx, h, tk.Number, tickets.ActInput{}); return err },
		func() error {
			_, err := f.tk.Resolve(ctx, h, tk.Number, tickets.ActInput{Text: "已支付"})
			return err
		},
	} {
		if err := do(); err != nil {
			t.Fatal(err)
		}
	}
	f.sweep(t, at("2026-11-16 10:20")) // the visit clock is planned
	f.clk.Set(at("2026-11-16 11:00"))
	err := f.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := f.tk.VisitTx(ctx, tx, tickets.Citizen("张三"), tk.Number, tickets.ActInput{Data: map[string]any{"channel": "web"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.sweep(t, at("2026-11-20 09:00")); len(got) != 0 {
		t.Fatalf("sweep after the visit: %v, want the visit clock stopped", got)
	}
	if n := f.count(t, "SELECT count(*) FROM escalation_clocks WHERE ticket_id = ? AND clock = 'callback'", tk.ID); n != 0 {
		t.Fatalf("%d visit clocks after the visit", n)
	}
}

// TestNotificationsOncePerTicketAndLevel sweeps a ticket whose acceptance and feedback are both
// long overdue, with one clock per batch and two sweeps side by side: each person is told once
// per level, whichever clock reached it, and a later sweep adds nothing they were told.
func TestNotificationsOncePerTicketAndLevel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{Batch: 1, Workers: 2})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "dongcheng-andingmen")
	when := at("2026-11-19 12:30")
	f.clk.Set(when)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			_, err := f.esc.Sweep(ctx, when, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, "SELECT count(*) FROM escalation_actions WHERE ticket_id = ?", tk.ID); n != 6 {
		t.Fatalf("%d actions, want 6 (two clocks, three levels)", n)
	}
	var who []string
	err := f.db.NewSelect().TableExpr("notifications AS n").ColumnExpr("a.level || ':' || s.username").
		Join("JOIN escalation_actions AS a ON a.id = n.action_id").Join("JOIN staff AS s ON s.id = n.staff_id").
		Where("n.channel = 'inapp' AND n.ticket_id = ?", tk.ID).OrderExpr("a.level, s.username").Scan(ctx, &who)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1:head-dongcheng-andingmen", "1:supervisor", "2:head-dongcheng", "2:supervisor", "3:leader", "3:supervisor"}
	if d := cmp.Diff(want, who); d != "" {
		t.Fatalf("in-app notifications (-want +got):\n%s", d)
	}
	if got := f.sweep(t, when); len(got) != 0 {
		t.Fatalf("sweep again: %v", got)
	}
	// The supervisor's unread list holds the ticket once.
	sup := f.staff["supervisor"].ID
	if n, err := f.esc.Unread(ctx, sup); err != nil || n != 1 {
		t.Fatalf("supervisor's unread: %d %v, want 1 (one ticket)", n, err)
	}
	groups, err := f.esc.Grouped(ctx, sup, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Count != 3 || groups[0].Unread != 3 || groups[0].TicketNumber != tk.Number {
		t.Fatalf("supervisor's groups %+v, want one of three for %s", groups, tk.Number)
	}
	if err := f.esc.MarkGroupRead(ctx, sup, groups[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.esc.Unread(ctx, sup); n != 0 {
		t.Fatalf("unread after reading the ticket's group: %d", n)
	}
	if n := f.count(t, "SELECT count(*) FROM notifications WHERE staff_id = ? AND read_at IS NULL", f.staff["leader"].ID); n != 1 {
		t.Fatalf("the leader's unread changed with the supervisor's: %d", n)
	}
}
