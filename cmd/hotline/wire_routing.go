package main

import (
	"context"

	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/web"
)

// wireRouting adds the routing part to the app: the rule cache (kept current by the listener
// while serving), dispatch at registration, and the nightly retraining of the classifier.
func wireRouting(ctx context.Context, a *app) error {
	cache := routing.NewCache(a.db, a.listener, a.log)
	if err := cache.Load(ctx); err != nil {
		return err
	}
	svc := routing.NewService(routing.Config{DB: a.db, Tickets: a.tickets, Calendar: a.cal, Clock: a.clock,
		Location: a.cfg.Location, Log: a.log, Cache: cache})
	a.tickets.Route(svc)
	a.web.Routing = web.RoutingDeps{Service: svc}
	a.background = append(a.background, cache.Run, svc.RunNightly)
	return nil
}
