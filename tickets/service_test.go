package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

type fixture struct {
	db      *bun.DB
	svc     *tickets.Service
	clk     *clock.Fixed
	agent   tickets.Actor
	handler tickets.Actor // handler of hrss
	other   tickets.Actor // handler of market
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := demotest.New(t)
	return &fixture{
		db: c.DB, svc: c.Tickets, clk: c.Clock, agent: c.Agent,
		handler: c.Actor("h-hrss", org.RoleHandler, "hrss"),
		other:   c.Actor("h-market", org.RoleHandler, "market"),
	}
}

func (f *fixture) register(t *testing.T) *tickets.Ticket {
	t.Helper()
	tk, err := f.svc.Register(context.Background(), f.agent, tickets.RegisterInput{
		Channel: "phone", Category: "wage-arrears", Description: "老板拖欠三个月工资 <b>共计</b> 1.2万元 😡",
		Address: "东城区安定门大街1号", CallerName: "张三", CallerPhone: "13800138000",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *fixture) countEvents(t *testing.T, tk *tickets.Ticket) int {
	t.Helper()
	n, err := f.db.NewSelect().Model((*tickets.Event)(nil)).Where("ticket_id = ?", tk.ID).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestRegisterNumbersAndDeadlines(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := f.register(t)
	if tk.Number != "20261116-000001" {
		t.Fatalf("number = %s", tk.Number)
	}
	if tk.Status != tickets.StatusRegistered || tk.Type != "complaint" || tk.ProfileCode != "standard" {
		t.Fatalf("ticket = %+v", tk)
	}
	if want := f.clk.Now().Add(24 * time.Hour); !tk.FeedbackDue.Equal(want) {
		t.Fatalf("feedback due %v, want %v", tk.FeedbackDue, want)
	}
	// The next day in Shanghai starts a new series, even though UTC is still on the 16th.
	f.clk.Set(time.Date(2026, 11, 17, 0, 30, 0, 0, shanghai))
	if tk2 := f.register(t); tk2.Number != "20261117-000001" {
		t.Fatalf("next day's number = %s", tk2.Number)
	}
	got, err := f.svc.Get(context.Background(), tk.Number)
	if err != nil || got.Description != tk.Description || got.Category.Code != "wage-arrears" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}

func TestRegisterWritesItsFirstEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk, err := f.svc.Register(context.Background(), f.agent, tickets.RegisterInput{
		Channel: "phone", Category: "wage-arrears", Description: "拖欠工资", Data: map[string]any{"call_id": "c-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := f.svc.Events(context.Background(), tk.ID, true)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	ev := evs[0]
	if ev.TicketID != tk.ID || ev.ID == 0 || ev.Kind != "register" || ev.ActorName != "agent" || ev.ActorRole != "agent" ||
		ev.DepartmentID == nil || *ev.DepartmentID != f.agent.DepartmentID || !ev.At.Equal(f.clk.Now()) || !ev.Public ||
		ev.FromStatus != "" || ev.ToStatus != "registered" || ev.Body != "" {
		t.Fatalf("event = %+v", ev)
	}
	var data map[string]any
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	due, _ := json.Marshal(tk.FeedbackDue)
	if data["channel"] != "phone" || data["call_id"] != "c-1" || `"`+fmt.Sprint(data["feedback_due"])+`"` != string(due) {
		t.Fatalf("event data = %s", ev.Data)
	}
}

func TestNumberPastAMillionKeepsEveryDigit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.register(t) // creates the day's sequence
	if _, err := f.db.ExecContext(context.Background(), "SELECT setval('ticket_no_20261116', 999998)"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"20261116-999999", "20261116-1000000"} {
		if tk := f.register(t); tk.Number != want {
			t.Fatalf("number = %s, want %s", tk.Number, want)
		}
	}
	var stored string
	if err := f.db.QueryRowContext(context.Background(), "SELECT number FROM tickets ORDER BY id DESC LIMIT 1").Scan(&stored); err != nil || stored != "20261116-1000000" {
		t.Fatalf("stored number = %q, %v", stored, err)
	}
}

func TestEveryTransitionWritesExactlyOneEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tk := f.register(t)
	if n := f.countEvents(t, tk); n != 1 {
		t.Fatalf("after register: %d events", n)
	}
	steps := []struct {
		name string
		do   func() (*tickets.Ticket, error)
		want tickets.Status
	}{
		{"dispatch", func() (*tickets.Ticket, error) {
			return f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss", CoHandlers: []string{"market"}})
		}, tickets.StatusDispatched},
		{"return", func() (*tickets.Ticket, error) {
			return f.svc.Return(ctx, f.handler, tk.Number, tickets.ActInput{Text: "不属于本单位职责"})
		}, tickets.StatusReturned},
		{"re-dispatch", func() (*tickets.Ticket, error) {
			return f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"})
		}, tickets.StatusDispatched},
		{"accept", func() (*tickets.Ticket, error) { return f.svc.Accept(ctx, f.handler, tk.Number, tickets.ActInput{}) }, tickets.StatusAccepted},
		{"feedback", func() (*tickets.Ticket, error) {
			return f.svc.Feedback(ctx, f.handler, tk.Number, tickets.ActInput{Text: "已电话联系市民"})
		}, tickets.StatusAccepted},
		{"note", func() (*tickets.Ticket, error) {
			return f.svc.Note(ctx, f.handler, tk.Number, tickets.ActInput{Text: "约谈企业负责人"})
		}, tickets.StatusAccepted},
		{"resolve", func() (*tickets.Ticket, error) {
			return f.svc.Resolve(ctx, f.handler, tk.Number, tickets.ActInput{Text: "企业已足额支付工资"})
		}, tickets.StatusResolved},
		{"close", func() (*tickets.Ticket, error) {
			return f.svc.Close(ctx, tickets.System, tk.Number, tickets.ActInput{})
		}, tickets.StatusClosed},
		{"reopen", func() (*tickets.Ticket, error) {
			return f.svc.Reopen(ctx, tickets.Citizen("张三"), tk.Number, tickets.ActInput{Text: "不满意：只付了一半"})
		}, tickets.StatusDispatched},
	}
	for i, st := range steps {
		f.clk.Advance(time.Hour)
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.Status != st.want {
			t.Fatalf("%s: status %s, want %s", st.name, got.Status, st.want)
		}
		if n := f.countEvents(t, tk); n != i+2 {
			t.Fatalf("%s: %d events, want %d", st.name, n, i+2)
		}
	}
	final, _ := f.svc.Get(ctx, tk.Number)
	if final.ReopenCount != 1 || final.Version != 10 || final.AcceptedAt != nil || final.Department.Code != "hrss" {
		t.Fatalf("final = %+v", final)
	}
	pub, _ := f.svc.Events(ctx, tk.ID, false)
	all, _ := f.svc.Events(ctx, tk.ID, true)
	if len(all) != 10 || len(pub) != 8 { // return and note are internal
		t.Fatalf("events: %d public of %d", len(pub), len(all))
	}
}

func TestDeadlinesFollowTheCalendar(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// Wednesday 2026-09-30 16:00, the eve of the National Day holiday (Oct 1–7, Oct 10 worked? see calendar).
	f.clk.Set(time.Date(2026, 9, 30, 16, 0, 0, 0, shanghai))
	tk := f.register(t)
	got, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"})
	if err != nil {
		t.Fatal(err)
	}
	days, _ := workcal.Seed()
	cal := workcal.New(days, shanghai, workcal.DefaultHours)
	wantAccept := cal.AddWorkingHours(f.clk.Now(), 2*time.Hour)
	wantResolve := cal.AddWorkdays(f.clk.Now(), 7)
	if !got.AcceptDue.Equal(wantAccept) || !got.ResolveDue.Equal(wantResolve) {
		t.Fatalf("due accept %v resolve %v, want %v %v", got.AcceptDue, got.ResolveDue, wantAccept, wantResolve)
	}
	// The acceptance clock stops over the holiday: 1 working hour left on Sep 30, the other after it.
	if got.AcceptDue.In(shanghai).Month() != time.October || got.AcceptDue.In(shanghai).Day() < 8 {
		t.Fatalf("accept due %v lands inside the holiday", got.AcceptDue.In(shanghai))
	}
}

func TestBadInputIsTypedAndWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tk := f.register(t)
	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"missing ticket", func() error {
			_, err := f.svc.Accept(ctx, f.handler, "20261116-999999", tickets.ActInput{})
			return err
		}, tickets.ErrNotFound},
		{"wrong status", func() error {
			_, err := f.svc.Resolve(ctx, f.agent, tk.Number, tickets.ActInput{Text: "x"})
			return err
		}, tickets.ErrForbidden},
		{"transition", func() error {
			_, err := f.svc.Close(ctx, f.agent, tk.Number, tickets.ActInput{})
			return err
		}, tickets.ErrTransition},
		{"role", func() error {
			_, err := f.svc.Accept(ctx, f.agent, tk.Number, tickets.ActInput{})
			return err
		}, tickets.ErrForbidden},
		{"stale version", func() error {
			_, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss", ActInput: tickets.ActInput{Version: 7}})
			return err
		}, tickets.ErrConflict},
		{"unknown department", func() error {
			_, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "nasa"})
			return err
		}, tickets.ErrInvalid},
		{"return without reason", func() error {
			_, err := f.svc.Return(ctx, f.handler, tk.Number, tickets.ActInput{})
			return err
		}, tickets.ErrInvalid},
		{"empty description", func() error {
			_, err := f.svc.Register(ctx, f.agent, tickets.RegisterInput{Channel: "phone", Description: "  "})
			return err
		}, tickets.ErrInvalid},
		{"unknown category", func() error {
			_, err := f.svc.Register(ctx, f.agent, tickets.RegisterInput{Channel: "phone", Category: "ufo", Description: "x"})
			return err
		}, tickets.ErrInvalid},
		{"unknown channel", func() error {
			_, err := f.svc.Register(ctx, f.agent, tickets.RegisterInput{Channel: "pigeon", Description: "x"})
			return err
		}, tickets.ErrInvalid},
		{"handler registers", func() error {
			_, err := f.svc.Register(ctx, f.handler, tickets.RegisterInput{Channel: "phone", Description: "x"})
			return err
		}, tickets.ErrForbidden},
	} {
		// Serial: the checks after them show that none of them changed anything.
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	got, _ := f.svc.Get(ctx, tk.Number)
	if got.Status != tickets.StatusRegistered || got.Version != 1 || f.countEvents(t, tk) != 1 {
		t.Fatalf("bad input changed the ticket: %+v", got)
	}
	var n int
	f.db.QueryRowContext(ctx, "SELECT count(*) FROM tickets").Scan(&n)
	if n != 1 {
		t.Fatalf("%d tickets", n)
	}
	// The timeline is append-only, even for someone with SQL access through the application role.
	if _, err := f.db.ExecContext(ctx, "UPDATE ticket_events SET body = 'forged'"); err == nil {
		t.Fatal("ticket_events could be updated")
	}
	if _, err := f.db.ExecContext(ctx, "DELETE FROM ticket_events"); err == nil {
		t.Fatal("ticket_events could be deleted")
	}
}

func TestDepartmentScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tk := f.register(t)
	if _, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Accept(ctx, f.other, tk.Number, tickets.ActInput{}); !errors.Is(err, tickets.ErrForbidden) {
		t.Fatalf("another department accepted: %v", err)
	}
	if _, err := f.svc.GetFor(ctx, f.other, tk.Number); !errors.Is(err, tickets.ErrForbidden) {
		t.Fatalf("another department read it: %v", err)
	}
	if _, err := f.svc.GetFor(ctx, f.handler, tk.Number); err != nil {
		t.Fatalf("own department cannot read it: %v", err)
	}
	mine, _ := f.svc.List(ctx, f.handler, tickets.Filter{})
	theirs, _ := f.svc.List(ctx, f.other, tickets.Filter{})
	if len(mine) != 1 || len(theirs) != 0 {
		t.Fatalf("lists: mine %d, theirs %d", len(mine), len(theirs))
	}
	// As co-handler the market bureau sees it and may reply, but not accept.
	if _, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss", CoHandlers: []string{"market"}}); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("dispatching a dispatched ticket: %v", err)
	}
}

func TestConcurrentConflictingActionsOneWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		tk := f.register(t)
		d, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"})
		if err != nil {
			t.Fatal(err)
		}
		// Both people saw the dispatched ticket at the same version; odd rounds act without
		// naming the version, so only the database's check can stop the second.
		seen := d.Version
		if round%2 == 1 {
			seen = 0
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, errs[0] = f.svc.Accept(ctx, f.handler, tk.Number, tickets.ActInput{Version: seen})
		}()
		go func() {
			defer wg.Done()
			<-start
			if round%2 == 0 {
				_, errs[1] = f.svc.Return(ctx, f.handler, tk.Number, tickets.ActInput{Text: "非本单位", Version: seen})
			} else {
				_, errs[1] = f.svc.Accept(ctx, f.handler, tk.Number, tickets.ActInput{})
			}
		}()
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, tickets.ErrConflict) && !errors.Is(err, tickets.ErrTransition) {
				t.Fatalf("loser's error = %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d actions succeeded (%v)", round, ok, errs)
		}
		if n := f.countEvents(t, tk); n != 3 {
			t.Fatalf("round %d: %d events", round, n)
		}
	}
}

func TestConcurrentRegistrationsGetDistinctNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const n = 200
	numbers := make(chan string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tk, err := f.svc.Register(ctx, f.agent, tickets.RegisterInput{Channel: "phone", Description: fmt.Sprintf("诉求 %d", i)})
			if err != nil {
				errs <- err
				return
			}
			numbers <- tk.Number
		}(i)
	}
	wg.Wait()
	close(numbers)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for no := range numbers {
		if seen[no] {
			t.Fatalf("number %s given twice", no)
		}
		seen[no] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct numbers", len(seen))
	}
}

func TestMaskPhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"13800138000": "138****8000", "": "", "12345": "****", "+8613800138000": "+86****8000"} {
		if got := tickets.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
