package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
	"github.com/hotline-city/hotline/web"
)

var intakeZone, _ = time.LoadLocation("Asia/Shanghai")

// intakeEnv is the web server with the demo directory and intake demo data on its own
// database (and whatever more opts seed), a fixed clock (Monday 2026-11-16 10:00 in Shanghai) and a real loopback listener.
type intakeEnv struct {
	t       *testing.T
	db      *bun.DB
	clk     *clock.Fixed
	tickets *tickets.Service
	svc     *intake.Service
	ts      *httptest.Server
	agent   tickets.Actor
}

func newIntakeEnv(t *testing.T, cfg intake.Config, opts ...demotest.Option) *intakeEnv {
	t.Helper()
	c := demotest.New(t, append([]demotest.Option{demotest.Intake(cfg), demotest.Escalation(escalation.Options{})}, opts...)...)
	// Submissions are registered in batches, as under serve.
	c.RunIntake()
	srv, err := web.New(web.DepsFor(c))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &intakeEnv{t: t, db: c.DB, clk: c.Clock, tickets: c.Tickets, svc: c.Intake, ts: ts, agent: c.Agent}
}

// noLimits are limits tests that are not about limits cannot reach.
var noLimits = intake.Config{CatalogueTTL: time.Minute}

func (e *intakeEnv) get(path string) (int, http.Header, string) {
	e.t.Helper()
	resp, err := http.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (e *intakeEnv) postForm(path string, form url.Values) (int, http.Header, string) {
	e.t.Helper()
	resp, err := http.Post(e.ts.URL+path, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// handle moves a ticket through the loop as the city would: dispatch to dept, accept, resolve.
func (e *intakeEnv) resolve(number, dept string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.tickets.Dispatch(ctx, e.agent, number, tickets.DispatchInput{Department: dept}); err != nil {
		e.t.Fatal(err)
	}
	d, err := org.NewStore(e.db).Department(ctx, dept)
	if err != nil {
		e.t.Fatal(err)
	}
	handler := tickets.Actor{Name: "handler", Role: org.RoleHandler, DepartmentID: d.ID}
	if _, err := e.tickets.Accept(ctx, handler, number, tickets.ActInput{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.tickets.Resolve(ctx, handler, number, tickets.ActInput{Text: "已修复路面"}); err != nil {
		e.t.Fatal(err)
	}
}
