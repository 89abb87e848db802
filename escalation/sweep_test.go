package escalation_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// TestDeadlinesOnTheCalendar dispatches tickets at chosen moments around weekends, statutory
// holidays and adjusted working days (调休) and checks each clock's deadline and warning time.
func TestDeadlinesOnTheCalendar(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	type clockWant struct{ due, warn string }
	for _, tc := range []struct {
		name   string
		at     string
		accept clockWant
		feed   clockWant
		solve  clockWant
	}{
		{"ordinary Monday", "2026-11-16 10:00",
			clockWant{"2026-11-16 12:00", "2026-11-16 11:30"},
			clockWant{"2026-11-17 10:00", "2026-11-17 04:00"},
			clockWant{"2026-11-25 17:00", "2026-11-24 09:15"}},
		{"Friday afternoon, over the weekend", "2026-11-20 16:00",
			clockWant{"2026-11-23 10:00", "2026-11-23 09:30"},
			clockWant{"2026-11-21 16:00", "2026-11-21 10:00"},
			clockWant{"2026-12-01 17:00", "2026-11-30 10:45"}},
		{"eve of the National Day holiday", "2026-09-30 15:00",
			clockWant{"2026-09-30 17:00", "2026-09-30 16:30"},
			clockWant{"2026-10-01 15:00", "2026-10-01 09:00"},
			clockWant{"2026-10-15 17:00", "2026-10-14 10:30"}},
		{"Saturday before an adjusted working Sunday", "2025-09-27 10:00",
			clockWant{"2025-09-28 11:00", "2025-09-28 10:30"},
			clockWant{"2025-09-28 10:00", "2025-09-28 04:00"},
			clockWant{"2025-10-13 17:00", "2025-10-11 11:00"}},
		{"after hours on a holiday", "2026-10-03 20:00",
			clockWant{"2026-10-08 11:00", "2026-10-08 10:30"},
			clockWant{"2026-10-04 20:00", "2026-10-04 14:00"},
			clockWant{"2026-10-15 17:00", "2026-10-14 11:00"}},
	} {
		// Serial: the cases share the fixture's clock, which each sets to its own time.
		t.Run(tc.name, func(t *testing.T) {
			tk := f.dispatch(t, at(tc.at), "hrss")
			if _, err := f.esc.Plan(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[string]clockWant{}
			rows, err := f.db.QueryContext(ctx, "SELECT clock, due, next_at FROM escalation_clocks WHERE ticket_id = ?", tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var c string
				var due, next time.Time
				if err := rows.Scan(&c, &due, &next); err != nil {
					t.Fatal(err)
				}
				got[c] = clockWant{due.In(shanghai).Format("2006-01-02 15:04"), next.In(shanghai).Format("2006-01-02 15:04")}
			}
			want := map[string]clockWant{"accept": tc.accept, "feedback": tc.feed, "resolve": tc.solve}
			if d := cmp.Diff(want, got, cmp.AllowUnexported(clockWant{})); d != "" {
				t.Fatalf("clocks (-want +got):\n%s", d)
			}
		})
	}
}

// TestSweepWarnsAndEscalatesOnce walks one ticket through its clocks with sweeps at chosen
// times, each repeated to show a second sweep at the same time does nothing.
func TestSweepWarnsAndEscalatesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	no := tk.Number
	for _, s := range []struct {
		at   string
		do   func()
		want []step
	}{
		{at: "2026-11-16 11:00"},
		{at: "2026-11-16 11:30", want: []step{{no, "accept", "warned", 0}}},
		{at: "2026-11-16 12:00", want: []step{{no, "accept", "escalated", 1}}},
		{at: "2026-11-17 04:00", want: []step{{no, "feedback", "warned", 0}}},
		{at: "2026-11-17 11:00", want: []step{{no, "feedback", "escalated", 1}}},
		{at: "2026-11-17 12:00", want: []step{{no, "accept", "escalated", 2}}},
		// Top level (the city leadership) reached: the acceptance clock is quiet from now on.
		{at: "2026-11-20 12:00", want: []step{{no, "feedback", "escalated", 2}}},
		{at: "2026-11-20 13:00", do: func() {
			if _, err := f.tk.Accept(ctx, f.actor("handler-hrss"), no, tickets.ActInput{}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.tk.Feedback(ctx, f.actor("handler-hrss"), no, tickets.ActInput{Text: "已电话联系"}); err != nil {
				t.Fatal(err)
			}
		}},
		{at: "2026-11-24 09:15", want: []step{{no, "resolve", "warned", 0}}},
		{at: "2026-11-25 17:00", want: []step{{no, "resolve", "escalated", 1}}},
		{at: "2026-11-26 17:00", do: func() {
			if _, err := f.tk.Resolve(ctx, f.actor("handler-hrss"), no, tickets.ActInput{Text: "已支付"}); err != nil {
				t.Fatal(err)
			}
		}},
		// The return visit is due at the end of the next working day, 11-27 17:00.
		{at: "2026-11-27 15:00", want: []step{{no, "callback", "warned", 0}}},
		{at: "2026-11-28 09:00", want: []step{{no, "callback", "escalated", 1}}},
	} {
		f.clk.Set(at(s.at))
		if s.do != nil {
			s.do()
		}
		got := f.sweep(t, at(s.at))
		if d := cmp.Diff(s.want, got); d != "" {
			t.Fatalf("sweep at %s (-want +got):\n%s", s.at, d)
		}
		if again := f.sweep(t, at(s.at)); len(again) != 0 {
			t.Fatalf("second sweep at %s: %v", s.at, again)
		}
	}
	if n := f.count(t, "SELECT count(*) FROM ticket_events WHERE ticket_id = ? AND kind = 'escalation'", tk.ID); n != 10 {
		t.Fatalf("%d escalation events, want 10", n)
	}
	// Each level's people: the warning to the handlers, level 1 to the head and the centre's
	// supervisors, level 2 to the city leadership.
	var who []string
	err := f.db.NewSelect().TableExpr("notifications AS n").ColumnExpr("a.clock || ':' || a.level || ':' || s.username").
		Join("JOIN escalation_actions AS a ON a.id = n.action_id").Join("JOIN staff AS s ON s.id = n.staff_id").
		Where("n.channel = 'inapp' AND a.clock = 'accept'").OrderExpr("a.level, s.username").Scan(ctx, &who)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accept:0:handler-hrss", "accept:1:head-hrss", "accept:1:supervisor", "accept:2:leader", "accept:2:supervisor"}
	if d := cmp.Diff(want, who); d != "" {
		t.Fatalf("recipients (-want +got):\n%s", d)
	}
}

// TestSweepCatchesUpAfterDowntime sweeps for the first time long after the deadlines: every
// escalation level is applied, the street office's head, then its district's, then the city's.
func TestSweepCatchesUpAfterDowntime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	tk := f.dispatch(t, at("2026-11-16 10:00"), "dongcheng-andingmen")
	no := tk.Number
	got := f.sweep(t, at("2026-11-19 12:30"))
	want := []step{
		{no, "accept", "escalated", 1}, {no, "accept", "escalated", 2}, {no, "accept", "escalated", 3},
		{no, "feedback", "escalated", 1}, {no, "feedback", "escalated", 2}, {no, "feedback", "escalated", 3},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("catch-up (-want +got):\n%s", d)
	}
	var who []string
	err := f.db.NewSelect().TableExpr("notifications AS n").ColumnExpr("a.level || ':' || s.username").
		Join("JOIN escalation_actions AS a ON a.id = n.action_id").Join("JOIN staff AS s ON s.id = n.staff_id").
		Where("n.channel = 'inapp' AND a.clock = 'accept'").OrderExpr("a.level, s.username").Scan(context.Background(), &who)
	if err != nil {
		t.Fatal(err)
	}
	wantWho := []string{"1:head-dongcheng-andingmen", "1:supervisor", "2:head-dongcheng", "2:supervisor", "3:leader", "3:supervisor"}
	if d := cmp.Diff(wantWho, who); d != "" {
		t.Fatalf("recipients (-want +got):\n%s", d)
	}
}

