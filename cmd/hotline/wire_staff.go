package main

import (
	"context"
	"time"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/chain"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/web"
)

// wireStaff adds staff accounts (sign-in, sessions, tokens, the audit trail) and their
// background work: expired sessions are swept out hourly, and the tamper-evident chains of the
// timelines and the audit trail are anchored hourly, each anchor's digest logged.
func wireStaff(ctx context.Context, a *app) error {
	accounts, err := account.NewService(account.Config{DB: a.db, Org: a.org, Clock: a.clock, Log: a.log})
	if err != nil {
		return err
	}
	a.web.Accounts = accounts
	a.web.Staff = web.StaffDeps{SessionLifetime: a.cfg.SessionLifetime, IdleTimeout: a.cfg.IdleTimeout, SecureCookies: a.cfg.SecureCookies,
		ExportMaxRows: a.cfg.ExportMaxRows}
	a.web.KB = kb.NewService(a.db, a.clock, a.cfg.Location)
	a.background = append(a.background, account.SweepSessions(a.db, a.log), chain.Anchoring(a.db, a.log, time.Hour))
	return nil
}
