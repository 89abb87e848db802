package main

import (
	"context"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/web"
)

// wireStaff adds staff accounts (sign-in, sessions, tokens, the audit trail) and their
// background work: expired sessions are swept out hourly.
func wireStaff(ctx context.Context, a *app) error {
	accounts, err := account.NewService(account.Config{DB: a.db, Org: a.org, Clock: a.clock, Log: a.log})
	if err != nil {
		return err
	}
	a.web.Accounts = accounts
	a.web.Staff = web.StaffDeps{SessionLifetime: a.cfg.SessionLifetime, IdleTimeout: a.cfg.IdleTimeout, SecureCookies: a.cfg.SecureCookies}
	a.web.KB = kb.NewService(a.db, a.clock, a.cfg.Location)
	a.background = append(a.background, account.SweepSessions(a.db, a.log))
	return nil
}
