package main

import (
	"context"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/web"
)

// wireIntake adds online intake: Open311, the public complaint form and citizens' tracking.
func wireIntake(ctx context.Context, a *app) error {
	svc, err := intake.New(ctx, a.db, a.tickets, a.clock, a.cfg.Location, a.log, intake.DefaultConfig)
	if err != nil {
		return err
	}
	a.web.Intake = web.IntakeDeps{Service: svc}
	// The rating link sent by SMS at resolution is signed with intake's secret.
	a.web.Escalation.Service.LinkRatings(svc.RatingToken)
	// Submissions are registered in batches while serve runs.
	a.background = append(a.background, svc.Run)
	return nil
}
