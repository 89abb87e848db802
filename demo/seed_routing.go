package demo

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/routing"
)

// SeedRouting loads the demo's dispatch rules (Rules) as version 1 of each, written by "demo"
// at at, on top of SeedDirectory. A rule whose id exists — perhaps edited by an administrator
// since — is left alone, so a second run changes nothing.
func SeedRouting(ctx context.Context, db bun.IDB, at time.Time) error {
	return routing.SeedRules(ctx, db, Rules(), routing.Editor{Name: "demo"}, at)
}
