// Command pages times the staff pages at 1,000 and at 1,000,000 open tickets (and, with
// -total, beside millions of closed ones) in one run, against two `hotline serve`s, one on
// each database, their requests alternating so that the machine's moods weigh on both alike:
// p50 and p95 per page for a supervisor, a handler of the biggest department and an agent, one
// request at a time; the board's counts under 20 concurrent pollers; and an export of 100,000
// rows with the server's peak memory.
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
	"time"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/demo"
)

type options struct {
	binary        string
	dir           string
	small, open   int
	total         int
	overdue       int
	requests      int
	pollers       int
	pollFor       time.Duration
	exportFormats string
	keep          bool
	reuse         string
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "bin/hotline", "the hotline binary to serve")
	flag.StringVar(&o.dir, "dir", "var/bench", "where the private cluster lives")
	flag.IntVar(&o.small, "small", 1_000, "open tickets of the first measurement")
	flag.IntVar(&o.open, "open", 1_000_000, "open tickets of the second measurement")
	flag.IntVar(&o.total, "total", 0, "tickets in all at the second measurement, the rest closed (e.g. 10000000; 0: only the open ones)")
	flag.IntVar(&o.overdue, "overdue", 100_000, "of the open tickets, overdue (the export's list)")
	flag.IntVar(&o.requests, "n", 40, "requests per page and size")
	flag.IntVar(&o.pollers, "pollers", 20, "concurrent pollers of the board's counts")
	flag.DurationVar(&o.pollFor, "poll", 10*time.Second, "how long the pollers poll")
	flag.StringVar(&o.exportFormats, "export", "csv,xlsx", "export formats to time")
	flag.BoolVar(&o.keep, "keep", false, "keep the big database for a later run (-reuse)")
	flag.StringVar(&o.reuse, "reuse", "", "measure the big figures on this database kept by an earlier run instead of loading one")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// page is one page timed for one account.
type page struct {
	who, path string
}

