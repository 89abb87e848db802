// Command sweep measures the escalation sweep: one full sweep over a table of open tickets of
// which some are overdue, and sweeps with nothing due as the table grows.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/pgmanaged"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

func main() {
	var o options
	flag.IntVar(&o.n, "tickets", 1_000_000, "open tickets (e.g. 100000 for a quick run)")
	flag.IntVar(&o.due, "due", 10_000, "of which overdue at the sweep's time")
	flag.StringVar(&o.dir, "dir", "var/bench", "where the private cluster lives")
	flag.IntVar(&o.batch, "batch", 0, "clocks per sweep transaction (0: the service's default)")
	flag.IntVar(&o.workers, "workers", 0, "sweep batches at once (0: the service's default)")
	flag.BoolVar(&o.reuse, "reuse", false, "keep the loaded tickets in template databases and start later runs from a copy of them")
	flag.BoolVar(&o.grow, "grow", true, "also time idle sweeps at twice the rows")
	flag.BoolVar(&o.verbose, "v", false, "log each sweep batch's time per statement on stderr")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	n, due, batch, workers int
	dir                    string
	reuse, grow, verbose   bool
}

func run(o options) error {
	ctx := context.Background()
	adminURL := os.Getenv("HOTLINE_DATABASE_URL")
	if adminURL == "" {
		c, err := pgmanaged.New(filepath.Join(o.dir, "pg"))
		if err != nil {
			return err
		}
		if err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Stop()
		adminURL = c.URL("postgres")
	}
	admin, err := database.Open(ctx, adminURL, 1)
	if err != nil {
		return err
	}
	defer admin.Close()
	name := fmt.Sprintf("bench_sweep_%d", time.Now().Unix())
	defer admin.ExecContext(ctx, "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(name))

	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
	days, err := workcal.Seed()
	if err != nil {
		return err
	}
	cal := workcal.New(days, loc, workcal.DefaultHours)
	clk := clock.NewFixed(at)
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	var db *bun.DB
	var esc *escalation.Service
	connect := func() error {
		if db, err = database.Open(ctx, database.WithName(adminURL, name), 8); err != nil {
			return err
		}
		if _, err := database.Migrate(ctx, db); err != nil {
			return err
		}
		ts := tickets.NewService(db, clk, cal, loc, log)
		esc = escalation.New(db, clk, cal, loc, log, ts, nil, escalation.Options{Batch: o.batch, Workers: o.workers})
		return nil
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()

	fmt.Printf("escalation sweep bench: %d open tickets, %d overdue at %s\n", o.n, o.due, at.Format(time.RFC3339))
	tpl := fmt.Sprintf("bench_sweep_tpl_%d_%d", o.n, o.due)
	reused, err := fromTemplate(ctx, admin, o.reuse, tpl, name)
	if err != nil {
		return err
	}
	if err := connect(); err != nil {
		return err
	}
	if !reused {
		if err := seed(ctx, db); err != nil {
			return err
		}
		if err := build(ctx, db, esc, 0, o.n, o.due, at); err != nil {
			return err
		}
		if o.reuse {
			db.Close()
			if err := saveTemplate(ctx, admin, name, tpl); err != nil {
				return err
			}
			if err := connect(); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	acted, err := esc.Sweep(ctx, at, nil)
	if err != nil {
		return err
	}
	full := time.Since(start)
	fmt.Printf("  one full sweep: %d actions (event + 2 notifications each)  %8.3f s   (goal <= 2 s)\n", acted, full.Seconds())
	idle, err := idleSweeps(ctx, esc, at)
	if err != nil {
		return err
	}
	fmt.Printf("  sweep with nothing due at %dk rows: median %6.2f ms, max %6.2f ms   (goal <= 50 ms)\n", o.n/1000, ms(idle[len(idle)/2]), ms(idle[len(idle)-1]))
	if !o.grow {
		return nil
	}

	// Twice the rows, none of them due: a sweep with nothing to do costs the same.
	db.Close()
	db = nil
	grown := tpl + "_x2"
	old := name
	name = fmt.Sprintf("bench_sweep_%d_x2", time.Now().Unix())
	defer admin.ExecContext(ctx, "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(name))
	if reused, err = fromTemplate(ctx, admin, o.reuse, grown, ""); err != nil {
		return err
	}
	if reused {
		if err := copyTemplate(ctx, admin, grown, name); err != nil {
			return err
		}
	} else {
		// The swept database goes on growing under its new name.
		if _, err := admin.ExecContext(ctx, "ALTER DATABASE ? RENAME TO ?", bun.Ident(old), bun.Ident(name)); err != nil {
			return fmt.Errorf("rename bench database: %w", err)
		}
	}
	if err := connect(); err != nil {
		return err
	}
	if !reused {
		if err := build(ctx, db, esc, o.n, o.n, 0, at); err != nil {
			return err
		}
		if o.reuse {
			db.Close()
			if err := saveTemplate(ctx, admin, name, grown); err != nil {
				return err
			}
			if err := connect(); err != nil {
				return err
			}
		}
	}
	idle2, err := idleSweeps(ctx, esc, at)
	if err != nil {
		return err
	}
	fmt.Printf("  sweep with nothing due at %dk rows: median %6.2f ms, max %6.2f ms\n", 2*o.n/1000, ms(idle2[len(idle2)/2]), ms(idle2[len(idle2)-1]))
	return nil
}

// build loads count tickets after offset, plans their clocks and refreshes the statistics,
// printing how long each took.
func build(ctx context.Context, db *bun.DB, esc *escalation.Service, offset, count, due int, at time.Time) error {
	start := time.Now()
	if err := benchdb.LoadOpen(ctx, db, offset, count, due, at); err != nil {
		return err
	}
	fmt.Printf("  load %d tickets (INSERT ... SELECT generate_series):   %8.1f s\n", count, time.Since(start).Seconds())
	start = time.Now()
	planned, err := esc.Plan(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("  plan the clocks of %d new tickets (once, on import):  %8.1f s\n", planned, time.Since(start).Seconds())
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return err
	}
	return nil
}

// fromTemplate creates database name (unless name is empty) as a copy of template tpl when
// reuse is on and tpl exists, and as an empty database otherwise; it reports whether tpl exists.
func fromTemplate(ctx context.Context, admin *bun.DB, reuse bool, tpl, name string) (bool, error) {
	var exists bool
	if reuse {
		err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)", tpl).Scan(&exists)
		if err != nil {
			return false, fmt.Errorf("look for template %s: %w", tpl, err)
		}
	}
	switch {
	case name == "":
		return exists, nil
	case exists:
		return true, copyTemplate(ctx, admin, tpl, name)
	}
	_, err := admin.ExecContext(ctx, "CREATE DATABASE ?", bun.Ident(name))
	return false, wrapErr("create bench database", err)
}

// copyTemplate creates database name as a copy of tpl. FILE_COPY copies the files instead of
// writing every page to the WAL: seconds for a million tickets.
func copyTemplate(ctx context.Context, admin *bun.DB, tpl, name string) error {
	start := time.Now()
	_, err := admin.ExecContext(ctx, "CREATE DATABASE ? TEMPLATE ? STRATEGY FILE_COPY", bun.Ident(name), bun.Ident(tpl))
	if err != nil {
		return fmt.Errorf("copy template %s: %w", tpl, err)
	}
	fmt.Printf("  copy the loaded and planned tickets from %s:  %8.1f s\n", tpl, time.Since(start).Seconds())
	return nil
}

// saveTemplate keeps a copy of database name as template tpl for later runs with -reuse.
func saveTemplate(ctx context.Context, admin *bun.DB, name, tpl string) error {
	_, err := admin.ExecContext(ctx, "CREATE DATABASE ? TEMPLATE ? STRATEGY FILE_COPY", bun.Ident(tpl), bun.Ident(name))
	return wrapErr("save template "+tpl, err)
}

func wrapErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// idleSweeps times 20 sweeps with nothing due, sorted.
func idleSweeps(ctx context.Context, esc *escalation.Service, at time.Time) ([]time.Duration, error) {
	var out []time.Duration
	for range 20 {
		start := time.Now()
		n, err := esc.Sweep(ctx, at, nil)
		if err != nil {
			return nil, err
		}
		if n != 0 {
			return nil, fmt.Errorf("an idle sweep did %d actions", n)
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out, nil
}

// seed loads the directory and, with a dummy password hash, the people escalation writes to:
// a handler and a head in every bureau, the supervisor and the leader.
func seed(ctx context.Context, db *bun.DB) error {
	if err := demo.SeedDirectory(ctx, db); err != nil {
		return err
	}
	st := org.NewStore(db)
	deps, err := st.Departments(ctx)
	if err != nil {
		return err
	}
	for _, d := range deps {
		var us []org.Staff
		switch d.Kind {
		case "centre":
			us = []org.Staff{{Username: "supervisor", Role: org.RoleSupervisor}}
		case "leadership":
			us = []org.Staff{{Username: "leader", Role: org.RoleLeader}}
		default:
			us = []org.Staff{{Username: "handler-" + d.Code, Role: org.RoleHandler}, {Username: "head-" + d.Code, Role: org.RoleHead}}
		}
		for _, u := range us {
			u.DisplayName, u.DepartmentID, u.PasswordHash, u.Active = u.Username, d.ID, "unused", true
			if err := st.UpsertStaff(ctx, &u); err != nil {
				return err
			}
		}
	}
	return nil
}
