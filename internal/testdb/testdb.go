// Package testdb gives each test its own freshly migrated PostgreSQL database.
//
// With HOTLINE_TEST_DATABASE_URL set (a URL whose user may create databases), it uses that
// server. Otherwise it starts, or reuses, a private cluster under var/pgtest at the module root
// with the machine's initdb and pg_ctl; `make test` stops it afterwards. A template database
// migrated once per set of migrations makes a new test database cost one CREATE DATABASE.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/migrations"
	"github.com/hotline-city/hotline/internal/pgmanaged"
)

var (
	once     sync.Once
	adminURL string
	template string
	setupErr error
	cluster  *pgmanaged.Cluster // the private cluster, when no server was configured
	restart  sync.Mutex
)

// New returns a new migrated database, dropped when the test ends.
func New(t testing.TB) *bun.DB {
	t.Helper()
	url := NewURL(t)
	db, err := database.Open(context.Background(), url, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewURL creates a new migrated database and returns its URL, for tests that start processes.
func NewURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	name := "t_" + randomHex(8)
	ctx := context.Background()
	admin, err := database.Open(ctx, adminURL, 2)
	if err != nil && cluster != nil {
		// The private cluster went away under us (stopped by hand or by a crash): start it
		// again rather than failing every test that follows.
		restart.Lock()
		if err = cluster.Start(ctx); err == nil {
			admin, err = database.Open(ctx, adminURL, 2)
		}
		restart.Unlock()
	}
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE ? TEMPLATE ?", bun.Ident(name), bun.Ident(template))
		var pgErr *pgconn.PgError
		// Two packages copying the template at the same moment may see each other's connection.
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "55006" && attempt < 50 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		break
	}
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := database.Open(context.Background(), adminURL, 1)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(name))
	})
	return database.WithName(adminURL, name)
}

// AdminURL is the URL of the maintenance database of the test server.
func AdminURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	return adminURL
}

func setup() error {
	ctx := context.Background()
	adminURL = os.Getenv("HOTLINE_TEST_DATABASE_URL")
	if adminURL == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		c, err := pgmanaged.New(filepath.Join(root, "var", "pgtest"))
		if err != nil {
			return err
		}
		cluster = c
		// Throwaway data: trade durability for speed.
		c.Settings = map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
		if err := c.Start(ctx); err != nil {
			return err
		}
		adminURL = c.URL("postgres")
	}
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "tpl_" + sum
	admin, err := database.Open(ctx, adminURL, 2)
	if err != nil {
		return err
	}
	defer admin.Close()
	// One process builds the template; the others wait on the advisory lock and find it built.
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(4242)")
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ? AND datistemplate)", template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	build := template + "_build"
	conn.ExecContext(ctx, "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(build))
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE ?", bun.Ident(build)); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	db, err := database.Open(ctx, database.WithName(adminURL, build), 2)
	if err != nil {
		return err
	}
	_, err = database.Migrate(ctx, db)
	db.Close()
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE ? RENAME TO ?", bun.Ident(build), bun.Ident(template)); err != nil {
		return fmt.Errorf("rename template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE ? WITH IS_TEMPLATE true", bun.Ident(template)); err != nil {
		return fmt.Errorf("mark template: %w", err)
	}
	return nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
