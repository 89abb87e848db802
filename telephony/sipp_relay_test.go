package telephony

import "testing"

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
