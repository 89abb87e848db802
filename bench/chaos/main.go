// Command chaos drives Open311 POST load through HAProxy at the two `hotline serve` nodes of the
// reference deployment (deploy/up.sh) while it kills things on a schedule: a hotline node with
// SIGKILL (and starts it again), then the PostgreSQL primary (its Patroni and its postmaster,
// SIGKILL: a machine dying), so Patroni promotes the synchronous standby. Each request carries
// an Idempotency-Key and a description of its own and is retried until answered, as a careful
// client does. Afterwards it counts: tickets acknowledged (200 with a number), lost
// (acknowledged, missing from the database), duplicated (one description twice), and the
// seconds from the primary's death until writes succeeded again (and, from the database's side,
// the longest pause between two committed tickets).
//
// Escalations ride along: tickets whose acceptance deadlines fall due through the faults, and
// a wave of them at one moment on which the scheduler of the node not holding the call queue
// is frozen (SIGSTOP inside its sweep, SIGCONT after -freeze). Both nodes sweep every
// -sweep-every. At the end it counts, from the database, the escalations expected, done,
// doubled (an action, its timeline event or a notification written twice) and missing.
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
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/database"
)

type config struct {
	base, ownerURL, appURL, superURL, state, binary string
	nodePorts, apiPorts, sipPorts                   []string
	clients                                         int
	duration                                        time.Duration
	sipProxy, scenarios                             string
	callRate                                        int
	steady, wave                                    int
	freeze, sweepEvery                              time.Duration
}