func run(o options) error {
	ctx := context.Background()
	at := time.Now()
	// The small database: 1,000 open tickets, served on its own the whole run.
	small, err := benchdb.Fresh(ctx, o.dir, "bench_pages_small", 4, benchdb.DemoCity)
	if err != nil {
		return err
	}
	defer small.Close()
	smallDue := o.overdue * o.small / o.open
	if err := benchdb.LoadOpen(ctx, small, 0, o.small, smallDue, at); err != nil {
		return err
	}
	if _, err := small.ExecContext(ctx, "ANALYZE"); err != nil {
		return err
	}
	smallSrv, err := benchdb.Serve(o.binary, small.URL)
	if err != nil {
		return err
	}
	defer smallSrv.Stop()
	smallTokens, err := logins(smallSrv.Base)
	if err != nil {
		return err
	}
	fmt.Printf("staff pages bench: %d open tickets beside %d", o.small, o.open)
	if o.total > o.open {
		fmt.Printf(" (%d in all)", o.total)
	}
	fmt.Printf(", %d requests per page each, one at a time, the two alternating (synchronous_commit=%s)\n", o.requests, small.SynchronousCommit(ctx))

	// The big database: loaded now, or by an earlier run (-keep, then -reuse).
	var db *benchdb.DB
	if o.reuse != "" {
		if db, err = benchdb.Existing(ctx, o.dir, o.reuse, 4); err != nil {
			return err
		}
		db.Keep = true
		defer db.Close()
		var all, open int
		if err := db.QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) FROM tickets").Scan(&all, &open); err != nil {
			return err
		}
		fmt.Printf("  database %s as loaded before: %d tickets, %d of them open\n", o.reuse, all, open)
	} else {
		if db, err = benchdb.Fresh(ctx, o.dir, "bench_pages", 4, benchdb.DemoCity); err != nil {
			return err
		}
		defer db.Close()
		start := time.Now()
		if err := benchdb.LoadOpen(ctx, db, 0, o.open, o.overdue, at); err != nil {
			return err
		}
		fmt.Printf("  loaded %d open tickets in %.0f s\n", o.open, time.Since(start).Seconds())
		if o.total > o.open {
			start = time.Now()
			if err := benchdb.LoadClosed(ctx, db, 0, o.total-o.open, at); err != nil {
				return err
			}
			fmt.Printf("  loaded %d closed tickets in %.0f s\n", o.total-o.open, time.Since(start).Seconds())
		}
		start = time.Now()
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE tickets"); err != nil {
			return err
		}
		fmt.Printf("  VACUUM ANALYZE in %.0f s\n", time.Since(start).Seconds())
		if o.keep {
			db.Keep = true
			fmt.Printf("  database %s is kept: measure it again with -reuse %s\n", db.Name(), db.Name())
		}
	}
	srv, err := benchdb.Serve(o.binary, db.URL)
	if err != nil {
		return err
	}
	defer srv.Stop()
	pid := srv.Cmd.Process.Pid
	tokens, err := logins(srv.Base)
	if err != nil {
		return err
	}
	// The departments share the tickets evenly; hrss stands for the biggest.
	pages := []page{
		{"supervisor", "/board"}, {"supervisor", "/board/counts"}, {"supervisor", "/api/v1/stats/departments"},
		{"supervisor", "/tickets"}, {"supervisor", "/tickets?status=accepted&order=due"},
		{"supervisor", "/api/v1/tickets?order=due&limit=50"}, {"supervisor", "/api/v1/tickets?status=accepted&order=due&limit=50"},
		{"supervisor", "/exports/open"}, {"supervisor", "/exports/overdue"},
		{"handler-hrss", "/workbench"}, {"handler-hrss", "/workbench?after=NEXT"},
		{"handler-hrss", "/api/v1/tickets?order=due&limit=50"}, {"handler-hrss", "/api/v1/tickets?status=accepted&order=due&limit=50"},
		{"handler-hrss", "/tickets?status=accepted&order=due"}, {"handler-hrss", "/exports/open"},
		{"agent1", "/console"}, {"agent1", "/tickets"}, {"agent1", "/api/v1/tickets?limit=50"}, {"agent1", "/visits"},
	}
	for _, d := range []*benchdb.DB{small, db} {
		if err := settle(ctx, d); err != nil {
			return err
		}
	}
	// Each request to the small server is followed by the same to the big one, so that the
	// machine's moods (other work, its clock) weigh on both figures alike.
	timings, err := timePages([]target{{smallSrv.Base, smallTokens}, {srv.Base, tokens}}, pages, o.requests)
	if err != nil {
		return err
	}
	smallT, big := timings[0], timings[1]
	fmt.Printf("\n  %-13s %-52s %19s %19s %7s\n", "account", "page", fmt.Sprintf("%dk: p50 / p95", o.small/1000),
		fmt.Sprintf("%dk: p50 / p95", o.open/1000), "ratio")
	worst := 0.0
	for i, p := range pages {
		s, b := smallT[i], big[i]
		ratio := b.p95 / s.p95
		worst = max(worst, b.p95)
		flag := ""
		if b.p95 > 100 || ratio > 3 {
			flag = "  !"
		}
		fmt.Printf("  %-13s %-52s %7.1f / %7.1f ms %7.1f / %7.1f ms %6.1fx%s   (%d KB)\n", p.who, p.path, s.p50, s.p95, b.p50, b.p95, ratio, flag, b.size/1024)
	}
	fmt.Printf("  slowest p95 at %dk: %.1f ms (goal <= 100 ms, and within 3x of the %dk figure)\n", o.open/1000, worst, o.small/1000)

	for _, path := range []string{"/board/counts", "/api/v1/stats/departments"} {
		rate, p95, err := poll(srv.Base, tokens["supervisor"], path, o.pollers, o.pollFor)
		if err != nil {
			return err
		}
		fmt.Printf("  %d pollers of %s for %s: %.0f requests/s, p95 %.1f ms\n", o.pollers, path, o.pollFor, rate, p95)
	}

	for _, format := range strings.Split(o.exportFormats, ",") {
		// The peak is reset first (Linux: 5 to clear_refs), so that it is the export's own and
		// not that of serve's catching up with the tickets loaded.
		reset := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		hwmBefore, _ := benchdb.ProcStatus(pid, "VmHWM")
		rssBefore, _ := benchdb.ProcStatus(pid, "VmRSS")
		if reset != nil {
			fmt.Printf("  (the peak RSS could not be reset: %v)\n", reset)
		}
		start := time.Now()
		n, size, err := get(srv.Base, tokens["supervisor"], "/export/overdue?format="+format)
		if err != nil {
			return err
		}
		took := time.Since(start)
		hwm, _ := benchdb.ProcStatus(pid, "VmHWM")
		fmt.Printf("  export of the overdue list (%d rows) as %s: %.1f s, %.1f MB; server RSS before %d MB, peak %d MB (peak before %d MB)\n",
			o.overdue, format, took.Seconds(), float64(n)/1e6, rssBefore/1024, hwm/1024, hwmBefore/1024)
		_ = size
	}
	return nil
}

// logins signs in the accounts the pages are timed for and returns their session tokens.
func logins(base string) (map[string]string, error) {
	tokens := map[string]string{}
	for _, a := range demo.Accounts() {
		switch a.Username {
		case "supervisor", "agent1", "handler-hrss":
			var err error
			if tokens[a.Username], err = login(base, a.Username, a.Password); err != nil {
				return nil, err
			}
		}
	}
	return tokens, nil
}

