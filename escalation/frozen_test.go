package escalation_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
)

// A scheduler frozen inside its sweep (SIGSTOP, a long pause, a half-open connection) holds
// the clocks it claimed only until PostgreSQL ends its idle transaction: then the other
// scheduler acts on them, each once, and the frozen one's batch is rolled back whole.
func TestFrozenSchedulerReleasesItsClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{TxIdle: 400 * time.Millisecond})
	dispatched := at("2026-11-16 09:00")
	f.dispatch(t, dispatched, "hrss")
	f.dispatch(t, dispatched, "hrss")
	f.sweep(t, at("2026-11-16 09:01")) // plans the clocks; nothing is due yet
	when := at("2026-11-18 09:00")     // both tickets' accept clocks long overdue

	claimed := make(chan int, 1)
	frozen := make(chan error, 1)
	go func() { frozen <- f.esc.ClaimAndFreeze(context.Background(), when, 3*time.Second, claimed) }()
	if n := <-claimed; n == 0 {
		t.Fatal("the frozen scheduler claimed nothing")
	}
	// While it holds them, the other scheduler skips them: the hostage situation.
	if steps := f.sweep(t, when); len(steps) != 0 {
		t.Fatalf("acted on clocks another scheduler holds: %v", steps)
	}
	// After the idle timeout PostgreSQL has ended the frozen transaction.
	time.Sleep(time.Second)
	steps := f.sweep(t, when)
	if len(steps) == 0 {
		t.Fatal("the clocks are still held after the frozen transaction's timeout")
	}
	if err := <-frozen; err == nil {
		t.Fatal("the frozen scheduler's batch committed after its session was ended")
	}
	if again := f.sweep(t, when); len(again) != 0 {
		t.Fatalf("a second sweep acted again: %v", again)
	}
	if n := f.count(t, "SELECT count(*) FROM escalation_actions"); n != len(steps) {
		t.Fatalf("%d actions recorded for %d acted", n, len(steps))
	}
}
