package main

import "context"

// wireStaff adds the staff part to the app.
func wireStaff(ctx context.Context, a *app) error {
	return nil
}
