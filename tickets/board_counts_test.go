package tickets_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// plainCounts counts the board over the tickets themselves, as the board did before it kept
// counters: the yardstick the counters must match exactly.
func plainCounts(t *testing.T, c *demotest.City) map[string]tickets.DepartmentCount {
	t.Helper()
	now := c.Clock.Now()
	y, m, d := now.In(c.Location).Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, c.Location)
	var rows []tickets.DepartmentCount
	err := c.DB.NewRaw(`
SELECT d.code,
    count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted')) AS open,
    count(*) FILTER (WHERE t.status = 'dispatched') AS waiting_accept,
    count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.resolve_due < ?0) AS overdue,
    count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.resolve_due >= ?0 AND t.resolve_due < ?1) AS due_soon,
    count(*) FILTER (WHERE t.status IN ('dispatched', 'accepted') AND t.feedback_at IS NULL AND t.feedback_due < ?0) AS feedback_overdue,
    count(*) FILTER (WHERE t.status = 'returned') AS returned,
    count(*) FILTER (WHERE t.resolved_at >= ?2 AND t.status IN ('resolved', 'closed')) AS resolved_today
FROM tickets AS t JOIN departments AS d ON d.id = t.department_id
WHERE t.master_id IS NULL GROUP BY d.code`, now, now.Add(tickets.SoonWindow), dayStart).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	return countsByCode(rows)
}

// countsByCode keys rows by department, leaving out the rows with nothing to show.
func countsByCode(rows []tickets.DepartmentCount) map[string]tickets.DepartmentCount {
	out := map[string]tickets.DepartmentCount{}
	for _, r := range rows {
		r.NameZh, r.NameEn = "", ""
		if r != (tickets.DepartmentCount{Code: r.Code}) {
			out[r.Code] = r
		}
	}
	return out
}

// TestBoardCountsStayExactUnderConcurrentChanges moves tickets through every path from many
// goroutines at once (register, dispatch, accept, feedback, return, redispatch, resolve, close,
// reopen, merge, unmerge), then compares the board's kept counts with a plain count over the
// tickets, at instants on either side of every deadline and day boundary.
func TestBoardCountsStayExactUnderConcurrentChanges(t *testing.T) {
	t.Parallel()
	c := demotest.New(t)
	ctx := context.Background()
	sup := c.Actor("sup", org.RoleSupervisor, "centre")
	depts := []string{"hrss", "market", "urban", "housing", "environment"}
	const workers, per = 12, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- churn(ctx, c, sup, w, per, depts)
		}()
	}
	// The board is read, and its counters compacted, while the tickets change.
	stop := make(chan struct{})
	read := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				read <- nil
				return
			default:
			}
			if _, err := c.Tickets.DepartmentCounts(ctx, sup); err != nil {
				read <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-read; err != nil {
		t.Fatal(err)
	}

	// Every deadline, a minute either side, and the next midnight either side.
	var dues []time.Time
	if err := c.DB.NewRaw(`SELECT DISTINCT x FROM (SELECT resolve_due AS x FROM tickets UNION SELECT feedback_due FROM tickets
		UNION SELECT resolved_at FROM tickets) AS u WHERE x IS NOT NULL`).Scan(ctx, &dues); err != nil {
		t.Fatal(err)
	}
	start := c.Clock.Now()
	y, m, d := start.In(c.Location).Date()
	midnight := time.Date(y, m, d+1, 0, 0, 0, 0, c.Location)
	instants := []time.Time{start, midnight.Add(-time.Minute), midnight.Add(time.Minute)}
	for _, due := range dues {
		instants = append(instants, due.Add(-time.Minute), due, due.Add(time.Minute), due.Add(-tickets.SoonWindow))
	}
	sort.Slice(instants, func(i, j int) bool { return instants[i].Before(instants[j]) })
	compared := 0
	for _, at := range instants {
		c.Clock.Set(at)
		got, err := c.Tickets.DepartmentCounts(ctx, sup)
		if err != nil {
			t.Fatal(err)
		}
		want := plainCounts(t, c)
		if diff := cmp.Diff(want, countsByCode(got)); diff != "" {
			t.Fatalf("board counts at %s differ from a plain count (-plain +board):\n%s", at.In(c.Location), diff)
		}
		compared++
	}
	if compared < 10 {
		t.Fatalf("compared at %d instants only", compared)
	}
	// The hours gone for good are folded: the counters hold no time bucket from before
	// yesterday but the one sum per department and kind.
	y, m, d = c.Clock.Now().In(c.Location).Date()
	var unfolded, folded int
	if err := c.DB.NewRaw(`SELECT count(*) FILTER (WHERE bucket > '-infinity' AND bucket < ?),
		count(*) FILTER (WHERE bucket = '-infinity') FROM ticket_counts`, time.Date(y, m, d-1, 0, 0, 0, 0, c.Location)).Scan(ctx, &unfolded, &folded); err != nil {
		t.Fatal(err)
	}
	if unfolded != 0 || folded == 0 {
		t.Errorf("%d counter rows before yesterday not folded, %d folded", unfolded, folded)
	}
	// A department's staff see their own row, the same numbers.
	own, err := c.Tickets.DepartmentCounts(ctx, c.Handler("hrss"))
	if err != nil {
		t.Fatal(err)
	}
	if want := plainCounts(t, c)["hrss"]; len(own) != 1 || cmp.Diff(want, countsByCode(own)["hrss"]) != "" {
		t.Errorf("hrss's own counts %+v, want %+v", own, want)
	}
}

