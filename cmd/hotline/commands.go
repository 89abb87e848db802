package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/config"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/pgmanaged"
	"github.com/hotline-city/hotline/web"
)

// env is what every command starts from: configuration, logger, and an open database.
type env struct {
	cfg      *config.Config
	log      *slog.Logger
	db       *bun.DB
	url      string // db's connection URL: the configured one or the managed cluster's
	maxConns int
	cluster  *pgmanaged.Cluster
}

func (e *env) close() {
	if e.db != nil {
		e.db.Close()
	}
	if e.cluster != nil {
		if err := e.cluster.Stop(); err != nil {
			e.log.Error("stop managed postgres", "err", err)
		}
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// open loads the configuration and connects to the database, starting the managed cluster
// when no HOTLINE_DATABASE_URL is set.
func open(ctx context.Context, getenv func(string) string, stderr io.Writer, maxConns int) (*env, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	e := &env{cfg: cfg, log: newLogger(stderr, cfg.LogLevel)}
	url := cfg.DatabaseURL
	if url == "" {
		c, err := pgmanaged.New(filepath.Join(cfg.DataDir, "pg"))
		if err != nil {
			return nil, err
		}
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		e.cluster = c
		if err := database.EnsureDatabase(ctx, c.URL("postgres"), "hotline"); err != nil {
			e.close()
			return nil, err
		}
		url = c.URL("hotline")
		e.log.Debug("using the private PostgreSQL cluster", "dir", c.Dir)
	}
	e.db, err = database.Open(ctx, url, maxConns)
	if err != nil {
		e.close()
		return nil, err
	}
	e.url = url
	e.maxConns = maxConns
	return e, nil
}

// migrateAndGrant applies the migrations and grants the application's role what it needs.
// On the managed cluster the role is created first; with a configured database it is granted
// when it exists (README: the operator creates it).
func (e *env) migrateAndGrant(ctx context.Context) ([]string, error) {
	applied, err := database.Migrate(ctx, e.db)
	if err != nil {
		return nil, err
	}
	if e.cluster != nil {
		if err := database.EnsureAppRole(ctx, e.db, e.cfg.AppRole); err != nil {
			return nil, err
		}
	}
	var exists bool
	if err := e.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", e.cfg.AppRole).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		e.log.Warn("the application's database role does not exist: no grants; create it (README: the database roles) and migrate again", "role", e.cfg.AppRole)
		return applied, nil
	}
	return applied, database.GrantApp(ctx, e.db, e.cfg.AppRole)
}

// asApp reconnects, on the managed cluster, as the application's role, which owns nothing.
func (e *env) asApp(ctx context.Context) error {
	if e.cluster == nil {
		return nil
	}
	app, err := database.Open(ctx, e.cluster.URLAs(e.cfg.AppRole, "hotline"), e.maxConns)
	if err != nil {
		return err
	}
	e.db.Close()
	e.db, e.url = app, e.cluster.URLAs(e.cfg.AppRole, "hotline")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := parseFlags(newFlags("migrate"), args); err != nil {
		return err
	}
	e, err := open(ctx, getenv, stderr, 4)
	if err != nil {
		return err
	}
	defer e.close()
	applied, err := e.migrateAndGrant(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return nil
}

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("seed")
	demoFlag := fs.Bool("demo", false, "load the demo city")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*demoFlag {
		return errors.New("seed: only the demo data can be seeded: hotline seed --demo")
	}
	e, err := open(ctx, getenv, stderr, 4)
	if err != nil {
		return err
	}
	defer e.close()
	if pending, err := database.Pending(ctx, e.db); err != nil || len(pending) > 0 {
		return errors.New("seed: the database is not migrated: run hotline migrate first")
	}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return demo.Seed(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// Months of handled tickets, through the tickets service (its own transactions), once.
	if err := demo.SeedHistory(ctx, e.db, e.cfg.Location, time.Now()); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintln(stdout, "demo data loaded")
	return nil
}

// prepareToServe migrates when the role connected may, and makes sure the process serves as a
// role that can rewrite nothing that must stay as written: on the managed cluster it switches
// to the application's role; on a configured database it warns loudly when the URL's role is
// a superuser or an owner, and refuses to start on a schema not yet migrated that it cannot
// migrate.
func (e *env) prepareToServe(ctx context.Context) error {
	rights, err := database.Rights(ctx, e.db)
	if err != nil {
		return err
	}
	if e.cluster != nil || rights.Privileged() {
		if _, err := e.migrateAndGrant(ctx); err != nil {
			return err
		}
	} else if pending, err := database.Pending(ctx, e.db); err != nil {
		return err
	} else if len(pending) > 0 {
		return fmt.Errorf("the database needs %d migrations and role %s may not apply them: run hotline migrate with the owner's HOTLINE_DATABASE_URL", len(pending), rights.Role)
	}
	d, err := database.ReadDurability(ctx, e.db)
	if err != nil {
		return err
	}
	if !d.Durable() {
		if e.cfg.RequireDurable {
			return fmt.Errorf("the database may lose answered commits in a crash (%s): acknowledged complaints could vanish; make it durable, or unset HOTLINE_REQUIRE_DURABLE for a benchmark", d)
		}
		e.log.Warn("SERVING ON A NON-DURABLE DATABASE: a crash of PostgreSQL can lose complaints that were acknowledged; for benchmarks only (HOTLINE_REQUIRE_DURABLE=on refuses it)", "settings", d.String())
	}
	if err := e.asApp(ctx); err != nil {
		return err
	}
	if rights, err = database.Rights(ctx, e.db); err != nil {
		return err
	}
	if rights.Privileged() {
		e.log.Warn("serving as a database superuser or owner: whoever controls this process could rewrite the timelines and the audit log; serve as a role that owns nothing (README: the database roles)",
			"role", rights.Role, "superuser", rights.Superuser, "tables_owned", rights.Owns)
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if err := parseFlags(newFlags("serve"), args); err != nil {
		return err
	}
	e, err := open(ctx, getenv, stderr, 40)
	if err != nil {
		return err
	}
	defer e.close()
	if err := e.prepareToServe(ctx); err != nil {
		return err
	}
	a, err := newApp(ctx, e)
	if err != nil {
		return err
	}
	if addr := e.cfg.PprofAddr; addr != "" {
		run, err := servePprof(addr, e.log)
		if err != nil {
			return err
		}
		a.background = append(a.background, run)
	}
	if addr := e.cfg.MetricsAddr; addr != "" {
		run, err := serveMetrics(addr, a.metrics.Handler(), e.log)
		if err != nil {
			return err
		}
		a.background = append(a.background, run)
	}
	ln, err := net.Listen("tcp", e.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HOTLINE_HTTP_ADDR %s: %s", e.cfg.HTTPAddr, listenReason(err))
	}
	site, err := web.New(a.web)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.metrics.Instrument(site),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1+len(a.background))
	go func() { errc <- srv.Serve(ln) }()
	bctx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	var wg sync.WaitGroup
	for _, fn := range a.background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(bctx); err != nil && bctx.Err() == nil {
				errc <- err
			}
		}()
	}
	// Start-up (templates, rules, the classifier, the login timing hash) leaves garbage the
	// process would otherwise keep resident while it idles; hand it back once.
	debug.FreeOSMemory()
	e.log.Info("hotline serving", "http", "http://"+ln.Addr().String(), "version", buildVersion())
	select {
	case err := <-errc:
		stopBackground()
		srv.Close()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	stopBackground()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	wg.Wait()
	e.log.Info("stopped")
	return nil
}

func listenReason(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "address already in use"
	case errors.Is(err, syscall.EACCES):
		return "permission denied"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "address not available on this machine"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}
