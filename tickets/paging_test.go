package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// TestListPagesWithCursorsAndCountsTotal pages through lists three tickets at a time by their
// cursors and finds every ticket once, in the order of the whole list, with the total of a
// plain count on every page: by nearest deadline for a department's queue and the
// supervisor, newest first, with co-handled and merged tickets, and with deadlines that tie.
func TestListPagesWithCursorsAndCountsTotal(t *testing.T) {
	t.Parallel()
	c := demotest.New(t)
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	var nos []string
	for i := range 11 {
		tk := c.Register(t, tickets.RegisterInput{Channel: "phone", Category: "noise",
			Description: fmt.Sprintf("夜间施工噪声 %d", i), Address: "东城区安定门大街1号", CallerPhone: "13800138000"})
		dept := []string{"hrss", "urban"}[i%2]
		if _, err := c.Tickets.Dispatch(ctx, c.Agent, tk.Number, tickets.DispatchInput{Department: dept,
			CoHandlers: map[bool][]string{true: {"hrss"}}[i == 3]}); err != nil {
			t.Fatal(err)
		}
		nos = append(nos, tk.Number)
		if i%4 == 0 {
			c.Clock.Advance(time.Hour) // later deadlines; the others tie and go by id
		}
	}
	if _, err := c.Tickets.Merge(ctx, c.Agent, nos[4], nos[0], "同一件事"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tickets.Accept(ctx, c.Handler("hrss"), nos[2], tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	open := []tickets.Status{tickets.StatusDispatched, tickets.StatusAccepted}
	for _, tc := range []struct {
		name  string
		actor tickets.Actor
		f     tickets.Filter
	}{
		{"queue of hrss with a co-handled ticket", c.Handler("hrss"), tickets.Filter{Statuses: open, OrderBy: "due", Queue: true}},
		{"supervisor by deadline with merged", sup, tickets.Filter{Statuses: open, OrderBy: "due"}},
		{"supervisor newest first", sup, tickets.Filter{}},
		{"urban's by words", c.Handler("urban"), tickets.Filter{Words: []string{"噪声"}, OrderBy: "due"}},
		{"hrss's by words with a co-handled ticket, by number", c.Handler("hrss"), tickets.Filter{Words: []string{"噪声"}, OrderBy: "number", Desc: true}},
		{"supervisor by words, by registration", sup, tickets.Filter{Words: []string{"施工"}, OrderBy: "created"}},
		{"supervisor one department", sup, tickets.Filter{Statuses: open, DepartmentID: c.DepartmentID("urban"), OrderBy: "due", Queue: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all := tc.f
			all.Limit = 1000
			want, err := c.Tickets.List(ctx, tc.actor, all)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 4 {
				t.Fatalf("only %d tickets to page through", len(want))
			}
			f := tc.f
			f.Limit = 3
			var got []string
			for i, p := range pageThrough(t, c.Tickets, tc.actor, f) {
				if p.Total != len(want) || p.TotalAtLeast {
					t.Errorf("page %d: total %d (at least: %v), want %d", i, p.Total, p.TotalAtLeast, len(want))
				}
				got = append(got, numbers(p.Tickets)...)
			}
			if diff := cmp.Diff(numbers(want), got); diff != "" {
				t.Errorf("pages (-whole list +pages):\n%s", diff)
			}
		})
	}
	if _, err := c.Tickets.ListPage(ctx, sup, tickets.Filter{OrderBy: "due", After: "yesterday"}); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("a cursor that is none: %v, want ErrInvalid", err)
	}
}

// TestBoardCountMatchesTheList: the count an export page shows is the number of tickets the
// export holds, whether it comes from the counters or from the tickets, capped at the limit.
func TestBoardCountMatchesTheList(t *testing.T) {
	t.Parallel()
	c := demotest.New(t)
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	for i := range 9 {
		tk := c.Register(t, tickets.RegisterInput{Channel: "phone", Category: "noise",
			Description: fmt.Sprintf("夜间施工噪声 %d", i), Address: "东城区安定门大街1号", CallerPhone: "13800138000"})
		if i%3 == 0 {
			continue // stays registered
		}
		c.Dispatch(t, tk.Number, []string{"hrss", "urban"}[i%2])
		if i == 4 {
			if _, err := c.Tickets.Return(ctx, c.Handler("hrss"), tk.Number, tickets.ActInput{Text: "不属本部门"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.Clock.Advance(20 * 24 * time.Hour) // all overdue
	for _, actor := range []tickets.Actor{sup, c.Handler("hrss")} {
		for _, list := range tickets.BoardLists {
			var want int
			if err := c.Tickets.BoardEach(ctx, actor, list, 1000, func(*tickets.Ticket) error { want++; return nil }); err != nil {
				t.Fatal(err)
			}
			n, over, err := c.Tickets.BoardCount(ctx, actor, list, 1000)
			if err != nil || n != want || over {
				t.Errorf("%s %s: count %d (over %v, %v), the list holds %d", actor.Name, list, n, over, err, want)
			}
			if want > 1 {
				if n, over, _ := c.Tickets.BoardCount(ctx, actor, list, want-1); n != want-1 || !over {
					t.Errorf("%s %s with a limit of %d: %d over %v", actor.Name, list, want-1, n, over)
				}
			}
		}
	}
}

// pageThrough reads f's list as actor page by page, each after the last one's cursor, from the
// first to the last (at most ten), and returns the pages.
func pageThrough(t *testing.T, svc *tickets.Service, actor tickets.Actor, f tickets.Filter) []*tickets.Page {
	t.Helper()
	var pages []*tickets.Page
	for {
		if len(pages) > 10 {
			t.Fatal("paging never ends")
		}
		p, err := svc.ListPage(context.Background(), actor, f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		if p.Next == "" {
			return pages
		}
		f.After = p.Next
	}
}
