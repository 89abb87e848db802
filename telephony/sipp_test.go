package telephony

import (
	"context"
	"encoding/json"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestSIPpOptions(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	ts.runSipp(t, "options.xml")
}

func TestSIPpRegisterDigest(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	// Serial: the right password must register after the wrong one was refused.
	t.Run("wrong password", func(t *testing.T) {
		ts.register(t, "1001", "not-the-password", 5999, 403)
		if ts.Agent("1001").Registered {
			t.Fatal("a wrong password registered the phone")
		}
	})
	t.Run("right password", func(t *testing.T) {
		ts.register(t, "1001", "demo-sip", 5999, 200)
		ts.waitRegistered(t, "1001")
	})
}

func TestSIPpCallAnsweredAndRecorded(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller.xml", "caller", "13800138000", "-d", "200")
	agent.wait(t)
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	r := rs[0]
	if r.Caller != "13800138000" || r.Extension != "1001" || r.Dialled != "12345" || r.AnsweredAt == nil ||
		r.CallerCallID == "" || r.AgentCallID == "" || r.CallerCallID == r.AgentCallID {
		t.Fatalf("record: %+v", r)
	}
	var n int
	if err := ts.db.NewSelect().Table("callback_tasks").ColumnExpr("count(*)").Scan(context.Background(), &n); err != nil || n != 0 {
		t.Fatalf("an answered call made %d callback tasks (%v)", n, err)
	}
}

// countCallbacks returns the open callback tasks for phone.
func (ts *testServer) countCallbacks(t testing.TB, phone string) int {
	t.Helper()
	n, err := ts.db.NewSelect().Table("callback_tasks").Where("phone = ? AND status = 'open'", phone).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestSIPpNoAgentIsMissedWithCallback(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	ts.runSipp(t, "caller_no_agent.xml", "caller", "13700137000")
	ts.waitCalls(t, "a no_agent call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "no_agent" && rs[0].Extension == "" && rs[0].AnsweredAt == nil && rs[0].EndedAt != nil
	})
	if n := ts.countCallbacks(t, "13700137000"); n != 1 {
		t.Fatalf("callback tasks = %d, want 1", n)
	}
	cbs, err := ts.Callbacks(context.Background(), "", 10)
	if err != nil || len(cbs) != 1 || cbs[0].Phone != "13700137000" {
		t.Fatalf("callbacks: %+v %v", cbs, err)
	}
}

func TestSIPpOutsideTrunkRefused(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, func(c *Config) { c.Trunks = []netip.Prefix{netip.MustParsePrefix("10.9.9.0/24")} })
	ts.runSipp(t, "caller_forbidden.xml", "caller", "13700137001")
	// A refused call is not a call to the hotline: no record. OPTIONS still works.
	ts.runSipp(t, "options.xml")
	if rs, _ := ListCalls(context.Background(), ts.db, CallFilter{}); len(rs) != 0 {
		t.Fatalf("a call from outside the trunks was recorded: %s", describe(rs))
	}
}

func TestSIPpCancelWhileRinging(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_ring.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_cancel.xml", "caller", "13600136000")
	agent.wait(t)
	ts.waitCalls(t, "an abandoned_ringing call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "abandoned_ringing" && rs[0].EndedAt != nil
	})
	if n := ts.countCallbacks(t, "13600136000"); n != 1 {
		t.Fatalf("callback tasks = %d, want 1", n)
	}
}

func TestSIPpAgentHangsUp(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_bye.xml", aport, "", "-d", "300")
	ts.register(t, "1002", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_wait_bye.xml", "caller", "13500135000")
	agent.wait(t)
	ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].Extension == "1002" && rs[0].TalkMS > 0
	})
}

