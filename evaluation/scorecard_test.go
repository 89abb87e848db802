package evaluation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// A month worked out by hand. hrss has two tickets: the first signed for, contacted and
// resolved in time, its citizen reached (contacted, solved, satisfied); the second signed for
// and contacted late, resolved in time, its citizen first not reached, then reached (not
// contacted, partly solved, basically satisfied). market has one ticket, signed for in time,
// its feedback and resolution not yet due, no visit. A ticket merged into hrss's first and
// one registered in December count nowhere.
//
//	hrss:   accept 1/2, feedback 1/2, resolve 2/2; response 1/2, resolution 1/2,
//	        satisfaction (1 + 0.9×1)/2 = 0.95; score 100×(0.1×0.5 + 0.5×0.5 + 0.4×0.95) = 68
//	market: accept 1/1, feedback —, resolve —, no visits: no score, ranked after
func TestScorecardOfAMonthWorkedOutByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A zone by its name: the database reads the engine's zone by name, and "CST" is Chicago's there.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	registered := time.Date(2026, 11, 16, 10, 0, 0, 0, shanghai)
	c := demotest.New(t, demotest.At(registered))
	hrss := c.Actor("handler-hrss", org.RoleHandler, "hrss")
	market := c.Actor("handler-market", org.RoleHandler, "market")
	register := func(dept string) *tickets.Ticket {
		tk := c.Register(t, tickets.RegisterInput{CallerPhone: "13800138000", Description: "投诉", Category: "wage-arrears"})
		return c.Dispatch(t, tk.Number, dept)
	}
	work := func(a tickets.Actor, number string, resolve bool) {
		for _, step := range []func() error{
			func() error { _, err := c.Tickets.Accept(ctx, a, number, tickets.ActInput{}); return err },
			func() error {
				_, err := c.Tickets.Feedback(ctx, a, number, tickets.ActInput{Text: "已联系"})
				return err
			},
			func() error {
				if !resolve {
					return nil
				}
				_, err := c.Tickets.Resolve(ctx, a, number, tickets.ActInput{Text: "已处理"})
				return err
			},
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	t1, t2, t3, dup := register("hrss"), register("hrss"), register("market"), register("hrss")
	work(hrss, t1.Number, true)
	work(hrss, t2.Number, true)
	work(market, t3.Number, false)
	if _, err := c.Tickets.Merge(ctx, c.Agent, dup.Number, t1.Number, "同一诉求"); err != nil {
		t.Fatal(err)
	}
	// The deadlines and when each was met, set by hand.
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, registered.Location()) }
	set := func(tk *tickets.Ticket, acceptDue, accepted, feedbackDue, feedback, resolveDue time.Time) {
		if _, err := c.DB.ExecContext(ctx, `UPDATE tickets SET accept_due = ?, accepted_at = ?, feedback_due = ?, feedback_at = ?,
			resolve_due = ? WHERE id = ?`, acceptDue, accepted, feedbackDue, feedback, resolveDue, tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	set(t1, at(16, 12), at(16, 11), at(17, 10), at(16, 15), at(30, 17))
	set(t2, at(16, 12), at(16, 14), at(17, 10), at(17, 11), at(30, 17))
	set(t3, at(16, 12), at(16, 11), at(29, 10), time.Time{}, at(30, 17))
	if _, err := c.DB.ExecContext(ctx, "UPDATE tickets SET feedback_at = NULL WHERE id = ?", t3.ID); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	visit := func(number string, in tickets.VisitInput) {
		if _, _, err := c.Tickets.RecordVisit(ctx, c.Agent, number, in); err != nil {
			t.Fatal(err)
		}
	}
	visit(t1.Number, tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &yes, Solved: "solved", Satisfaction: "satisfied"})
	visit(t2.Number, tickets.VisitInput{Channel: "phone", Outcome: "no_answer"})
	visit(t2.Number, tickets.VisitInput{Channel: "sms", Outcome: "reached", Contacted: &no, Solved: "partly", Satisfaction: "basically"})
	c.Clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, registered.Location()))
	register("hrss") // December's

	eng := evaluation.NewEngine(c.DB, c.Location, clock.NewFixed(at(20, 9)))
	sc := scorecard(t, eng, "2026-11")
	if len(sc.Departments) != 2 {
		t.Fatalf("departments: %+v", sc.Departments)
	}
	h, m := sc.Departments[0], sc.Departments[1]
	want := func(d evaluation.Department, code string, expect float64, ok bool) {
		t.Helper()
		if got := d.Indicators[code]; (got != nil) != ok || (ok && *got != expect) {
			t.Errorf("%s %s = %v, want %v (defined %v)", d.Code, code, deref(got), expect, ok)
		}
	}
	if h.Code != "hrss" || h.Rank != 1 || h.Tickets != 2 || h.Visits != 2 || h.Score == nil || *h.Score != 68 {
		t.Fatalf("hrss: %+v score %v", h, deref(h.Score))
	}
	want(h, evaluation.OnTimeAcceptRate, 0.5, true)
	want(h, evaluation.OnTimeFeedbackRate, 0.5, true)
	want(h, evaluation.OnTimeResolveRate, 1, true)
	want(h, evaluation.ResponseRate, 0.5, true)
	want(h, evaluation.ResolutionRate, 0.5, true)
	want(h, evaluation.SatisfactionRate, 0.95, true)
	if m.Code != "market" || m.Rank != 2 || m.Score != nil || m.Visits != 0 {
		t.Fatalf("market: %+v", m)
	}
	want(m, evaluation.OnTimeAcceptRate, 1, true)
	want(m, evaluation.OnTimeFeedbackRate, 0, false)
	want(m, evaluation.OnTimeResolveRate, 0, false)
	want(m, evaluation.SatisfactionRate, 0, false)

	for _, bad := range []string{"2026-13", "26-11", "2026-11-01", "", "2027-01"} {
		if _, err := evaluation.ParsePeriod(bad, c.Location, at(20, 9)); !errors.Is(err, evaluation.ErrPeriod) {
			t.Errorf("period %q: %v", bad, err)
		}
	}
}

