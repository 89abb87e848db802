package acd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A phone that cannot take a call (no codec in common) is no missed offer: the agent is not
// paused however many such calls come, the call is never offered to that phone again but goes
// to the next agent or waits, and the next call rings the agent as usual.
func TestAgentUnableIsNoMiss(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{RingTimeout: secs(15), MaxMissed: 1, MaxWait: secs(30), WrapUp: -1})
	e.login("1001", "1002")
	e.enqueue("c1")
	e.to(1)
	if err := e.q.AgentUnable("c1", "1001"); err != nil {
		t.Fatal(err)
	}
	e.to(2)
	if err := e.q.AgentUnable("c1", "1002"); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"1001", "1002"} {
		e.wantAgent(AgentInfo{Ext: ext, Registered: true, Status: StatusAvailable, State: StateIdle, IdleSince: t0})
	}
	e.to(10)
	e.enqueue("c2")
	e.answer("c2", "1001")
	e.to(30)
	want := []string{"0s ring c1 1001", "1s ring c1 1002", "10s ring c2 1001", "30s abandon c1 max_wait", "30s finished c1 max_wait"}
	e.rec.mu.Lock()
	got := append([]string(nil), e.rec.events...)
	e.rec.mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	if err := e.q.AgentUnable("c2", "1002"); err == nil {
		t.Fatal("AgentUnable for an offer not ringing")
	}
}
