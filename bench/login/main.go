// Command login measures `hotline serve` under a crowd of password guesses: clients from as
// many loopback addresses (one each, so the per-address limit does not simply turn them all
// away) post wrong passwords to /api/v1/tokens at once for a while, and meanwhile a SIP
// OPTIONS probe asks the hotline every 200 ms whether it still answers. It prints the idle and
// peak resident memory of the server beside its soft memory limit, the answers the guesses
// got, and how the SIP probe fared.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
)

func main() {
	clients := flag.Int("clients", 1000, "concurrent guessers, each from its own loopback address")
	dur := flag.Duration("duration", 20*time.Second, "how long the guessing lasts")
	binary := flag.String("binary", "bin/hotline", "the hotline binary to serve")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	flag.Parse()
	if err := run(*clients, *dur, *binary, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// memoryLimit is hotline serve's default soft memory limit (README), the yardstick.
const memoryLimit = 400 << 20

func run(clients int, dur time.Duration, binary, dir string) error {
	ctx := context.Background()
	db, err := benchdb.Fresh(ctx, dir, "bench_login", 8, benchdb.DemoCity)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := benchdb.Serve(binary, db.URL)
	if err != nil {
		return err
	}
	defer srv.Stop()
	pid := srv.Cmd.Process.Pid
	idle, err := benchdb.ProcStatus(pid, "VmRSS")
	if err != nil {
		return err
	}

	stop := make(chan struct{})
	probe := make(chan probeResult, 1)
	go func() { probe <- probeSIP(srv.SIPAddr, stop) }()
	statuses, attempts := guess(srv.Base, clients, dur)
	close(stop)
	p := <-probe
	hwm, err := benchdb.ProcStatus(pid, "VmHWM")
	if err != nil {
		return err
	}

	fmt.Printf("%d guessers for %s: %d login attempts (%.0f/s)\n", clients, dur, attempts, float64(attempts)/dur.Seconds())
	var codes []int
	for c := range statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		label := map[int]string{401: "refused", 429: "address must wait", 503: "busy, retry", 0: "no answer (client error)"}[c]
		fmt.Printf("  answers %3d: %7d  %s\n", c, statuses[c], label)
	}
	fmt.Printf("server RSS idle (VmRSS):   %.1f MB\n", float64(idle)/1024)
	fmt.Printf("server peak RSS (VmHWM):   %.1f MB (soft memory limit %d MB)\n", float64(hwm)/1024, memoryLimit>>20)
	fmt.Printf("SIP OPTIONS meanwhile:     %d of %d answered 200, p50 %.1f ms, max %.1f ms\n",
		p.answered, p.sent, ms(p.p50), ms(p.max))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// guess runs clients goroutines, client i from 127.1.(i/250).(i%250+1), each posting wrong
// passwords until dur has passed; it counts the answers by status.
func guess(base string, clients int, dur time.Duration) (map[int]int64, int64) {
	var mu sync.Mutex
	statuses := map[int]int64{}
	var attempts atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := &net.TCPAddr{IP: net.IPv4(127, 1, byte(i/250), byte(i%250+1))}
			tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: local}).DialContext, MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: time.Minute}
			user := "agent1"
			if i%2 == 1 {
				user = fmt.Sprintf("nobody%d", i)
			}
			for n := 0; time.Now().Before(deadline); n++ {
				body := fmt.Sprintf(`{"username": %q, "password": "guess-%d-%d"}`, user, i, n)
				status := 0
				resp, err := hc.Post(base+"/api/v1/tokens", "application/json", strings.NewReader(body))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				attempts.Add(1)
				mu.Lock()
				statuses[status]++
				mu.Unlock()
				if status == 429 || status == 503 || status == 0 {
					time.Sleep(time.Second) // a guesser told to wait tries again soon
				}
			}
		}()
	}
	wg.Wait()
	return statuses, attempts.Load()
}

type probeResult struct {
	sent, answered int
	p50, max       time.Duration
}

// probeSIP sends OPTIONS sip:12345 every 200 ms until stop, each waiting up to 2 s for 200 OK.
func probeSIP(addr string, stop <-chan struct{}) probeResult {
	var r probeResult
	var lat []time.Duration
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return r
	}
	defer conn.Close()
	host := conn.LocalAddr().String()
	buf := make([]byte, 4096)
	for i := 0; ; i++ {
		select {
		case <-stop:
			if len(lat) > 0 {
				slices.Sort(lat)
				r.p50, r.max = lat[len(lat)/2], lat[len(lat)-1]
			}
			return r
		case <-time.After(200 * time.Millisecond):
		}
		msg := fmt.Sprintf("OPTIONS sip:12345@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-probe-%d\r\nMax-Forwards: 70\r\n"+
			"From: <sip:probe@%s>;tag=probe%d\r\nTo: <sip:12345@%s>\r\nCall-ID: probe-%d@%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
			addr, host, i, host, i, addr, i, host)
		t0 := time.Now()
		r.sent++
		if _, err := conn.Write([]byte(msg)); err != nil {
			continue
		}
		conn.SetReadDeadline(t0.Add(2 * time.Second))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				break
			}
			if resp := string(buf[:n]); strings.HasPrefix(resp, "SIP/2.0 200") && strings.Contains(resp, fmt.Sprintf("probe-%d@", i)) {
				r.answered++
				lat = append(lat, time.Since(t0))
				break
			}
		}
	}
}
