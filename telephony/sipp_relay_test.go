package telephony

import (
	"strings"
	"testing"
)

// The agent's early media (183 with SDP) reaches the caller, and the caller's hold re-INVITE
// reaches the agent, whose answer goes back to the caller.
func TestSIPpEarlyMediaAndReinviteRelayed(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_reinvite.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_reinvite.xml", "caller", "13800138001", "-d", "200")
	agent.wait(t)
	ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].Extension == "1001" && rs[0].EndedAt != nil
	})
}

// A caller's re-INVITE without SDP (delayed offer), signalling only: the agent's offer comes
// back in the 200, and the caller's answer from its ACK reaches the agent in hotline's ACK
// (fault 3).
func TestSIPpDelayedOfferReinviteRelayed(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_reinvite_delayed.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_reinvite_delayed.xml", "caller", "13800138004", "-d", "200")
	agent.wait(t)
	ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
}

// With media anchored, a re-INVITE without SDP is answered with hotline's own session as the
// offer and the answer taken from the ACK; the agent's leg hears nothing of it (its scenario
// fails on any re-INVITE) (fault 3).
func TestSIPpMediaDelayedOfferReinvite(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t))
	aport := freePort(t)
	agent := startSipp(t, "agent_media.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_reinvite_delayed.xml", "caller", "13800138005", "-d", "1500")
	agent.wait(t)
	ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if strings.Contains(ts.logs.String(), "delayed offer") {
		t.Fatalf("the answer in the ACK was not taken:\n%s", ts.logs.String())
	}
}
