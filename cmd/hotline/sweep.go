package main

import (
	"context"
	"errors"
	"io"
)

// cmdSweep runs one escalation sweep (the escalation part fills this in).
func cmdSweep(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("sweep: not available yet")
}
