package telephony

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// phone speaks REGISTER over UDP from one local address, computing digest answers itself, so
// a test can capture and replay what it sent.
type phone struct {
	t    *testing.T
	conn *net.UDPConn
	srv  *net.UDPAddr
	n    int
}

func newPhone(t *testing.T, localIP, server string) *phone {
	t.Helper()
	srv, _ := net.ResolveUDPAddr("udp", server)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(localIP)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &phone{t: t, conn: conn, srv: srv}
}

// register sends a REGISTER for ext with contact and authorization (none when ""), and
// returns the status line and the WWW-Authenticate value of the answer.
func (p *phone) register(ext, contact, authorization string) (status, challenge string) {
	p.t.Helper()
	p.n++
	local := p.conn.LocalAddr().String()
	msg := "REGISTER sip:" + p.srv.String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-replay-" + fmt.Sprint(time.Now().UnixNano()) + ";rport\r\n" +
		"From: <sip:" + ext + "@" + p.srv.String() + ">;tag=r" + fmt.Sprint(p.n) + "\r\nTo: <sip:" + ext + "@" + p.srv.String() + ">\r\n" +
		"Call-ID: replay-" + local + "\r\nCSeq: " + fmt.Sprint(p.n) + " REGISTER\r\nMax-Forwards: 70\r\n" +
		"Contact: <" + contact + ">\r\nExpires: 600\r\n"
	if authorization != "" {
		msg += "Authorization: " + authorization + "\r\n"
	}
	msg += "Content-Length: 0\r\n\r\n"
	if _, err := p.conn.WriteToUDP([]byte(msg), p.srv); err != nil {
		p.t.Fatal(err)
	}
	buf := make([]byte, 8192)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := p.conn.ReadFromUDP(buf)
	if err != nil {
		p.t.Fatalf("no answer to REGISTER: %v", err)
	}
	resp := string(buf[:n])
	status, _, _ = strings.Cut(resp, "\r\n")
	if m := regexp.MustCompile(`(?mi)^WWW-Authenticate: (.*)\r$`).FindStringSubmatch(resp); m != nil {
		challenge = m[1]
	}
	return status, challenge
}

// answer is the Authorization for a challenge, with qop=auth at count nc.
func answer(challenge, ext, password string, nc int) string {
	get := func(k string) string {
		m := regexp.MustCompile(k + `="([^"]*)"`).FindStringSubmatch(challenge)
		if m == nil {
			return ""
		}
		return m[1]
	}
	realm, nonce, uri := get("realm"), get("nonce"), "sip:hotline"
	ha1 := md5hex(ext + ":" + realm + ":" + password)
	ha2 := md5hex("REGISTER:" + uri)
	cnonce := "c0ffee"
	resp := md5hex(fmt.Sprintf("%s:%s:%08x:%s:auth:%s", ha1, nonce, nc, cnonce, ha2))
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%08x, cnonce="%s"`,
		ext, realm, nonce, uri, resp, nc, cnonce)
}

// A REGISTER captured on the wire and played again — from another address with the
// attacker's Contact, or from the same address — is refused with a fresh challenge, and the
// agent's calls keep ringing the agent's phone. The phone itself goes on with rising counts.
func TestRegisterReplayRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	agent := newPhone(t, "127.0.0.1", ts.Addr())
	mine := "sip:1001@" + agent.conn.LocalAddr().String()
	status, challenge := agent.register("1001", mine, "")
	if !strings.HasPrefix(status, "SIP/2.0 401") || challenge == "" {
		t.Fatalf("first REGISTER: %s", status)
	}
	captured := answer(challenge, "1001", "demo-sip", 1)
	if status, _ := agent.register("1001", mine, captured); !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("the agent's REGISTER: %s", status)
	}
	attacker := newPhone(t, "127.0.0.66", ts.Addr())
	theirs := "sip:1001@127.0.0.66:6666"
	if status, _ := attacker.register("1001", theirs, captured); !strings.HasPrefix(status, "SIP/2.0 401") {
		t.Fatalf("captured credentials from another address: %s", status)
	}
	sameNAT := newPhone(t, "127.0.0.1", ts.Addr())
	if status, _ := sameNAT.register("1001", theirs, captured); !strings.HasPrefix(status, "SIP/2.0 401") {
		t.Fatalf("captured credentials replayed from the same address: %s", status)
	}
	if b, ok := ts.reg.lookup("1001"); !ok || b.contact.String() != mine {
		t.Fatalf("the agent's binding: %v %v", b.contact.String(), ok)
	}
	if status, _ := agent.register("1001", mine, answer(challenge, "1001", "demo-sip", 2)); !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("the phone's refresh with the next count: %s", status)
	}
}

// Guessing an extension's password from many addresses, each under its own limit, blocks
// the extension for the rest of the window.
func TestDigestFailuresPerExtension(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for a := range 5 {
		p := newPhone(t, fmt.Sprintf("127.0.1.%d", a+1), ts.Addr())
		contact := "sip:1002@" + p.conn.LocalAddr().String()
		for range 4 {
			_, challenge := p.register("1002", contact, "")
			if status, _ := p.register("1002", contact, answer(challenge, "1002", "guess", 1)); !strings.HasPrefix(status, "SIP/2.0 403") {
				t.Fatalf("a wrong guess: %s", status)
			}
		}
	}
	p := newPhone(t, "127.0.2.1", ts.Addr())
	contact := "sip:1002@" + p.conn.LocalAddr().String()
	_, challenge := p.register("1002", contact, "")
	if status, _ := p.register("1002", contact, answer(challenge, "1002", "demo-sip", 1)); !strings.HasPrefix(status, "SIP/2.0 403") {
		t.Fatalf("the right password during the extension's block: %s", status)
	}
	other := newPhone(t, "127.0.2.2", ts.Addr())
	contact = "sip:1003@" + other.conn.LocalAddr().String()
	_, challenge = other.register("1003", contact, "")
	if status, _ := other.register("1003", contact, answer(challenge, "1003", "demo-sip", 1)); !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("another extension: %s", status)
	}
}

// Phones behind one proxy (Kamailio in front of the nodes) or one NAT share its address, so two
// of them challenged within one second get the same nonce: each phone's first answer to it is
// no replay of the other's.
func TestPhonesBehindOneAddressShareANonce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	one := newPhone(t, "127.0.0.1", ts.Addr())
	two := newPhone(t, "127.0.0.1", ts.Addr())
	_, challenge := one.register("1001", "sip:1001@127.0.0.1:5998", "")
	if status, _ := one.register("1001", "sip:1001@127.0.0.1:5998", answer(challenge, "1001", "demo-sip", 1)); !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("first phone: %s", status)
	}
	if status, _ := two.register("1002", "sip:1002@127.0.0.1:5997", answer(challenge, "1002", "demo-sip", 1)); !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("second phone answering the same nonce: %s", status)
	}
	if status, _ := two.register("1002", "sip:1002@127.0.0.1:5997", answer(challenge, "1002", "demo-sip", 1)); !strings.HasPrefix(status, "SIP/2.0 401") {
		t.Fatalf("the second phone's credentials replayed: %s", status)
	}
}
