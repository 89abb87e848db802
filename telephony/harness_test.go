package telephony

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// testServer is a SIP front end on a free loopback port with its own database.
type testServer struct {
	*Server
	db   *bun.DB
	logs *lockedBuffer
	stop func() // stops the server; the test's end does it otherwise
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// seedAgents adds the hotline centre and agent accounts in it with SIP extensions and the
// password demo-sip, without login passwords (hashing those is slow and the SIP tests never log
// in). The demo city cannot be used here: it imports this package to seed its calls.
func seedAgents(t testing.TB, db bun.IDB, exts ...string) {
	t.Helper()
	ctx := context.Background()
	st := org.NewStore(db)
	d := &org.Department{Code: "centre", Kind: "centre", NameZh: "市12345政务服务便民热线中心", NameEn: "12345 Hotline Centre", Active: true}
	if err := st.UpsertDepartment(ctx, d); err != nil {
		t.Fatal(err)
	}
	for _, ext := range exts {
		e := ext
		u := &org.Staff{Username: "sipagent" + ext, DisplayName: "坐席 " + ext, Role: org.RoleAgent, DepartmentID: d.ID,
			PasswordHash: "!", SIPExtension: &e, SIPHA1: org.DigestHA1(ext, "hotline", "demo-sip"), Active: true}
		if err := st.UpsertStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

type serverOption func(*Config)

// newTestServer starts a SIP front end for the test; it stops when the test ends.
func newTestServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	db := testdb.New(t)
	seedAgents(t, db, "1001", "1002", "1003")
	return newTestServerOn(t, db, opts...)
}

// newTestServerOn starts a SIP front end on db, which may be another server's: the processes
// of one deployment share their database.
func newTestServerOn(t testing.TB, db *bun.DB, opts ...serverOption) *testServer {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{
		Addr:      "127.0.0.1:0",
		Trunks:    []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Realm:     "hotline",
		Transfers: map[string]string{"110": "sip:110@127.0.0.1:9"},
		ACD:       acd.Config{RingTimeout: 5 * time.Second, WrapUp: -1, MaxWait: 20 * time.Second},
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg, Deps{DB: db, Org: org.NewStore(db), Tickets: tickets.NewService(db, nil, nil, time.UTC, log), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("serve did not stop")
		}
	})
	t.Cleanup(func() {
		stop()
		if t.Failed() || os.Getenv("HOTLINE_SIP_TEST_LOG") != "" {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testServer{Server: srv, db: db, logs: logs, stop: stop}
}

// freePort returns a loopback UDP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	// SIP listens on UDP and TCP with one number, so the port must be free for both.
	for range 50 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		c.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

// freeMediaPort returns a loopback UDP port that was free a moment ago together with the port
// two above it: SIPp binds its audio RTP socket on the one and its video RTP socket on the
// other, and fails to start when either is taken.
func freeMediaPort(t testing.TB) int {
	t.Helper()
	for range 200 {
		// Above the ports the system hands out itself (32768–60999) and apart from the media
		// pools the tests configure (40000–49999): a port found free here stays free for SIPp.
		port := 61000 + int(nextMedia.Add(4)%3996)
		audio, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		video, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+2))
		audio.Close()
		if err == nil {
			video.Close()
			return port
		}
	}
	t.Fatal("no pair of media ports free")
	return 0
}

// nextMedia walks SIPp's media ports (freeMediaPort).
var nextMedia atomic.Int64

func init() { nextMedia.Store(rand.Int64N(999) * 4) }

// sippProc is one SIPp process.
type sippProc struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan error
}

// skipJourneyIfShort skips, under -short, a test that places calls through SIPp: each such
// journey runs SIPp processes and takes seconds.
func skipJourneyIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("SIPp call: slow journey, skipped with -short")
	}
}

// startSipp starts SIPp with scenario (a file in testdata) on local port port; remote is
// the server's host:port for client scenarios, empty for server (UAS) scenarios. keys are
// pairs of -key names and values, or of SIPp options (starting with "-") and values.
func startSipp(t testing.TB, scenario string, port int, remote string, keys ...string) *sippProc {
	t.Helper()
	skipJourneyIfShort(t)
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp is not installed: install Debian's sip-tester (apt-get install -y sip-tester; make test does it)")
	}
	sf, err := filepath.Abs(filepath.Join("testdata", scenario))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-sf", sf, "-m", "1", "-nostdin", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-timeout", "40s", "-timeout_error", "-max_retrans", "8", "-mp", strconv.Itoa(freeMediaPort(t))}
	for i := 0; i+1 < len(keys); i += 2 {
		if strings.HasPrefix(keys[i], "-") {
			args = append(args, keys[i], keys[i+1]) // an option such as -au
			continue
		}
		args = append(args, "-key", keys[i], keys[i+1])
	}
	if os.Getenv("HOTLINE_SIP_TEST_LOG") != "" {
		args = append(args, "-trace_msg", "-message_file", filepath.Join(os.TempDir(), fmt.Sprintf("sipp-%s-%d.log", scenario, port)))
	}
	if remote != "" {
		args = append(args, remote)
	}
	p := &sippProc{name: scenario, out: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = t.TempDir()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for SIPp to end and fails the test unless every call succeeded.
func (p *sippProc) wait(t testing.TB) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("sipp %s: %v\n%s", p.name, err, tail(p.out.String(), 4000))
		}
	case <-time.After(90 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("sipp %s did not finish\n%s", p.name, tail(p.out.String(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// runSipp runs a client scenario against the server and waits for it.
func (ts *testServer) runSipp(t testing.TB, scenario string, keys ...string) {
	t.Helper()
	startSipp(t, scenario, freePort(t), ts.Addr(), keys...).wait(t)
}

// register registers ext with password pass, its calls going to a phone on port cport.
func (ts *testServer) register(t testing.TB, ext, pass string, cport int, want int) {
	t.Helper()
	scenario := "register.xml"
	if want == 403 {
		scenario = "register_bad.xml"
	}
	ts.runSipp(t, scenario, "ext", ext, "-au", ext, "-ap", pass, "cport", strconv.Itoa(cport))
}

// waitCalls polls the call records until ok accepts them.
func (ts *testServer) waitCalls(t testing.TB, what string, ok func([]Record) bool) []Record {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var rs []Record
	for {
		var err error
		rs, err = ListCalls(context.Background(), ts.db, CallFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if ok(rs) {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; calls: %s", what, describe(rs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describe(rs []Record) string {
	var b bytes.Buffer
	for _, r := range rs {
		fmt.Fprintf(&b, "\n  %s caller=%s ext=%q outcome=%s answered=%v ended=%v", r.ID, r.Caller, r.Extension, r.Outcome, r.AnsweredAt != nil, r.EndedAt != nil)
	}
	return b.String()
}

// waitRegistered waits until the queue knows ext's phone.
func (ts *testServer) waitRegistered(t testing.TB, ext string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ts.Agent(ext).Registered {
		if time.Now().After(deadline) {
			t.Fatalf("%s never registered", ext)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
