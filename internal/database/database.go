// Package database opens the PostgreSQL pool through bun and applies the embedded migrations.
package database

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/migrate"

	"github.com/hotline-city/hotline/internal/migrations"
)

// migrateLockID is the advisory lock that serialises migrations of several processes.
const migrateLockID = 0x686f746c696e65 // "hotline"

// Open connects to url and checks the connection.
//
// Queries run in pgx's exec mode (one round trip each, with an unnamed statement) unless the URL
// sets default_query_exec_mode: bun writes the arguments into the SQL text, so nearly every
// statement is new to the driver, and the default mode would prepare each one in a round trip
// of its own and keep hundreds of one-off prepared statements per connection on the server.
func Open(ctx context.Context, url string, maxConns int) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %s", Redact(url), shortErr(err))
	}
	if !strings.Contains(url, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	// hotline's queries are short: JIT compilation, which PostgreSQL starts for any plan it
	// deems costly (a search over millions of tickets), takes longer (~35 ms) than most of them
	// run. A search's bitmap of a common word's tickets turns lossy in the default 4 MB, and
	// every ticket on a lossy page is read again. Both stay as the URL sets them, if it does.
	for param, value := range map[string]string{"jit": "off", "work_mem": "32MB"} {
		if _, set := cfg.RuntimeParams[param]; !set && !strings.Contains(url, param) {
			cfg.RuntimeParams[param] = value
		}
	}
	sqldb := stdlib.OpenDB(*cfg)
	if maxConns > 0 {
		sqldb.SetMaxOpenConns(maxConns)
		sqldb.SetMaxIdleConns(maxConns)
	}
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := bun.NewDB(sqldb, pgdialect.New())
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database unreachable at %s: %s", Redact(url), shortErr(err))
	}
	return db, nil
}

// WithName returns the connection URL raw pointed at database name (the same server, user and
// options); a URL it cannot parse is returned unchanged.
func WithName(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

// Redact hides the password of a connection URL for messages and logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func shortErr(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && len(msg)-i > 10 {
		return msg[i+2:]
	}
	return msg
}

// EnsureDatabase creates database name through the admin connection URL if it is missing.
func EnsureDatabase(ctx context.Context, adminURL, name string) error {
	db, err := Open(ctx, adminURL, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE ?", bun.Ident(name)); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another process
			return nil
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func migrator(db *bun.DB) (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrations.FS); err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Migrate applies every pending migration and returns their names. Two processes migrating at
// once take turns on an advisory lock, so the second finds nothing left to do.
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := migrator(db)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrateLockID); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrateLockID)
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrate: init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, mig := range group.Migrations {
		names = append(names, mig.Name+"_"+mig.Comment)
	}
	return names, nil
}

// Pending lists migrations not yet applied; /readyz is not ready while any are.
func Pending(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := migrator(db)
	if err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, mig := range ms.Unapplied() {
		names = append(names, mig.Name+"_"+mig.Comment)
	}
	return names, nil
}
