package main

import (
	"context"

	"github.com/hotline-city/hotline/web"
)

// wireStaff adds the staff web's background work: expired sessions are swept out hourly.
func wireStaff(ctx context.Context, a *app) error {
	a.background = append(a.background, web.SweepSessions(a.db, a.log))
	return nil
}
