package main

import "context"

// wireIntake adds the intake part to the app.
func wireIntake(ctx context.Context, a *app) error {
	return nil
}
