package main

import "context"

// wireTelephony adds the telephony part to the app.
func wireTelephony(ctx context.Context, a *app) error {
	return nil
}
