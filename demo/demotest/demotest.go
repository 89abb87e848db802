// Package demotest is the one test fixture: the demo city on a database of its own, a fixed
// clock, the working-day calendar, and the services wired as `hotline serve` wires them, with
// the helpers tests commonly need. Each City belongs to one test and shares nothing with
// another, so tests using it may run in parallel.
package demotest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/faultproxy"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// City is the demo city for one test. The directory (departments, deadline profiles, the
// category tree and the working-day calendar) is always seeded; the options add staff and
// areas. Fields of areas not asked for are nil.
type City struct {
	DB       *bun.DB
	URL      string // the database's URL, for LISTEN connections and child processes
	Location *time.Location
	Clock    *clock.Fixed
	Calendar *workcal.Calendar
	Log      *slog.Logger
	Org      *org.Store
	// Tickets registers and moves tickets; with Routing it dispatches new tickets by the demo
	// rules, as under serve.
	Tickets *tickets.Service
	KB      *kb.Service
	// Accounts signs the staff in (the accounts seeded with Staff).
	Accounts   *account.Service
	Routing    *routing.Service
	Cache      *routing.Cache
	Intake     *intake.Service
	Escalation *escalation.Service
	// Agent is a call-centre agent of the centre, named "agent", with no account.
	Agent tickets.Actor

	t     testing.TB
	depts map[string]int64 // department ids by code
}

// Option adds to a City.
type Option func(*options)

type options struct {
	now        time.Time
	log        *slog.Logger
	accounts   []string
	anyAccount bool
	hash       func(password string) (string, error)
	seeds      []func(context.Context, bun.IDB) error
	routing    bool
	intake     *intake.Config
	escalation *escalation.Options
	proxy      **faultproxy.Proxy
}

// At starts the city's clock at now instead of Monday 2026-11-16 10:00 in Shanghai.
func At(now time.Time) Option { return func(o *options) { o.now = now } }

// Logger makes the services log to l instead of nowhere.
func Logger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Staff seeds the demo's staff accounts named, or all of them when none is named, with their
// demo passwords and SIP extensions (demo.Accounts), and builds the account service.
func Staff(usernames ...string) Option {
	return func(o *options) {
		o.anyAccount = true
		o.accounts = append(o.accounts, usernames...)
	}
}

// HashPasswords hashes the staff's passwords with hash instead of LightHash, e.g.
// org.HashPassword for a test of the production work factor.
func HashPasswords(hash func(password string) (string, error)) Option {
	return func(o *options) { o.hash = hash }
}

// Seed runs more seeding steps after the directory and the accounts, e.g. demo.SeedStaffWeb.
func Seed(steps ...func(context.Context, bun.IDB) error) Option {
	return func(o *options) { o.seeds = append(o.seeds, steps...) }
}

// Routing seeds the demo's dispatch rules and wires routing as serve does, but for the
// listener: the rule cache loaded once, and dispatch at registration.
func Routing() Option { return func(o *options) { o.routing = true } }

// Intake seeds the demo's Open311 key and services and builds the intake service with cfg.
// Its batch writers do not run unless RunIntake starts them.
func Intake(cfg intake.Config) Option { return func(o *options) { o.intake = &cfg } }

// FaultProxy connects the city's services (DB) to its database through a fault proxy, which
// *p is set to; URL stays the database's own.
func FaultProxy(p **faultproxy.Proxy) Option { return func(o *options) { o.proxy = p } }

// Escalation builds the escalation service with opt (no live hub).
func Escalation(opt escalation.Options) Option {
	return func(o *options) { o.escalation = &opt }
}

