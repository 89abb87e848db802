package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hotline-city/hotline/internal/chain"
	"github.com/hotline-city/hotline/internal/database"
)

// errBroken ends `verify` with a non-zero exit once the broken entry is named.
var errBroken = errors.New("a tamper-evident chain is broken")

// cmdVerify checks the tamper-evident chains of every ticket's timeline and of the audit log.
// With --anchor it first anchors the heads that moved since the last anchor. Intact: a summary
// on stdout, with the latest anchor's digest to compare with the one in the log; broken: the
// first broken entry on stderr and exit 1.
func cmdVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("verify")
	anchor := fs.Bool("anchor", false, "anchor the chains' heads before checking")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	e, err := open(ctx, getenv, stderr, 4)
	if err != nil {
		return err
	}
	defer e.close()
	if pending, err := database.Pending(ctx, e.db); err != nil || len(pending) > 0 {
		return errors.New("verify: the database is not migrated: run hotline migrate first")
	}
	if *anchor {
		a, err := chain.Take(ctx, e.db)
		if err != nil {
			return err
		}
		if a != nil {
			fmt.Fprintf(stdout, "anchored %d chain heads: anchor %d, digest %s\n", a.Entries, a.ID, a.Digest)
		}
	}
	r, err := chain.Verify(ctx, e.db)
	if err != nil {
		return err
	}
	if r.Broken != "" {
		return fmt.Errorf("%w: %s", errBroken, r.Broken)
	}
	fmt.Fprintf(stdout, "intact: %d ticket timelines (%d entries), the audit log (%d entries), %d anchors\n",
		r.Tickets, r.Events, r.AuditEntries, r.Anchors)
	if a := r.LatestAnchor; a != nil {
		fmt.Fprintf(stdout, "latest anchor: %d at %s, digest %s\n", a.ID, a.At.Format("2006-01-02T15:04:05Z07:00"), a.Digest)
	}
	return nil
}
