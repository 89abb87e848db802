package main

import (
	"net"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/testdb"
)

// A SIP port in use ends serve at start with one line naming HOTLINE_SIP_ADDR.
func TestServeSIPPortInUse(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sip := pc.LocalAddr().String()
	env := map[string]string{"HOTLINE_DATABASE_URL": testdb.NewURL(t), "HOTLINE_HTTP_ADDR": freePort(t),
		"HOTLINE_SIP_ADDR": sip, "HOTLINE_LOG_LEVEL": "error"}
	code, _, stderr := runCmd(t, env, "serve")
	want := "hotline: telephony: HOTLINE_SIP_ADDR " + sip + ": address already in use"
	if code == 0 || strings.TrimRight(stderr, "\n") != want {
		t.Fatalf("serve with the SIP port taken: %d %q, want %q", code, stderr, want)
	}
}
