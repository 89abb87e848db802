package main

import "context"

// wireRouting adds the routing part to the app.
func wireRouting(ctx context.Context, a *app) error {
	return nil
}
