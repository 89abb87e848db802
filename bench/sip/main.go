// Command sip measures calls through the SIP front end: SIPp callers → hotline serve → SIPp
// agents (60 registered extensions by default) at a rising call rate, reporting the highest
// rate with no failed call and every call recorded as answered; in the same run the same
// rates through a bare sipgo B2BUA without queue or database; and the peak RSS of hotline serve.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/demo"
)

func main() {
	rates := flag.String("rates", "100,200,400,600,800,1000,1200,1500,2000", "call rates to try, calls/s, rising")
	secs := flag.Int("seconds", 5, "seconds of calls per rate")
	agents := flag.Int("agents", 60, "registered agents")
	binary := flag.String("binary", "bin/hotline", "hotline binary")
	serverLog := flag.String("server-log", "", "write hotline serve's log here at level info (default: warnings on stderr)")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	mediaMode := flag.String("media", "on", "hotline serve's HOTLINE_MEDIA: on (audio anchored, greeting, recording) or off (signalling only)")
	flag.Parse()
	if *mediaMode != "on" && *mediaMode != "off" {
		fmt.Fprintln(os.Stderr, "bench: -media: want on or off")
		os.Exit(2)
	}
	var rs []int
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "bench: -rates: want numbers such as 100,200")
			os.Exit(2)
		}
		rs = append(rs, n)
	}
	if err := run(rs, *secs, *agents, *binary, *dir, *serverLog, *mediaMode); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func freePort() int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// freeTCPAddr returns a loopback TCP address that was free a moment ago: a free UDP port
// may be taken for TCP.
func freeTCPAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func run(rates []int, secs, agents int, binary, dir, serverLog, mediaMode string) error {
	ctx := context.Background()
	if _, err := exec.LookPath("sipp"); err != nil {
		return errors.New("sipp is not installed: apt-get install -y sip-tester")
	}
	bdb, err := benchdb.Fresh(ctx, dir, "bench_sip", 4, demo.SeedDirectory)
	if err != nil {
		return err
	}
	defer bdb.Close()
	db, dbURL := bdb.DB, bdb.URL
	exts, err := benchdb.SeedAgents(ctx, db, 2001, agents, "bench-sip")
	if err != nil {
		return err
	}
	sc := bdb.SynchronousCommit(ctx)

	tmp, err := os.MkdirTemp("", "hotline-bench-sip")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	scen, _ := filepath.Abs("telephony/testdata")

	// One SIPp plays every agent's phone: all extensions register it as their contact.
	aport, stopAgents, err := startAgents(tmp, scen)
	if err != nil {
		return err
	}
	defer stopAgents()

	sipAddr := fmt.Sprintf("127.0.0.1:%d", freePort())
	httpAddr := freeTCPAddr()
	srv := exec.Command(binary, "serve")
	srv.Env = append(os.Environ(), "HOTLINE_DATABASE_URL="+dbURL, "HOTLINE_SIP_ADDR="+sipAddr, "HOTLINE_HTTP_ADDR="+httpAddr,
		"HOTLINE_ACD_WRAPUP=0s", "HOTLINE_LOG_LEVEL=warn", "HOTLINE_MEDIA="+mediaMode, "HOTLINE_RECORDINGS_DIR="+filepath.Join(tmp, "recordings"))
	srv.Stderr = os.Stderr
	if serverLog != "" {
		f, err := os.Create(serverLog)
		if err != nil {
			return err
		}
		defer f.Close()
		srv.Env = append(srv.Env, "HOTLINE_LOG_LEVEL=info")
		srv.Stderr = f
	}
	if err := srv.Start(); err != nil {
		return err
	}
	stopped := false
	stopServer := func() {
		if !stopped {
			stopped = true
			srv.Process.Signal(os.Interrupt)
			srv.Wait()
		}
	}
	defer stopServer()
	if err := waitReady(httpAddr); err != nil {
		return err
	}
	if err := registerAgents(ctx, sipAddr, exts, aport); err != nil {
		return err
	}
	fmt.Printf("database: PostgreSQL, synchronous_commit=%s; HOTLINE_MEDIA=%s; %d agents registered; %d s of calls per rate; calls hang up right after the answer\n", sc, mediaMode, agents, secs)

	full, total := 0, 0
	fmt.Println("full path (SIPp callers → hotline serve: trunk check, queue, B2BUA, call records → SIPp agents):")
	for _, r := range rates {
		n := r * secs
		ok, msg := callers(tmp, scen, sipAddr, r, n)
		total += n
		recorded, answered := waitRecorded(ctx, db, total)
		pass := ok && recorded == total && answered == total
		fmt.Printf("  %5d calls/s: %6d calls, sipp %s, recorded %d, answered %d → %s\n", r, n, msg, recorded, answered, verdict(pass))
		if !pass {
			unfinished(ctx, db)
			break
		}
		full = r
	}
	rss, _ := benchdb.ProcStatus(srv.Process.Pid, "VmHWM")

	bareAddr := fmt.Sprintf("127.0.0.1:%d", freePort())
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	// The bare B2BUA gets agents of its own: the first SIPp still holds the full path's
	// finished calls, and hotline serve is stopped so that both runs have the machine alone.
	stopServer()
	bport, stopBareAgents, err := startAgents(tmp, scen)
	if err != nil {
		return err
	}
	defer stopBareAgents()
	if _, err := startBare(bctx, bareAddr, fmt.Sprintf("sip:agent@127.0.0.1:%d", bport)); err != nil {
		return err
	}
	bareBest := 0
	fmt.Println("bare sipgo B2BUA (no queue, no registrar, no database), same SIPp callers and agents:")
	for _, r := range rates {
		ok, msg := callers(tmp, scen, bareAddr, r, r*secs)
		fmt.Printf("  %5d calls/s: %6d calls, sipp %s → %s\n", r, r*secs, msg, verdict(ok))
		if !ok {
			break
		}
		bareBest = r
	}
	fmt.Printf("highest rate with 0 failed calls and every call recorded: %d calls/s\n", full)
	fmt.Printf("bare B2BUA:                                                %d calls/s\n", bareBest)
	if bareBest > 0 {
		fmt.Printf("ratio:                                                     %.2f\n", float64(full)/float64(bareBest))
	}
	fmt.Printf("peak RSS of hotline serve: %.1f MB\n", float64(rss)/1024)
	return nil
}

