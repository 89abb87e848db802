package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/testdb"
)

// testDir holds what the tests build once for all of them; TestMain removes it.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hotline-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestCLIErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, `hotline: unknown command "frobnicate"`},
		{"bad flag", nil, []string{"seed", "--demo", "--colour"}, "hotline: seed: flag provided but not defined: -colour"},
		{"seed without --demo", nil, []string{"seed"}, "hotline: seed: only the demo data"},
		{"stray argument", nil, []string{"migrate", "now"}, `hotline: migrate: unexpected argument "now"`},
		{"bad variable", map[string]string{"HOTLINE_TIMEZONE": "Nowhere/Land"}, []string{"migrate"}, "hotline: HOTLINE_TIMEZONE:"},
		{"dead database", map[string]string{"HOTLINE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, []string{"migrate"},
			"hotline: database unreachable at postgres://nobody@127.0.0.1:1/none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCmd(t, tc.env, tc.args...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.HasPrefix(stderr, tc.want) {
				t.Fatalf("stderr = %q, want one line starting %q", stderr, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := runCmd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "hotline ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// snapshot counts the rows of every demo table, to show a second run changes nothing.
func snapshot(t *testing.T, url string) string {
	t.Helper()
	db, err := database.Open(context.Background(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		"SELECT count(*) FROM departments", "SELECT count(*) FROM staff", "SELECT count(*) FROM categories",
		"SELECT count(*) FROM deadline_profiles", "SELECT count(*) FROM workcal_days",
		"SELECT coalesce(string_agg(password_hash, ',' ORDER BY id), '') FROM staff",
		"SELECT count(*) FROM bun_migrations",
	} {
		var v string
		if err := db.QueryRowContext(context.Background(), q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%s\n", q, v)
	}
	return b.String()
}

func TestMigrateAndSeedTwiceChangeNothing(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env := map[string]string{"HOTLINE_DATABASE_URL": url}
	if code, out, stderr := runCmd(t, env, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate on a migrated database: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, env, "seed", "--demo"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	first := snapshot(t, url)
	if !strings.Contains(first, "FROM staff=") || strings.Contains(first, "FROM staff=0\n") {
		t.Fatalf("seed loaded no staff: %s", first)
	}
	if code, _, stderr := runCmd(t, env, "seed", "--demo"); code != 0 {
		t.Fatalf("second seed: %s", stderr)
	}
	if code, _, stderr := runCmd(t, env, "migrate"); code != 0 {
		t.Fatalf("second migrate: %s", stderr)
	}
	if second := snapshot(t, url); second != first {
		t.Fatalf("second run changed the data:\n%s\nvs\n%s", first, second)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServeHealthReadyAndCleanShutdown(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	addr := freePort(t)
	env := map[string]string{"HOTLINE_DATABASE_URL": url, "HOTLINE_HTTP_ADDR": addr, "HOTLINE_SIP_ADDR": freePort(t), "HOTLINE_LOG_LEVEL": "warn"}
	// The test cluster runs without fsync: serve refuses it when told to require durability,
	// and otherwise serves with a loud warning (below).
	env["HOTLINE_REQUIRE_DURABLE"] = "on"
	code, _, refused := runCmd(t, env, "serve")
	if code == 0 || !strings.Contains(refused, "fsync=off") || !strings.Contains(refused, "HOTLINE_REQUIRE_DURABLE") {
		t.Fatalf("serve on a non-durable database: %d %q", code, refused)
	}
	delete(env, "HOTLINE_REQUIRE_DURABLE")
	metricsAddr := freePort(t)
	env["HOTLINE_METRICS_ADDR"] = metricsAddr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &stderr)
	}()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("serve never answered: %v (%s)", err, stderr.String())
	}
	var ready map[string]any
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || ready["durable"] != false || !strings.Contains(fmt.Sprint(ready["warning"]), "fsync=off") {
		t.Fatalf("readyz = %d %v", resp.StatusCode, ready)
	}
	if !strings.Contains(stderr.String(), "NON-DURABLE") {
		t.Fatalf("no warning of the non-durable database: %s", stderr.String())
	}
	// Prometheus's metrics on their own address: requests by route (not by path), the
	// database pool, the outbox, SIP registrations, the runtime.
	mres, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scraped, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	for _, want := range []string{`hotline_http_request_duration_seconds_count{code="200",method="GET",route="GET /readyz"}`,
		`go_sql_open_connections{db_name="hotline"}`, "hotline_outbox_pending 0", "hotline_sip_registrations 0", "go_goroutines", "hotline_build_info"} {
		if !strings.Contains(string(scraped), want) {
			t.Errorf("metrics lack %s:\n%s", want, scraped)
		}
	}
	wantOneListener(t, url)
	// A second server on the same port fails with one clear line. It gets its own SIP port,
	// because SIP binds first and would otherwise be the port reported.
	env2 := map[string]string{}
	for k, v := range env {
		env2[k] = v
	}
	env2["HOTLINE_SIP_ADDR"] = freePort(t)
	delete(env2, "HOTLINE_METRICS_ADDR")
	code, _, errText := runCmd(t, env2, "serve")
	if code == 0 || lastLine(errText) != "hotline: HOTLINE_HTTP_ADDR "+addr+": address already in use" {
		t.Fatalf("port in use: %d %q", code, errText)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestReadyzNotReadyBeforeMigration(t *testing.T) {
	t.Parallel()
	admin := testdb.AdminURL(t)
	db, err := database.Open(context.Background(), admin, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, err := database.Pending(context.Background(), db)
	if err == nil && len(pending) == 0 {
		t.Fatal("an unmigrated database reports nothing pending")
	}
}

func TestMemoryLimitYieldsToGOMEMLIMIT(t *testing.T) {
	t.Parallel()
	if limit, ok := memoryLimit(func(string) string { return "" }); !ok || limit != 400<<20 {
		t.Fatalf("default limit = %d, %v", limit, ok)
	}
	if _, ok := memoryLimit(func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] }); ok {
		t.Fatal("a limit was set over the operator's GOMEMLIMIT")
	}
}
