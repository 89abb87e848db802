package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// searchCity registers tickets that tell the search's cases apart and returns their numbers by
// name.
func searchCity(t *testing.T) (*demotest.City, map[string]string) {
	t.Helper()
	c := demotest.New(t, demotest.Staff("handler-hrss"))
	ctx := context.Background()
	nos := map[string]string{}
	reg := func(name string, in tickets.RegisterInput) *tickets.Ticket {
		tk := c.Register(t, in)
		nos[name] = tk.Number
		return tk
	}
	reg("noise", tickets.RegisterInput{Category: "noise", Description: "楼下酒吧夜间噪音很大", Address: "东城区安定门大街1号", CallerPhone: "13800001234"})
	reg("wage", tickets.RegisterInput{Category: "wage-arrears", Description: "工地老板欠薪三个月", Address: "西城区金融街8号", CallerPhone: "13900005678"})
	// 公积金 as written; and 公积 … 积金 apart, which has the bigrams but not the word.
	reg("fund", tickets.RegisterInput{Category: "social-insurance", Description: "咨询公积金提取", CallerPhone: "13700001234", Channel: "web"})
	reg("apart", tickets.RegisterInput{Category: "social-insurance", Description: "公积分和积金都不对", CallerPhone: "13600009999"})
	c.Dispatch(t, nos["wage"], "hrss")
	h := c.Account(t, "handler-hrss")
	if _, err := c.Tickets.Accept(ctx, h, nos["wage"], tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	road := reg("road", tickets.RegisterInput{Category: "road-damage", Description: "路面塌陷", Title: "人行道破损", Address: "朝阳区建国路", CallerPhone: "13500004321"})
	c.Clock.Advance(48 * time.Hour)
	reg("late", tickets.RegisterInput{Category: "garbage", Description: "垃圾无人清运", CallerPhone: "13400001234"})
	c.Resolve(t, road.Number, "urban", "已修复坑槽")
	c.Dispatch(t, nos["late"], "urban")
	return c, nos
}

// TestSearchFindsChineseWordsAndFilters finds tickets by two-character Chinese words, by words
// of three characters only as written, by the last four digits of the phone, and by each
// filter, category subtrees included.
func TestSearchFindsChineseWordsAndFilters(t *testing.T) {
	t.Parallel()
	c, nos := searchCity(t)
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	h := c.Account(t, "handler-hrss")
	day := func(d int) time.Time { return c.Clock.Now().AddDate(0, 0, d) }
	for _, tc := range []struct {
		name string
		f    tickets.Filter
		want []string
	}{
		{"two characters 噪音", tickets.Filter{Words: []string{"噪音"}}, []string{"noise"}},
		{"two characters 欠薪", tickets.Filter{Words: []string{"欠薪"}}, []string{"wage"}},
		{"three characters as written", tickets.Filter{Words: []string{"公积金"}}, []string{"fund"}},
		{"title", tickets.Filter{Words: []string{"破损"}}, []string{"road"}},
		{"address", tickets.Filter{Words: []string{"金融街"}}, []string{"wage"}},
		{"result", tickets.Filter{Words: []string{"坑槽"}}, []string{"road"}},
		{"two words", tickets.Filter{Words: []string{"夜间", "酒吧"}}, []string{"noise"}},
		{"a word not there", tickets.Filter{Words: []string{"噪音", "欠薪"}}, nil},
		{"phone suffix", tickets.Filter{Phone: "1234"}, []string{"noise", "fund", "late"}},
		{"full phone", tickets.Filter{Phone: "13900005678"}, []string{"wage"}},
		{"category subtree", tickets.Filter{CategoryID: categoryID(t, c, "labour-social-security")}, []string{"wage", "fund", "apart"}},
		{"category leaf", tickets.Filter{CategoryID: categoryID(t, c, "noise")}, []string{"noise"}},
		{"type", tickets.Filter{Type: "consultation"}, []string{"fund", "apart"}},
		{"channel", tickets.Filter{Channel: "web"}, []string{"fund"}},
		{"status", tickets.Filter{Statuses: []tickets.Status{tickets.StatusResolved}}, []string{"road"}},
		{"department", tickets.Filter{DepartmentID: c.DepartmentID("urban")}, []string{"road", "late"}},
		{"registered from", tickets.Filter{From: day(-1)}, []string{"late"}},
		{"registered before", tickets.Filter{To: day(-1)}, []string{"noise", "wage", "fund", "apart", "road"}},
		{"handler", tickets.Filter{HandlerID: h.ID}, []string{"wage"}},
		{"combined", tickets.Filter{Phone: "1234", Words: []string{"公积金"}, Type: "consultation"}, []string{"fund"}},
	} {
		// Serial: the clock moves after them.
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.OrderBy = "number"
			p, err := c.Tickets.ListPage(ctx, sup, f)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, n := range tc.want {
				want = append(want, nos[n])
			}
			slices.Sort(want)
			for _, tk := range p.Tickets {
				got = append(got, tk.Number)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tickets (-want +got):\n%s", diff)
			}
			if p.Total != len(want) {
				t.Errorf("total %d, want %d", p.Total, len(want))
			}
		})
	}
	// The clock states: the hrss ticket past its deadline, the garbage ticket's near.
	clockList := func(state string) []string {
		t.Helper()
		ts, err := c.Tickets.List(ctx, sup, tickets.Filter{Clock: state})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range ts {
			out = append(out, tk.Number)
		}
		return out
	}
	due := func(name string) time.Time {
		tk, err := c.Tickets.Get(ctx, nos[name])
		if err != nil {
			t.Fatal(err)
		}
		return *tk.ResolveDue
	}
	if wage, late := due("wage"), due("late"); !wage.Before(late.Add(-time.Hour)) {
		t.Fatalf("deadlines %s and %s too close to tell the clock states apart", wage, late)
	}
	c.Clock.Set(due("late").Add(-time.Hour))
	if got := clockList(tickets.ClockDueSoon); !slices.Equal(got, []string{nos["late"]}) {
		t.Errorf("due soon: %v, want %s", got, nos["late"])
	}
	if got := clockList(tickets.ClockOverdue); !slices.Equal(got, []string{nos["wage"]}) {
		t.Errorf("overdue: %v, want %s", got, nos["wage"])
	}
	for _, bad := range []tickets.Filter{{Words: []string{"，。"}}, {Clock: "later"}, {OrderBy: "number", After: "x y"}, {OrderBy: "created", After: "inf_3"}} {
		if _, err := c.Tickets.ListPage(ctx, sup, bad); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
}

