// Package benchdb gives a benchmark program a fresh, migrated database with the demo city and
// its routing rules, on HOTLINE_DATABASE_URL's server or a private cluster, and reads process
// memory figures.
package benchdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/bench/internal/firsterr"
	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/pgmanaged"
)

// DB is one benchmark database; Close drops it and stops a cluster this process started.
type DB struct {
	*bun.DB
	URL      string
	adminURL string
	name     string
	cluster  *pgmanaged.Cluster
	// Keep leaves the database in place at Close, for a later run to measure again (Existing).
	Keep bool
}

// Name is the database's name.
func (d *DB) Name() string { return d.name }

// Existing opens database name, kept by an earlier run, migrated to this build's migrations;
// Close drops it unless Keep is set.
func Existing(ctx context.Context, dir, name string, maxConns int) (*DB, error) {
	d := &DB{adminURL: os.Getenv("HOTLINE_DATABASE_URL"), name: name}
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
	d.URL = database.WithName(d.adminURL, d.name)
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
	return d, nil
}

// DemoCity seeds the demo city with its routing rules, so tickets take the real path: routed and
// dispatched inside the registering transaction.
func DemoCity(ctx context.Context, db bun.IDB) error { return demo.Seed(ctx, db) }

// Fresh creates database prefix_<time> with maxConns connections, migrated and loaded by seed
// in one transaction. Without HOTLINE_DATABASE_URL the private cluster lives under dir/pg.
func Fresh(ctx context.Context, dir, prefix string, maxConns int, seed func(context.Context, bun.IDB) error) (*DB, error) {
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
	d.URL = database.WithName(d.adminURL, d.name)
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
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return seed(ctx, tx) })
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

// Close drops the database (unless kept) and stops the private cluster if this process started it.
func (d *DB) Close() {
	ctx := context.Background()
	if d.DB != nil {
		d.DB.Close()
	}
	if d.Keep {
		if d.cluster != nil {
			d.cluster.Stop()
		}
		return
	}
	if admin, err := database.Open(ctx, d.adminURL, 1); err == nil {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(d.name))
		admin.Close()
	}
	if d.cluster != nil {
		d.cluster.Stop()
	}
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

// Phase runs op from workers goroutines until dur has passed and returns operations per second;
// the first error stops its worker and is returned.
func Phase(workers int, dur time.Duration, op func(i int) error) (float64, error) {
	var done atomic.Int64
	var firstErr firsterr.Slot
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				if err := op(w*1_000_000 + i); err != nil {
					firstErr.Set(err)
					return
				}
				done.Add(1)
			}
		}(w)
	}
	wg.Wait()
	if err := firstErr.Err(); err != nil {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// BareRate is the yardstick the benches compare against: the same two inserts as a registration
// (the ticket row and its first event) as one bare SQL transaction each, from workers goroutines
// for dur, in tickets per second.
func (d *DB) BareRate(ctx context.Context, workers int, dur time.Duration, category, channel, text string) (float64, error) {
	var catID int64
	if err := d.QueryRowContext(ctx, "SELECT id FROM categories WHERE code = ?", category).Scan(&catID); err != nil {
		return 0, fmt.Errorf("bare: category %s: %w", category, err)
	}
	if _, err := d.ExecContext(ctx, "CREATE SEQUENCE IF NOT EXISTS bench_bare_seq"); err != nil {
		return 0, err
	}
	data := fmt.Sprintf(`{"channel":%q}`, channel)
	return Phase(workers, dur, func(i int) error {
		return d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			now := time.Now()
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO tickets (number, type, channel, status, category_id, description, address,
				caller_phone, priority, profile_code, created_at, updated_at, feedback_due)
				VALUES ('B-' || nextval('bench_bare_seq'), 'complaint', ?, 'registered', ?, ?, '东城区安定门大街1号', '13800138000',
				'normal', 'standard', ?, ?, ?) RETURNING id`,
				channel, catID, fmt.Sprintf("%s %d", text, i), now, now, now.Add(24*time.Hour)).Scan(&id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, actor_name, actor_role, at, public, to_status, data)
				VALUES (?, 'register', 'bench', 'agent', ?, true, 'registered', ?)`, id, now, data)
			return err
		})
	})
}
