package telephony

import (
	"strconv"
	"testing"
	"time"
)

// An agent's phone that dies mid-call (no RTP, no BYE) while the caller still talks ends the
// call after the RTP timeout: the caller is hung up, the agent freed, and the record says
// the agent's audio stopped, its talk time ending there (fault 2).
func TestSIPpMediaSilentAgentIsHungUp(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.Media.Timeout = 1500 * time.Millisecond })
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "") // answers and never sends audio
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_talks.xml", "caller", "13800138067", "rtpport", strconv.Itoa(sink.port()))
	agent.wait(t)
	rs := ts.waitCalls(t, "an ended call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if rs[0].EndReason != "no_rtp_agent" || rs[0].TalkMS >= 1500 {
		t.Fatalf("record: end_reason %q, talk %d ms", rs[0].EndReason, rs[0].TalkMS)
	}
	if a := ts.Agent("1001"); a.State == "talking" {
		t.Fatalf("agent still talking: %+v", a)
	}
}