// settle waits until serve has caught up with the tickets just loaded, as a running centre
// has: the deadline planner has read every changed ticket (escalation_dirty is empty), the
// sweep has escalated what is overdue and the outbox has sent what that raised. Measured
// during the catch-up, the pages share the machine with the planning of a million clocks.
func settle(ctx context.Context, db *benchdb.DB) error {
	start := time.Now()
	for {
		var dirty, pending, escalated int
		err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM escalation_dirty),
       (SELECT count(*) FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()),
       (SELECT count(*) FROM escalation_clocks WHERE next_at <= now())`).Scan(&dirty, &pending, &escalated)
		if err != nil {
			return err
		}
		if dirty == 0 && pending == 0 && escalated == 0 {
			break
		}
		if time.Since(start) > 60*time.Minute {
			return fmt.Errorf("serve has not caught up after an hour: %d tickets to plan, %d clocks due, %d notifications to send", dirty, escalated, pending)
		}
		time.Sleep(2 * time.Second)
	}
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return err
	}
	fmt.Printf("  serve caught up (deadlines planned, overdue ones escalated, notifications sent) in %.0f s\n", time.Since(start).Seconds())
	return nil
}

// timing is one page's figures, in milliseconds.
type timing struct {
	p50, p95 float64
	size     int
}

// target is one server and its accounts' tokens.
type target struct {
	base   string
	tokens map[string]string
}

// timePages requests each page n times from each target after two warm-ups, one request at a
// time, the targets in turn. A path with after=NEXT follows the next link of the page before it
// on the same target. The figures are per target, per page.
func timePages(targets []target, pages []page, n int) ([][]timing, error) {
	out := make([][]timing, len(targets))
	next := make([]string, len(targets))
	for k := range targets {
		out[k] = make([]timing, len(pages))
	}
	for i, p := range pages {
		paths := make([]string, len(targets))
		for k := range targets {
			paths[k] = p.path
			if strings.Contains(p.path, "after=NEXT") {
				if next[k] == "" {
					return nil, fmt.Errorf("%s: the page before has no next page", p.path)
				}
				paths[k] = strings.Replace(p.path, "after=NEXT", "after="+url.QueryEscape(next[k]), 1)
			}
		}
		ds := make([][]float64, len(targets))
		for j := range n + 2 {
			for k, t := range targets {
				start := time.Now()
				size, body, err := getBody(t.base, t.tokens[p.who], paths[k])
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", p.who, paths[k], err)
				}
				if j >= 2 {
					ds[k] = append(ds[k], float64(time.Since(start).Microseconds())/1000)
				}
				out[k][i].size = size
				next[k] = nextCursor(body)
			}
		}
		for k := range targets {
			slices.Sort(ds[k])
			out[k][i].p50, out[k][i].p95 = ds[k][len(ds[k])/2], ds[k][(len(ds[k])*95+99)/100-1]
		}
	}
	return out, nil
}

// nextCursor is the after= of a page's next link, or "".
func nextCursor(body string) string {
	i := strings.Index(body, `rel="next"`)
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(body[:i], "after=")
	if j < 0 {
		return ""
	}
	rest := body[j+len("after="):]
	end := strings.IndexAny(rest, `&"`)
	if end < 0 {
		return ""
	}
	v, _ := url.QueryUnescape(strings.ReplaceAll(rest[:end], "&amp;", "&"))
	return v
}

var client = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func login(base, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	res, err := client.Post(base+"/api/v1/tokens", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: %d %v", user, res.StatusCode, err)
	}
	return out.Token, nil
}

func getBody(base, token, path string) (int, string, error) {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", err
	}
	// An export page past the export limit answers 422 with its message: a page like another.
	if res.StatusCode != http.StatusOK && !(res.StatusCode == http.StatusUnprocessableEntity && strings.HasPrefix(path, "/exports/")) {
		return 0, "", fmt.Errorf("status %d: %.200s", res.StatusCode, b)
	}
	return len(b), string(b), nil
}

// get reads path to the end without keeping it, and returns its size.
func get(base, token, path string) (int64, int, error) {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return 0, 0, fmt.Errorf("%s: status %d: %.200s", path, res.StatusCode, b)
	}
	n, err := io.Copy(io.Discard, res.Body)
	return n, res.StatusCode, err
}

// poll requests path from workers goroutines for dur: requests per second and the p95 in ms.
func poll(base, token, path string, workers int, dur time.Duration) (float64, float64, error) {
	var mu sync.Mutex
	var ds []float64
	rate, err := benchdb.Phase(workers, dur, func(int) error {
		start := time.Now()
		if _, _, err := getBody(base, token, path); err != nil {
			return err
		}
		d := float64(time.Since(start).Microseconds()) / 1000
		mu.Lock()
		ds = append(ds, d)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	slices.Sort(ds)
	return rate, ds[(len(ds)*95+99)/100-1], nil
}
