// Command sweep measures the escalation sweep: one full sweep over a table of open tickets of
// which some are overdue, and sweeps with nothing due as the table grows.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/demo"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/pgmanaged"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

func main() {
	n := flag.Int("tickets", 1_000_000, "open tickets")
	due := flag.Int("due", 10_000, "of which overdue at the sweep's time")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	batch := flag.Int("batch", 0, "clocks per sweep transaction (0: the service's default)")
	flag.Parse()
	if err := run(*n, *due, *batch, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, due, batch int, dir string) error {
	ctx := context.Background()
	adminURL := os.Getenv("HOTLINE_DATABASE_URL")
	if adminURL == "" {
		c, err := pgmanaged.New(filepath.Join(dir, "pg"))
		if err != nil {
			return err
		}
		if err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Stop()
		adminURL = c.URL("postgres")
	}
	name := fmt.Sprintf("bench_sweep_%d", time.Now().Unix())
	if err := database.EnsureDatabase(ctx, adminURL, name); err != nil {
		return err
	}
	db, err := database.Open(ctx, withDB(adminURL, name), 8)
	if err != nil {
		return err
	}
	defer func() {
		db.Close()
		if admin, err := database.Open(ctx, adminURL, 1); err == nil {
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(name))
			admin.Close()
		}
	}()
	if _, err := database.Migrate(ctx, db); err != nil {
		return err
	}
	if err := seed(ctx, db); err != nil {
		return err
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
	days, err := workcal.Seed()
	if err != nil {
		return err
	}
	cal := workcal.New(days, loc, workcal.DefaultHours)
	clk := clock.NewFixed(at)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := tickets.NewService(db, clk, cal, loc, log)
	esc := escalation.New(db, clk, cal, loc, log, ts, nil, escalation.Options{Batch: batch})

	fmt.Printf("escalation sweep bench: %d open tickets, %d overdue at %s\n", n, due, at.Format(time.RFC3339))
	start := time.Now()
	if err := load(ctx, db, 0, n, due, at); err != nil {
		return err
	}
	fmt.Printf("  load %d tickets (INSERT ... SELECT generate_series):   %8.1f s\n", n, time.Since(start).Seconds())
	start = time.Now()
	planned, err := esc.Plan(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("  plan the clocks of %d new tickets (once, on import):  %8.1f s\n", planned, time.Since(start).Seconds())
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return err
	}
	start = time.Now()
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
	fmt.Printf("  sweep with nothing due at %dk rows: median %6.2f ms, max %6.2f ms   (goal <= 50 ms)\n", n/1000, ms(idle[len(idle)/2]), ms(idle[len(idle)-1]))

	// Twice the rows, none of them due: a sweep with nothing to do costs the same.
	if err := load(ctx, db, n, n, 0, at); err != nil {
		return err
	}
	if _, err := esc.Plan(ctx); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return err
	}
	idle2, err := idleSweeps(ctx, esc, at)
	if err != nil {
		return err
	}
	fmt.Printf("  sweep with nothing due at %dk rows: median %6.2f ms, max %6.2f ms\n", 2*n/1000, ms(idle2[len(idle2)/2]), ms(idle2[len(idle2)-1]))
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

// load inserts count accepted tickets numbered from offset+1 with feedback given, so each has
// one live clock (resolution). The first due of them passed their deadline an hour before at;
// the others are due 20 to 50 days after it, far from their warning.
func load(ctx context.Context, db *bun.DB, offset, count, due int, at time.Time) error {
	const chunk = 100_000
	for lo := 1; lo <= count; lo += chunk {
		hi := min(lo+chunk-1, count)
		_, err := db.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accepted_at, feedback_at,
                     accept_due, feedback_due, resolve_due)
SELECT 'B' || lpad((? + g)::text, 9, '0'), 'complaint', 'phone', 'accepted', 'bench ticket',
       d.id, 'standard', t0, t0, t0, t0, t0, t0 + interval '2 hours', t0 + interval '24 hours',
       CASE WHEN g <= ? THEN ?::timestamptz - interval '1 hour'
            ELSE ?::timestamptz + (20 + g % 30) * interval '1 day' END
FROM generate_series(?::int, ?::int) AS g,
     (SELECT ?::timestamptz - interval '1 day' AS t0) AS t,
     (SELECT array_agg(id ORDER BY id) AS ids FROM departments WHERE kind = 'bureau') AS b,
     LATERAL (SELECT b.ids[1 + g % cardinality(b.ids)] AS id) AS d`,
			offset, due, at, at, lo, hi, at)
		if err != nil {
			return fmt.Errorf("load tickets: %w", err)
		}
	}
	return nil
}

func withDB(raw, name string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	slash := strings.Index(rest, "/")
	q := ""
	if j := strings.Index(rest, "?"); j >= 0 {
		q = rest[j:]
		rest = rest[:j]
	}
	if slash >= 0 && slash < len(rest) {
		rest = rest[:slash]
	}
	return raw[:i+3] + rest + "/" + name + q
}
