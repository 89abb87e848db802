package telephony

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned is a certificate for 127.0.0.1, and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hotline test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// readSIP reads one SIP message (head and a body of Content-Length) from r.
func readSIP(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	length := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read SIP over TLS: %v (so far %q)", err, b.String())
		}
		b.WriteString(line)
		if m := regexp.MustCompile(`(?i)^(Content-Length|l):\s*(\d+)`).FindStringSubmatch(line); m != nil {
			fmt.Sscan(m[2], &length)
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	if _, err := r.Read(body); length > 0 && err != nil {
		t.Fatal(err)
	}
	return b.String() + string(body)
}

// An agent's phone registers over TLS with digest authentication and a citizen's call rings it
// over the same TLS connection, so neither the password's digest nor the call's signalling
// crosses the network in the clear.
func TestAgentOverTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	ts := newTestServer(t, func(c *Config) {
		c.TLSAddr = "127.0.0.1:0"
		c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	})
	conn, err := tls.Dial("tcp", ts.TLSAddr(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	local := conn.LocalAddr().String()
	register := func(n int, auth string) string {
		msg := "REGISTER sip:" + ts.TLSAddr() + ";transport=tls SIP/2.0\r\n" +
			"Via: SIP/2.0/TLS " + local + fmt.Sprintf(";branch=z9hG4bK-tls-%d\r\n", n) +
			"From: <sip:1001@" + ts.TLSAddr() + fmt.Sprintf(">;tag=t%d\r\n", n) + "To: <sip:1001@" + ts.TLSAddr() + ">\r\n" +
			"Call-ID: tls-register\r\n" + fmt.Sprintf("CSeq: %d REGISTER\r\n", n) + "Max-Forwards: 70\r\n" +
			"Contact: <sip:1001@" + local + ";transport=tls>\r\nExpires: 600\r\n"
		if auth != "" {
			msg += "Authorization: " + auth + "\r\n"
		}
		if _, err := conn.Write([]byte(msg + "Content-Length: 0\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		return readSIP(t, r)
	}
	first := register(1, "")
	m := regexp.MustCompile(`(?m)^WWW-Authenticate: (.*)\r$`).FindStringSubmatch(first)
	if !strings.HasPrefix(first, "SIP/2.0 401") || m == nil {
		t.Fatalf("first REGISTER over TLS: %q", first)
	}
	if resp := register(2, answer(m[1], "1001", "demo-sip", 1)); !strings.HasPrefix(resp, "SIP/2.0 200") {
		t.Fatalf("REGISTER over TLS: %q", resp)
	}
	if b, ok := ts.reg.lookup("1001"); !ok || !strings.EqualFold(b.transport, "TLS") {
		t.Fatalf("binding: %+v %v", b, ok)
	}
	ts.waitRegistered(t, "1001")

	startSipp(t, "caller.xml", freePort(t), ts.Addr(), "caller", "13800138000", "-d", "1000")
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if invite := readSIP(t, r); !strings.HasPrefix(invite, "INVITE sip:1001@") || !strings.Contains(invite, "SIP/2.0/TLS") {
		t.Fatalf("the call to the agent over TLS: %q", invite)
	}
}