// startAgents starts one SIPp that plays every agent's phone and returns its port and a
// function that stops it.
func startAgents(dir, scen string) (int, func(), error) {
	port := freePort()
	cmd := exec.Command("sipp", "-sf", filepath.Join(scen, "agent_answer.xml"), "-p", strconv.Itoa(port),
		"-i", "127.0.0.1", "-nostdin", "-mp", strconv.Itoa(freePort()), "-max_recv_loops", "10000", "-max_sched_loops", "10000")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	return port, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

// callers runs one SIPp caller at rate calls/s for n calls and reports whether all succeeded.
func callers(dir, scen, target string, rate, n int) (bool, string) {
	cmd := exec.Command("sipp", "-sf", filepath.Join(scen, "caller.xml"), "-key", "caller", "13800138000", "-d", "0",
		"-r", strconv.Itoa(rate), "-m", strconv.Itoa(n), "-l", "20000", "-i", "127.0.0.1", "-p", strconv.Itoa(freePort()),
		"-mp", strconv.Itoa(freePort()), "-nostdin", "-timeout", strconv.Itoa(n/rate+60)+"s", "-timeout_error",
		"-max_recv_loops", "10000", "-max_sched_loops", "10000", target)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		failed := "?"
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "Failed call") {
				f := strings.Fields(line)
				failed = f[len(f)-1]
			}
		}
		// SIPp's last screen: which message of the scenario timed out or came unexpected.
		var msgs []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "---------->") || strings.Contains(line, "<----------") {
				msgs = append(msgs, strings.Join(strings.Fields(line), " "))
			}
		}
		if len(msgs) > 0 {
			msgs = msgs[max(0, len(msgs)-6):] // the last screen's rows
		}
		return false, fmt.Sprintf("exit %v, failed calls %s [%s]", err, failed, strings.Join(msgs, "; "))
	}
	return true, "0 failed"
}

// unfinished prints the calls that have no final record or did not end as answered, so that
// a failed rate shows where those calls stopped.
func unfinished(ctx context.Context, db *bun.DB) {
	rows, err := db.QueryContext(ctx, `SELECT caller_call_id, outcome, extension, answered_at IS NOT NULL, ended_at IS NOT NULL,
		queue_wait_ms, ring_ms, offers::text FROM call_records WHERE outcome <> 'answered' ORDER BY started_at LIMIT 20`)
	if err != nil {
		fmt.Println("    unfinished calls:", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var cid, outcome, ext, offers string
		var answered, ended bool
		var wait, ring int64
		if err := rows.Scan(&cid, &outcome, &ext, &answered, &ended, &wait, &ring, &offers); err != nil {
			fmt.Println("    unfinished calls:", err)
			return
		}
		fmt.Printf("    %s outcome=%s ext=%q answered=%v ended=%v wait=%dms ring=%dms offers=%s\n", cid, outcome, ext, answered, ended, wait, ring, offers)
	}
}

// waitRecorded waits until total calls have a finished record, or the records stop growing
// for longer than a SIP transaction may last (64×T1 = 32 s): a call whose ACK was lost ends
// only when that time is up, and is still recorded.
func waitRecorded(ctx context.Context, db *bun.DB, total int) (recorded, answered int) {
	last, since := -1, time.Now()
	for {
		db.QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE outcome <> 'in_progress'), count(*) FILTER (WHERE outcome = 'answered') FROM call_records").
			Scan(&recorded, &answered)
		if recorded >= total {
			return recorded, answered
		}
		if recorded != last {
			last, since = recorded, time.Now()
		} else if time.Since(since) > 40*time.Second {
			return recorded, answered
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func registerAgents(ctx context.Context, sipAddr string, exts []string, aport int) error {
	ua, err := sipgo.NewUA()
	if err != nil {
		return err
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		return err
	}
	return benchdb.RegisterAgents(ctx, cli, sipAddr, exts, aport, "bench-sip")
}

func waitReady(addr string) error {
	for i := 0; i < 300; i++ {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("hotline serve never became ready")
}
