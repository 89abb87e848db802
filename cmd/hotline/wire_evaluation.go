package main

import (
	"context"
	"time"

	"github.com/hotline-city/hotline/evaluation"
)

// wireEvaluation adds the scorecards' engine: reads use the daily aggregate as last refreshed,
// and a refresher brings it up to date every HOTLINE_EVALUATION_REFRESH, so no read pays for
// recomputing the days that changed. Refreshers in other processes take turns under one lock.
func wireEvaluation(ctx context.Context, a *app) error {
	eng := evaluation.NewEngine(a.db, a.cfg.Location, a.clock, evaluation.ReadsAsRefreshed())
	a.web.Evaluation = eng
	period := a.cfg.EvaluationRefresh
	if period <= 0 {
		period = 30 * time.Second
	}
	a.background = append(a.background, func(ctx context.Context) error { return eng.RunRefresher(ctx, period, a.log) })
	return nil
}
