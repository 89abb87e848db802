package demo

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// seedEscalation gives the demo accounts escalation writes to an e-mail address, so that with
// HOTLINE_SMTP_HOST set the demo shows e-mail delivery too. The addresses are under .invalid,
// a domain reserved never to exist, so a demo never mails a real person. Accounts that already
// have an address keep it, which also makes a second run change nothing. Deadline clocks need
// no seeding: they follow the tickets.
func seedEscalation(ctx context.Context, db bun.IDB) error {
	return org.NewStore(db).SetMissingEmails(ctx, "demo.invalid",
		org.RoleHandler, org.RoleHead, org.RoleDispatcher, org.RoleSupervisor, org.RoleLeader)
}
