package telephony

import (
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// An INVITE hotline sends to a phone it never heard from leaves from the SIP listening port,
// with that port in Via, and so does the ACK of the phone's refusal (fault 6).
func TestRequestsLeaveFromTheSIPPort(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, func(c *Config) { c.ACD.MaxWait = 2 * time.Second })
	phone, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	// The REGISTER comes from SIPp's port; calls go to the Contact, this socket, which has
	// never sent hotline anything.
	ts.register(t, "1001", "demo-sip", phone.LocalAddr().(*net.UDPAddr).Port, 200)
	caller := startSipp(t, "caller_no_agent.xml", freePort(t), ts.Addr(), "caller", "13700137010")

	_, sipPort, _ := net.SplitHostPort(ts.Addr())
	want := "127.0.0.1:" + sipPort
	buf := make([]byte, 65536)
	seen := map[string]bool{}
	phone.SetReadDeadline(time.Now().Add(20 * time.Second))
	for !seen["ACK"] {
		n, from, err := phone.ReadFrom(buf)
		if err != nil {
			t.Fatalf("the phone got %v before the ACK: %v", seen, err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatalf("parse %q: %v", buf[:n], err)
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			continue
		}
		if from.String() != want {
			t.Errorf("%s came from %s, want the SIP address %s", req.Method, from, want)
		}
		if via := req.Via(); via == nil || strconv.Itoa(via.Port) != sipPort {
			t.Errorf("%s Via %v, want port %s", req.Method, via, sipPort)
		}
		seen[req.Method.String()] = true
		if req.IsInvite() && !seen["answered"] {
			seen["answered"] = true
			res := sip.NewResponseFromRequest(req, 486, "Busy Here", nil)
			phone.WriteTo([]byte(res.String()), from)
		}
	}
	caller.wait(t)
}

// A response goes to the address the request came from, with received and rport in its Via,
// never to the host and port a forged Via names (fault 7).
func TestResponsesGoToTheSource(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	addr := ts.Addr()
	src, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	decoy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer decoy.Close()
	decoyPort := decoy.LocalAddr().(*net.UDPAddr).Port

	t.Run("udp", func(t *testing.T) {
		d := strconv.Itoa(decoyPort)
		for _, tc := range []struct{ via, received string }{
			{"127.0.0.1:" + d, ""},                               // another port
			{"192.0.2.1:" + d + ";rport", "127.0.0.1"},           // another host
			{"127.0.0.1:5999;rport=" + d, ""},                    // a forged rport
			{"127.0.0.1:5999;received=192.0.2.1;rport=" + d, ""}, // and received
		} {
			msg := bytes.Replace(options(addr, "127.0.0.1:5999"), []byte("127.0.0.1:5999;branch="),
				[]byte(tc.via+";branch="), 1)
			msg = bytes.Replace(msg, []byte(";rport\r\n"), []byte("\r\n"), 1)
			to, _ := net.ResolveUDPAddr("udp", addr)
			src.WriteTo(msg, to)
			src.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 4096)
			n, _, err := src.ReadFrom(buf)
			if err != nil {
				t.Fatalf("Via %s: no answer at the source: %v", tc.via, err)
			}
			res, err := sip.ParseMessage(buf[:n])
			if err != nil {
				t.Fatal(err)
			}
			v := res.(*sip.Response).Via()
			if got, _ := v.Params.Get("received"); got != tc.received {
				t.Errorf("Via %s: answered with %s, want received=%q", tc.via, v, tc.received)
			}
		}
		decoy.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, _, err := decoy.ReadFrom(make([]byte, 4096)); err == nil {
			t.Fatalf("a response went to the port a Via named: %d bytes", n)
		}
	})

	t.Run("tcp", func(t *testing.T) {
		// A listener at the Via's host and port; the requests' connection closes at once, and
		// hotline must not connect there instead.
		bait, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer bait.Close()
		connected := make(chan struct{}, 1)
		go func() {
			if c, err := bait.Accept(); err == nil {
				connected <- struct{}{}
				c.Close()
			}
		}()
		var b bytes.Buffer
		for i := range 50 {
			b.WriteString("OPTIONS sip:12345@" + addr + " SIP/2.0\r\nVia: SIP/2.0/TCP " + bait.Addr().String() +
				";branch=z9hG4bK-bait" + strconv.Itoa(i) + "\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:12345@" + addr +
				">\r\nCall-ID: bait-" + strconv.Itoa(i) + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
		}
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(b.Bytes())
		conn.Close()
		select {
		case <-connected:
			t.Fatal("hotline opened a TCP connection to the host a Via named")
		case <-time.After(2 * time.Second):
		}
		probe(t, addr)
	})
}
