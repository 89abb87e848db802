package demo

import (
	"context"

	"github.com/uptrace/bun"
)

// seedRouting loads the routing part of the demo city. The demo's dispatch rules live in
// package routing, which builds them from this package's city, so `hotline seed --demo` loads
// them with routing.SeedDemo right after Seed; nothing is left to do here.
func seedRouting(ctx context.Context, db bun.IDB) error {
	return nil
}
