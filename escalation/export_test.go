package escalation

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// ClaimAndFreeze claims the clocks due at now as a sweep batch does, then stops for hold
// inside the transaction, as a scheduler paused mid-batch would, and returns how many it
// claimed and what ending the transaction gave.
func (s *Service) ClaimAndFreeze(ctx context.Context, now time.Time, hold time.Duration, claimed chan<- int) error {
	return s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := s.claimDue(ctx, tx, now)
		if err != nil {
			return err
		}
		claimed <- len(rows)
		time.Sleep(hold)
		_, err = tx.ExecContext(ctx, "SELECT 1")
		return err
	})
}
