// Command media measures concurrent answered calls with the media anchored in hotline serve:
// callers and agents' phones (in this process, G.711 A-law both ways, 50 packets a second
// per side) make N calls at once, each with `-seconds` of audio after the answer, every call
// bridged and recorded in stereo by hotline; N rises until packets are lost (≥ 0.1 %) or late
// (jitter added by the path ≥ 20 ms). At each level: the loss each way, the jitter added (RFC
// 3550's estimator over transit times, mean and worst call) and the worst transit, the CPU and
// RSS of the server, and the recordings written. The same levels then go through a bare diago
// bridge (diago's example B2BUA in a process of its own: RTP proxied, nothing decoded or
// recorded, no queue, no database).
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/demo"
)

type options struct {
	levels  []int
	seconds int
	rate    int
	binary  string
	dir     string
	lossMax float64
	jitMax  time.Duration
}

func main() {
	levels := flag.String("levels", "100,200,300,400,500,600,700,800,1000", "concurrent calls to try, rising")
	seconds := flag.Int("seconds", 60, "seconds of audio per call after the answer")
	rate := flag.Int("rate", 100, "new calls per second while a level builds up")
	binary := flag.String("binary", "bin/hotline", "hotline binary")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	bare := flag.String("bare", "", "internal: serve the bare diago bridge on this address")
	bareAgent := flag.String("bare-agent", "", "internal: the bare bridge's agent URI")
	flag.Parse()
	if *bare != "" {
		if err := serveBare(*bare, *bareAgent); err != nil {
			fmt.Fprintln(os.Stderr, "bare bridge:", err)
			os.Exit(1)
		}
		return
	}
	o := options{seconds: *seconds, rate: *rate, binary: *binary, dir: *dir, lossMax: 0.001, jitMax: 20 * time.Millisecond}
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "bench: -levels: want numbers such as 100,200")
			os.Exit(2)
		}
		o.levels = append(o.levels, n)
	}
	if o.seconds < 5 || o.rate <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -seconds: at least 5; -rate: above 0")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	top := 0
	for _, n := range o.levels {
		top = max(top, n)
	}
	bdb, err := benchdb.Fresh(ctx, o.dir, "bench_media", 4, demo.SeedDirectory)
	if err != nil {
		return err
	}
	defer bdb.Close()
	exts, err := benchdb.SeedAgents(ctx, bdb.DB, 3001, top, "bench-media")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "hotline-bench-media")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	recs := filepath.Join(tmp, "recordings")

	ph, err := startPhones(o.seconds)
	if err != nil {
		return err
	}
	defer ph.stop()

	srv, err := benchdb.Serve(o.binary, bdb.URL, "HOTLINE_MEDIA=on", "HOTLINE_RTP_PORTS=20000-29999", "HOTLINE_RECORDINGS_DIR="+recs,
		"HOTLINE_ACD_WRAPUP=0s", "HOTLINE_ACD_MAX_WAIT=120s", "HOTLINE_PROMPTS_DIR="+filepath.Join(tmp, "prompts"), "HOTLINE_LOG_LEVEL=error")
	if err != nil {
		return err
	}
	defer srv.Stop()
	if err := ph.register(ctx, srv.SIPAddr, exts); err != nil {
		return err
	}
	fmt.Printf("media bench: %d s of G.711 A-law both ways per call, calls set up at %d/s; a level passes with every call answered, "+
		"loss < %.1f%% each way and the worst call's added jitter < %s\n", o.seconds, o.rate, 100*o.lossMax, o.jitMax)
	fmt.Println("hotline serve (media anchored, transcoded per packet, both sides recorded in stereo):")
	best, bestLine := 0, ""
	for _, n := range o.levels {
		r, err := ph.level(srv.Cmd.Process.Pid, "sip:12345@"+srv.SIPAddr, n, o)
		if err != nil {
			return err
		}
		written, bad := recordings(ctx, bdb, recs)
		pass := r.pass(o) && written >= r.answered && bad == 0
		fmt.Printf("  %s; recordings %d written, %d bad → %s\n", r, written, bad, verdict(pass))
		os.RemoveAll(recs) // 2 MB a call-minute; the files were checked
		if _, err := bdb.ExecContext(ctx, "DELETE FROM call_recordings"); err != nil {
			return err
		}
		if !pass {
			break
		}
		best, bestLine = n, r.String()
	}
	srv.Stop()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	bareAddr := benchdb.FreeAddr()
	bare := exec.Command(self, "-bare", bareAddr, "-bare-agent", fmt.Sprintf("sip:agent@%s", ph.agentAddr))
	bare.Stderr = os.Stderr
	if err := bare.Start(); err != nil {
		return err
	}
	defer func() { bare.Process.Signal(os.Interrupt); bare.Wait() }()
	time.Sleep(time.Second)
	fmt.Println("bare diago bridge (RTP proxied, nothing decoded or recorded, no queue, no database):")
	bareBest, bareLine := 0, ""
	for _, n := range o.levels {
		r, err := ph.level(bare.Process.Pid, "sip:12345@"+bareAddr, n, o)
		if err != nil {
			return err
		}
		fmt.Printf("  %s → %s\n", r, verdict(r.pass(o)))
		if !r.pass(o) {
			break
		}
		bareBest, bareLine = n, r.String()
	}
	fmt.Printf("highest level held by hotline serve, recorded: %d concurrent calls (%s)\n", best, bestLine)
	fmt.Printf("highest level held by the bare diago bridge:   %d concurrent calls (%s)\n", bareBest, bareLine)
	if bareBest > 0 {
		fmt.Printf("ratio: %.2f (goal: >= 500 calls and >= 0.5)\n", float64(best)/float64(bareBest))
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

// recordings counts the recordings hotline wrote and those that are missing, of another
// size than recorded, marked failed, or silent on a side (the caller's tone left, the
// agent's right).
func recordings(ctx context.Context, db *benchdb.DB, dir string) (written, bad int) {
	// A record is written when its call ends; the last calls of a level end just now.
	time.Sleep(2 * time.Second)
	rows, err := db.QueryContext(ctx, "SELECT path, bytes, error FROM call_recordings WHERE deleted_at IS NULL")
	if err != nil {
		return 0, -1
	}
	defer rows.Close()
	for rows.Next() {
		var path, msg string
		var size int64
		if err := rows.Scan(&path, &size, &msg); err != nil {
			return written, -1
		}
		if msg != "" || path == "" || !soundOnBothSides(filepath.Join(dir, path), size) {
			bad++
			continue
		}
		written++
	}
	return written, bad
}

// soundOnBothSides reads a stereo WAV of 16-bit samples and reports whether it has the size
// recorded and sound on both channels.
func soundOnBothSides(path string, size int64) bool {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) != size || len(b) < 44+4 {
		return false
	}
	var energy [2]float64
	for i := 44; i+4 <= len(b); i += 4 {
		for ch := range 2 {
			v := float64(int16(binary.LittleEndian.Uint16(b[i+2*ch:])))
			energy[ch] += v * v
		}
	}
	frames := float64((len(b) - 44) / 4)
	return energy[0]/frames > 1e5 && energy[1]/frames > 1e5 // RMS above ~316 of 32767
}

