package demo

import (
	"context"

	"github.com/uptrace/bun"
)

// seedStaffWeb loads the staffweb part of the demo city.
func seedStaffWeb(ctx context.Context, db bun.IDB) error {
	return nil
}