// TestRecomputedDeadlineWarnsAgain: a reopened ticket gets new deadlines, and each new deadline
// warns and escalates again; the old one's actions stay as they were.
func TestRecomputedDeadlineWarnsAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	no := tk.Number
	if got := f.sweep(t, at("2026-11-16 12:00")); len(got) != 1 || got[0].Level != 1 {
		t.Fatalf("first deadline: %v", got)
	}
	h := f.actor("handler-hrss")
	f.clk.Set(at("2026-11-16 13:00"))
	for _, do := range []func() error{
		func() error { _, err := f.tk.Accept(ctx, h, no, tickets.ActInput{}); return err },
		func() error { _, err := f.tk.Feedback(ctx, h, no, tickets.ActInput{Text: "已联系"}); return err },
		func() error { _, err := f.tk.Resolve(ctx, h, no, tickets.ActInput{Text: "已支付"}); return err },
		func() error {
			_, err := f.tk.Reopen(ctx, f.actor("supervisor"), no, tickets.ActInput{Text: "市民不满意"})
			return err
		},
	} {
		if err := do(); err != nil {
			t.Fatal(err)
		}
	}
	// Reopened at 13:00: acceptance due at 15:00 again, warned at 14:30.
	got := f.sweep(t, at("2026-11-16 14:30"))
	if d := cmp.Diff([]step{{no, "accept", "warned", 0}}, got); d != "" {
		t.Fatalf("after reopening (-want +got):\n%s", d)
	}
	if got := f.sweep(t, at("2026-11-16 15:00")); len(got) != 1 || got[0].Level != 1 {
		t.Fatalf("second deadline: %v", got)
	}
	if n := f.count(t, "SELECT count(*) FROM escalation_actions WHERE ticket_id = ? AND clock = 'accept' AND level = 1", tk.ID); n != 2 {
		t.Fatalf("%d level-1 acceptance actions, want 2 (one per deadline)", n)
	}
}

