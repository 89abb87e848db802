package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// ErrCommitUnknown means a COMMIT was sent and no answer came back (the connection dropped: a
// network blip, a pooler, a failover): the transaction may have committed or not. Only a look
// at the database tells, and a writer must not redo the work before it has looked.
var ErrCommitUnknown = errors.New("the database did not answer the commit: it may have happened or not")

// RunInTx runs fn in a transaction of db and commits it, as bun's RunInTx does, but tells a
// COMMIT that went unanswered (ErrCommitUnknown) from one the server refused, which did not
// happen.
func RunInTx(ctx context.Context, db bun.IDB, opts *sql.TxOptions, fn func(ctx context.Context, tx bun.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrCommitUnknown, err)
	}
	return nil
}

// TxIDSQL, selected inside a transaction, is its transaction id as text: what Committed asks
// about after an unanswered COMMIT.
const TxIDSQL = "pg_current_xact_id()::text"

// Committed reports whether transaction xid (from TxIDSQL) committed. The COMMIT of a transaction
// whose connection dropped may still be under way in its server process, so Committed waits
// until PostgreSQL no longer holds it in progress; only then are its rows, or their absence,
// the final word. It gives up with ctx.
func Committed(ctx context.Context, db bun.IDB, xid string) (bool, error) {
	wait := 5 * time.Millisecond
	for {
		var status sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT pg_xact_status(?::xid8)", xid).Scan(&status); err != nil {
			return false, fmt.Errorf("status of transaction %s: %w", xid, err)
		}
		switch status.String {
		case "committed":
			return true, nil
		case "aborted":
			return false, nil
		case "in progress":
		default:
			// Too old to be known any more, which a transaction looked up at once never is.
			return false, fmt.Errorf("status of transaction %s: unknown: %w", xid, ErrCommitUnknown)
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("status of transaction %s: %w: %w", xid, ErrCommitUnknown, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// UniqueViolation says whether err is PostgreSQL refusing a duplicate of a unique value, and
// names the constraint it broke.
func UniqueViolation(err error) (constraint string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}
