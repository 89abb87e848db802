package tickets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// hrssCounts is the hrss row of the board's counts as the supervisor sees them.
func hrssCounts(t *testing.T, c *demotest.City) tickets.DepartmentCount {
	t.Helper()
	rows, err := c.Tickets.DepartmentCounts(context.Background(), c.Actor("sup", org.RoleSupervisor, "centre"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Code == "hrss" {
			return r
		}
	}
	return tickets.DepartmentCount{Code: "hrss"}
}

func numbers(ts []tickets.Ticket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestMergedTicketLeavesQueuesFollowsAndCountsOnce(t *testing.T) {
	t.Parallel()
	c := demotest.New(t)
	ctx := context.Background()
	in := tickets.RegisterInput{Category: "wage-arrears", Description: "公司拖欠三个月工资", Address: "东城区安定门大街1号"}
	in.CallerName, in.CallerPhone = "张三", "13800138001"
	master := c.Register(t, in)
	in.CallerName, in.CallerPhone = "李四", "13800138002"
	dup := c.Register(t, in)
	c.Dispatch(t, master.Number, "hrss")
	c.Dispatch(t, dup.Number, "hrss")
	h := c.Handler("hrss")
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	before := hrssCounts(t, c)

	if _, err := c.Tickets.Merge(ctx, c.Agent, dup.Number, master.Number, "同一家公司"); err != nil {
		t.Fatal(err)
	}
	if got := hrssCounts(t, c); got.Open != before.Open-1 || got.WaitingAccept != before.WaitingAccept-1 {
		t.Errorf("counts after merging: open %d waiting %d, want %d %d", got.Open, got.WaitingAccept, before.Open-1, before.WaitingAccept-1)
	}
	queue, err := c.Tickets.List(ctx, h, tickets.Filter{Statuses: []tickets.Status{tickets.StatusDispatched, tickets.StatusAccepted}, Queue: true})
	if err != nil {
		t.Fatal(err)
	}
	if q := numbers(queue); has(q, dup.Number) || !has(q, master.Number) {
		t.Errorf("department queue %v: want the master %s and not the merged %s", q, master.Number, dup.Number)
	}
	open, err := c.Tickets.Board(ctx, sup, tickets.ListOpen, 0)
	if err != nil {
		t.Fatal(err)
	}
	if has(numbers(open), dup.Number) {
		t.Errorf("board's open list holds the merged ticket %s", dup.Number)
	}
	// The merged ticket takes no action of its own: it follows its master.
	if _, err := c.Tickets.Accept(ctx, h, dup.Number, tickets.ActInput{}); !errors.Is(err, tickets.ErrMerged) || !errors.Is(err, tickets.ErrTransition) {
		t.Errorf("accepting a merged ticket: %v, want ErrMerged", err)
	}

	c.Resolve(t, master.Number, "hrss", "已责令张三所在公司补发工资")
	d, err := c.Tickets.Get(ctx, dup.Number)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != tickets.StatusResolved || d.Resolution != tickets.MergedResolution || d.CallbackDue != nil {
		t.Errorf("merged ticket after its master resolved: %s %q callback %v, want resolved in its own words with no visit due",
			d.Status, d.Resolution, d.CallbackDue)
	}
	if got := hrssCounts(t, c); got.ResolvedToday != before.ResolvedToday+1 {
		t.Errorf("resolved today %d, want %d: the matter counts once", got.ResolvedToday, before.ResolvedToday+1)
	}
	resolved, err := c.Tickets.Board(ctx, sup, tickets.ListResolved, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := numbers(resolved); has(r, dup.Number) || !has(r, master.Number) {
		t.Errorf("board's resolved list %v: want the master only", r)
	}
	// Its citizen's timeline names neither the other ticket nor the other citizen.
	pub, err := c.Tickets.Events(ctx, d.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range pub {
		if strings.Contains(ev.Body, master.Number) || strings.Contains(ev.Body, "张三") {
			t.Errorf("public %s event of the merged ticket reads %q", ev.Kind, ev.Body)
		}
	}
	mpub, err := c.Tickets.Events(ctx, master.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range mpub {
		if strings.Contains(ev.Body, dup.Number) {
			t.Errorf("public %s event of the master reads %q", ev.Kind, ev.Body)
		}
	}

	// Unmerging is the centre's, and puts the ticket back where it stood.
	if _, err := c.Tickets.Unmerge(ctx, h, dup.Number, ""); !errors.Is(err, tickets.ErrForbidden) {
		t.Errorf("unmerge by a handler: %v, want ErrForbidden", err)
	}
	u, err := c.Tickets.Unmerge(ctx, sup, dup.Number, "不是同一家公司")
	if err != nil {
		t.Fatal(err)
	}
	if u.MasterID != nil || u.Status != tickets.StatusDispatched || u.Resolution != "" || u.ResolvedAt != nil || u.AcceptDue == nil {
		t.Errorf("unmerged ticket: master %v %s %q resolved %v, want dispatched as before with its deadlines",
			u.MasterID, u.Status, u.Resolution, u.ResolvedAt)
	}
	for _, tk := range []*tickets.Ticket{dup, master} {
		all, err := c.Tickets.Events(ctx, tk.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if last := all[len(all)-1]; last.Kind != tickets.KindUnmerge {
			t.Errorf("%s: last event %s, want unmerge on both timelines", tk.Number, last.Kind)
		}
	}
	if got := hrssCounts(t, c); got.Open != before.Open-1 || got.WaitingAccept != before.WaitingAccept-1 {
		// master resolved (-1 open), dup back (+1), i.e. as before minus the master.
		t.Errorf("counts after unmerging: open %d waiting %d, want %d %d", got.Open, got.WaitingAccept, before.Open-1, before.WaitingAccept-1)
	}
	if _, err := c.Tickets.Accept(ctx, h, dup.Number, tickets.ActInput{}); err != nil {
		t.Errorf("accepting the unmerged ticket: %v", err)
	}
	if _, err := c.Tickets.Unmerge(ctx, sup, dup.Number, ""); !errors.Is(err, tickets.ErrTransition) {
		t.Errorf("unmerging a ticket not merged: %v, want ErrTransition", err)
	}
}

func TestVisitMarksTheResolutionUntilReopened(t *testing.T) {
	t.Parallel()
	c := demotest.New(t)
	ctx := context.Background()
	tk := c.Register(t, tickets.RegisterInput{Category: "wage-arrears", Description: "拖欠工资", CallerPhone: "13800138003"})
	c.Dispatch(t, tk.Number, "hrss")
	if _, err := c.Tickets.Reopen(ctx, c.Agent, tk.Number, tickets.ActInput{Text: "x"}); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("reopening a dispatched ticket: %v", err)
	}
	c.Resolve(t, tk.Number, "hrss", "已补发")
	visit := func() (*tickets.Ticket, error) {
		var got *tickets.Ticket
		err := c.Tickets.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			got, err = c.Tickets.VisitTx(ctx, tx, c.Agent, tk.Number, tickets.ActInput{Data: map[string]any{"channel": "phone"}})
			return err
		})
		return got, err
	}
	v, err := visit()
	if err != nil {
		t.Fatal(err)
	}
	if v.VisitedAt == nil {
		t.Fatal("visit left no mark")
	}
	first := *v.VisitedAt
	c.Clock.Advance(time.Hour)
	if v, err = visit(); err != nil || !v.VisitedAt.Equal(first) {
		t.Fatalf("second visit: %v %v, want the first time kept", err, v.VisitedAt)
	}
	r, err := c.Tickets.Reopen(ctx, c.Agent, tk.Number, tickets.ActInput{Text: "市民说没补发"})
	if err != nil {
		t.Fatal(err)
	}
	if r.VisitedAt != nil {
		t.Errorf("reopened ticket keeps the visit of its old result: %v", r.VisitedAt)
	}
	if _, err := visit(); !errors.Is(err, tickets.ErrTransition) {
		t.Errorf("visiting a ticket being redone: %v, want ErrTransition", err)
	}
}
