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
	cfg     *config.Config
	log     *slog.Logger
	db      *bun.DB
	url     string // db's connection URL: the configured one or the managed cluster's
	cluster *pgmanaged.Cluster
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
	return e, nil
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
	applied, err := database.Migrate(ctx, e.db)
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
	fmt.Fprintln(stdout, "demo data loaded")
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
	if _, err := database.Migrate(ctx, e.db); err != nil {
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
	ln, err := net.Listen("tcp", e.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HOTLINE_HTTP_ADDR %s: %s", e.cfg.HTTPAddr, listenReason(err))
	}
	handler, err := web.New(a.web)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
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
