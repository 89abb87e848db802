package telephony

import (
	"sync"
	"testing"
)

// A call admitted just as the server stops gets its final record from the shutdown, and its
// first record is queued all the same; a call refused for the shutdown gets none. Run it with
// -race: the first record must not be read from the call once the shutdown can find it.
func TestCallAdmittedAsTheServerStops(t *testing.T) {
	t.Parallel()
	for range 50 {
		s, err := New(Config{Realm: "hotline"}, Deps{Log: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		s.serving = true
		c := &call{callID: "call", inviteKey: "invite", rec: Record{ID: "rec", Outcome: OutcomeInProgress}}
		c.in = &leg{c: c, id: "dialog"}
		var code int
		var wg sync.WaitGroup
		wg.Go(func() { code, _ = s.admit(c) })
		wg.Go(s.finishAll)
		wg.Wait()
		outcomes := map[string]bool{}
		for len(s.writer.in) > 0 {
			outcomes[(<-s.writer.in).Outcome] = true
		}
		switch {
		case code == 0 && (!outcomes[OutcomeInProgress] || !outcomes[OutcomeFailed] || len(outcomes) != 2):
			t.Fatalf("admitted call's records: %v, want in progress and failed", outcomes)
		case code != 0 && (code != 503 || len(outcomes) != 0):
			t.Fatalf("refused with %d, records %v: want 503 and none", code, outcomes)
		}
	}
}