// phones are every caller's and agent's phone: one SIP stack for the callers, one for all
// the agents (every extension registers it as its contact), and the pacer of their audio.
type phones struct {
	seconds   int
	ua        *sipgo.UserAgent
	callers   *sipgo.DialogUA
	agents    *sipgo.DialogUA
	agentAddr string
	pace      *pacer
	quit      chan struct{}

	mu        sync.Mutex
	agentLegs map[string]*agentCall // by dialog ID
	round     *round
}

type agentCall struct {
	dlg *sipgo.DialogServerSession
	leg *leg
}

// round collects one level's legs.
type round struct {
	mu      sync.Mutex
	callers []*leg
	agents  []*leg
	firstUp time.Time // when the first caller was answered
}

func (r *round) add(l *leg, agent bool) {
	r.mu.Lock()
	if agent {
		r.agents = append(r.agents, l)
	} else {
		if len(r.callers) == 0 {
			r.firstUp = time.Now()
		}
		r.callers = append(r.callers, l)
	}
	r.mu.Unlock()
}

func startPhones(seconds int) (*phones, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	slog.SetDefault(quiet) // sipgo logs some things to the default logger
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})))
	if err != nil {
		return nil, err
	}
	p := &phones{seconds: seconds, ua: ua, pace: &pacer{}, quit: make(chan struct{}), agentLegs: map[string]*agentCall{}}
	for _, side := range []struct {
		dua   **sipgo.DialogUA
		agent bool
	}{{&p.callers, false}, {&p.agents, true}} {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr := conn.LocalAddr().(*net.UDPAddr)
		srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
		cli, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(addr.Port), sipgo.WithClientLogger(quiet))
		*side.dua = &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: addr.Port}}}
		if side.agent {
			p.agentAddr = addr.String()
			srv.OnInvite(p.agentInvite)
			srv.OnAck(p.agentAck)
			srv.OnBye(p.agentBye)
		} else {
			// hotline hangs up a caller only when something went wrong; the call is then
			// counted from what arrived.
			srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
				tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			})
		}
		go srv.ServeUDP(conn)
	}
	go p.pace.run(p.quit)
	return p, nil
}

