package demo

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// seedEscalation gives the demo accounts escalation writes to an e-mail address, so that with
// HOTLINE_SMTP_HOST set the demo shows e-mail delivery too. The addresses are under .invalid,
// a domain reserved never to exist, so a demo never mails a real person. Accounts that already
// have an address keep it, which also makes a second run change nothing. Deadline clocks need
// no seeding: they follow the tickets.
func seedEscalation(ctx context.Context, db bun.IDB) error {
	_, err := db.NewRaw(`UPDATE staff SET email = username || '@demo.invalid'
		WHERE email = '' AND role IN ('handler', 'head', 'dispatcher', 'supervisor', 'leader')`).Exec(ctx)
	if err != nil {
		return fmt.Errorf("seed escalation: %w", err)
	}
	return nil
}