// TestConcurrentSweepsNeverDouble runs four sweeps at once over many due tickets: together they
// do every action exactly once.
func TestConcurrentSweepsNeverDouble(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{Batch: 25})
	ctx := context.Background()
	const n = 120
	for i := 0; i < n; i++ {
		f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	}
	when := at("2026-11-16 12:00")
	var mu sync.Mutex
	seen := map[step]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.esc.Sweep(ctx, when, func(a escalation.Action) {
				mu.Lock()
				seen[step{a.Ticket, a.Clock, a.Action, a.Level}]++
				mu.Unlock()
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct actions, want %d", len(seen), n)
	}
	for s, c := range seen {
		if c != 1 || s.Clock != "accept" || s.Level != 1 {
			t.Fatalf("action %v printed %d times", s, c)
		}
	}
	if got := f.count(t, "SELECT count(*) FROM escalation_actions"); got != n {
		t.Fatalf("%d actions stored, want %d", got, n)
	}
	if got := f.count(t, "SELECT count(*) FROM ticket_events WHERE kind = 'escalation'"); got != n {
		t.Fatalf("%d events, want %d", got, n)
	}
	// head-hrss and the supervisor, in-app and by e-mail if it were on: here in-app only.
	if got := f.count(t, "SELECT count(*) FROM notifications"); got != 2*n {
		t.Fatalf("%d notifications, want %d", got, 2*n)
	}
}

// TestBulkImportPlannedAndSweptInParallel loads more tickets than a batch straight into the
// table, as an import would, so that planning and sweeping each fan out to a second
// connection: every ticket gets its clock once and every due clock acts once.
func TestBulkImportPlannedAndSweptInParallel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{Batch: 500, Workers: 2})
	ctx := context.Background()
	const n, due = 4500, 1200
	when := at("2026-11-23 10:00")
	_, err := f.db.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accepted_at, feedback_at,
                     accept_due, feedback_due, resolve_due)
SELECT 'T' || lpad(g::text, 6, '0'), 'complaint', 'phone', 'accepted', 'imported',
       (SELECT id FROM departments WHERE code = 'hrss'), 'standard', t0, t0, t0, t0, t0,
       t0 + interval '2 hours', t0 + interval '24 hours',
       CASE WHEN g <= ? THEN ?::timestamptz - interval '1 hour' ELSE ?::timestamptz + interval '20 days' END
FROM generate_series(1, ?) AS g, (SELECT ?::timestamptz - interval '1 day' AS t0) AS t`, due, when, when, n, when)
	if err != nil {
		t.Fatal(err)
	}
	planned, err := f.esc.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if planned != n {
		t.Fatalf("planned %d tickets, want %d", planned, n)
	}
	if got := f.count(t, "SELECT count(*) FROM escalation_clocks WHERE clock = 'resolve' AND stage = -1 AND next_at IS NOT NULL"); got != n {
		t.Fatalf("%d resolution clocks, want %d", got, n)
	}
	if got := f.count(t, "SELECT count(*) FROM escalation_dirty"); got != 0 {
		t.Fatalf("%d changed tickets left unplanned", got)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	acted, err := f.esc.Sweep(ctx, when, func(a escalation.Action) {
		mu.Lock()
		seen[a.Ticket]++
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if acted != due || len(seen) != due {
		t.Fatalf("%d actions on %d tickets, want %d", acted, len(seen), due)
	}
	for no, c := range seen {
		if c != 1 {
			t.Fatalf("ticket %s acted on %d times", no, c)
		}
	}
	if got := f.count(t, "SELECT count(*) FROM ticket_events WHERE kind = 'escalation'"); got != due {
		t.Fatalf("%d events, want %d", got, due)
	}
	if got := f.count(t, "SELECT count(*) FROM notifications"); got != 2*due {
		t.Fatalf("%d notifications, want %d", got, 2*due)
	}
}

// dispatchTo is a router that sends every new ticket to one department, as a routing rule does.
type dispatchTo string

func (d dispatchTo) Route(_ context.Context, _ bun.Tx, ds []*tickets.Draft) ([]tickets.Routing, error) {
	out := make([]tickets.Routing, len(ds))
	for i := range out {
		out[i].Dispatch = &tickets.DispatchInput{Department: string(d)}
	}
	return out, nil
}

// TestDispatchedAtRegistrationIsSwept: a ticket a rule dispatches is written once, already
// dispatched; its deadlines are watched from that first write.
func TestDispatchedAtRegistrationIsSwept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	f.tk.Route(dispatchTo("hrss"))
	f.clk.Set(at("2026-11-16 10:00"))
	tk, err := f.tk.Register(context.Background(), f.agent, tickets.RegisterInput{Channel: "phone", Category: "wage-arrears",
		Description: "工地拖欠工资", CallerPhone: "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != tickets.StatusDispatched {
		t.Fatalf("status %s, want dispatched at registration", tk.Status)
	}
	if got := f.sweep(t, at("2026-11-16 11:00")); len(got) != 0 {
		t.Fatalf("sweep before the warning: %v", got)
	}
	want := []step{{tk.Number, "accept", "warned", 0}}
	if d := cmp.Diff(want, f.sweep(t, at("2026-11-16 11:30"))); d != "" {
		t.Fatalf("sweep at 11:30 (-want +got):\n%s", d)
	}
}
