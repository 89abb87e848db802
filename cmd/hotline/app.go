package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/metrics"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/pgnotify"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
	"github.com/hotline-city/hotline/web"
)

// app is everything one process wires together: main builds it by hand, pool → stores →
// services → web, and each domain adds its part in its own wire_*.go file.
type app struct {
	*env
	clock clock.Clock
	// cal is the working-day calendar every service counts deadlines on; administrators'
	// edits swap in a new one while the process runs (workcal.Live).
	cal     *workcal.Live
	org     *org.Store
	tickets *tickets.Service
	web     web.Deps
	// listener is the process's one LISTEN connection; every part that reloads when another
	// process changes its table subscribes to its topic there.
	listener *pgnotify.Listener
	// metrics are what operations watch (HOTLINE_METRICS_ADDR); the parts report to them.
	metrics *metrics.Metrics
	// background are the long-running parts of `serve` (SIP, scheduler, delivery workers).
	// Each runs until ctx ends; an error from one stops the process.
	background []func(ctx context.Context) error
}

// newApp builds the services on an open database.
func newApp(ctx context.Context, e *env) (*app, error) {
	days, err := workcal.NewStore(e.db).Load(ctx)
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		// A fresh database before seeding still counts working days on the national calendar.
		if days, err = workcal.Seed(); err != nil {
			return nil, err
		}
	}
	listener, err := pgnotify.New(e.url, e.log)
	if err != nil {
		return nil, err
	}
	a := &app{env: e, clock: clock.System{}, listener: listener, org: org.NewStore(e.db), metrics: metrics.New(e.db.DB, buildVersion())}
	a.metrics.Calls(func(ctx context.Context) (map[string]int, int, error) {
		day, err := telephony.CallsToday(ctx, e.db, a.clock.Now(), e.cfg.Location)
		return day.ByOutcome, day.Answered15, err
	})
	a.cal = workcal.NewLive(workcal.New(days, e.cfg.Location, workcal.DefaultHours))
	if year := a.clock.Now().In(e.cfg.Location).Year() + 1; !a.cal.Get().Covers(year) {
		e.log.Warn("the working-day calendar has no entries for next year: add the State Council's holidays", "year", year)
	}
	a.tickets = tickets.NewService(e.db, a.clock, a.cal, e.cfg.Location, e.log)
	a.web = web.Deps{DB: e.db, Log: e.log, Version: buildVersion(), Config: e.cfg, Clock: a.clock,
		Calendar: a.cal.Get(), LiveCalendar: a.cal, Org: a.org, Tickets: a.tickets, Listener: a.listener}
	// Other processes' calendar edits arrive by NOTIFY, with a reload every minute besides.
	a.background = append(a.background, a.listener.Run, func(ctx context.Context) error {
		return a.cal.Run(ctx, e.db, a.listener, time.Minute, e.log)
	})
	for _, wire := range []struct {
		name string
		fn   func(context.Context, *app) error
	}{
		{"routing", wireRouting},
		{"escalation", wireEscalation},
		{"intake", wireIntake},
		{"telephony", wireTelephony},
		{"evaluation", wireEvaluation},
		{"staff web", wireStaff},
	} {
		if err := wire.fn(ctx, a); err != nil {
			return nil, fmt.Errorf("%s: %w", wire.name, err)
		}
	}
	return a, nil
}
