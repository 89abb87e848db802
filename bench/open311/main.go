// Command open311 measures Open311 POST requests.json over loopback HTTP against a real
// `hotline serve` with the demo city, with concurrent clients: tickets/s, p50/p99 latency and
// the server's peak resident memory. In the same run, on the same database, it measures the
// bare SQL transaction of the same inserts (ticket row + event row) for the ratio.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/bench/internal/firsterr"
	"github.com/hotline-city/hotline/demo"
)

func main() {
	clients := flag.Int("clients", 32, "concurrent HTTP clients (and SQL workers)")
	dur := flag.Duration("duration", 20*time.Second, "how long each phase runs")
	binary := flag.String("binary", "bin/hotline", "the hotline binary to serve")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	flag.Parse()
	if err := run(*clients, *dur, *binary, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(clients int, dur time.Duration, binary, dir string) error {
	ctx := context.Background()
	db, err := benchdb.Fresh(ctx, dir, "bench_open311", clients+4, benchdb.DemoCity)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("database: PostgreSQL, synchronous_commit=%s; %d clients, %s per phase\n", db.SynchronousCommit(ctx), clients, dur)

	srv, err := benchdb.Serve(binary, db.URL)
	if err != nil {
		return err
	}
	httpRes, err := drive(srv.Base, clients, dur)
	hwm, rssErr := benchdb.ProcStatus(srv.Cmd.Process.Pid, "VmHWM")
	srv.Stop()
	if err != nil {
		return err
	}
	if rssErr != nil {
		return rssErr
	}

	bareRate, err := db.BareRate(ctx, clients, dur, "road-damage", "open311", "路面塌陷")
	if err != nil {
		return err
	}

	fmt.Printf("Open311 POST requests.json: %.0f tickets/s (%d tickets, %d errors)\n", httpRes.rate, httpRes.ok, httpRes.failed)
	fmt.Printf("latency:                    p50 %.1f ms, p99 %.1f ms\n", ms(httpRes.p50), ms(httpRes.p99))
	fmt.Printf("server peak RSS (VmHWM):    %.1f MB\n", float64(hwm)/1024)
	fmt.Printf("bare SQL tx (same inserts): %.0f tickets/s\n", bareRate)
	fmt.Printf("ratio Open311 / bare SQL:   %.2f\n", httpRes.rate/bareRate)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type result struct {
	ok, failed int64
	rate       float64
	p50, p99   time.Duration
}

// drive posts requests from clients goroutines for dur, each on kept-alive connections.
func drive(base string, clients int, dur time.Duration) (result, error) {
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	endpoint := base + "/open311/v2/requests.json"
	var ok, failed atomic.Int64
	var firstErr firsterr.Slot
	lat := make([][]time.Duration, clients)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				// Each request from another citizen, as a city's traffic is: one phone posting
				// thousands of complaints is the repeat-caller rule's business, not throughput.
				form := url.Values{"api_key": {demo.Open311Key}, "service_code": {"road-damage"},
					"lat": {"39.9489"}, "long": {"116.4074"}, "address_string": {"东城区安定门大街1号"},
					"description": {fmt.Sprintf("路面塌陷 %d-%d", c, i)}, "phone": {fmt.Sprintf("139%08d", c*1_000_000+i)},
					"attribute[damage_size]": {"large"}}
				t0 := time.Now()
				resp, err := hc.Post(endpoint, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
				if err != nil {
					failed.Add(1)
					firstErr.Set(err)
					continue
				}
				var out []struct {
					ID string `json:"service_request_id"`
				}
				derr := json.NewDecoder(resp.Body).Decode(&out)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || derr != nil || len(out) != 1 || out[0].ID == "" {
					failed.Add(1)
					firstErr.Set(fmt.Errorf("status %d", resp.StatusCode))
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
				ok.Add(1)
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		err := firstErr.Err()
		return result{}, fmt.Errorf("no request succeeded: %v", err)
	}
	if err := firstErr.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "first error:", err)
	}
	slices.Sort(all)
	return result{ok: ok.Load(), failed: failed.Load(), rate: float64(ok.Load()) / elapsed.Seconds(),
		p50: all[len(all)/2], p99: all[len(all)*99/100]}, nil
}
