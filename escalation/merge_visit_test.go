package escalation_test

import (
	"context"
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
	h := f.actor("handler-hrss")
	f.clk.Set(at("2026-11-16 13:00"))
	if _, err := f.tk.Accept(ctx, h, master.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.Feedback(ctx, h, master.Number, tickets.ActInput{Text: "已联系"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.Resolve(ctx, h, master.Number, tickets.ActInput{Text: "已支付"}); err != nil {
		t.Fatal(err)
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
