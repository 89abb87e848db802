package telephony

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// A transfer's event for the console is told while the queue may be finishing the call (the
// caller hangs up as the transfer fails): the two touch the call's record only under its
// lock. Run it with -race.
func TestTransferEventWhileTheCallFinishes(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Realm: "hotline"}, Deps{Log: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := s.Subscribe("1001")
	defer cancel()
	for i := range 100 {
		id := fmt.Sprint("call-", i)
		c := &call{callID: id, rec: Record{ID: id, Extension: "1001", Outcome: OutcomeInProgress}}
		s.mu.Lock()
		s.calls[id] = c
		s.mu.Unlock()
		var wg sync.WaitGroup
		wg.Go(func() {
			s.recordTransfer(context.Background(), c, "110", tickets.Actor{Name: "agent"}, ErrTransferFailed)
		})
		wg.Go(func() {
			(*switchboard)(s).Finished(acd.CallRecord{CallID: id, Agent: "1001", Outcome: acd.OutcomeAnswered, Ended: time.Now()})
		})
		wg.Wait()
		if e := <-events; e.Type != "transfer" || e.Extension != "1001" || e.CallID != id || e.Result != "failed" {
			t.Fatalf("transfer event %+v", e)
		}
	}
}
