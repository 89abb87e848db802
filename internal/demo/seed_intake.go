package demo

import (
	"context"

	"github.com/uptrace/bun"
)

// seedIntake loads the intake part of the demo city.
func seedIntake(ctx context.Context, db bun.IDB) error {
	return nil
}
