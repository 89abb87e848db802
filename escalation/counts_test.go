package escalation_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// The board's escalation matrix comes from counters the clocks' writes keep. Tickets of three
// departments are imported with deadlines spread over a day; sweeps at rising times (two at
// once) escalate them level by level while handlers accept, resolve and reopen tickets
// between them, and after every round the counters, city-wide and for a department, equal a
// plain count of the escalated clocks joined to the actions that took them there — the list
// the board shows.
func TestEscalationCountsFollowTheClocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{Batch: 100, Workers: 2})
	ctx := context.Background()
	start := at("2026-11-23 09:00")
	_, err := f.db.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accepted_at, feedback_at,
                     accept_due, feedback_due, resolve_due)
SELECT 'C' || lpad(g::text, 6, '0'), 'complaint', 'phone', 'accepted', 'imported',
       (SELECT id FROM departments WHERE code = (ARRAY['hrss', 'market', 'dongcheng-andingmen'])[1 + g % 3]),
       'standard', t0, t0, t0, t0, t0, t0 + interval '2 hours', t0 + interval '24 hours',
       ?::timestamptz + (g % 48) * interval '30 minutes'
FROM generate_series(1, 600) AS g, (SELECT ?::timestamptz - interval '1 day' AS t0) AS t`, start, start)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.esc.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	var numbers []string
	if err := f.db.NewSelect().Table("tickets").Column("number").Where("number LIKE 'C%'").Order("number").Scan(ctx, &numbers); err != nil {
		t.Fatal(err)
	}
	sup, hrss := f.actor("supervisor"), f.actor("head-hrss")
	hrssID := f.staff["head-hrss"].DepartmentID
	handlers := map[int64]tickets.Actor{}
	for _, h := range []string{"handler-hrss", "handler-market", "handler-dongcheng-andingmen"} {
		handlers[f.staff[h].DepartmentID] = f.actor(h)
	}
	for round := range 8 {
		when := start.Add(time.Duration(round) * 4 * time.Hour)
		f.clk.Set(when)
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.esc.Sweep(ctx, when, nil)
				errs <- err
			}()
		}
		// Meanwhile handlers finish some tickets and the centre reopens others.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := round; i < len(numbers); i += 37 {
				no := numbers[i]
				tk, err := f.tk.Get(ctx, no)
				if err != nil {
					errs <- err
					return
				}
				switch tk.Status {
				case tickets.StatusAccepted:
					_, err = f.tk.Resolve(ctx, handlers[*tk.DepartmentID], no, tickets.ActInput{Text: "已处理"})
				case tickets.StatusResolved:
					_, err = f.tk.Reopen(ctx, sup, no, tickets.ActInput{Text: "市民不满意"})
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", no, err)
					return
				}
			}
			errs <- nil
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// The changed tickets' clocks are replanned by the next sweep; plan them now too.
		if _, err := f.esc.Plan(ctx); err != nil {
			t.Fatal(err)
		}
		for _, who := range []struct {
			actor tickets.Actor
			dept  int64
		}{{sup, 0}, {hrss, hrssID}} {
			got, err := f.esc.EscalationCounts(ctx, who.actor)
			if err != nil {
				t.Fatal(err)
			}
			want := f.plainEscalationCounts(t, who.dept)
			if g, w := countsText(got), countsText(want); g != w {
				t.Fatalf("round %d (%s), %s: counters\n%s\nplain count\n%s", round, when.Format("01-02 15:04"), who.actor.Role, g, w)
			}
			if round == 7 && len(want) == 0 {
				t.Fatalf("nothing escalated after a day: the test proves nothing")
			}
		}
	}
}

// plainEscalationCounts counts the escalated clocks as the board's list reads them.
func (f *fixture) plainEscalationCounts(t *testing.T, dept int64) []escalation.EscalationCount {
	t.Helper()
	var out []escalation.EscalationCount
	err := f.db.NewRaw(`
SELECT c.department_id, c.stage AS level, count(*) AS n
FROM escalation_clocks AS c
JOIN escalation_actions AS a ON a.ticket_id = c.ticket_id AND a.clock = c.clock AND a.notice_id = c.notice_id
                            AND a.due = c.due AND a.level = c.stage
WHERE c.stage >= 1 AND (?0 = 0 OR c.department_id = ?0)
GROUP BY 1, 2`, dept).Scan(context.Background(), &out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countsText(cs []escalation.EscalationCount) string {
	var lines []string
	for _, c := range cs {
		d := int64(0)
		if c.DepartmentID != nil {
			d = *c.DepartmentID
		}
		lines = append(lines, fmt.Sprintf("  dept %d level %d: %d", d, c.Level, c.Count))
	}
	sort.Strings(lines)
	return fmt.Sprint(lines)
}
