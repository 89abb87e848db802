package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/testdb"
)

// chaosNode is one `hotline serve` process of the short chaos test.
type chaosNode struct {
	cmd     *exec.Cmd
	http    string // host:port
	sip     string // host:port
	exited  chan struct{}
	logPath string
}

func startChaosNode(t *testing.T, bin, dbURL string, i int) *chaosNode {
	t.Helper()
	n := &chaosNode{http: freePort(t), sip: freePort(t), exited: make(chan struct{})}
	n.logPath = filepath.Join(t.TempDir(), fmt.Sprintf("node%d.log", i))
	log, err := os.Create(n.logPath)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(bin, "serve")
	n.cmd.Env = append(os.Environ(), "HOTLINE_DATABASE_URL="+dbURL, "HOTLINE_HTTP_ADDR="+n.http, "HOTLINE_SIP_ADDR="+n.sip,
		"HOTLINE_MEDIA=off", "HOTLINE_LOG_LEVEL=warn")
	n.cmd.Stdout, n.cmd.Stderr = log, log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.cmd.Wait(); log.Close(); close(n.exited) }()
	t.Cleanup(func() {
		n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.exited:
		case <-time.After(30 * time.Second):
			n.cmd.Process.Kill()
			<-n.exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(n.logPath)
			t.Logf("node %d log:\n%s", i, b)
		}
	})
	return n
}

// roundRobin is a small HTTP proxy in front of the nodes, as HAProxy is in the deployment:
// each request goes to the next node; a node that refuses the connection answers 502, which
// the clients retry.
func roundRobin(t *testing.T, nodes []*chaosNode) string {
	t.Helper()
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			n := nodes[next.Add(1)%uint64(len(nodes))]
			r.SetURL(&url.URL{Scheme: "http", Host: n.http})
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) },
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// leaseHolder reads which process holds the call queue and under which epoch.
func leaseHolder(t *testing.T, dbURL string) (pid int, epoch int64) {
	t.Helper()
	db, err := database.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var holder string
	err = db.QueryRowContext(context.Background(), "SELECT holder, epoch FROM call_queue_lease WHERE expires_at > now()").Scan(&holder, &epoch)
	if err != nil {
		return 0, 0
	}
	// The holder is named host/pid/random.
	parts := strings.Split(holder, "/")
	if len(parts) == 3 {
		pid, _ = strconv.Atoi(parts[1])
	}
	return pid, epoch
}

// sipOptions sends OPTIONS sip:user@addr over UDP and returns the answer's status code.
func sipOptions(addr, user string) int {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return 0
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	id := strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := "OPTIONS sip:" + user + "@" + addr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bK-" + id + "\r\n" +
		"From: <sip:probe@" + local + ">;tag=" + id + "\r\nTo: <sip:" + user + "@" + addr + ">\r\nCall-ID: " + id +
		"\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	conn.Write([]byte(msg))
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		return 0
	}
	code, _ := strconv.Atoi(strings.Fields(string(buf[:n]) + " x x")[1])
	return code
}