func main() {
	var c config
	var nodes, apis string
	flag.StringVar(&c.base, "base", "http://127.0.0.1:8480", "HAProxy's address")
	flag.StringVar(&c.ownerURL, "owner-url", "", "the owner's multi-host database URL (for counting)")
	flag.StringVar(&c.appURL, "app-url", "", "the application role's multi-host database URL (for serve)")
	flag.StringVar(&c.superURL, "super-url", "", "the superuser's multi-host database URL (to watch the schedulers' transactions)")
	flag.StringVar(&c.state, "state", "var/deploy", "the deployment's state directory")
	flag.StringVar(&c.binary, "binary", "bin/hotline", "the hotline binary")
	flag.StringVar(&nodes, "nodes", "8491,8492", "the hotline nodes' HTTP ports")
	flag.StringVar(&apis, "patroni", "8441,8442", "the Patroni REST ports of pg1 and pg2")
	flag.IntVar(&c.clients, "clients", 16, "concurrent Open311 clients")
	flag.DurationVar(&c.duration, "duration", 150*time.Second, "how long the load runs")
	flag.IntVar(&c.steady, "escalations", 3000, "tickets whose acceptance deadlines fall due one after another through the faults")
	flag.IntVar(&c.wave, "wave", 6000, "tickets whose acceptance deadlines fall due at once, when a scheduler is frozen")
	flag.DurationVar(&c.freeze, "freeze", 30*time.Second, "how long a scheduler stays frozen (SIGSTOP)")
	flag.DurationVar(&c.sweepEvery, "sweep-every", 10*time.Second, "the nodes' sweep interval (HOTLINE_SWEEP_SCHEDULE @every)")
	var sips string
	flag.StringVar(&sips, "sip-ports", "5091,5092", "the hotline nodes' SIP ports")
	flag.StringVar(&c.sipProxy, "sip", "", "Kamailio's host:port; empty: no SIP load")
	flag.StringVar(&c.scenarios, "scenarios", "telephony/testdata", "the SIPp scenarios")
	flag.IntVar(&c.callRate, "call-rate", 1, "citizens' calls a second")
	flag.Parse()
	c.nodePorts, c.apiPorts, c.sipPorts = strings.Split(nodes, ","), strings.Split(apis, ","), strings.Split(sips, ",")
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx := context.Background()
	nodes := make([]*exec.Cmd, len(c.nodePorts))
	for i := range nodes {
		cmd, err := startNode(c, i)
		if err != nil {
			return err
		}
		nodes[i] = cmd
	}
	defer func() {
		for _, n := range nodes {
			if n != nil && n.Process != nil {
				n.Process.Signal(os.Interrupt)
				n.Wait()
			}
		}
	}()
	for i := range nodes {
		if err := waitReady("http://127.0.0.1:"+c.nodePorts[i], 30*time.Second); err != nil {
			return err
		}
	}
	if err := waitReady(c.base, 15*time.Second); err != nil {
		return err
	}

	run := strconv.FormatInt(time.Now().Unix(), 36)
	l := newLoad(c.base, run)
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Printf("[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	watch, err := database.Open(ctx, c.ownerURL, 2)
	if err != nil {
		return err
	}
	defer watch.Close()
	super, err := openSuper(ctx, c.superURL)
	if err != nil {
		return err
	}
	defer super.Close()
	// Deadlines through the node's death (d/10) and the primary's (3d/10), and the wave when a
	// scheduler is frozen (3d/5).
	waveAt := start.Add(c.duration * 3 / 5)
	esc, err := loadEscalations(ctx, watch, run, c.steady, start.Add(c.duration/20), start.Add(c.duration*11/20), c.wave, waveAt)
	if err != nil {
		return err
	}
	logf("loaded %d tickets due for escalation through the faults and %d due at once at %.0f s; sweeps every %s",
		c.steady, c.wave, waveAt.Sub(start).Seconds(), c.sweepEvery)
	escStop := make(chan struct{})
	escDone := make(chan struct{})
	go func() { defer close(escDone); esc.poll(ctx, watch, escStop) }()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < c.clients; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); l.client(i, stop) }()
	}
	at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))) }

	var calls *sipLoad
	if c.sipProxy != "" {
		if calls, err = startSIPLoad(c, logf); err != nil {
			return err
		}
		defer calls.stop()
	}

	at(c.duration / 10)
	// The node holding the call queue dies: the other serves HTTP alone and takes the queue over.
	victim := 0
	holderPid, epoch := queueHolder(c.ownerURL)
	for i, n := range nodes {
		if n.Process.Pid == holderPid {
			victim = i
		}
	}
	nodeKilled := time.Now()
	logf("kill -9 hotline node %d (pid %d, holds the call queue under epoch %d)", victim+1, nodes[victim].Process.Pid, epoch)
	nodes[victim].Process.Signal(syscall.SIGKILL)
	nodes[victim].Wait()
	var queueMoved atomic.Int64 // nanoseconds from the kill to the takeover
	go func() {
		for end := time.Now().Add(c.duration / 2); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if pid, e := queueHolder(c.ownerURL); pid != 0 && pid != holderPid && e > epoch {
				queueMoved.Store(int64(time.Since(nodeKilled)))
				logf("call queue taken over by pid %d under epoch %d", pid, e)
				return
			}
		}
	}()
	at(c.duration / 5)
	cmd, err := startNode(c, victim)
	if err != nil {
		return err
	}
	nodes[victim] = cmd
	logf("hotline node %d started again (pid %d)", victim+1, cmd.Process.Pid)

	at(c.duration * 3 / 10)
	primary, err := primaryNode(c)
	if err != nil {
		return err
	}
	died, err := killPostgres(c.state, primary)
	if err != nil {
		return err
	}
	l.primaryDied.Store(died.UnixNano())
	retriedBefore := l.retries.Load()
	logf("kill -9 PostgreSQL primary %s (Patroni and postmaster)", primary)

	at(c.duration / 2)
	logf("%s's Patroni started again: it rejoins as a standby", primary)
	rejoin := exec.Command("bash", "deploy/up.sh")
	rejoin.Stdout, rejoin.Stderr = io.Discard, io.Discard
	rejoinErr := make(chan error, 1)
	go func() { rejoinErr <- rejoin.Run() }()

	// The wave falls due: the first scheduler to claim it is frozen inside its sweep, unless it
	// holds the call queue (that node's death was the first fault).
	at(waveAt.Sub(start) - time.Second)
	holder, _ := queueHolder(c.ownerURL)
	var candidates []int
	for i, n := range nodes {
		if n.Process.Pid != holder {
			candidates = append(candidates, i)
		}
	}
	froze, err := freezeScheduler(ctx, super, nodes, candidates, 2*c.sweepEvery+5*time.Second, c.freeze, logf)
	if err != nil {
		return err
	}

	at(c.duration)
	close(stop)
	if calls != nil {
		calls.stop()
	}
	wg.Wait()
	logf("load stopped")
	if err := <-rejoinErr; err != nil {
		fmt.Fprintln(os.Stderr, "chaos: restarting the old primary:", err)
	}
	newPrimary, _ := primaryNode(c)
	// An escalation is missing once its deadline is older than two sweep intervals and the
	// idle timeout that frees a frozen scheduler's claims; wait until every loaded one is.
	grace := 2*c.sweepEvery + 10*time.Second + 10*time.Second
	if wait := time.Until(esc.last.Add(grace)); wait > 0 {
		logf("waiting %.0f s for the last deadlines to be %s old", wait.Seconds(), grace)
		time.Sleep(wait)
	}
	cutoff := time.Now().Add(-grace)
	close(escStop)
	<-escDone

	db, err := database.Open(ctx, c.ownerURL, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT number, description FROM tickets WHERE description LIKE ?", "chaos "+run+" %")
	if err != nil {
		return fmt.Errorf("count tickets: %w", err)
	}
	inDB := map[string][]string{}
	for rows.Next() {
		var no, desc string
		if err := rows.Scan(&no, &desc); err != nil {
			return err
		}
		inDB[desc] = append(inDB[desc], no)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var lost, wrong, dup, unacked int
	l.mu.Lock()
	for desc, no := range l.acked {
		got := inDB[desc]
		switch {
		case len(got) == 0:
			lost++
		case got[0] != no:
			wrong++
		}
	}
	for desc, nos := range inDB {
		if len(nos) > 1 {
			dup += len(nos) - 1
		}
		if _, ok := l.acked[desc]; !ok {
			unacked++
		}
	}
	acked := len(l.acked)
	l.mu.Unlock()

	fmt.Printf("\nOpen311 clients: %d for %s through HAProxy; primary before: %s, after: %s\n", c.clients, c.duration, primary, newPrimary)
	fmt.Printf("attempts failed and retried: %d around the hotline node's death, %d after the primary's\n",
		retriedBefore, l.retries.Load()-retriedBefore)
	fmt.Printf("acknowledged tickets:       %d\n", acked)
	fmt.Printf("in the database:            %d\n", len(inDB))
	fmt.Printf("lost (acknowledged, gone):  %d\n", lost)
	fmt.Printf("duplicated:                 %d\n", dup)
	fmt.Printf("number differs from answer: %d\n", wrong)
	fmt.Printf("written, never answered:    %d\n", unacked)
	if first := l.firstWrite.Load(); first > 0 {
		fmt.Printf("writing again after the primary died: %.1f s\n", time.Duration(first-died.UnixNano()).Seconds())
	} else {
		fmt.Printf("writing again after the primary died: never\n")
	}
	var pause float64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(extract(epoch FROM max(gap)), 0) FROM (SELECT created_at - lag(created_at) OVER (ORDER BY created_at) AS gap
		FROM tickets WHERE description LIKE ?) g`, "chaos "+run+" %").Scan(&pause); err != nil {
		return fmt.Errorf("read the longest pause: %w", err)
	}
	fmt.Printf("longest pause between two committed tickets: %.1f s\n", pause)
	if calls != nil {
		calls.stop()
		if err := calls.report(ctx, db, start, nodeKilled, died, time.Duration(queueMoved.Load())); err != nil {
			return err
		}
	}
	ec, err := esc.count(ctx, db, cutoff)
	if err != nil {
		return err
	}
	med, worst, waveMed, waveWorst := esc.lags()
	fmt.Printf("\nescalations: %d expected, %d done, %d doubled, %d missing\n", ec.expected, ec.done, ec.doubled(), ec.missing())
	fmt.Printf("  doubled: %d actions, %d timeline events, %d notifications; done without their event: %d; warnings: %d\n",
		ec.doubledActions, ec.doubledEvents, ec.doubledNotes, ec.withoutEvent, ec.warnings)
	fmt.Printf("  seen done after their deadline (polled each second): median %.1f s, longest %.1f s (sweeps every %s)\n",
		med, worst, c.sweepEvery)
	what := "not caught inside a sweep"
	if froze.caught {
		what = "inside its sweep transaction"
		if froze.released > 0 {
			what += fmt.Sprintf(", which PostgreSQL ended after %.1f s", froze.released.Seconds())
		} else {
			what += ", which PostgreSQL never ended"
		}
	}
	fmt.Printf("  frozen scheduler: node %d stopped for %.0f s %s\n", froze.node+1, froze.held.Seconds(), what)
	fmt.Printf("  the wave of %d due at once: done a median %.1f s and at most %.1f s after the deadline\n", c.wave, waveMed, waveWorst)
	// What else the frozen node held: a transaction of its own in flight keeps its locks
	// until the node runs again, and other nodes' writes that need them wait.
	var frozenPause float64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(extract(epoch FROM max(gap)), 0) FROM (SELECT created_at,
		created_at - lag(created_at) OVER (ORDER BY created_at) AS gap FROM tickets WHERE description LIKE ?) g
		WHERE created_at BETWEEN ? AND ?`, "chaos "+run+" %", froze.from, froze.to.Add(5*time.Second)).Scan(&frozenPause); err != nil {
		return fmt.Errorf("read the pause while frozen: %w", err)
	}
	fmt.Printf("  longest pause between two committed tickets while the node was frozen: %.1f s\n", frozenPause)
	if lost > 0 || dup > 0 || wrong > 0 || ec.doubled() > 0 || ec.missing() > 0 {
		return fmt.Errorf("%d lost, %d duplicated, %d with another number, %d escalations doubled, %d missing",
			lost, dup, wrong, ec.doubled(), ec.missing())
	}
	return nil
}

