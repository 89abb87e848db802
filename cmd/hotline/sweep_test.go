package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/faultproxy"
	"github.com/hotline-city/hotline/internal/org"
)

func TestSweepBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not a time", []string{"sweep", "--at", "tomorrow"}, `hotline: sweep: --at "tomorrow" is not an RFC 3339 time`},
		{"no zone", []string{"sweep", "--at", "2026-11-21T09:00:00"}, `hotline: sweep: --at "2026-11-21T09:00:00" is not an RFC 3339 time`},
		{"unknown flag", []string{"sweep", "--when", "now"}, "hotline: sweep: flag provided but not defined: -when"},
		{"stray argument", []string{"sweep", "now"}, `hotline: sweep: unexpected argument "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runCmd(t, nil, tc.args...)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.HasPrefix(stderr, tc.want) {
				t.Fatalf("stderr = %q, want one line starting %q", stderr, tc.want)
			}
		})
	}
}

// dueTickets is the demo city with the people escalation writes to and n tickets dispatched to
// hrss whose acceptance deadline passed an hour before at, written straight into the table the
// way a bulk import would. It returns the database's URL.
func dueTickets(t *testing.T, n int, at time.Time) string {
	t.Helper()
	ctx := context.Background()
	c := demotest.New(t)
	err := c.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := org.NewStore(tx)
		for _, p := range []struct {
			user string
			role org.Role
			dept string
		}{
			{"supervisor", org.RoleSupervisor, "centre"}, {"head-hrss", org.RoleHead, "hrss"}, {"leader", org.RoleLeader, "leadership"},
		} {
			if err := st.UpsertStaff(ctx, &org.Staff{Username: p.user, DisplayName: p.user, Role: p.role, DepartmentID: c.DepartmentID(p.dept),
				PasswordHash: "unused", Active: true}); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `
INSERT INTO tickets (number, type, channel, status, description, department_id, profile_code,
                     created_at, updated_at, dispatched_at, accept_due, feedback_due, resolve_due)
SELECT 'T' || lpad(g::text, 8, '0'), 'complaint', 'phone', 'dispatched', 'bulk', d.id, 'standard',
       ?::timestamptz - interval '3 hours', ?::timestamptz - interval '3 hours', ?::timestamptz - interval '3 hours',
       ?::timestamptz - interval '1 hour', ?::timestamptz + interval '20 hours', ?::timestamptz + interval '10 days'
FROM generate_series(1, ?) AS g, departments AS d WHERE d.code = 'hrss'`, at, at, at, at, at, at, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.URL
}

func TestSweepCommandPrintsEachActionOnce(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 16, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	url := dueTickets(t, 3, at)
	env := map[string]string{"HOTLINE_DATABASE_URL": url, "HOTLINE_LOG_LEVEL": "error"}
	code, out, stderr := runCmd(t, env, "sweep", "--at", at.Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("sweep: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	var a struct {
		Ticket, Clock, Action string
		Level                 int
		Recipients            []string
	}
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if a.Ticket != "T00000001" || a.Clock != "accept" || a.Action != "escalated" || a.Level != 1 ||
		strings.Join(a.Recipients, ",") != "head-hrss,supervisor" {
		t.Fatalf("first action = %s", lines[0])
	}
	if code, out, stderr := runCmd(t, env, "sweep", "--at", at.Format(time.RFC3339)); code != 0 || out != "" {
		t.Fatalf("second sweep at the same time: %d %q %s", code, out, stderr)
	}
}

// binary returns the hotline binary, for tests that run it as a process they can kill. It is
// built once, into the directory TestMain removes, however many tests ask for it at once.
func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var buildBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(testDir, "hotline")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// startSweep starts `hotline sweep --at` as a process; lines receives its stdout lines.
func startSweep(t *testing.T, bin, url string, at time.Time) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, "sweep", "--at", at.Format(time.RFC3339))
	cmd.Env = append(os.Environ(), "HOTLINE_DATABASE_URL="+url, "HOTLINE_LOG_LEVEL=error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return cmd, lines
}

type dbCounts struct{ actions, distinct, events, notifications int }

func countsOf(t *testing.T, url string) dbCounts {
	t.Helper()
	db, err := database.Open(context.Background(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c dbCounts
	err = db.QueryRowContext(context.Background(), `SELECT
		(SELECT count(*) FROM escalation_actions),
		(SELECT count(DISTINCT ticket_id) FROM escalation_actions WHERE clock = 'accept' AND level = 1),
		(SELECT count(*) FROM ticket_events WHERE kind = 'escalation'),
		(SELECT count(*) FROM notifications)`).Scan(&c.actions, &c.distinct, &c.events, &c.notifications)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSweepKilledMidRunThenRerun kills a sweep with SIGKILL after its first committed batch,
// reruns it, and finds every action done once: nothing doubled, nothing missed.
func TestSweepKilledMidRunThenRerun(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	at := time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)
	const n = 6000
	url := dueTickets(t, n, at)
	cmd, lines := startSweep(t, bin, url, at)
	first := map[string]bool{}
	if l, ok := <-lines; ok {
		first[l] = true
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for l := range lines {
		first[l] = true
	}
	killed := countsOf(t, url)
	t.Logf("killed after %d printed, %d committed actions", len(first), killed.actions)
	if killed.actions > n || killed.events != killed.actions || killed.notifications != 2*killed.actions {
		t.Fatalf("after the kill: %+v: a batch was half written", killed)
	}
	cmd, lines = startSweep(t, bin, url, at)
	second := 0
	for l := range lines {
		if first[l] {
			t.Fatalf("rerun repeated %s", l)
		}
		second++
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if second != n-killed.actions {
		t.Fatalf("rerun printed %d actions, want the %d left", second, n-killed.actions)
	}
	want := dbCounts{actions: n, distinct: n, events: n, notifications: 2 * n}
	if got := countsOf(t, url); got != want {
		t.Fatalf("after the rerun: %+v, want %+v", got, want)
	}
}

// TestTwoSweepProcessesShareTheWork runs two sweep processes at the same time.
func TestTwoSweepProcessesShareTheWork(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	at := time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)
	const n = 3000
	url := dueTickets(t, n, at)
	seen := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		cmd, lines := startSweep(t, bin, url, at)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range lines {
				mu.Lock()
				seen[l]++
				mu.Unlock()
			}
			cmd.Wait()
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d distinct actions printed, want %d", len(seen), n)
	}
	for l, c := range seen {
		if c != 1 {
			t.Fatalf("printed %d times: %s", c, l)
		}
	}
	want := dbCounts{actions: n, distinct: n, events: n, notifications: 2 * n}
	if got := countsOf(t, url); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

// TestTwoServersScheduleSweeps runs two servers on one database with a sweep every second:
// together they escalate every overdue ticket once, and their delivery workers send each
// notification once. Their scorecard refreshers, every second, leave the aggregate equal to the
// raw tables.
func TestTwoServersScheduleSweeps(t *testing.T) {
	t.Parallel()
	// Overdue by an hour now, so the scheduled sweeps (at the real time) act on them.
	const n = 200
	url := dueTickets(t, n, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		env := map[string]string{"HOTLINE_DATABASE_URL": url, "HOTLINE_HTTP_ADDR": freePort(t), "HOTLINE_SIP_ADDR": freePort(t),
			"HOTLINE_LOG_LEVEL": "error", "HOTLINE_SWEEP_SCHEDULE": "@every 1s", "HOTLINE_EVALUATION_REFRESH": "1s"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stderr strings.Builder
			if code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, &stderr); code != 0 {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	want := dbCounts{actions: n, distinct: n, events: n, notifications: 2 * n}
	var got dbCounts
	var sent int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got = countsOf(t, url)
		sent = countSent(t, url)
		if got == want && sent == 2*n {
			break
		}
	}
	if got != want || sent != 2*n {
		t.Fatalf("after the scheduled sweeps: %+v with %d sent, want %+v with %d sent", got, sent, want, 2*n)
	}
	refreshedEqualsRaw(t, url)
}

// refreshedEqualsRaw waits for a scorecard refresh of the running servers begun after now and
// checks that this month's scorecard, read as they left the aggregate, is the raw tables'.
func refreshedEqualsRaw(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var since time.Time
	if err := db.QueryRowContext(ctx, "SELECT now()").Scan(&since); err != nil {
		t.Fatal(err)
	}
	var asOf time.Time
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		db.QueryRowContext(ctx, "SELECT as_of FROM evaluation_refreshed WHERE id = 1").Scan(&asOf)
		if asOf.After(since) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scorecard refresh since %s (last as of %s)", since, asOf)
		}
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	eng := evaluation.NewEngine(db, loc, clock.System{}, evaluation.ReadsAsRefreshed())
	p, err := eng.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := evaluation.ParsePeriod(time.Now().In(loc).Format("2006-01"), loc, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := eng.Compute(ctx, p, w)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := eng.ComputeRaw(ctx, p, w)
	if err != nil {
		t.Fatal(err)
	}
	if sc.ComputedAt.Before(asOf) {
		t.Errorf("the scorecard is as of %s, before the refresh of %s", sc.ComputedAt, asOf)
	}
	raw.ComputedAt = sc.ComputedAt
	if h, ok := sc.Department("hrss"); !ok || h.Tickets == 0 {
		t.Errorf("hrss's tickets are not in the refreshed scorecard: %+v", sc.Departments)
	}
	if diff := cmp.Diff(sc, raw, cmpopts.IgnoreUnexported(evaluation.Scorecard{})); diff != "" {
		t.Errorf("the aggregate as refreshed and the raw tables differ (-aggregate +raw):\n%s", diff)
	}
}

func countSent(t *testing.T, url string) int {
	t.Helper()
	db, err := database.Open(context.Background(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM notifications WHERE status = 'sent'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSweepPrintsWhatCommittedWhenCommitRepliesAreLost: the reply to the COMMIT of the sweep's
// batch of actions is lost on its way back; the sweep looks its actions up and prints exactly
// those that committed.
func TestSweepPrintsWhatCommittedWhenCommitRepliesAreLost(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 16, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	const n = 4
	url := dueTickets(t, n, at)
	p, viaProxy := faultproxy.Start(t, url)
	p.DropCommitReplies("INSERT INTO escalation_actions", 1, 1)
	env := map[string]string{"HOTLINE_DATABASE_URL": viaProxy, "HOTLINE_LOG_LEVEL": "error"}
	code, out, stderr := runCmd(t, env, "sweep", "--at", at.Format(time.RFC3339))
	if p.Dropped() != 1 {
		t.Fatalf("%d COMMIT replies dropped, want 1", p.Dropped())
	}
	if code != 0 {
		t.Fatalf("sweep: %d %s", code, stderr)
	}
	var printed []string
	if out = strings.TrimSpace(out); out != "" {
		printed = strings.Split(out, "\n")
	}
	if got := countsOf(t, url); len(printed) != got.actions || got.actions != n {
		t.Fatalf("printed %d actions, %d committed, want %d of each:\n%s", len(printed), got.actions, n, out)
	}
}
