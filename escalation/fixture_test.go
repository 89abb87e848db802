package escalation_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

type fixture struct {
	db    *bun.DB
	clk   *clock.Fixed
	cal   *workcal.Calendar
	tk    *tickets.Service
	esc   *escalation.Service
	staff map[string]*org.Staff
	agent tickets.Actor
}

// people are the accounts escalation writes to; a street office under a district gives three
// levels below the city leadership.
var people = []struct {
	username string
	role     org.Role
	dept     string
}{
	{"supervisor", org.RoleSupervisor, "centre"},
	{"dispatcher", org.RoleDispatcher, "centre"},
	{"agent1", org.RoleAgent, "centre"},
	{"leader", org.RoleLeader, "leadership"},
	{"handler-hrss", org.RoleHandler, "hrss"},
	{"head-hrss", org.RoleHead, "hrss"},
	{"handler-market", org.RoleHandler, "market"},
	{"head-market", org.RoleHead, "market"},
	{"handler-dongcheng-andingmen", org.RoleHandler, "dongcheng-andingmen"},
	{"head-dongcheng-andingmen", org.RoleHead, "dongcheng-andingmen"},
	{"head-dongcheng", org.RoleHead, "dongcheng"},
}

func newFixture(t *testing.T, opt escalation.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	c := demotest.New(t, demotest.Escalation(opt))
	f := &fixture{db: c.DB, clk: c.Clock, cal: c.Calendar, tk: c.Tickets, esc: c.Escalation, staff: map[string]*org.Staff{}}
	for _, p := range people {
		u := &org.Staff{Username: p.username, DisplayName: p.username, Role: p.role, DepartmentID: c.DepartmentID(p.dept),
			PasswordHash: "unused", Email: p.username + "@example.org", Phone: "1390000" + "0000", Active: true}
		if err := c.Org.UpsertStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.staff[p.username] = u
	}
	f.agent = tickets.ActorFor(f.staff["agent1"])
	return f
}

func (f *fixture) actor(username string) tickets.Actor { return tickets.ActorFor(f.staff[username]) }

// dispatch registers a wage-arrears complaint at when and dispatches it to dept.
func (f *fixture) dispatch(t *testing.T, when time.Time, dept string) *tickets.Ticket {
	t.Helper()
	ctx := context.Background()
	f.clk.Set(when)
	tk, err := f.tk.Register(ctx, f.agent, tickets.RegisterInput{Channel: "phone", Category: "wage-arrears",
		Description: "工地拖欠工资", CallerName: "张三", CallerPhone: "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err = f.tk.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: dept})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// step is an action reduced to what tests compare.
type step struct {
	Ticket, Clock, Action string
	Level                 int
}

// sweep runs one sweep at when and returns its actions.
func (f *fixture) sweep(t *testing.T, when time.Time) []step {
	t.Helper()
	f.clk.Set(when)
	var out []step
	_, err := f.esc.Sweep(context.Background(), when, func(a escalation.Action) {
		out = append(out, step{a.Ticket, a.Clock, a.Action, a.Level})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
