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
	"time"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
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
	bdb, err := benchdb.Fresh(ctx, dir, "bench_register", writers+4, benchdb.DemoCity)
	if err != nil {
		return err
	}
	defer bdb.Close()
	db := bdb.DB
	fmt.Printf("database: PostgreSQL, synchronous_commit=%s, %d writers, %s per phase\n", bdb.SynchronousCommit(ctx), writers, dur)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	days, _ := workcal.Seed()
	svc := tickets.NewService(db, clock.System{}, workcal.New(days, loc, workcal.DefaultHours), loc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	agent := tickets.Actor{Name: "bench", Role: org.RoleAgent}
	svcRate, err := benchdb.Phase(writers, dur, func(i int) error {
		_, err := svc.Register(ctx, agent, tickets.RegisterInput{Channel: "phone", Category: "noise",
			Description: fmt.Sprintf("夜间施工噪声扰民 %d", i), Address: "东城区安定门大街1号", CallerPhone: "13800138000"})
		return err
	})
	if err != nil {
		return err
	}
	bareRate, err := bdb.BareRate(ctx, writers, dur, "noise", "phone", "夜间施工噪声扰民")
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
