package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
)

// sipLoad is the SIP side of the chaos run: the demo's two agents, played by SIPp servers that
// answer every call, registered once through Kamailio (never again: their registrations are
// shared), and a SIPp client calling 12345 through Kamailio at a steady rate.
type sipLoad struct {
	cfg      config
	procs    []*exec.Cmd
	stopOnce sync.Once
}

// Ports of the SIPp processes: the agents' phones and the callers.
var agentPorts = map[string]int{"1001": 5601, "1002": 5602}

const callerPort = 5611

func sipp(c config, name string, args ...string) (*exec.Cmd, error) {
	sf, err := filepath.Abs(filepath.Join(c.scenarios, name))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("sipp", append([]string{"-sf", sf, "-nostdin", "-i", "127.0.0.1"}, args...)...)
	log, err := os.OpenFile(filepath.Join(c.state, "log", "sipp-"+strings.TrimSuffix(name, ".xml")+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = filepath.Join(c.state, "log")
	return cmd, nil
}

func startSIPLoad(c config, logf func(string, ...any)) (*sipLoad, error) {
	if _, err := exec.LookPath("sipp"); err != nil {
		return nil, fmt.Errorf("sipp is missing: apt-get install -y sip-tester")
	}
	l := &sipLoad{cfg: c}
	for ext, port := range agentPorts {
		agent, err := sipp(c, "agent_answer.xml", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(40000+port%100*10))
		if err != nil {
			return nil, err
		}
		if err := agent.Start(); err != nil {
			return nil, fmt.Errorf("start agent %s: %w", ext, err)
		}
		l.procs = append(l.procs, agent)
		reg, err := sipp(c, "register.xml", "-p", strconv.Itoa(port+100), "-m", "1", "-timeout", "20s", "-timeout_error",
			"-key", "ext", ext, "-key", "cport", strconv.Itoa(port), "-au", ext, "-ap", "demo-sip", c.sipProxy)
		if err != nil {
			return nil, err
		}
		if err := reg.Run(); err != nil {
			l.stop()
			return nil, fmt.Errorf("register agent %s through %s: %w", ext, c.sipProxy, err)
		}
	}
	logf("agents 1001 and 1002 registered through Kamailio %s", c.sipProxy)
	callers, err := sipp(c, "caller.xml", "-p", strconv.Itoa(callerPort), "-mp", "41000", "-r", strconv.Itoa(c.callRate),
		"-d", "1500", "-l", "50", "-recv_timeout", "15000", "-key", "caller", "13800138000", c.sipProxy)
	if err != nil {
		return nil, err
	}
	if err := callers.Start(); err != nil {
		return nil, fmt.Errorf("start callers: %w", err)
	}
	l.procs = append(l.procs, callers)
	logf("citizens call 12345 through Kamailio, %d a second", c.callRate)
	return l, nil
}

// stop ends the callers (SIGUSR1: SIPp stops placing calls, ends them and prints its
// statistics) and the agents.
func (l *sipLoad) stop() {
	l.stopOnce.Do(func() {
		for i := len(l.procs) - 1; i >= 0; i-- {
			p := l.procs[i]
			p.Process.Signal(syscall.SIGUSR1)
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				p.Process.Kill()
				<-done
			}
		}
	})
}

// callerStats reads the callers' last statistics screen from SIPp's log: calls placed,
// successful and failed.
func callerStats(c config) string {
	b, err := os.ReadFile(filepath.Join(c.state, "log", "sipp-caller.log"))
	if err != nil {
		return "unknown"
	}
	text := string(b)
	value := func(name string) string {
		i := strings.LastIndex(text, name)
		if i < 0 {
			return "?"
		}
		fields := strings.Fields(strings.SplitN(text[i+len(name):], "\n", 2)[0])
		if len(fields) == 0 {
			return "?"
		}
		return fields[len(fields)-1]
	}
	return fmt.Sprintf("%s placed, %s completed, %s failed", value("Total Calls created"), value("Successful call"), value("Failed call"))
}

// queueHolder returns the process id and epoch of the call queue's lease holder (named
// host/pid/random), or 0.
func queueHolder(url string) (int, int64) {
	db, err := database.Open(context.Background(), url, 1)
	if err != nil {
		return 0, 0
	}
	defer db.Close()
	var holder string
	var epoch int64
	if err := db.QueryRowContext(context.Background(), "SELECT holder, epoch FROM call_queue_lease WHERE expires_at > now()").Scan(&holder, &epoch); err != nil {
		return 0, 0
	}
	parts := strings.Split(holder, "/")
	if len(parts) != 3 {
		return 0, epoch
	}
	pid, _ := strconv.Atoi(parts[1])
	return pid, epoch
}

// report prints the calls of the run by outcome, the dropped ones, and how long after each
// death a call that arrived afterwards was answered again.
func (l *sipLoad) report(ctx context.Context, db *bun.DB, start, nodeKilled, primaryDied time.Time, queueMoved time.Duration) error {
	rows, err := db.QueryContext(ctx, "SELECT outcome, count(*) FROM call_records WHERE started_at >= ? GROUP BY outcome ORDER BY outcome", start)
	if err != nil {
		return fmt.Errorf("count calls: %w", err)
	}
	var parts []string
	total, dropped := 0, 0
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %d", o, n))
		total += n
		if o == "dropped" {
			dropped = n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// againAfter is the first answer to a call that arrived after t, and the longest pause
	// between two answers (or from t to the first) in the minute after t.
	againAfter := func(t time.Time) string {
		rows, err := db.QueryContext(ctx, `SELECT answered_at FROM call_records WHERE answered_at > ? AND answered_at < ?
			ORDER BY answered_at`, t, t.Add(time.Minute))
		if err != nil {
			return err.Error()
		}
		defer rows.Close()
		var first sql.NullTime
		db.QueryRowContext(ctx, "SELECT min(answered_at) FROM call_records WHERE started_at > ? AND answered_at IS NOT NULL", t).Scan(&first)
		prev, pause := t, time.Duration(0)
		for rows.Next() {
			var at time.Time
			if err := rows.Scan(&at); err != nil {
				return err.Error()
			}
			pause, prev = max(pause, at.Sub(prev)), at
		}
		if !first.Valid {
			return "never"
		}
		return fmt.Sprintf("first call arriving after it answered %.1f s after; longest pause between answers %.1f s",
			first.Time.Sub(t).Seconds(), pause.Seconds())
	}
	fmt.Printf("\nSIPp callers through Kamailio: %s\n", callerStats(l.cfg))
	fmt.Printf("calls recorded: %d (%s)\n", total, strings.Join(parts, ", "))
	fmt.Printf("calls up on the killed node, closed as dropped: %d\n", dropped)
	if queueMoved > 0 {
		fmt.Printf("call queue taken over after the node died: %.1f s\n", queueMoved.Seconds())
	} else {
		fmt.Printf("call queue taken over after the node died: not seen\n")
	}
	fmt.Printf("the queue's node killed: %s\n", againAfter(nodeKilled))
	fmt.Printf("the PostgreSQL primary killed: %s\n", againAfter(primaryDied))
	return nil
}
