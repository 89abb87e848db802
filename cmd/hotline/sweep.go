package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// cmdSweep runs one escalation sweep as if the time were --at and prints one JSON object per
// action. It is the sweep the scheduler in serve runs; the notifications it queues are sent by
// the delivery worker of a running server.
func cmdSweep(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep")
	atFlag := fs.String("at", "", "sweep as if the time were this RFC 3339 time (default: now)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var clk clock.Clock = clock.System{}
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return fmt.Errorf("sweep: --at %q is not an RFC 3339 time such as 2026-11-21T09:00:00+08:00", *atFlag)
		}
		clk = clock.NewFixed(t)
	}
	e, err := open(ctx, getenv, stderr, 8)
	if err != nil {
		return err
	}
	defer e.close()
	if pending, err := database.Pending(ctx, e.db); err != nil || len(pending) > 0 {
		return errors.New("sweep: the database is not migrated: run hotline migrate first")
	}
	days, err := workcal.NewStore(e.db).Load(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if len(days) == 0 {
		if days, err = workcal.Seed(); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	cal := workcal.New(days, e.cfg.Location, workcal.DefaultHours)
	ts := tickets.NewService(e.db, clk, cal, e.cfg.Location, e.log)
	esc := newEscalation(e.db, e.cfg, e.log, clk, cal, ts, nil)
	enc := json.NewEncoder(stdout)
	var werr error
	_, err = esc.Sweep(ctx, clk.Now(), func(a escalation.Action) {
		if werr == nil {
			werr = enc.Encode(a)
		}
	})
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("sweep: write actions: %w", werr)
	}
	return nil
}
