package demotest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

func TestCityWithEveryArea(t *testing.T) {
	ctx := context.Background()
	c := demotest.New(t, demotest.Staff("agent1", "agent2", "handler-hrss"), demotest.Routing(),
		demotest.Intake(intake.Config{CatalogueTTL: time.Minute}), demotest.Escalation(escalation.Options{}))
	if c.Accounts == nil || c.KB == nil || c.Routing == nil || c.Cache == nil || c.Intake == nil || c.Escalation == nil {
		t.Fatalf("areas missing: %+v", c)
	}
	if want := time.Date(2026, 11, 16, 10, 0, 0, 0, c.Location); !c.Clock.Now().Equal(want) {
		t.Fatalf("clock at %v, want %v", c.Clock.Now(), want)
	}

	// Registration is routed by the demo rules, as under serve.
	tk := c.Register(t, tickets.RegisterInput{Category: "wage-arrears", Description: "工地老板拖欠工资", CallerPhone: "13800138000"})
	if tk.Status != tickets.StatusDispatched || tk.DepartmentID == nil || *tk.DepartmentID != c.DepartmentID("hrss") {
		t.Fatalf("registered %+v, want dispatched to hrss", tk)
	}

	// Staff: the accounts asked for, with their demo passwords hashed light.
	a1, err := c.Org.Staff(ctx, "agent1")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := c.Org.Staff(ctx, "agent2")
	if ok, _ := org.CheckPassword(context.Background(), a1.PasswordHash, "demo-agent"); !ok || !strings.Contains(a1.PasswordHash, "$m=64,t=1,") ||
		a1.SIPExtension == nil || *a1.SIPExtension != "1001" {
		t.Fatalf("agent1 %+v, agent2 %+v", a1, a2)
	}
	if st, err := c.Accounts.Login(ctx, "agent2", "demo-agent"); err != nil || st.Username != "agent2" {
		t.Fatalf("agent2 signs in: %+v, %v", st, err)
	}
	if _, err := c.Org.Staff(ctx, "admin"); err == nil {
		t.Fatal("an account not asked for was seeded")
	}
	if h := c.Account(t, "handler-hrss"); h.ID == 0 || h.Role != org.RoleHandler || h.DepartmentID != c.DepartmentID("hrss") {
		t.Fatalf("handler-hrss acts as %+v", h)
	}

	// Online submissions are registered by the batch writers and can be taken round the loop.
	c.RunIntake()
	r, err := c.Intake.Submit(ctx, intake.Submission{Channel: "web", ServiceCode: "road-damage", Description: "路面有坑",
		Address: "东城区安定门大街1号", Name: "李四", Phone: "13900139000", ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Resolve(t, r.Number, "urban", "已修复"); got.Status != tickets.StatusResolved {
		t.Fatalf("after Resolve: %s", got.Status)
	}
}

func TestCitiesShareNothing(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a, b := demotest.New(t), demotest.New(t, demotest.At(start))
	if a.URL == b.URL || !b.Clock.Now().Equal(start) || a.Clock.Now().Equal(start) {
		t.Fatalf("cities %s at %v and %s at %v", a.URL, a.Clock.Now(), b.URL, b.Clock.Now())
	}
	a.Register(t, tickets.RegisterInput{Category: "noise", Description: "夜里很吵"})
	if n, err := b.DB.NewSelect().Table("tickets").Count(context.Background()); err != nil || n != 0 {
		t.Fatalf("the other city has %d tickets (%v)", n, err)
	}
}