func (p *phones) stop() {
	close(p.quit)
	p.ua.Close()
}

func (p *phones) register(ctx context.Context, sipAddr string, exts []string) error {
	_, port, _ := net.SplitHostPort(p.agentAddr)
	ap, _ := strconv.Atoi(port)
	return benchdb.RegisterAgents(ctx, p.agents.Client, sipAddr, exts, ap, "bench-media")
}

func (p *phones) agentInvite(req *sip.Request, tx sip.ServerTransaction) {
	dlg, err := p.agents.ReadInvite(req, tx)
	if err != nil {
		return
	}
	peer, err := audioAddr(req.Body())
	if err != nil {
		dlg.Respond(488, "Not Acceptable Here", nil)
		return
	}
	l, err := newLeg(markAgent, markCaller)
	if err != nil {
		dlg.Respond(503, "No Port", nil)
		return
	}
	l.peer = peer
	p.mu.Lock()
	p.agentLegs[dlg.ID] = &agentCall{dlg: dlg, leg: l}
	r := p.round
	p.mu.Unlock()
	if r != nil {
		r.add(l, true)
	}
	p.pace.add(l)
	if err := dlg.RespondSDP(offer(l.port())); err != nil {
		p.dropAgent(dlg.ID)
	}
}

func (p *phones) agentAck(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return
	}
	p.mu.Lock()
	c := p.agentLegs[id]
	p.mu.Unlock()
	if c == nil {
		return
	}
	c.dlg.ReadAck(req, tx)
	if !c.leg.sending.Swap(true) {
		time.AfterFunc(time.Duration(p.seconds)*time.Second, func() { c.leg.sending.Store(false) })
	}
}

func (p *phones) agentBye(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	p.mu.Lock()
	c := p.agentLegs[id]
	p.mu.Unlock()
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	c.dlg.ReadBye(req, tx)
	go p.dropAgent(id)
}

func (p *phones) dropAgent(id string) {
	p.mu.Lock()
	c := p.agentLegs[id]
	delete(p.agentLegs, id)
	p.mu.Unlock()
	if c != nil {
		c.leg.close()
	}
}

var callerSeq atomic.Int64

// call is one caller: INVITE, the answer, audio for the set seconds, a second's silence for
// the last packets to arrive, BYE. It reports whether the call was answered and ended cleanly.
func (p *phones) call(ctx context.Context, target sip.Uri, r *round, onUp func()) (answered bool, err error) {
	up := false
	defer func() {
		if !up {
			onUp()
		}
	}()
	l, err := newLeg(markCaller, markAgent)
	if err != nil {
		return false, err
	}
	defer l.close()
	num := fmt.Sprintf("139%08d", callerSeq.Add(1))
	req := sip.NewRequest(sip.INVITE, target)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: num, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer(l.port()))
	ictx, cancel := context.WithTimeout(ctx, 150*time.Second)
	defer cancel()
	dc, err := p.callers.WriteInvite(ictx, req)
	if err != nil {
		return false, err
	}
	defer dc.Close()
	if err := dc.WaitAnswer(ictx, sipgo.AnswerOptions{}); err != nil {
		return false, err
	}
	peer, err := audioAddr(dc.InviteResponse.Body())
	if err != nil {
		dc.Ack(ctx)
		dc.Bye(ctx)
		return false, err
	}
	l.peer = peer
	if err := dc.Ack(ctx); err != nil {
		return false, err
	}
	r.add(l, false)
	l.sending.Store(true)
	p.pace.add(l)
	up = true
	onUp()
	time.Sleep(time.Duration(p.seconds) * time.Second)
	l.sending.Store(false)
	time.Sleep(time.Second)
	bctx, bcancel := context.WithTimeout(ctx, 32*time.Second)
	defer bcancel()
	if err := dc.Bye(bctx); err != nil {
		return true, fmt.Errorf("bye: %w", err)
	}
	return true, nil
}