func TestSIPpReferTransferTo110(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	pport := freePort(t)
	ts := newTestServer(t, func(c *Config) { c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:" + strconv.Itoa(pport)} })
	police := startSipp(t, "police.xml", pport, "")
	aport := freePort(t)
	agent := startSipp(t, "agent_refer.xml", aport, "", "-d", "300", "target", "110")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_transfer.xml", "caller", "13800138000", "-d", "500")
	agent.wait(t)
	police.wait(t)
	ts.waitCalls(t, "a transferred call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "transferred" && rs[0].TransferTarget == "110" && rs[0].Extension == "1001"
	})
	if a := ts.Agent("1001"); a.State == "talking" {
		t.Fatalf("agent not released after the transfer: %+v", a)
	}
}

// After a REFER the agent's phone hangs its leg up itself, as a transferor does: its BYE is
// answered 200 (not 481), hotline sends no BYE of its own to that leg (fault 5), and the
// caller stays with 110 until the caller hangs up.
func TestSIPpReferTransferorHangsUpAlone(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	pport := freePort(t)
	ts := newTestServer(t, func(c *Config) {
		c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:" + strconv.Itoa(pport)}
		c.ReferByeWait = time.Second
	})
	police := startSipp(t, "police.xml", pport, "")
	aport := freePort(t)
	agent := startSipp(t, "agent_refer_bye.xml", aport, "", "-d", "300", "target", "110")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_transfer.xml", "caller", "13800138000", "-d", "3500")
	agent.wait(t)
	police.wait(t)
	ts.waitCalls(t, "a transferred call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "transferred" && rs[0].TransferTarget == "110" && rs[0].EndedAt != nil
	})
}

// REFER works for any configured hotline, here the market regulator's 12315, as it does for 110.
func TestSIPpReferTransferToConfiguredHotline(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	port := freePort(t)
	ts := newTestServer(t, func(c *Config) {
		c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:9", "12315": "sip:12315@127.0.0.1:" + strconv.Itoa(port)}
	})
	consumer := startSipp(t, "police.xml", port, "")
	aport := freePort(t)
	agent := startSipp(t, "agent_refer.xml", aport, "", "-d", "300", "target", "12315")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_transfer.xml", "caller", "13800138000", "-d", "500")
	agent.wait(t)
	consumer.wait(t)
	ts.waitCalls(t, "a transferred call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "transferred" && rs[0].TransferTarget == "12315" && rs[0].Extension == "1001"
	})
}

// REFER to a number that is not a configured target is refused 403 and the call goes on.
func TestSIPpReferToUnknownTargetRefused(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_refer_refused.xml", aport, "", "-d", "100", "target", "12315")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_wait_bye.xml", "caller", "13800138000")
	agent.wait(t)
	ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].TransferTarget == "" && rs[0].EndedAt != nil
	})
}

// The INVITE of a call that is over, arriving again after its transaction ended (a delayed
// retransmission), is refused 482 instead of ringing an agent as a second call: one call,
// one record.
func TestSIPpLateInviteRetransmissionIsNotANewCall(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_late_invite.xml", "caller", "13800138002", "-d", "0")
	agent.wait(t)
	rs := ts.waitCalls(t, "one answered call", func(rs []Record) bool {
		return len(rs) >= 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if len(rs) != 1 {
		t.Fatalf("one call made %d records: %s", len(rs), describe(rs))
	}
}

// A caller whose ACK never arrives is hung up after the ACK wait, the agent is freed and the
// call gets its final record (sipgo alone would retransmit the answer for ever).
func TestSIPpNoAckHangsUp(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, func(c *Config) { c.AckWait = time.Second })
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_no_ack.xml", "caller", "13800138003")
	agent.wait(t)
	ts.waitCalls(t, "an ended call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if a := ts.Agent("1001"); a.State == "talking" {
		t.Fatalf("agent still talking: %+v", a)
	}
}

// An agent's phone answering 488 (no codec of the trunk's offer, signalling only) has not
// missed the call: the agent is not paused, even with one miss allowed, and the call is not
// offered to that phone again but waits for another agent until the maximum wait (fault 1).
func TestSIPpCodecRefusalIsNoMiss(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, func(c *Config) { c.ACD.MaxMissed = 1; c.ACD.MaxWait = 2 * time.Second })
	aport := freePort(t)
	agent := startSipp(t, "agent_488.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_no_agent.xml", "caller", "13700137009")
	agent.wait(t)
	rs := ts.waitCalls(t, "a max_wait call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "max_wait" && rs[0].EndedAt != nil
	})
	var offers []struct{ Extension, Result string }
	if err := json.Unmarshal(rs[0].Offers, &offers); err != nil || len(offers) != 1 || offers[0].Result != "unable" {
		t.Fatalf("offers: %s (%v)", rs[0].Offers, err)
	}
	if a := ts.Agent("1001"); a.Status != "available" {
		t.Fatalf("agent after a codec refusal: %+v", a)
	}
}