// churn registers per tickets as worker w and takes each down a different path, merging every
// fifth into the worker's first ticket and unmerging some of them again.
func churn(ctx context.Context, c *demotest.City, sup tickets.Actor, w, per int, depts []string) error {
	var master string
	for i := range per {
		dept := depts[(w+i)%len(depts)]
		h := c.Handler(dept)
		tk, err := c.Tickets.Register(ctx, c.Agent, tickets.RegisterInput{Channel: "phone", Category: "noise",
			Description: fmt.Sprintf("工地夜间施工噪声 %d-%d", w, i), Address: "东城区安定门大街1号", CallerPhone: "13800138000"})
		if err != nil {
			return err
		}
		no := tk.Number
		steps := []func() error{
			func() error {
				_, err := c.Tickets.Dispatch(ctx, c.Agent, no, tickets.DispatchInput{Department: dept})
				return err
			},
		}
		add := func(fs ...func() error) { steps = append(steps, fs...) }
		accept := func() error { _, err := c.Tickets.Accept(ctx, h, no, tickets.ActInput{}); return err }
		feedback := func() error {
			_, err := c.Tickets.Feedback(ctx, h, no, tickets.ActInput{Text: "已联系"})
			return err
		}
		resolve := func() error { _, err := c.Tickets.Resolve(ctx, h, no, tickets.ActInput{Text: "已处理"}); return err }
		switch i % 6 {
		case 0: // stays dispatched, waiting to be accepted
		case 1:
			add(accept, feedback)
		case 2:
			add(accept, func() error {
				_, err := c.Tickets.Return(ctx, h, no, tickets.ActInput{Text: "不属本部门"})
				return err
			})
			if w%2 == 0 {
				other := depts[(w+i+1)%len(depts)]
				add(func() error {
					_, err := c.Tickets.Dispatch(ctx, c.Agent, no, tickets.DispatchInput{Department: other})
					return err
				})
			}
		case 3:
			add(accept, feedback, resolve)
			if w%3 == 0 {
				add(func() error { _, err := c.Tickets.Close(ctx, sup, no, tickets.ActInput{}); return err })
			}
		case 4:
			add(accept, resolve, func() error {
				_, err := c.Tickets.Reopen(ctx, sup, no, tickets.ActInput{Text: "市民不满意"})
				return err
			})
		case 5:
			if master != "" {
				add(func() error { _, err := c.Tickets.Merge(ctx, c.Agent, no, master, "同一件事"); return err })
				if w%2 == 1 {
					add(func() error { _, err := c.Tickets.Unmerge(ctx, sup, no, "不是同一件事"); return err })
				}
			}
		}
		if i == 0 {
			master = no
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("worker %d ticket %d: %w", w, i, err)
			}
		}
	}
	return nil
}