// startNode starts `hotline serve` number i on its port and records its pid for down.sh.
func startNode(c config, i int) (*exec.Cmd, error) {
	cmd := exec.Command(c.binary, "serve")
	cmd.Env = append(os.Environ(), "HOTLINE_DATABASE_URL="+withAppName(c.appURL, fmt.Sprintf("hotline-node%d", i+1)),
		"HOTLINE_SWEEP_SCHEDULE=@every "+c.sweepEvery.String(),
		"HOTLINE_HTTP_ADDR=127.0.0.1:"+c.nodePorts[i], "HOTLINE_SIP_ADDR=127.0.0.1:"+c.sipPorts[i],
		"HOTLINE_ACD_WRAPUP=0s",
		fmt.Sprintf("HOTLINE_RTP_PORTS=%d-%d", 30000+i*1000, 30999+i*1000), "HOTLINE_LOG_LEVEL=warn")
	log, err := os.OpenFile(filepath.Join(c.state, "log", fmt.Sprintf("node%d.log", i+1)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start hotline node %d: %w", i+1, err)
	}
	os.WriteFile(filepath.Join(c.state, fmt.Sprintf("node%d.pid", i+1)), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	return cmd, nil
}

func waitReady(base string, d time.Duration) error {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s never became ready", base)
}

// primaryNode names the Patroni member (pg1, pg2) that answers 200 on /primary.
func primaryNode(c config) (string, error) {
	for i, port := range c.apiPorts {
		resp, err := http.Get("http://127.0.0.1:" + port + "/primary")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return "pg" + strconv.Itoa(i+1), nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL primary")
}

// killPostgres kills a node's Patroni and postmaster with SIGKILL and returns when.
func killPostgres(state, name string) (time.Time, error) {
	var pids []int
	for _, f := range []string{filepath.Join(state, name, "patroni.pid"), filepath.Join(state, name, "data", "postmaster.pid")} {
		b, err := os.ReadFile(f)
		if err != nil {
			return time.Time{}, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %w", f, err)
		}
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return time.Time{}, fmt.Errorf("kill %d: %w", pid, err)
		}
	}
	return time.Now(), nil
}

type load struct {
	endpoint, run string
	hc            *http.Client
	mu            sync.Mutex
	acked         map[string]string // description → ticket number answered
	retries       atomic.Int64
	primaryDied   atomic.Int64 // unix nanoseconds
	firstFailure  atomic.Int64 // the first failure after the primary died
	firstWrite    atomic.Int64 // the first success of a request sent after that failure
}

func newLoad(base, run string) *load {
	return &load{endpoint: base + "/open311/v2/requests.json", run: run, acked: map[string]string{},
		hc: &http.Client{Timeout: 60 * time.Second}}
}

// client posts one request after another until stop; each is retried with its key until it
// is answered with a number (giving up a minute after stop).
func (l *load) client(c int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		desc := fmt.Sprintf("chaos %s %d-%d 路面塌陷", l.run, c, i)
		form := url.Values{"api_key": {demo.Open311Key}, "service_code": {"road-damage"},
			"lat": {"39.9489"}, "long": {"116.4074"}, "address_string": {"东城区安定门大街1号"},
			"description": {desc}, "phone": {fmt.Sprintf("139%08d", c*1_000_000+i)}}
		var giveUp time.Time
		for {
			sent := time.Now()
			no, err := l.post(form, "chaos-"+l.run+"-"+strconv.Itoa(c)+"-"+strconv.Itoa(i))
			if err == nil {
				l.mu.Lock()
				l.acked[desc] = no
				l.mu.Unlock()
				// The first write after the outage began: commits that were already on their way
				// when the primary died may still be acknowledged in its last milliseconds.
				if failed := l.firstFailure.Load(); failed > 0 && sent.UnixNano() > failed {
					l.firstWrite.CompareAndSwap(0, time.Now().UnixNano())
				}
				break
			}
			if l.primaryDied.Load() > 0 {
				l.firstFailure.CompareAndSwap(0, time.Now().UnixNano())
			}
			l.retries.Add(1)
			select {
			case <-stop:
				if giveUp.IsZero() {
					giveUp = time.Now().Add(time.Minute)
				}
				if time.Now().After(giveUp) {
					return
				}
			default:
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func (l *load) post(form url.Values, key string) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, l.endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out []struct {
		ID string `json:"service_request_id"`
	}
	derr := json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 || derr != nil || len(out) != 1 || out[0].ID == "" {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return out[0].ID, nil
}
