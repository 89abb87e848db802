// Package benchdb gives a benchmark program a fresh, migrated database with the demo city and
// its routing rules, on HOTLINE_DATABASE_URL's server or a private cluster, and reads process
// memory figures.
package benchdb

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/demo"
	"github.com/hotline-city/hotline/internal/pgmanaged"
	"github.com/hotline-city/hotline/routing"
)

// DB is one benchmark database; Close drops it and stops a cluster this process started.
type DB struct {
	*bun.DB
	URL      string
	adminURL string
	name     string
	cluster  *pgmanaged.Cluster
}

// Fresh creates database prefix_<time> with maxConns connections, migrated and seeded. Without
// HOTLINE_DATABASE_URL the private cluster lives under dir/pg.
func Fresh(ctx context.Context, dir, prefix string, maxConns int) (*DB, error) {
	d := &DB{adminURL: os.Getenv("HOTLINE_DATABASE_URL"), name: fmt.Sprintf("%s_%d", prefix, time.Now().Unix())}
	if d.adminURL == "" {
		c, err := pgmanaged.New(filepath.Join(dir, "pg"))
		if err != nil {
			return nil, err
		}
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		d.cluster, d.adminURL = c, c.URL("postgres")
	}
	if err := database.EnsureDatabase(ctx, d.adminURL, d.name); err != nil {
		d.Close()
		return nil, err
	}
	d.URL = WithDB(d.adminURL, d.name)
	db, err := database.Open(ctx, d.URL, maxConns)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.DB = db
	if _, err := database.Migrate(ctx, db); err != nil {
		d.Close()
		return nil, err
	}
	// The demo city with its routing rules, so tickets take the real path: routed and
	// dispatched inside the registering transaction.
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := demo.Seed(ctx, tx); err != nil {
			return err
		}
		return routing.SeedDemo(ctx, tx, time.Now())
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// SynchronousCommit is the server's synchronous_commit setting, printed with the figures.
func (d *DB) SynchronousCommit(ctx context.Context) string {
	var sc string
	d.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&sc)
	return sc
}

// Close drops the database and stops the private cluster if this process started it.
func (d *DB) Close() {
	ctx := context.Background()
	if d.DB != nil {
		d.DB.Close()
	}
	if admin, err := database.Open(ctx, d.adminURL, 1); err == nil {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(d.name))
		admin.Close()
	}
	if d.cluster != nil {
		d.cluster.Stop()
	}
}

// WithDB returns the connection URL raw pointed at database name.
func WithDB(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

// ProcStatus reads one figure in KiB (e.g. "VmHWM", "VmRSS") from a process's status.
func ProcStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no %s for pid %d", field, pid)
}
