package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/config"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// staffEnv is a staff web on its own database with the demo directory and accounts, a fixed
// clock, and a real listener.
type staffEnv struct {
	t       *testing.T
	db      *bun.DB
	log     *slog.Logger
	srv     *Server
	ts      *httptest.Server
	clock   *clock.Fixed
	tickets *tickets.Service
	org     *org.Store
	url     string // the database's, for a LISTEN connection
}

// testNow is a Monday morning in Shanghai.
var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, mustZone("Asia/Shanghai"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func newStaffEnv(t *testing.T) *staffEnv { return newStaffEnvWith(t, nil) }

// newStaffEnvWith is newStaffEnv with more areas: wire adds them to the server's dependencies
// before the server is built (see withRouting, withIntake).
func newStaffEnvWith(t *testing.T, wire func(e *staffEnv, d *Deps)) *staffEnv {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testLogOut, nil))
	c := demotest.New(t, demotest.At(testNow), demotest.Logger(log), demotest.Staff(), demotest.Seed(demo.SeedStaffWeb),
		demotest.Intake(intake.Config{CatalogueTTL: time.Minute}),
		demotest.Escalation(escalation.Options{}))
	e := &staffEnv{t: t, db: c.DB, log: log, clock: c.Clock, tickets: c.Tickets, org: c.Org, url: c.URL}
	deps := depsFor(c)
	if wire != nil {
		wire(e, &deps)
	}
	srv, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	return e
}

// depsFor are the server's dependencies on the city c, every area wired as serve wires it.
// Without demotest.Routing, routing keeps no rules and does not dispatch at registration, so
// tickets stay with the centre until a test dispatches them.
func depsFor(c *demotest.City) Deps {
	rt := c.Routing
	if rt == nil {
		rt = routing.NewService(routing.Config{DB: c.DB, Tickets: c.Tickets, Calendar: c.Calendar, Clock: c.Clock,
			Location: c.Location, Log: c.Log, Cache: routing.NewCache(c.DB, nil, c.Log)})
	}
	return Deps{DB: c.DB, Log: c.Log, Version: "test", Config: &config.Config{Location: c.Location}, Clock: c.Clock,
		Calendar: c.Calendar, Org: c.Org, Tickets: c.Tickets, Accounts: c.Accounts, KB: c.KB,
		Routing: RoutingDeps{Service: rt}, Intake: IntakeDeps{Service: c.Intake},
		Escalation: EscalationDeps{Service: c.Escalation, Poll: 50 * time.Millisecond}}
}

// resp is a finished response with its body read.
type resp struct {
	Status int
	Header http.Header
	Body   string
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// do sends a request; body may be nil, url.Values (a form) or anything else (JSON).
func (e *staffEnv) do(c *http.Client, method, path string, body any, hdr map[string]string) resp {
	e.t.Helper()
	req := newRequest(e.t, method, e.ts.URL+path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = noRedirect(nil)
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// token logs username in through the API and returns its bearer header.
func (e *staffEnv) token(username string) map[string]string {
	e.t.Helper()
	pw := ""
	for _, a := range demo.Accounts() {
		if a.Username == username {
			pw = a.Password
		}
	}
	r := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": username, "password": pw}, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return map[string]string{"Authorization": "Bearer " + r.json(e.t)["token"].(string)}
}

// browser logs username in through the login page and returns a client holding the session.
func (e *staffEnv) browser(username string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	pw := ""
	for _, a := range demo.Accounts() {
		if a.Username == username {
			pw = a.Password
		}
	}
	r := e.do(c, "POST", "/login", url.Values{"username": {username}, "password": {pw}}, map[string]string{"Origin": e.ts.URL})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return c
}

// register makes a ticket as the dispatcher and dispatches it to dept when dept is not empty.
func (e *staffEnv) register(desc, category, phone, dept string) *tickets.Ticket {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.org.Staff(ctx, "dispatcher")
	if err != nil {
		e.t.Fatal(err)
	}
	actor := tickets.ActorFor(st)
	t, err := e.tickets.Register(ctx, actor, tickets.RegisterInput{Channel: "phone", Category: category,
		Description: desc, CallerPhone: phone, CallerName: "张先生", Address: "东城区安定门内大街1号"})
	if err != nil {
		e.t.Fatal(err)
	}
	if dept != "" {
		if t, err = e.tickets.Dispatch(ctx, actor, t.Number, tickets.DispatchInput{Department: dept}); err != nil {
			e.t.Fatal(err)
		}
	}
	return t
}

// testLogOut is where test servers log; set STAFF_TEST_LOG=1 to see it.
var testLogOut io.Writer = io.Discard

func init() {
	if os.Getenv("STAFF_TEST_LOG") != "" {
		testLogOut = os.Stderr
	}
}

// newRequest builds a test request; body may be nil, url.Values (a form), a string (raw JSON)
// or any other value, sent as JSON.
func newRequest(t testing.TB, method, target string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		raw, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req
}
