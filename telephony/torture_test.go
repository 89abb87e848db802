package telephony

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// tortureDir finds RFC 4475's torture messages in sipgo's module.
func tortureDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/emiago/sipgo").Output()
	if err != nil {
		t.Fatalf("locate sipgo's module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "sip", "testdata", "torture")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("torture messages: %v", err)
	}
	return dir
}

// exchange sends msg over a new connection of network and returns the first response line
// received within wait ("" if none: the message was dropped).
func exchange(t *testing.T, network, addr string, msg []byte, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65536)
	n, err := conn.Read(buf)
	if n == 0 || err != nil && err != io.EOF && n == 0 {
		return ""
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

// options is an OPTIONS probe whose Via asks for the answer at from.
func options(addr, from string) []byte {
	return []byte("OPTIONS sip:12345@" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK-" + time.Now().Format("150405.000000000") + ";rport\r\n" +
		"From: <sip:probe@" + from + ">;tag=1\r\nTo: <sip:12345@" + addr + ">\r\nCall-ID: probe-" +
		time.Now().Format("150405.000000000") + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
}

// probe checks that the server still answers OPTIONS.
func probe(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", addr)
	conn.WriteTo(options(addr, conn.LocalAddr().String()), to)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := conn.ReadFrom(buf)
	if err != nil || !bytes.HasPrefix(buf[:n], []byte("SIP/2.0 200")) {
		t.Fatalf("server no longer answers OPTIONS: %v %q", err, buf[:n])
	}
}

// Every RFC 4475 torture message, valid or not, is answered or dropped, over TCP and UDP,
// while a call is in progress; the call completes and the server still serves.
func TestTortureMessages(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	caller := startSipp(t, "caller.xml", freePort(t), ts.Addr(), "caller", "13800138000", "-d", "3000")
	deadline := time.Now().Add(20 * time.Second)
	for ts.Agent("1001").State != "talking" {
		if time.Now().After(deadline) {
			t.Fatal("the call in progress never connected")
		}
		time.Sleep(20 * time.Millisecond)
	}

	dir := tortureDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.dat"))
	if len(files) < 40 {
		t.Fatalf("only %d torture messages in %s", len(files), dir)
	}
	var mu sync.Mutex
	answered := map[string]string{}
	var wg sync.WaitGroup
	for _, f := range files {
		msg, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		wg.Add(1)
		go func() {
			defer wg.Done()
			line := exchange(t, "tcp", ts.Addr(), msg, 2*time.Second)
			exchange(t, "udp", ts.Addr(), msg, 10*time.Millisecond)
			mu.Lock()
			answered[name] = line
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, line := range answered {
		if line != "" && !strings.HasPrefix(line, "SIP/2.0 ") {
			t.Errorf("%s: answered with %q", name, line)
		}
		if strings.HasPrefix(name, "invalid/") && strings.HasPrefix(line, "SIP/2.0 2") {
			t.Logf("%s accepted: %s", name, line)
		}
	}
	probe(t, ts.Addr())
	caller.wait(t)
	agent.wait(t)
	ts.waitCalls(t, "the call in progress recorded as answered", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
}

// Bad input gets the right answer: the status line for each request.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	addr := ts.Addr()
	// Each message its own branch and Call-ID: requests that shared them would be taken for
	// retransmissions of one transaction and answered (or absorbed) as such.
	n := 0
	base := func(method, uri, extra string) string {
		n++
		id := method + "-" + strconv.Itoa(n)
		return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-" + id +
			"\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:12345@" + addr + ">\r\nCall-ID: bad-" + id +
			"\r\nCSeq: 1 " + method + "\r\nMax-Forwards: 70\r\n" + extra + "Content-Length: 0\r\n\r\n"
	}
	for _, tc := range []struct {
		name, msg, want string
	}{
		{"unknown number", base("INVITE", "sip:99999@"+addr, "Contact: <sip:a@127.0.0.1:5999>\r\n"), "SIP/2.0 404"},
		{"method not allowed", base("PUBLISH", "sip:12345@"+addr, ""), "SIP/2.0 405"},
		{"unsupported extension", base("OPTIONS", "sip:12345@"+addr, "Require: frobnication\r\n"), "SIP/2.0 420"},
		{"cseq method mismatch", strings.Replace(base("OPTIONS", "sip:12345@"+addr, ""), "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1), "SIP/2.0 400"},
		{"unknown uri scheme", base("OPTIONS", "mailto:x@example.com", ""), "SIP/2.0 416"},
		{"bad version", strings.Replace(base("OPTIONS", "sip:12345@"+addr, ""), "SIP/2.0\r\n", "SIP/7.0\r\n", 1), "SIP/2.0 505"},
		{"invite without contact", base("INVITE", "sip:12345@"+addr, ""), "SIP/2.0 400"},
		{"register without credentials", strings.Replace(base("REGISTER", "sip:"+addr, "Contact: <sip:1001@127.0.0.1:5999>\r\n"), "To: <sip:12345@", "To: <sip:1001@", 1), "SIP/2.0 401"},
		{"bye outside a call", base("BYE", "sip:12345@"+addr, ""), "SIP/2.0 481"},
		// OPTIONS tells a scanner nothing about extensions: an unregistered one and one that
		// does not exist are answered as the hotline is.
		{"options to an unregistered extension", base("OPTIONS", "sip:1001@"+addr, ""), "SIP/2.0 200"},
		{"options to no extension at all", base("OPTIONS", "sip:987654@"+addr, ""), "SIP/2.0 200"},
	} {
		// Serial: the probe after them checks that the server survived them all.
		t.Run(tc.name, func(t *testing.T) {
			if got := exchange(t, "tcp", addr, []byte(tc.msg), 5*time.Second); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("answer %q, want %s", got, tc.want)
			}
		})
	}
	// Serial too, for the same probe.
	t.Run("oversized", func(t *testing.T) {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		msg := string(options(addr, conn.LocalAddr().String()))
		msg = strings.Replace(msg, "Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nX-Padding: "+strings.Repeat("x", 20000)+"\r\n", 1)
		to, _ := net.ResolveUDPAddr("udp", addr)
		conn.WriteTo([]byte(msg), to)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, _, err := conn.ReadFrom(buf)
		if err != nil || !bytes.HasPrefix(buf[:n], []byte("SIP/2.0 513")) {
			t.Fatalf("oversized message: %v %q", err, buf[:n])
		}
	})
	probe(t, addr)
}

// Repeated wrong passwords from one address get that address refused for a while, with one
// log line per period; other sources are not affected.
func TestDigestFailuresThrottled(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	for i := 0; i < 6; i++ {
		ts.register(t, "1002", "guess", freePort(t), 403)
	}
	// Even the right password is refused from that address now.
	ts.register(t, "1002", "demo-sip", freePort(t), 403)
	if ts.Agent("1002").Registered {
		t.Fatal("registered while throttled")
	}
	if n := strings.Count(ts.logs.String(), "kind=auth_blocked"); n != 1 {
		t.Fatalf("throttling logged %d times, want once per period:\n%s", n, ts.logs.String())
	}
}

// A flood from one address outside the trunks is dropped with one log line, while calls
// from the trunk still go through.
func TestFloodFromOneSource(t *testing.T) {
	t.Parallel()
	// 127.0.0.2 is not in the trunk 127.0.0.1/32 used here. The trunks are configured before
	// the server starts: its read loop consults them on every datagram.
	ts := newTestServer(t, func(c *Config) { c.Trunks = []netip.Prefix{mustPrefix("127.0.0.1/32")} })
	conn, err := net.ListenPacket("udp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", ts.Addr())
	got := make(chan int)
	go func() {
		n := 0
		buf := make([]byte, 4096)
		for {
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, _, err := conn.ReadFrom(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	// At least 3000 messages, in rounds the server's socket buffer can hold, until the guard
	// has noticed the flood: sent all at once to a busy server, most would be lost in the
	// kernel before the guard saw enough of them to act.
	sent := 0
	for deadline := time.Now().Add(20 * time.Second); sent < 3000 || !strings.Contains(ts.logs.String(), "kind=flood"); {
		if time.Now().After(deadline) {
			t.Fatalf("no flood noticed after %d messages", sent)
		}
		for range 100 {
			msg := bytes.Replace(options(ts.Addr(), conn.LocalAddr().String()), []byte("Call-ID: probe-"), []byte("Call-ID: flood"+string(rune('a'+sent%26))), 1)
			conn.WriteTo(msg, to)
			sent++
		}
		time.Sleep(5 * time.Millisecond)
	}
	answers := <-got
	if answers >= sent || answers == 0 {
		t.Fatalf("%d of %d flood messages answered: the limit did not apply", answers, sent)
	}
	if n := strings.Count(ts.logs.String(), "kind=flood"); n != 1 {
		t.Fatalf("flood logged %d times, want once per period", n)
	}
	probe(t, ts.Addr()) // from 127.0.0.1, a trunk
}

// FuzzHandler feeds arbitrary bytes through the parser and our request handling: nothing
// panics, and every request gets at most one final answer, in SIP/2.0. (Headers a request
// carries are echoed as RFC 3261 requires, so the answer is only as well-formed as they are.)
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{
		"OPTIONS sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK2\r\nFrom: <sip:1001@b>;tag=1\r\nTo: <sip:1001@b>\r\nCall-ID: y\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:5999>\r\nAuthorization: Digest username=\"1001\", realm=\"hotline\", nonce=\"AAAA.BBBB\", uri=\"sip:127.0.0.1\", response=\"00\"\r\nContent-Length: 0\r\n\r\n",
		"INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK3\r\nFrom: <sip:13800138000@b>;tag=1\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: z\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n",
	} {
		f.Add([]byte(seed))
	}
	s, err := New(Config{Addr: "127.0.0.1:0", Realm: "hotline", Transfers: map[string]string{}},
		Deps{Log: discardLogger()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		req.SetSource("192.0.2.1:5060") // not a trunk: no call reaches the queue
		req.SetTransport("UDP")
		tx := &fakeTx{}
		h := s.checked(func(req *sip.Request, tx sip.ServerTransaction) {
			switch req.Method {
			case sip.OPTIONS:
				s.onOptions(req, tx)
			case sip.REGISTER:
				s.onRegister(req, tx)
			case sip.INVITE:
				if _, ok := req.To().Params.Get("tag"); !ok {
					s.onInvite(req, tx)
				}
			case sip.BYE:
				s.onBye(req, tx)
			case sip.REFER:
				s.onRefer(req, tx)
			}
		})
		h(req, tx)
		if len(tx.responses) > 1 {
			t.Fatalf("%d responses to one request", len(tx.responses))
		}
		for _, r := range tx.responses {
			if r.StatusCode < 200 || r.StatusCode > 699 {
				t.Fatalf("final answer %d", r.StatusCode)
			}
			if !strings.HasPrefix(r.String(), "SIP/2.0 ") {
				t.Fatalf("answer with a bad status line: %q", r.String())
			}
		}
	})
}

// fakeTx records responses.
type fakeTx struct {
	responses []*sip.Response
}

func (f *fakeTx) Terminate()                         {}
func (f *fakeTx) OnTerminate(sip.FnTxTerminate) bool { return true }
func (f *fakeTx) Done() <-chan struct{}              { return nil }
func (f *fakeTx) Err() error                         { return nil }
func (f *fakeTx) Respond(r *sip.Response) error      { f.responses = append(f.responses, r); return nil }
func (f *fakeTx) Acks() <-chan *sip.Request          { return nil }
func (f *fakeTx) OnCancel(sip.FnTxCancel) bool       { return true }

// The RFC 4475 requests sipgo's parser drops, and one of another SIP version, are answered
// over UDP with the status RFC 4475 gives; a response that does not parse (scalarlg) is not
// answered; a response too large for a datagram is answered 513 rather than lost (fault 10).
func TestMalformedOverUDPAnswered(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	addr := ts.Addr()
	dir := tortureDir(t)
	to, _ := net.ResolveUDPAddr("udp", addr)
	send := func(t *testing.T, msg []byte) string {
		t.Helper()
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.WriteTo(msg, to)
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 65536)
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return ""
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		return line
	}
	for _, tc := range []struct{ file, want string }{
		{"clerr", "SIP/2.0 400"},
		{"ncl", "SIP/2.0 400"},
		{"scalar02", "SIP/2.0 400"},
		{"badaspec", "SIP/2.0 400"},
		{"badvers", "SIP/2.0 505"},
		{"scalarlg", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join(dir, "invalid", tc.file+".dat"))
			if err != nil {
				t.Fatal(err)
			}
			got := send(t, msg)
			if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
				t.Fatalf("answer %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("response larger than a datagram", func(t *testing.T) {
		// Fifteen Vias: the request fits a datagram, the 200 that echoes them does not.
		msg := string(options(addr, "127.0.0.1:5999"))
		var vias strings.Builder
		for i := range 15 {
			vias.WriteString("Via: SIP/2.0/UDP proxy" + strconv.Itoa(i) + ".example.com:5060;branch=z9hG4bK-padding-padding-" + strconv.Itoa(i) + "\r\n")
		}
		msg = strings.Replace(msg, "From:", vias.String()+"From:", 1)
		if got := send(t, []byte(msg)); !strings.HasPrefix(got, "SIP/2.0 513") {
			t.Fatalf("answer %q, want 513", got)
		}
	})
	probe(t, addr)
}