// scorecard computes period with the profile in force.
func scorecard(t *testing.T, eng *evaluation.Engine, period string) *evaluation.Scorecard {
	t.Helper()
	ctx := context.Background()
	p, err := eng.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := evaluation.ParsePeriod(period, eng.Location(), eng.Now())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := eng.Compute(ctx, p, w)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// The unrated rule: hrss resolves two tickets; one citizen answers (contacted, partly solved,
// basically satisfied), the other never does. Left out (not_rated), the month counts one valid
// visit: response 1, resolution 0, satisfaction 0.9. Counted as satisfied after 7 days, the
// silent citizen is a second valid visit once the 7 days have passed and not before: response
// 2/2, resolution 1/2, satisfaction (0.9 + 1)/2 = 0.95. The scorecard names the rule it used.
func TestUnratedRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A zone by its name: the database reads the engine's zone by name, and "CST" is Chicago's there.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	registered := time.Date(2026, 11, 16, 10, 0, 0, 0, shanghai)
	c := demotest.New(t, demotest.At(registered))
	hrss := c.Actor("handler-hrss", org.RoleHandler, "hrss")
	resolved := func() *tickets.Ticket {
		tk := c.Dispatch(t, c.Register(t, tickets.RegisterInput{CallerPhone: "13800138000", Description: "投诉", Category: "wage-arrears"}).Number, "hrss")
		if _, err := c.Tickets.Accept(ctx, hrss, tk.Number, tickets.ActInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Tickets.Resolve(ctx, hrss, tk.Number, tickets.ActInput{Text: "已处理"}); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	answered := resolved()
	resolved() // its citizen never answers
	yes := true
	if _, _, err := c.Tickets.RecordVisit(ctx, c.Agent, answered.Number, tickets.VisitInput{Channel: "phone", Outcome: "reached",
		Contacted: &yes, Solved: "partly", Satisfaction: "basically"}); err != nil {
		t.Fatal(err)
	}
	check := func(now time.Time, rule string, visits int, response, resolution, satisfaction float64) {
		t.Helper()
		sc := scorecard(t, evaluation.NewEngine(c.DB, registered.Location(), clock.NewFixed(now)), "2026-11")
		var d evaluation.Department
		for _, x := range sc.Departments {
			if x.Code == "hrss" {
				d = x
			}
		}
		if sc.UnratedRule != rule || sc.UnratedDays != 7 || d.Code != "hrss" || d.Visits != visits || d.Indicators[evaluation.ResponseRate] == nil ||
			*d.Indicators[evaluation.ResponseRate] != response || *d.Indicators[evaluation.ResolutionRate] != resolution ||
			*d.Indicators[evaluation.SatisfactionRate] != satisfaction {
			t.Errorf("at %s under %s: rule %s/%d, %d visits, %v %v %v; want %d visits, %v %v %v", now, rule, sc.UnratedRule, sc.UnratedDays, d.Visits,
				deref(d.Indicators[evaluation.ResponseRate]), deref(d.Indicators[evaluation.ResolutionRate]), deref(d.Indicators[evaluation.SatisfactionRate]),
				visits, response, resolution, satisfaction)
		}
	}
	later := registered.AddDate(0, 0, 8)
	check(later, "not_rated", 1, 1, 0, 0.9)
	l := tickets.DefaultLoopSettings
	l.UnratedRule = tickets.UnratedSatisfied
	if _, err := c.Tickets.SetLoopSettings(ctx, tickets.Actor{Name: "admin", Role: org.RoleAdmin}, l); err != nil {
		t.Fatal(err)
	}
	check(registered.AddDate(0, 0, 3), "satisfied", 1, 1, 0, 0.9)
	check(later, "satisfied", 2, 1, 0.5, 0.95)
}