// result is one level's figures.
type result struct {
	calls, answered, failed int
	firstErr                error
	sentC, recvA            int64 // caller → agent
	sentA, recvC            int64 // agent → caller
	jitMean, jitWorst       time.Duration
	transitWorst            time.Duration
	cpu                     float64 // cores used by the server while every call was up
	rssMB, hwmMB            float64
}

func loss(sent, recv int64) float64 {
	if sent == 0 {
		return 1
	}
	return float64(sent-recv) / float64(sent)
}

func (r result) pass(o options) bool {
	return r.answered == r.calls && r.failed == 0 && loss(r.sentC, r.recvA) < o.lossMax && loss(r.sentA, r.recvC) < o.lossMax &&
		r.jitWorst < o.jitMax
}

func (r result) String() string {
	s := fmt.Sprintf("%4d calls: answered %d, failed %d; loss caller→agent %.3f%%, agent→caller %.3f%%; jitter added mean %.2f ms, worst call %.2f ms; worst transit %.1f ms; server CPU %.0f%% of a core, RSS %.0f MB (peak %.0f MB)",
		r.calls, r.answered, r.failed, 100*loss(r.sentC, r.recvA), 100*loss(r.sentA, r.recvC),
		float64(r.jitMean)/1e6, float64(r.jitWorst)/1e6, float64(r.transitWorst)/1e6, 100*r.cpu, r.rssMB, r.hwmMB)
	if r.firstErr != nil {
		s += fmt.Sprintf(" [first failure: %v]", r.firstErr)
	}
	return s
}

// level makes n calls at once through target and waits for all of them to end.
func (p *phones) level(pid int, target string, n int, o options) (result, error) {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return result{}, err
	}
	r := &round{}
	p.mu.Lock()
	p.round = r
	p.mu.Unlock()
	res := result{calls: n}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var settled atomic.Int64
	allUp := make(chan struct{})
	onUp := func() {
		if settled.Add(1) == int64(n) {
			close(allUp)
		}
	}
	ctx := context.Background()
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(o.rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			answered, err := p.call(ctx, uri, r, onUp)
			mu.Lock()
			if answered {
				res.answered++
			}
			if err != nil {
				res.failed++
				if res.firstErr == nil {
					res.firstErr = err
				}
			}
			mu.Unlock()
		}()
	}
	// Every call is up once all are answered (or failed); the calls answered first stop
	// sending o.seconds after their answer, so the server is measured from when the last
	// call is up until a second before the first stops.
	<-allUp
	r.mu.Lock()
	first := time.Now()
	if len(r.callers) > 0 {
		first = r.firstUp
	}
	r.mu.Unlock()
	window := time.Until(first.Add(time.Duration(o.seconds-1) * time.Second))
	if window > 2*time.Second {
		c0, t0 := cpuTime(pid), time.Now()
		time.Sleep(window)
		c1, t1 := cpuTime(pid), time.Now()
		res.cpu = (c1 - c0).Seconds() / t1.Sub(t0).Seconds()
		rss, _ := benchdb.ProcStatus(pid, "VmRSS")
		hwm, _ := benchdb.ProcStatus(pid, "VmHWM")
		res.rssMB, res.hwmMB = float64(rss)/1024, float64(hwm)/1024
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the agents' legs close after the hotline's BYE
	r.mu.Lock()
	defer r.mu.Unlock()
	var jsum float64
	for _, l := range r.callers {
		st := l.stats()
		res.sentC += l.sent.Load()
		res.recvC += st.received
		jsum += st.jitter
		res.jitWorst = max(res.jitWorst, time.Duration(st.jitter))
		res.transitWorst = max(res.transitWorst, time.Duration(st.maxTransit))
	}
	for _, l := range r.agents {
		st := l.stats()
		res.sentA += l.sent.Load()
		res.recvA += st.received
		jsum += st.jitter
		res.jitWorst = max(res.jitWorst, time.Duration(st.jitter))
		res.transitWorst = max(res.transitWorst, time.Duration(st.maxTransit))
	}
	if k := len(r.callers) + len(r.agents); k > 0 {
		res.jitMean = time.Duration(jsum / float64(k))
	}
	if res.answered < n && res.firstErr == nil {
		res.firstErr = errors.New("calls not answered")
	}
	return res, nil
}

// cpuTime is a process's user and system time so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks of 1/100 s
}
