package faultproxy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/faultproxy"
	"github.com/hotline-city/hotline/internal/testdb"
)

// TestLostCommitReplyIsUnknownThenFoundCommitted: through the proxy, a COMMIT whose reply is lost
// is reported as unknown (not as a failure), the transaction did commit, and Committed says so;
// a transaction that ran nothing matching keeps its reply.
func TestLostCommitReplyIsUnknownThenFoundCommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, url := faultproxy.Start(t, testdb.NewURL(t))
	db, err := database.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE probe (n int)"); err != nil {
		t.Fatal(err)
	}
	p.DropCommitReplies("INSERT INTO probe", 1, 1)
	if err := database.RunInTx(ctx, db, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT 1")
		return err
	}); err != nil {
		t.Fatalf("a transaction the rule does not match: %v", err)
	}
	var xid string
	err = database.RunInTx(ctx, db, nil, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, "INSERT INTO probe VALUES (1) RETURNING "+database.TxIDSQL).Scan(&xid)
	})
	if !errors.Is(err, database.ErrCommitUnknown) || p.Dropped() != 1 {
		t.Fatalf("commit with its reply lost: %v (%d dropped)", err, p.Dropped())
	}
	ok, err := database.Committed(ctx, db, xid)
	if err != nil || !ok {
		t.Fatalf("Committed(%s) = %v, %v; want true", xid, ok, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM probe").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want the committed one", n, err)
	}
	err = database.RunInTx(ctx, db, nil, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, "INSERT INTO probe VALUES (2) RETURNING "+database.TxIDSQL).Scan(&xid)
	})
	if err != nil {
		t.Fatalf("after the one drop asked for: %v", err)
	}
}
