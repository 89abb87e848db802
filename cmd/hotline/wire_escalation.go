package main

import "context"

// wireEscalation adds the escalation part to the app.
func wireEscalation(ctx context.Context, a *app) error {
	return nil
}
