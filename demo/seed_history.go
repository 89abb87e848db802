package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hotline-city/hotline/evaluation"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// History is how much handled work the demo city carries: HistoryMonths complete months
// before the current one, HistoryPerMonth tickets registered in each.
const (
	HistoryMonths   = 3
	HistoryPerMonth = 40
)

// historyMarker names the demo's historic tickets in their registration's data.
const historyMarker = "demo_history"

// historyPlaces are the addresses the demo's citizens give.
var historyPlaces = []string{"东城区安定门内大街1号", "西城区西单北大街120号", "朝阳区望京街道阜通东大街6号", "海淀区中关村大街27号",
	"丰台区丰台南路88号", "石景山区鲁谷路35号", "通州区新华大街256号", "昌平区回龙观西大街9号"}

var historyNames = []string{"张先生", "王女士", "李先生", "赵女士", "刘先生", "陈女士", "杨先生", "黄女士", ""}

// SeedHistory gives the demo city months of work through the whole loop, so that the
// scorecards and /stats have something to show: tickets registered, dispatched (some with a
// co-handling department), signed for, the citizen contacted and resolved — most in time, some
// late — then visited (回访): most citizens reached and satisfied, some basically, some only
// partly solved, some never reached; a few dissatisfied, whose tickets are redone (重办) and
// whose named citizens' bad ratings are rectified (差评整改) with proof the centre accepts,
// the latest one still open. Everything goes through the tickets service with a clock set to
// each moment, so every deadline, event and tamper-evident chain is as the live system makes
// them. The history is fixed (a seeded generator) and written once: when it exists, SeedHistory
// does nothing.
func SeedHistory(ctx context.Context, db *bun.DB, loc *time.Location, now time.Time) error {
	var done bool
	if err := db.NewRaw("SELECT EXISTS (SELECT 1 FROM ticket_events WHERE kind = 'register' AND jsonb_exists(data, ?))", historyMarker).Scan(ctx, &done); err != nil {
		return fmt.Errorf("seed history: %w", err)
	}
	if done {
		return nil
	}
	days, err := workcal.NewStore(db).Load(ctx)
	if err != nil {
		return err
	}
	// #nosec G404 -- a fixed, seeded sequence on purpose: the demo's history is the same every time.
	h := &history{clk: clock.NewFixed(now), now: now, rng: rand.New(rand.NewPCG(12345, 2026))}
	h.cal = workcal.New(days, loc, workcal.DefaultHours)
	h.svc = tickets.NewService(db, h.clk, h.cal, loc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	st := org.NewStore(db)
	actor := func(username string) (tickets.Actor, error) {
		s, err := st.Staff(ctx, username)
		if err != nil {
			return tickets.Actor{}, fmt.Errorf("seed history: %w", err)
		}
		return tickets.ActorFor(s), nil
	}
	if h.dispatcher, err = actor("dispatcher"); err != nil {
		return err
	}
	if h.agent, err = actor("agent1"); err != nil {
		return err
	}
	if h.supervisor, err = actor("supervisor"); err != nil {
		return err
	}
	h.handlers = map[string]tickets.Actor{}
	for _, c := range Categories {
		if c.Department == "" || h.handlers[c.Department] != (tickets.Actor{}) {
			continue
		}
		if h.handlers[c.Department], err = actor("handler-" + c.Department); err != nil {
			return err
		}
		h.cats = append(h.cats, c)
	}
	for _, c := range Categories {
		if c.Department != "" && !containsCat(h.cats, c.Code) {
			h.cats = append(h.cats, c)
		}
	}
	month := time.Date(now.In(loc).Year(), now.In(loc).Month(), 1, 0, 0, 0, 0, loc)
	for m := HistoryMonths; m >= 1; m-- {
		first := month.AddDate(0, -m, 0)
		for i := range HistoryPerMonth {
			if err := h.ticket(ctx, first, i); err != nil {
				return fmt.Errorf("seed history: %w", err)
			}
		}
	}
	return h.appeals(ctx, db, loc, month.AddDate(0, -1, 0))
}

// appeals has hrss appeal two of its tickets of the month before last (申诉): the centre
// approves the one the citizen called about twice (a duplicate) and refuses the other, so the
// scorecards show a ticket excluded by appeal and the appeals page both outcomes.
func (h *history) appeals(ctx context.Context, db *bun.DB, loc *time.Location, before time.Time) error {
	var numbers []string
	if err := db.NewRaw(`SELECT t.number FROM tickets t JOIN departments d ON d.id = t.department_id
		WHERE d.code = 'hrss' AND t.created_at < ? AND t.resolved_at IS NOT NULL ORDER BY t.created_at, t.id LIMIT 2`, before).Scan(ctx, &numbers); err != nil {
		return fmt.Errorf("seed history appeals: %w", err)
	}
	if len(numbers) < 2 {
		return nil
	}
	h.clk.Set(before.Add(-48 * time.Hour))
	eng := evaluation.NewEngine(db, loc, h.clk)
	for i, c := range []struct{ reason, text, decision string }{
		{"duplicate", "同一市民就同一欠薪事项重复来电，已在另一工单中办结", ""},
		{"not_duty", "该诉求涉及劳动合同纠纷仲裁，不属本单位职责", "经核实，劳动保障监察属人社部门职责，申诉不予支持"},
	} {
		a, err := eng.FileAppeal(ctx, h.handlers["hrss"], numbers[i], c.reason, c.text)
		if err != nil {
			return fmt.Errorf("seed history appeal: %w", err)
		}
		if _, err := eng.DecideAppeal(ctx, h.supervisor, a.ID, c.decision == "", c.decision); err != nil {
			return fmt.Errorf("seed history appeal decision: %w", err)
		}
	}
	return nil
}

func containsCat(cs []Category, code string) bool {
	for _, c := range cs {
		if c.Code == code {
			return true
		}
	}
	return false
}

type history struct {
	clk                           *clock.Fixed
	cal                           *workcal.Calendar
	svc                           *tickets.Service
	rng                           *rand.Rand
	now                           time.Time
	dispatcher, agent, supervisor tickets.Actor
	handlers                      map[string]tickets.Actor
	cats                          []Category
}

// at sets the clock to t, or reports false when t has not come yet: the story stops there.
func (h *history) at(t time.Time) bool {
	if !t.Before(h.now) {
		return false
	}
	h.clk.Set(t)
	return true
}

// ticket tells one ticket's story, registered in the month beginning first.
func (h *history) ticket(ctx context.Context, first time.Time, i int) error {
	r := h.rng
	c := h.cats[i%len(h.cats)]
	if i >= len(h.cats) {
		c = h.cats[r.IntN(len(h.cats))]
	}
	day := first.AddDate(0, 0, r.IntN(26))
	for !h.cal.IsWorkday(day) {
		day = day.AddDate(0, 0, 1)
	}
	reg := day.Add(time.Duration(8*60+30+r.IntN(9*60)) * time.Minute)
	if !h.at(reg) {
		return nil
	}
	name := historyNames[r.IntN(len(historyNames))]
	t, err := h.svc.Register(ctx, h.agent, tickets.RegisterInput{Channel: []string{"phone", "phone", "phone", "web", "app"}[r.IntN(5)],
		Category: c.Code, Description: "市民反映" + c.NameZh + "问题，希望有关部门尽快核实处理。", Address: historyPlaces[r.IntN(len(historyPlaces))],
		CallerName: name, CallerPhone: fmt.Sprintf("139%08d", 10000000+r.IntN(89999999)), Unrouted: true,
		Data: map[string]any{historyMarker: true}})
	if err != nil {
		return err
	}
	n := t.Number
	in := tickets.DispatchInput{Department: c.Department}
	if r.IntN(7) == 0 { // a co-handling department (协办)
		other := h.cats[r.IntN(len(h.cats))].Department
		if other != c.Department {
			in.CoHandlers = []string{other}
		}
	}
	if !h.at(reg.Add(time.Duration(5+r.IntN(20)) * time.Minute)) {
		return nil
	}
	if t, err = h.svc.Dispatch(ctx, h.dispatcher, n, in); err != nil {
		return err
	}
	handler := h.handlers[c.Department]
	late := r.IntN(10) == 0 // this department is slow with this one
	accept := h.clk.Now().Add(time.Duration(10+r.IntN(50)) * time.Minute)
	if late {
		accept = t.AcceptDue.Add(time.Duration(1+r.IntN(5)) * time.Hour)
	}
	if !h.at(accept) {
		return nil
	}
	if _, err := h.svc.Accept(ctx, handler, n, tickets.ActInput{}); err != nil {
		return err
	}
	feedback := accept.Add(time.Duration(1+r.IntN(4)) * time.Hour)
	if late && r.IntN(2) == 0 {
		feedback = t.FeedbackDue.Add(time.Duration(2+r.IntN(20)) * time.Hour)
	}
	if !h.at(feedback) {
		return nil
	}
	if _, err := h.svc.Feedback(ctx, handler, n, tickets.ActInput{Text: "已电话联系市民，了解情况并告知处理安排。"}); err != nil {
		return err
	}
	for round := 0; ; round++ {
		t, err := h.svc.Get(ctx, n)
		if err != nil {
			return err
		}
		if round > 0 { // redone: signed for again
			if !h.at(h.clk.Now().Add(time.Duration(30+r.IntN(90)) * time.Minute)) {
				return nil
			}
			if _, err := h.svc.Accept(ctx, handler, n, tickets.ActInput{}); err != nil {
				return err
			}
		}
		resolve := h.cal.AddWorkdays(h.clk.Now(), r.IntN(3)).Add(time.Duration(r.IntN(120)) * time.Minute)
		if late {
			resolve = t.ResolveDue.AddDate(0, 0, 1+r.IntN(3))
		} else if resolve.After(*t.ResolveDue) {
			resolve = t.ResolveDue.Add(-time.Hour)
		}
		if resolve.Before(h.clk.Now()) {
			resolve = h.clk.Now().Add(time.Hour)
		}
		if !h.at(resolve) {
			return nil
		}
		result := []string{"solved", "solved", "solved", "solved", "partly", "informed", "untrue"}[r.IntN(7)]
		if _, err := h.svc.Resolve(ctx, handler, n, tickets.ActInput{Text: "经现场核查，已按规定处理并向市民反馈结果。", ResultType: result}); err != nil {
			return err
		}
		visit := h.cal.AddWorkdays(resolve, 1).Add(time.Duration(r.IntN(180)) * time.Minute)
		if !h.at(visit) {
			return nil
		}
		reopened, err := h.visit(ctx, n, round)
		if err != nil {
			return err
		}
		if !reopened {
			if round > 0 { // the first round's bad rating: its rectification, once redone
				return h.rectify(ctx, t, handler)
			}
			return nil
		}
	}
}

// visit records the return visit of a resolution: never reached (three calls), or reached
// with the citizen's answers; a first resolution is sometimes not good enough. It reports
// whether the ticket was sent back.
func (h *history) visit(ctx context.Context, n string, round int) (bool, error) {
	r := h.rng
	yes, no := true, false
	roll := r.IntN(20)
	if roll == 0 {
		for range 3 {
			if _, _, err := h.svc.RecordVisit(ctx, h.agent, n, tickets.VisitInput{Channel: "phone", Outcome: "no_answer"}); err != nil {
				return false, err
			}
			h.clk.Advance(2 * time.Hour)
		}
		return false, nil
	}
	in := tickets.VisitInput{Channel: "phone", Outcome: "reached", Contacted: &yes, Solved: "solved", Satisfaction: "satisfied"}
	switch {
	case roll <= 2 && round == 0:
		in.Solved, in.Satisfaction, in.Comment = "unsolved", "dissatisfied", "问题没有解决，希望再处理。"
	case roll <= 4:
		in.Satisfaction = "basically"
	case roll == 5:
		in.Solved, in.Satisfaction, in.Contacted = "partly", "basically", &no
	case roll == 6:
		in.Channel = "sms"
	case roll == 7:
		in.Channel = "web"
	}
	_, t, err := h.svc.RecordVisit(ctx, h.agent, n, in)
	if err != nil {
		return false, err
	}
	return t.Status == tickets.StatusDispatched, nil
}

// rectify has the department prove the rectification a named bad rating opened, and the
// centre accept it; what falls after now is left to be done.
func (h *history) rectify(ctx context.Context, t *tickets.Ticket, handler tickets.Actor) error {
	rs, err := h.svc.Rectifications(ctx, h.supervisor, tickets.RectifyFilter{Status: tickets.RectifyOpen})
	if err != nil {
		return err
	}
	for _, rx := range rs {
		if rx.TicketID != t.ID {
			continue
		}
		if !h.at(h.cal.AddWorkdays(h.clk.Now(), 2)) {
			return nil
		}
		if _, err := h.svc.SubmitRectification(ctx, handler, rx.ID, "已向市民当面致歉，重新核查并整改到位，附整改情况说明。", nil); err != nil {
			return err
		}
		if !h.at(h.clk.Now().Add(3 * time.Hour)) {
			return nil
		}
		if _, err := h.svc.DecideRectification(ctx, h.supervisor, rx.ID, true, "整改到位"); err != nil {
			return err
		}
	}
	return nil
}
