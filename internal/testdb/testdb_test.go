package testdb

import (
	"context"
	"testing"
)

func TestNewGivesSeparateMigratedDatabases(t *testing.T) {
	t.Parallel()
	a, b := New(t), New(t)
	ctx := context.Background()
	if _, err := a.ExecContext(ctx, "INSERT INTO deadline_profiles VALUES ('x', 'x', 1, 24, 1, 1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRowContext(ctx, "SELECT count(*) FROM deadline_profiles").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees %d rows of the first", n)
	}
}