// New builds the demo city for t on a fresh migrated database, dropped when t ends.
func New(t testing.TB, opts ...Option) *City {
	t.Helper()
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	o := options{now: time.Date(2026, 11, 16, 10, 0, 0, 0, loc)} // a Monday
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.hash == nil {
		o.hash = LightHash
	}

	c := &City{t: t, URL: testdb.NewURL(t), Location: loc, Log: o.log}
	url := c.URL
	if o.proxy != nil {
		*o.proxy, url = faultproxy.Start(t, c.URL)
	}
	if c.DB, err = database.Open(ctx, url, 20); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DB.Close() })
	if err := demo.SeedDirectory(ctx, c.DB); err != nil {
		t.Fatal(err)
	}
	if o.anyAccount {
		if err := demo.SeedAccounts(ctx, c.DB, pick(demo.Accounts(), o.accounts), o.hash); err != nil {
			t.Fatal(err)
		}
	}
	for _, seed := range o.seeds {
		if err := seed(ctx, c.DB); err != nil {
			t.Fatal(err)
		}
	}

	days, err := workcal.Seed()
	if err != nil {
		t.Fatal(err)
	}
	c.Calendar = workcal.New(days, loc, workcal.DefaultHours)
	c.Clock = clock.NewFixed(o.now)
	c.Org = org.NewStore(c.DB)
	c.Tickets = tickets.NewService(c.DB, c.Clock, c.Calendar, loc, c.Log)
	c.KB = kb.NewService(c.DB, c.Clock, loc)
	c.Accounts, err = account.NewService(account.Config{DB: c.DB, Org: c.Org, Clock: c.Clock, Log: c.Log})
	if err != nil {
		t.Fatal(err)
	}
	if o.routing {
		if err := demo.SeedRouting(ctx, c.DB, c.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		c.Cache = routing.NewCache(c.DB, nil, c.Log)
		if err := c.Cache.Load(ctx); err != nil {
			t.Fatal(err)
		}
		c.Routing = routing.NewService(routing.Config{DB: c.DB, Tickets: c.Tickets, Calendar: c.Calendar, Clock: c.Clock,
			Location: loc, Log: c.Log, Cache: c.Cache})
		c.Tickets.Route(c.Routing)
	}
	if o.escalation != nil {
		c.Escalation = escalation.New(c.DB, c.Clock, c.Calendar, loc, c.Log, c.Tickets, nil, *o.escalation)
		c.Tickets.Follow(c.Escalation)
	}
	if o.intake != nil {
		if err := demo.SeedIntake(ctx, c.DB); err != nil {
			t.Fatal(err)
		}
		if c.Intake, err = intake.New(ctx, c.DB, c.Tickets, c.Clock, loc, c.Log, *o.intake); err != nil {
			t.Fatal(err)
		}
	}

	ds, err := c.Org.Departments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.depts = make(map[string]int64, len(ds))
	for _, d := range ds {
		c.depts[d.Code] = d.ID
	}
	c.Agent = c.Actor("agent", org.RoleAgent, "centre")
	return c
}

// pick returns the accounts named, in the demo's order, or all of them when none is named.
func pick(all []demo.Account, usernames []string) []demo.Account {
	if len(usernames) == 0 {
		return all
	}
	want := map[string]bool{}
	for _, u := range usernames {
		want[u] = true
	}
	var out []demo.Account
	for _, a := range all {
		if want[a.Username] {
			out = append(out, a)
		}
	}
	return out
}

// LightHash hashes a password with argon2id at a work factor for tests (64 KiB, one pass)
// instead of the production 19 MiB and two passes. org.CheckPassword reads the parameters from
// the hash, so signing in takes the same path and only costs less.
func LightHash(password string) (string, error) { return org.HashPasswordCost(password, 64, 1) }

// DepartmentID returns the id of the demo department with code; an unknown code is a mistake
// in the test and panics.
func (c *City) DepartmentID(code string) int64 {
	id, ok := c.depts[code]
	if !ok {
		panic("demotest: no demo department " + code)
	}
	return id
}

// Actor returns an actor named name with role in the department with code, with no account.
func (c *City) Actor(name string, role org.Role, department string) tickets.Actor {
	return tickets.Actor{Name: name, Role: role, DepartmentID: c.DepartmentID(department)}
}

// Handler returns a handler of the department with code, named as the demo's handler account
// (handler-<code>) but acting without it.
func (c *City) Handler(department string) tickets.Actor {
	return c.Actor("handler-"+department, org.RoleHandler, department)
}

// Account returns the actor of the account username, which must be seeded (see Staff).
func (c *City) Account(t testing.TB, username string) tickets.Actor {
	t.Helper()
	st, err := c.Org.Staff(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return tickets.ActorFor(st)
}

// Register registers a ticket as the Agent, by phone unless in says another channel.
func (c *City) Register(t testing.TB, in tickets.RegisterInput) *tickets.Ticket {
	t.Helper()
	if in.Channel == "" {
		in.Channel = "phone"
	}
	tk, err := c.Tickets.Register(context.Background(), c.Agent, in)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// Dispatch dispatches ticket number to the department with code as the Agent.
func (c *City) Dispatch(t testing.TB, number, department string) *tickets.Ticket {
	t.Helper()
	tk, err := c.Tickets.Dispatch(context.Background(), c.Agent, number, tickets.DispatchInput{Department: department})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// Resolve moves ticket number through the loop as the city would: the Agent dispatches it to
// the department with code (unless routing did), whose Handler accepts it and resolves it with
// text.
func (c *City) Resolve(t testing.TB, number, department, text string) *tickets.Ticket {
	t.Helper()
	ctx := context.Background()
	tk, err := c.Tickets.Get(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != tickets.StatusDispatched || tk.DepartmentID == nil || *tk.DepartmentID != c.DepartmentID(department) {
		c.Dispatch(t, number, department)
	}
	h := c.Handler(department)
	if _, err := c.Tickets.Accept(ctx, h, number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if tk, err = c.Tickets.Resolve(ctx, h, number, tickets.ActInput{Text: text}); err != nil {
		t.Fatal(err)
	}
	return tk
}

// RunIntake runs the intake service's batch writers, as serve does, until the city's test
// ends.
func (c *City) RunIntake() {
	c.t.Helper()
	if c.Intake == nil {
		c.t.Fatal("RunIntake needs the Intake option")
	}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- c.Intake.Run(ctx) }()
	c.t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil {
			c.t.Errorf("intake batch writers: %v", err)
		}
	})
}