// TestChaosKillTheQueueHolder is the short chaos run of `make test`: two `hotline serve`
// processes on one database behind a round-robin proxy take Open311 requests from clients that
// retry with their Idempotency-Key, as careful clients do; the process holding the call queue
// is killed with SIGKILL mid-load. Every acknowledged ticket must be in the database once, and
// the call queue's lease must move to the survivor, which then answers the queue probe. The
// times are measured and logged, not asserted, beyond generous bounds.
func TestChaosKillTheQueueHolder(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("chaos run: starts processes and kills one, skipped with -short")
	}
	bin := binary(t)
	dbURL := testdb.NewURL(t)
	if code, _, errText := runCmd(t, map[string]string{"HOTLINE_DATABASE_URL": dbURL}, "seed", "--demo"); code != 0 {
		t.Fatalf("seed: %s", errText)
	}
	nodes := []*chaosNode{startChaosNode(t, bin, dbURL, 1)}
	// The first node takes the queue before the second starts, so the victim is known.
	var holderPid int
	for end := time.Now().Add(60 * time.Second); holderPid == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("no process took the call queue's lease")
		}
		holderPid, _ = leaseHolder(t, dbURL)
	}
	nodes = append(nodes, startChaosNode(t, bin, dbURL, 2))
	for _, n := range nodes {
		if err := waitHTTPReady("http://"+n.http, 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	victim, survivor := nodes[0], nodes[1]
	if victim.cmd.Process.Pid != holderPid {
		victim, survivor = survivor, victim
	}
	base := roundRobin(t, nodes)

	var (
		mu      sync.Mutex
		acked   = map[string]string{} // description → number answered
		retries atomic.Int64
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	hc := &http.Client{Timeout: 30 * time.Second}
	post := func(desc, key string, c, i int) (string, error) {
		form := url.Values{"api_key": {demo.Open311Key}, "service_code": {"road-damage"},
			"lat": {"39.9489"}, "long": {"116.4074"}, "address_string": {"东城区安定门大街1号"},
			"description": {desc}, "phone": {fmt.Sprintf("139%08d", c*1_000_000+i)}}
		req, _ := http.NewRequest(http.MethodPost, base+"/open311/v2/requests.json", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Idempotency-Key", key)
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var out []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || len(out) != 1 || out[0].ID == "" {
			return "", fmt.Errorf("status %d", resp.StatusCode)
		}
		return out[0].ID, nil
	}
	const clients = 4
	for c := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				desc := fmt.Sprintf("chaos %s %d-%d 路面塌陷", run, c, i)
				key := fmt.Sprintf("chaos-%s-%d-%d", run, c, i)
				for attempt := 0; ; attempt++ {
					no, err := post(desc, key, c, i)
					if err == nil {
						mu.Lock()
						acked[desc] = no
						mu.Unlock()
						break
					}
					retries.Add(1)
					if attempt > 600 {
						t.Errorf("%s never answered: %v", desc, err)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(3 * time.Second)
	killed := time.Now()
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.exited
	var moved time.Duration
	for end := killed.Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			close(stop)
			wg.Wait()
			t.Fatal("the call queue's lease never moved to the surviving process")
		}
		if pid, _ := leaseHolder(t, dbURL); pid == survivor.cmd.Process.Pid {
			moved = time.Since(killed)
			break
		}
	}
	probed := time.Now()
	for sipOptions(survivor.sip, "queue") != 200 {
		if time.Since(probed) > 30*time.Second {
			t.Fatal("the surviving process holds the lease but does not answer the queue probe 200")
		}
		time.Sleep(100 * time.Millisecond)
	}
	answering := time.Since(killed)
	time.Sleep(2 * time.Second) // load on the survivor alone
	close(stop)
	wg.Wait()

	db, err := database.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), "SELECT number, description FROM tickets WHERE description LIKE ?", "chaos "+run+" %")
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[string][]string{}
	for rows.Next() {
		var no, desc string
		if err := rows.Scan(&no, &desc); err != nil {
			t.Fatal(err)
		}
		inDB[desc] = append(inDB[desc], no)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var lost, wrong, dup int
	for desc, no := range acked {
		switch got := inDB[desc]; {
		case len(got) == 0:
			lost++
		case got[0] != no:
			wrong++
		}
	}
	for _, nos := range inDB {
		dup += len(nos) - 1
	}
	t.Logf("acknowledged %d tickets (%d attempts retried); lost %d, duplicated %d, another number %d; "+
		"queue lease moved %.1f s after the kill, queue probe answered 200 after %.1f s",
		len(acked), retries.Load(), lost, dup, wrong, moved.Seconds(), answering.Seconds())
	if len(acked) == 0 || lost != 0 || dup != 0 || wrong != 0 {
		t.Fatalf("acknowledged %d: %d lost, %d duplicated, %d with another number", len(acked), lost, dup, wrong)
	}
}

func waitHTTPReady(base string, d time.Duration) error {
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
