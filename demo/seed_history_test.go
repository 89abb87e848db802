package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/clock"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/chain"
	"github.com/hotline-city/hotline/internal/testdb"
)

// The demo's history: three complete months of tickets through the whole loop — most visited
// and satisfied, some late, some never reached, some redone with a rectification — with every
// chain intact, scorecards with figures for each month, and a second seed changing nothing.
func TestSeedHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, loc)
	if err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := demo.SeedHistory(ctx, db, loc, now); err != nil {
		t.Fatal(err)
	}
	t.Logf("history seeded in %s", time.Since(start))
	var f struct {
		Tickets, Visited, Unreachable, Reopened, Late, Rectified, CoHandled, Valid int
	}
	if err := db.NewRaw(`SELECT
			(SELECT count(*) FROM tickets) AS tickets,
			(SELECT count(*) FROM tickets WHERE visited_at IS NOT NULL) AS visited,
			(SELECT count(DISTINCT ticket_id) FROM ticket_events WHERE kind = 'visit' AND jsonb_exists(data, 'unreachable')) AS unreachable,
			(SELECT count(*) FROM tickets WHERE reopen_count > 0) AS reopened,
			(SELECT count(*) FROM tickets WHERE resolved_at > resolve_due) AS late,
			(SELECT count(*) FROM rectifications WHERE status = 'accepted') AS rectified,
			(SELECT count(DISTINCT ticket_id) FROM ticket_co_departments) AS co_handled,
			(SELECT count(*) FROM return_visits WHERE valid) AS valid`).Scan(ctx, &f); err != nil {
		t.Fatal(err)
	}
	if f.Tickets != demo.HistoryMonths*demo.HistoryPerMonth || f.Visited < f.Tickets*3/4 || f.Unreachable == 0 || f.Reopened == 0 ||
		f.Late == 0 || f.Rectified == 0 || f.CoHandled == 0 || f.Valid < f.Tickets/2 {
		t.Fatalf("history: %+v", f)
	}
	t.Logf("history: %+v", f)
	var appeals []string
	if err := db.NewRaw("SELECT status FROM evaluation_appeals ORDER BY id").Scan(ctx, &appeals); err != nil || strings.Join(appeals, ",") != "approved,refused" {
		t.Fatalf("the history's appeals: %v %v", appeals, err)
	}
	if r, err := chain.Verify(ctx, db); err != nil || r.Broken != "" {
		t.Fatalf("chains after the history: %v %+v", err, r)
	}
	eng := evaluation.NewEngine(db, loc, clock.NewFixed(now))
	profile, err := eng.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, month := range []string{"2026-09", "2026-10", "2026-11"} {
		w, err := evaluation.ParsePeriod(month, loc, now)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := eng.Compute(ctx, profile, w)
		if err != nil {
			t.Fatal(err)
		}
		scored := 0
		for _, d := range sc.Departments {
			if d.Score != nil {
				scored++
			}
		}
		if scored < 5 {
			t.Errorf("%s: %d departments scored of %d", month, scored, len(sc.Departments))
		}
	}
	// The evaluation's own rows (its first profile, its aggregate) are written as it first
	// computes: the second seed is compared with what stood after that.
	first := contents(t, db)
	if err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedHistory(ctx, db, loc, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, contents(t, db)); diff != "" {
		t.Fatalf("a second seed changed the data (-first +second):\n%s", diff)
	}
}
