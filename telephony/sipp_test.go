package telephony

import (
	"context"
	"testing"
)

func TestSIPpOptions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.runSipp(t, "options.xml")
}

func TestSIPpRegisterDigest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
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
