package evaluation_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// An engine that reads the aggregate as refreshed: a read aggregates a month never read before,
// but a later change reaches the scorecard only with the next background pass, and the
// scorecard says up to when it holds every change. A pass while another process's runs does
// nothing; after a pass the aggregate agrees with the raw tables.
func TestReadsUseTheAggregateAsRefreshed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	registered := time.Date(2026, 11, 16, 10, 0, 0, 0, shanghai)
	c := demotest.New(t, demotest.At(registered))
	hrss := c.Actor("handler-hrss", org.RoleHandler, "hrss")
	register := func() *tickets.Ticket {
		tk := c.Dispatch(t, c.Register(t, tickets.RegisterInput{CallerPhone: "13800138000", Description: "投诉", Category: "wage-arrears"}).Number, "hrss")
		if _, err := c.Tickets.Accept(ctx, hrss, tk.Number, tickets.ActInput{}); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	register()
	eng := evaluation.NewEngine(c.DB, shanghai, clock.NewFixed(time.Date(2026, 11, 20, 9, 0, 0, 0, shanghai)), evaluation.ReadsAsRefreshed())

	first := scorecard(t, eng, "2026-11")
	if h := dept(t, first, "hrss"); h.Tickets != 1 {
		t.Fatalf("the first read of the month: hrss has %d tickets, want 1", h.Tickets)
	}
	// A second ticket on a day already aggregated: the read does not recompute it.
	register()
	before := scorecard(t, eng, "2026-11")
	if h := dept(t, before, "hrss"); h.Tickets != 1 || !before.ComputedAt.Equal(first.ComputedAt) {
		t.Fatalf("read before the refresh: hrss has %d tickets as of %s, want 1 as of %s", h.Tickets, before.ComputedAt, first.ComputedAt)
	}
	// A pass of another process is under way: this one does nothing.
	conn, err := c.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext('evaluation_daily'))"); err != nil {
		t.Fatal(err)
	}
	if ran, err := eng.RefreshAll(ctx); ran || err != nil {
		t.Fatalf("a pass while another holds the aggregate: ran %v, %v", ran, err)
	}
	if h := dept(t, scorecard(t, eng, "2026-11"), "hrss"); h.Tickets != 1 {
		t.Fatalf("after a pass that did nothing: hrss has %d tickets", h.Tickets)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(hashtext('evaluation_daily'))"); err != nil {
		t.Fatal(err)
	}
	if ran, err := eng.RefreshAll(ctx); !ran || err != nil {
		t.Fatalf("the refresh: ran %v, %v", ran, err)
	}
	after := scorecard(t, eng, "2026-11")
	if h := dept(t, after, "hrss"); h.Tickets != 2 || !after.ComputedAt.After(before.ComputedAt) {
		t.Fatalf("after the refresh: hrss has %d tickets as of %s, want 2 after %s", h.Tickets, after.ComputedAt, before.ComputedAt)
	}
	// Another process's engine reads the same, as of the same pass.
	other := scorecard(t, evaluation.NewEngine(c.DB, shanghai, clock.NewFixed(time.Date(2026, 11, 20, 9, 0, 0, 0, shanghai)), evaluation.ReadsAsRefreshed()), "2026-11")
	if !other.ComputedAt.Equal(after.ComputedAt) {
		t.Errorf("another engine's scorecard is as of %s, want %s", other.ComputedAt, after.ComputedAt)
	}
	// A pass with nothing changed moves the as-of time on and keeps the figures.
	if _, err := eng.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	again := scorecard(t, eng, "2026-11")
	if !again.ComputedAt.After(after.ComputedAt) || dept(t, again, "hrss").Tickets != 2 {
		t.Errorf("a pass with nothing to do: as of %s (was %s)", again.ComputedAt, after.ComputedAt)
	}

	p, _ := eng.Current(ctx)
	w, _ := evaluation.ParsePeriod("2026-11", shanghai, eng.Now())
	raw, err := eng.ComputeRaw(ctx, p, w)
	if err != nil {
		t.Fatal(err)
	}
	raw.ComputedAt = again.ComputedAt
	if diff := cmp.Diff(again, raw, cmpopts.IgnoreUnexported(evaluation.Scorecard{})); diff != "" {
		t.Errorf("aggregate and raw tables differ after the refresh (-aggregate +raw):\n%s", diff)
	}
}
