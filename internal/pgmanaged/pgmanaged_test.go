package pgmanaged

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestStartReuseStop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A directory every user can enter, so the cluster lives where the test says and is removed.
	base, err := os.MkdirTemp("", "pgmanaged")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "pg")
	c, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Settings = map[string]string{"fsync": "off"}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.StopAlways() })
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fsync string
	if err := db.QueryRowContext(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Fatalf("fsync = %s: settings not applied", fsync)
	}
	// A second process finds it running and must not stop it on exit.
	other, _ := New(dir)
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("the second process stopped the first one's cluster: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "postmaster.pid")); err == nil {
		t.Fatal("still running after Stop")
	}
}

func TestOthersCanEnter(t *testing.T) {
	t.Parallel()
	open, err := os.MkdirTemp("", "pgmanaged")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(open) })
	os.Chmod(open, 0o755)
	closed := filepath.Join(open, "private")
	os.Mkdir(closed, 0o700)
	if !othersCanEnter(open) || othersCanEnter(filepath.Join(closed, "x")) {
		t.Fatal("othersCanEnter disagrees with the modes")
	}
}
