package demo

import (
	"context"

	"github.com/uptrace/bun"
)

// seedRouting loads the routing part of the demo city.
func seedRouting(ctx context.Context, db bun.IDB) error {
	return nil
}