func categoryID(t *testing.T, c *demotest.City, code string) int64 {
	t.Helper()
	cat, err := c.Org.Category(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return cat.ID
}

// TestSearchSortsAndPagesEachOrder pages two tickets at a time through each sortable order,
// both ways, and finds every ticket once in the order of the whole list.
func TestSearchSortsAndPagesEachOrder(t *testing.T) {
	t.Parallel()
	c, _ := searchCity(t)
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	key := map[string]func(a, b tickets.Ticket) int{
		"number": func(a, b tickets.Ticket) int { return cmpStr(a.Number, b.Number) },
		"created": func(a, b tickets.Ticket) int {
			if n := a.CreatedAt.Compare(b.CreatedAt); n != 0 {
				return n
			}
			return int(a.ID - b.ID)
		},
		"due": func(a, b tickets.Ticket) int {
			inf := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			ad, bd := inf, inf
			if a.ResolveDue != nil {
				ad = *a.ResolveDue
			}
			if b.ResolveDue != nil {
				bd = *b.ResolveDue
			}
			if n := ad.Compare(bd); n != 0 {
				return n
			}
			return int(a.ID - b.ID)
		},
	}
	for order, less := range key {
		for _, desc := range []bool{false, true} {
			t.Run(order+map[bool]string{true: " desc", false: " asc"}[desc], func(t *testing.T) {
				t.Parallel()
				all, err := c.Tickets.List(ctx, sup, tickets.Filter{Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				slices.SortFunc(all, less)
				if desc {
					slices.Reverse(all)
				}
				var want, got []string
				for _, tk := range all {
					want = append(want, tk.Number)
				}
				for _, p := range pageThrough(t, c.Tickets, sup, tickets.Filter{OrderBy: order, Desc: desc, Limit: 2}) {
					got = append(got, numbers(p.Tickets)...)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("pages (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestSearchCommonWordsPagesInOrder pages through a word found in more tickets than the count
// goes to (the list then walks its order's index rather than sorting every match) and gets
// the same pages as for a rarer word: in order, each ticket once, the total a lower bound.
func TestSearchCommonWordsPagesInOrder(t *testing.T) {
	t.Parallel()
	c := demotest.New(t)
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	if _, err := c.DB.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, profile_code, created_at, updated_at)
SELECT 'X' || lpad(g::text, 6, '0'), 'complaint', 'phone', 'registered',
       CASE WHEN g % 3 = 0 THEN '公积金提取' ELSE '夜间噪音' END || g, 'standard', ?, ?
FROM generate_series(1, ?) AS g`, c.Clock.Now(), c.Clock.Now(), 3*(tickets.CountCap+1)); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"", "number"} {
		f := tickets.Filter{Words: []string{"公积金"}, OrderBy: order, Desc: order != "", Limit: 1000}
		var got []string
		for page := 0; page < 3; page++ {
			p, err := c.Tickets.ListPage(ctx, sup, f)
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != tickets.CountCap || !p.TotalAtLeast {
				t.Errorf("order %q: total %d (at least %v), want more than %d", order, p.Total, p.TotalAtLeast, tickets.CountCap)
			}
			for _, tk := range p.Tickets {
				got = append(got, tk.Number)
			}
			f.After = p.Next
		}
		var want []string
		for g := 3 * (tickets.CountCap + 1); len(want) < 3000; g-- {
			if g%3 == 0 {
				want = append(want, fmt.Sprintf("X%06d", g))
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("order %q: pages (-want +got):\n%s", order, diff)
		}
	}
}

// A word search paged two at a time in each order, both ways, returns exactly the tickets the
// unpaged search finds, in the order's sequence, and every page says how many match, those
// before its cursor included.
func TestWordSearchPagesEachOrder(t *testing.T) {
	t.Parallel()
	c := demotest.New(t, demotest.Staff("handler-hrss"))
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	for i := range 7 {
		c.Clock.Advance(time.Duration(7-i) * time.Minute)
		tk := c.Register(t, tickets.RegisterInput{Category: "noise", Description: fmt.Sprintf("第%d次反映夜间噪音扰民", i), CallerPhone: "13800001234"})
		if i%2 == 0 {
			c.Dispatch(t, tk.Number, "environment")
		}
	}
	c.Register(t, tickets.RegisterInput{Category: "garbage", Description: "垃圾无人清运", CallerPhone: "13400001234"})
	words := []string{"噪音"}
	for _, order := range []string{"", "number", "created", "due"} {
		for _, desc := range []bool{false, true} {
			all, err := c.Tickets.List(ctx, sup, tickets.Filter{Words: words, OrderBy: order, Desc: desc, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 7 {
				t.Fatalf("order %q: %d tickets found, want 7", order, len(all))
			}
			var want, got []string
			for _, tk := range all {
				want = append(want, tk.Number)
			}
			for i, p := range pageThrough(t, c.Tickets, sup, tickets.Filter{Words: words, OrderBy: order, Desc: desc, Limit: 2}) {
				if p.Total != 7 || p.TotalAtLeast {
					t.Fatalf("order %q desc %v page %d: total %d (at least: %v), want 7", order, desc, i, p.Total, p.TotalAtLeast)
				}
				for _, tk := range p.Tickets {
					if tk.Department == nil && tk.DepartmentID != nil || tk.Category == nil {
						t.Fatalf("ticket %s without its department or category", tk.Number)
					}
					got = append(got, tk.Number)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("order %q desc %v: pages %v, want %v", order, desc, got, want)
			}
		}
	}
}
