// Command register measures ticket registration through the tickets service with concurrent
// writers against a bare SQL transaction of the same inserts, on the same database in the same
// run, and the idle memory of `hotline serve` with the demo city loaded.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/bench/internal/firsterr"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

func main() {
	writers := flag.Int("writers", 16, "concurrent writers")
	dur := flag.Duration("duration", 10*time.Second, "how long each phase runs")
	binary := flag.String("binary", "bin/hotline", "hotline binary for the idle-memory figure")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	flag.Parse()
	if err := run(*writers, *dur, *binary, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(writers int, dur time.Duration, binary, dir string) error {
	ctx := context.Background()
	bdb, err := benchdb.Fresh(ctx, dir, "bench_register", writers+4)
	if err != nil {
		return err
	}
	defer bdb.Close()
	db := bdb.DB
	fmt.Printf("database: PostgreSQL, synchronous_commit=%s, %d writers, %s per phase\n", bdb.SynchronousCommit(ctx), writers, dur)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	days, _ := workcal.Seed()
	svc := tickets.NewService(db, clock.System{}, workcal.New(days, loc, workcal.DefaultHours), loc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	agent := tickets.Actor{Name: "bench", Role: tickets.RoleAgent}
	svcRate, err := phase(writers, dur, func(i int) error {
		_, err := svc.Register(ctx, agent, tickets.RegisterInput{Channel: "phone", Category: "noise",
			Description: fmt.Sprintf("夜间施工噪声扰民 %d", i), Address: "东城区安定门大街1号", CallerPhone: "13800138000"})
		return err
	})
	if err != nil {
		return err
	}
	var catID int64
	db.QueryRowContext(ctx, "SELECT id FROM categories WHERE code = 'noise'").Scan(&catID)
	db.ExecContext(ctx, "CREATE SEQUENCE IF NOT EXISTS bench_bare_seq")
	bareRate, err := phase(writers, dur, func(i int) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var n, id int64
			if err := tx.QueryRowContext(ctx, "SELECT nextval('bench_bare_seq')").Scan(&n); err != nil {
				return err
			}
			now := time.Now()
			if err := tx.QueryRowContext(ctx, `INSERT INTO tickets (number, type, channel, status, category_id, description, address,
				caller_phone, priority, profile_code, created_at, updated_at, feedback_due)
				VALUES (?, 'complaint', 'phone', 'registered', ?, ?, '东城区安定门大街1号', '13800138000', 'normal', 'standard', ?, ?, ?) RETURNING id`,
				fmt.Sprintf("B-%d", n), catID, fmt.Sprintf("夜间施工噪声扰民 %d", i), now, now, now.Add(24*time.Hour)).Scan(&id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, actor_name, actor_role, at, public, to_status, data)
				VALUES (?, 'register', 'bench', 'agent', ?, true, 'registered', '{"channel":"phone"}')`, id, now)
			return err
		})
	})
	if err != nil {
		return err
	}
	fmt.Printf("tickets service: %.0f tickets/s\n", svcRate)
	fmt.Printf("bare SQL tx:     %.0f tickets/s\n", bareRate)
	fmt.Printf("ratio:           %.2f\n", svcRate/bareRate)

	rss, err := idleRSS(binary, bdb.URL)
	if err != nil {
		return fmt.Errorf("idle rss: %w", err)
	}
	fmt.Printf("idle RSS of hotline serve with the demo loaded: %.1f MB\n", float64(rss)/1024)
	return nil
}

func phase(writers int, dur time.Duration, op func(i int) error) (float64, error) {
	var done atomic.Int64
	var firstErr firsterr.Slot
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
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

// idleRSS starts `hotline serve` on the database, waits until it is ready and idle, and reads its
// resident memory in KiB.
func idleRSS(binary, url string) (int64, error) {
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "HOTLINE_DATABASE_URL="+url, "HOTLINE_HTTP_ADDR=127.0.0.1:18099",
		"HOTLINE_SIP_ADDR=127.0.0.1:15099", "HOTLINE_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		time.Sleep(200 * time.Millisecond)
		if resp, err := http.Get("http://127.0.0.1:18099/readyz"); err == nil {
			ready = resp.StatusCode == 200
			resp.Body.Close()
		}
	}
	if !ready {
		return 0, fmt.Errorf("server never became ready")
	}
	time.Sleep(5 * time.Second)
	return benchdb.ProcStatus(cmd.Process.Pid, "VmRSS")
}
