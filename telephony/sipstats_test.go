package telephony

import (
	"testing"

	"github.com/hotline-city/hotline/internal/testdb"
)

// Every response the server sends is counted by its request's method and its code: the
// metrics' hotline_sip_responses_total.
func TestSIPResponsesAreCounted(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	a := newTestServerOn(t, db)
	a.waitHolder(t)
	for range 2 {
		if got := sipStatus(t, a.Addr(), "OPTIONS", "12345"); got != "SIP/2.0 200 OK" {
			t.Fatalf("OPTIONS: %q", got)
		}
	}
	if got := sipStatus(t, a.Addr(), "INVITE", "12345"); got == "" {
		t.Fatal("INVITE unanswered")
	}
	counts := map[string]uint64{}
	for _, c := range a.SIPResponses() {
		counts[c.Method+" "+c.Code] += c.N
	}
	if counts["OPTIONS 200"] != 2 {
		t.Errorf("OPTIONS 200 counted %d times: %v", counts["OPTIONS 200"], counts)
	}
	invites := uint64(0)
	for k, n := range counts {
		if len(k) > 6 && k[:6] == "INVITE" {
			invites += n
		}
	}
	if invites == 0 {
		t.Errorf("no INVITE response counted: %v", counts)
	}
}
