package evaluation_test

import (
	"context"
	"errors"
	"math"
	"slices"
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

// A month worked out by hand, with co-handling, an appeal, a reopened ticket, an unanswered
// visit, a return, a direct answer and calls. Evaluated on 20 November at 09:00.
//
// hrss leads t1, t2, t4, t5, t6; t5 leaves its figures by an approved appeal. Of the others:
//
//	t1: signed for, fed back, resolved in time; closed; visit contacted, solved, satisfied
//	t2: signed for and fed back late, resolved in time; a visit not answered, then one
//	    reached: not contacted, partly solved, basically satisfied
//	t4: in time; co-handled by market (who replied); resolved, visited dissatisfied (重办),
//	    resolved again and visited: contacted, solved, satisfied — the latest visit counts
//	t6: returned once by hrss and dispatched to it again; in time; its only visit unanswered
//
//	accept 3/4 = 0.75, feedback 3/4 = 0.75, resolve 4/4 = 1, close 1/4 = 0.25,
//	return 1/5 = 0.2 (t1, t2, t4, t6 and t6 again dispatched), redo 1/5 = 0.2 (resolutions:
//	t1, t2, t6 once, t4 twice), visits 3: response 2/3 = 0.6667, resolution 2/3 = 0.6667,
//	satisfaction (2 + 0.9)/3 = 0.9667; composite 0.1×0.6667 + 0.5×0.6667 + 0.4×0.9667 =
//	0.7867, score 78.67; 4 tickets, 1 excluded by appeal.
//
// market leads t3 (signed for in time, feedback and resolution not yet due) and replied on
// t4: accept 1/1, feedback —, resolve —, co-reply 1/1, no visit, no score.
// The centre: one consultation answered directly of 6 tickets counted (t5 left with its
// appeal) = 0.1667; 4 calls, 3 answered, 2 of them within 15 s: 0.75 and 0.5.
func TestEngineOnAMonthWorkedOutByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	registered := time.Date(2026, 11, 16, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, registered.Location()) }
	c := demotest.New(t, demotest.At(registered))
	hrss := c.Actor("handler-hrss", org.RoleHandler, "hrss")
	market := c.Actor("handler-market", org.RoleHandler, "market")
	super := c.Actor("supervisor", org.RoleSupervisor, "centre")
	must := func(_ *tickets.Ticket, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	register := func(dept string, co ...string) *tickets.Ticket {
		tk := c.Register(t, tickets.RegisterInput{CallerPhone: "13800138000", Description: "投诉", Category: "wage-arrears"})
		must(c.Tickets.Dispatch(ctx, c.Agent, tk.Number, tickets.DispatchInput{Department: dept, CoHandlers: co}))
		return tk
	}
	work := func(a tickets.Actor, number string) {
		must(c.Tickets.Accept(ctx, a, number, tickets.ActInput{}))
		must(c.Tickets.Feedback(ctx, a, number, tickets.ActInput{Text: "已联系"}))
		must(c.Tickets.Resolve(ctx, a, number, tickets.ActInput{Text: "已处理"}))
	}
	yes, no := true, false
	visit := func(number string, in tickets.VisitInput) {
		t.Helper()
		if _, _, err := c.Tickets.RecordVisit(ctx, c.Agent, number, in); err != nil {
			t.Fatal(err)
		}
	}
	happy := tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &yes, Solved: "solved", Satisfaction: "satisfied"}

	t1, t2, t3, t4, t5, t6 := register("hrss"), register("hrss"), register("market"), register("hrss", "market"), register("hrss"), register("hrss")
	dup := register("hrss")
	must(c.Tickets.Merge(ctx, c.Agent, dup.Number, t1.Number, "同一诉求"))
	work(hrss, t1.Number)
	work(hrss, t2.Number)
	must(c.Tickets.Accept(ctx, market, t3.Number, tickets.ActInput{}))
	must(c.Tickets.CoReply(ctx, market, t4.Number, tickets.ActInput{Text: "已配合"}))
	work(hrss, t4.Number)
	work(hrss, t5.Number)
	must(c.Tickets.Return(ctx, hrss, t6.Number, tickets.ActInput{Text: "非本单位"}))
	must(c.Tickets.Dispatch(ctx, c.Agent, t6.Number, tickets.DispatchInput{Department: "hrss"}))
	work(hrss, t6.Number)

	visit(t1.Number, happy)
	must(c.Tickets.Close(ctx, c.Agent, t1.Number, tickets.ActInput{}))
	visit(t2.Number, tickets.VisitInput{Channel: "phone", Outcome: "no_answer"})
	visit(t2.Number, tickets.VisitInput{Channel: "sms", Outcome: "reached", Contacted: &no, Solved: "partly", Satisfaction: "basically"})
	visit(t4.Number, tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &yes, Solved: "unsolved", Satisfaction: "dissatisfied", Comment: "没解决"})
	must(c.Tickets.Accept(ctx, hrss, t4.Number, tickets.ActInput{}))
	must(c.Tickets.Resolve(ctx, hrss, t4.Number, tickets.ActInput{Text: "再次处理"}))
	visit(t4.Number, happy)
	visit(t5.Number, tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &no, Solved: "partly", Satisfaction: "basically"})
	visit(t6.Number, tickets.VisitInput{Channel: "phone", Outcome: "no_answer"})

	consult := c.Register(t, tickets.RegisterInput{CallerPhone: "13800138001", Description: "咨询社保", Category: "wage-arrears"})
	must(c.Tickets.Answer(ctx, c.Agent, consult.Number, tickets.ActInput{Text: "已告知"}))

	// The deadlines and when each was met, set by hand (resolutions happened at 16 Nov 10:00).
	set := func(tk *tickets.Ticket, acceptDue, accepted, feedbackDue, feedback, resolveDue time.Time) {
		if _, err := c.DB.ExecContext(ctx, `UPDATE tickets SET accept_due = ?, accepted_at = ?, feedback_due = ?,
			feedback_at = nullif(?, '0001-01-01 00:00:00+00'::timestamptz), resolve_due = ? WHERE id = ?`,
			acceptDue, accepted, feedbackDue, feedback, resolveDue, tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	set(t1, at(16, 12), at(16, 11), at(17, 10), at(16, 15), at(30, 17))
	set(t2, at(16, 12), at(16, 14), at(17, 10), at(17, 11), at(30, 17))
	set(t3, at(16, 12), at(16, 11), at(29, 10), time.Time{}, at(30, 17))
	set(t4, at(16, 12), at(16, 11), at(17, 10), at(16, 15), at(30, 17))
	set(t5, at(16, 12), at(16, 18), at(17, 10), at(17, 15), at(30, 17))
	set(t6, at(16, 12), at(16, 11), at(17, 10), at(16, 15), at(30, 17))
	for i, call := range []struct {
		answered time.Duration // 0: never
	}{{5 * time.Second}, {14 * time.Second}, {40 * time.Second}, {0}} {
		started := at(17, 9).Add(time.Duration(i) * time.Minute)
		var answered any
		outcome := "abandoned_queue"
		if call.answered > 0 {
			answered, outcome = started.Add(call.answered), "answered"
		}
		if _, err := c.DB.ExecContext(ctx, `INSERT INTO call_records (id, caller, dialled, outcome, started_at, answered_at, ended_at, caller_call_id)
			VALUES (gen_random_uuid(), '13800138000', '12345', ?, ?, ?, ?, ?)`, outcome, started, answered, started.Add(time.Minute), i); err != nil {
			t.Fatal(err)
		}
	}
	c.Clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, registered.Location()))
	register("hrss") // December's

	engClock := clock.NewFixed(at(20, 9))
	eng := evaluation.NewEngine(c.DB, c.Location, engClock)

	// The appeals: hrss appeals t5 (approved) and t6 (refused); market may not appeal hrss's t1.
	if _, err := eng.FileAppeal(ctx, market, t1.Number, "not_duty", "不是我们的"); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("market appeals hrss's ticket: %v", err)
	}
	if _, err := eng.FileAppeal(ctx, hrss, t5.Number, "bogus", "理由"); !errors.Is(err, evaluation.ErrInvalid) {
		t.Fatalf("a fifth reason: %v", err)
	}
	// Before any appeal, t5 counts: hrss has 5 tickets.
	if h := dept(t, scorecard(t, eng, "2026-11"), "hrss"); h.Tickets != 5 || h.Excluded != 0 {
		t.Fatalf("before the appeal: %+v", h)
	}
	a5, err := eng.FileAppeal(ctx, hrss, t5.Number, "unreasonable", "诉求人要求不合理")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.FileAppeal(ctx, hrss, t5.Number, "duplicate", "再次申诉"); !errors.Is(err, evaluation.ErrDecided) {
		t.Fatalf("a second live appeal: %v", err)
	}
	if _, err := eng.DecideAppeal(ctx, hrss, a5.ID, true, ""); !errors.Is(err, tickets.ErrForbidden) {
		t.Fatalf("a department decides its own appeal: %v", err)
	}
	if _, err := eng.DecideAppeal(ctx, super, a5.ID, true, "属实"); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.DecideAppeal(ctx, super, a5.ID, false, "再议"); !errors.Is(err, evaluation.ErrDecided) {
		t.Fatalf("decided twice: %v", err)
	}
	a6, err := eng.FileAppeal(ctx, hrss, t6.Number, "other", "市民未接电话")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.DecideAppeal(ctx, super, a6.ID, false, ""); !errors.Is(err, evaluation.ErrInvalid) {
		t.Fatalf("a refusal without a reason: %v", err)
	}
	if _, err := eng.DecideAppeal(ctx, super, a6.ID, false, "理由不成立"); err != nil {
		t.Fatal(err)
	}

	sc := scorecard(t, eng, "2026-11")
	h, m := dept(t, sc, "hrss"), dept(t, sc, "market")
	if h.Rank != 1 || h.Group != "bureaus" || h.Tickets != 4 || h.Visits != 3 || h.Excluded != 1 || h.Score == nil || *h.Score != 78.67 {
		t.Fatalf("hrss: %+v score %v", h, deref(h.Score))
	}
	for code, want := range map[string]any{
		evaluation.OnTimeAcceptRate: 0.75, evaluation.OnTimeFeedbackRate: 0.75, evaluation.OnTimeResolveRate: 1.0,
		evaluation.CloseRate: 0.25, evaluation.ReturnRate: 0.2, evaluation.RedoRate: 0.2, evaluation.CoReplyRate: nil,
		evaluation.ResponseRate: 0.6667, evaluation.ResolutionRate: 0.6667, evaluation.SatisfactionRate: 0.9667, evaluation.Composite: 0.7867,
	} {
		if got := deref(h.Indicators[code]); got != want {
			t.Errorf("hrss %s = %v, want %v", code, got, want)
		}
	}
	// Points: on-time acceptance 0.75 is under the 0.8 that scores nothing.
	if p := deref(h.Points[evaluation.OnTimeAcceptRate]); p != 0.0 {
		t.Errorf("hrss on-time acceptance points = %v, want 0", p)
	}
	if m.Rank != 2 || m.Score != nil || m.Tickets != 1 || m.Visits != 0 {
		t.Fatalf("market: %+v", m)
	}
	for code, want := range map[string]any{
		evaluation.OnTimeAcceptRate: 1.0, evaluation.OnTimeFeedbackRate: nil, evaluation.OnTimeResolveRate: nil,
		evaluation.CoReplyRate: 1.0, evaluation.ReturnRate: 0.0, evaluation.SatisfactionRate: nil, evaluation.Composite: nil,
	} {
		if got := deref(m.Indicators[code]); got != want {
			t.Errorf("market %s = %v, want %v", code, got, want)
		}
	}
	for code, want := range map[string]any{evaluation.DirectAnswerRate: 0.1667, evaluation.AnswerRate: 0.75, evaluation.Answer15Rate: 0.5} {
		if got := deref(sc.Centre[code]); got != want {
			t.Errorf("centre %s = %v, want %v", code, got, want)
		}
	}

	// The aggregate agrees with the raw tables.
	p0, _ := eng.Current(ctx)
	w0, _ := evaluation.ParsePeriod("2026-11", c.Location, engClock.Now())
	raw, err := eng.ComputeRaw(ctx, p0, w0)
	if err != nil {
		t.Fatal(err)
	}
	raw.ComputedAt = sc.ComputedAt
	if diff := cmp.Diff(sc, raw, cmpopts.IgnoreUnexported(evaluation.Scorecard{})); diff != "" {
		t.Errorf("aggregate and raw tables differ (-aggregate +raw):\n%s", diff)
	}

	// The drill-down: hrss's on-time acceptance lost t2 (t5 is excluded, listed as such).
	p, _ := eng.Current(ctx)
	w, _ := evaluation.ParsePeriod("2026-11", c.Location, engClock.Now())
	x, err := eng.Explain(ctx, p, w, "hrss", evaluation.OnTimeAcceptRate)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Tickets) != 1 || x.Tickets[0].Number != t2.Number || x.Tickets[0].RateLost != 0.25 || *x.Numerator != 3 || *x.Denominator != 4 ||
		x.FormulaZh != "按时签收 / 应签收" || len(x.Excluded) != 1 || x.Excluded[0].Ticket != t5.Number {
		t.Fatalf("explain accept: %+v", x)
	}
	x, err = eng.Explain(ctx, p, w, "hrss", evaluation.SatisfactionRate)
	if err != nil {
		t.Fatal(err)
	}
	// t2 cost 0.1 of a visit (basically satisfied), t6 nothing (no valid visit, not counted).
	if len(x.Tickets) != 1 || x.Tickets[0].Number != t2.Number || math.Abs(x.Tickets[0].Denominator-x.Tickets[0].Numerator-0.1) > 1e-9 ||
		x.FormulaZh != "(满意 + 0.9 × 基本满意) / 有效回访" || x.FormulaEn != "(satisfied + 0.9 × basically satisfied) / valid return visits" {
		t.Fatalf("explain satisfaction: %+v", x)
	}
	if _, err := eng.Explain(ctx, p, w, "hrss", "no_such"); !errors.Is(err, evaluation.ErrNotFound) {
		t.Fatalf("unknown indicator: %v", err)
	}

	// Time passes with no write: market's feedback falls due on the 29th, unmet.
	engClock.Set(at(30, 9))
	if got := deref(dept(t, scorecard(t, eng, "2026-11"), "market").Indicators[evaluation.OnTimeFeedbackRate]); got != 0.0 {
		t.Errorf("market feedback after its deadline = %v, want 0", got)
	}
	// The quarter holds the month's figures (nothing else happened in it).
	if got := deref(dept(t, scorecard(t, eng, "2026-Q4"), "hrss").Indicators[evaluation.ResponseRate]); got != 0.6667 {
		t.Errorf("quarter response = %v", got)
	}
	// A window of days without the 16th holds nothing of hrss's.
	if _, ok := scorecard(t, eng, "2026-11-17..2026-11-29").Department("hrss"); ok {
		t.Error("hrss in a window without its tickets")
	}

	// A changed indicator, dry-run over history before adoption: a basically satisfied counts
	// 0.8, and on-time acceptance loses 10 points per 5% short of 100% (0 at or under 60%).
	engClock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, c.Location))
	next := evaluation.Default()
	next.Settings["basically"] = 0.8
	in, _ := next.Indicator(evaluation.OnTimeAcceptRate)
	in.Scoring = &evaluation.Scoring{Kind: "deduction", Points: 100, Full: 1, Zero: 0.6, Per: 10, Unit: 0.05}
	next.Groups[0].Weights = map[string]float64{evaluation.Composite: 0.8, evaluation.OnTimeAcceptRate: 0.2}
	bad := evaluation.Default()
	bad.Indicators[0].Numerator = []evaluation.Term{{Measure: "tickets; DROP TABLE tickets"}}
	if _, err := eng.Propose(ctx, bad, "", "admin"); !errors.Is(err, evaluation.ErrProfile) {
		t.Fatalf("a measure outside the vocabulary: %v", err)
	}
	v2, err := eng.Propose(ctx, next, "0.8", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Adopt(ctx, v2.Version, "admin"); !errors.Is(err, evaluation.ErrNoDryRun) {
		t.Fatalf("adopted without a dry run: %v", err)
	}
	run, err := eng.RunDry(ctx, v2.Version, 2, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if run.Version != 2 || run.Against != 1 || len(run.Months) != 2 || run.Months[0].Period != "2026-11" || run.Months[1].Period != "2026-10" {
		t.Fatalf("dry run: %+v", run)
	}
	var hd *evaluation.DryRunDepartment
	for i := range run.Months[0].Departments {
		if run.Months[0].Departments[i].Department == "hrss" {
			hd = &run.Months[0].Departments[i]
		}
	}
	// satisfaction (2 + 0.8)/3 = 0.9333; composite 0.06667 + 0.33335 + 0.37332 = 0.7733;
	// acceptance 0.75 is 5 steps of 5% short: 100 − 50 = 50 points; score 0.8×77.33 + 0.2×50 = 71.86
	if hd == nil || deref(hd.Current[evaluation.SatisfactionRate]) != 0.9667 || deref(hd.Proposed[evaluation.SatisfactionRate]) != 0.9333 ||
		deref(hd.Score[0]) != 78.67 || deref(hd.Score[1]) != 71.86 ||
		!slices.Equal(hd.Changed, []string{evaluation.SatisfactionRate, evaluation.Composite, "score"}) {
		t.Fatalf("hrss in the dry run: %+v", hd)
	}
	if p, _ := eng.Current(ctx); p.Version != 1 {
		t.Fatalf("a dry run changed the profile in force: %d", p.Version)
	}
	if err := eng.Adopt(ctx, v2.Version, "admin"); err != nil {
		t.Fatal(err)
	}
	if h := dept(t, scorecard(t, eng, "2026-11"), "hrss"); deref(h.Score) != 71.86 {
		t.Fatalf("after adoption: %v", deref(h.Score))
	}
}

func dept(t *testing.T, sc *evaluation.Scorecard, code string) *evaluation.Department {
	t.Helper()
	d, ok := sc.Department(code)
	if !ok {
		t.Fatalf("%s not in the scorecard: %+v", code, sc.Departments)
	}
	return d
}
