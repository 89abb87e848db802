package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/config"
	"github.com/hotline-city/hotline/internal/metrics"
	"github.com/hotline-city/hotline/tickets"
	"github.com/hotline-city/hotline/web"
)

// wireEscalation adds the escalation part to the app: the service behind the extension and
// supervision pages, the sweep on its cron schedule and the outbox's delivery worker.
func wireEscalation(ctx context.Context, a *app) error {
	hub := escalation.NewHub()
	esc := newEscalation(a.db, a.cfg, a.log, a.clock, a.cal, a.tickets, hub)
	del := escalation.NewDelivery(a.db, a.clock, a.log, hub, escalation.DeliveryOptions{
		SMTPHost: a.cfg.SMTPHost, SMTPPort: a.cfg.SMTPPort, SMTPFrom: a.cfg.SMTPFrom, SMSGateway: a.cfg.SMSGateway,
	})
	// A pending extension request closes when its ticket is resolved, in the same transaction;
	// the citizen's receipt and rating link are queued with the registration and the resolution.
	a.tickets.Follow(esc)
	a.web.Escalation = web.EscalationDeps{Service: esc}
	a.background = append(a.background,
		func(ctx context.Context) error { return runSchedule(ctx, a.cfg, a.log, a.clock, esc, a.metrics) },
		del.Run,
	)
	return nil
}

func newEscalation(db *bun.DB, cfg *config.Config, log *slog.Logger, clk clock.Clock, cal escalation.Calendar, ts *tickets.Service, hub *escalation.Hub) *escalation.Service {
	return escalation.New(db, clk, cal, cfg.Location, log, ts, hub, escalation.Options{
		WarnShare: cfg.WarnShare, Period: cfg.EscalationPeriod, Email: cfg.SMTPHost != "", SMS: cfg.SMSGateway != "", PublicURL: cfg.PublicURL,
	})
}

// runSchedule runs the sweep on HOTLINE_SWEEP_SCHEDULE until ctx ends. A sweep still running
// when the next is due makes that one skip; sweeps in other processes share the work safely.
func runSchedule(ctx context.Context, cfg *config.Config, log *slog.Logger, clk clock.Clock, esc *escalation.Service, m *metrics.Metrics) error {
	c := cron.New(cron.WithLocation(cfg.Location))
	var running atomic.Bool
	_, err := c.AddFunc(cfg.SweepSchedule, func() {
		if !running.CompareAndSwap(false, true) {
			log.Warn("escalation sweep still running: this run is skipped")
			return
		}
		defer running.Store(false)
		start := time.Now()
		n, err := esc.Sweep(ctx, clk.Now(), func(a escalation.Action) {
			log.Info("escalation", "ticket_no", a.Ticket, "clock", a.Clock, "action", a.Action, "level", a.Level, "notice", a.Notice)
		})
		if ctx.Err() == nil {
			m.Sweep(time.Since(start), n, err)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("escalation sweep", "err", err)
			return
		}
		log.Debug("escalation sweep done", "actions", n, "took", time.Since(start))
	})
	if err != nil {
		return err
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
