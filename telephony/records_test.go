package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-city/hotline/internal/testdb"
)

// A snapshot taken while the call was in progress and queued after its final record (the
// agent's answer racing the caller's hang-up) must not turn the call back into in_progress.
func TestWriteRecordsKeepsTheFinalRecord(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Minute)
	live := Record{ID: uuid.NewString(), Caller: "13800138000", Dialled: "12345", Outcome: OutcomeInProgress,
		StartedAt: start, CallerCallID: "cid-1"}
	final := live
	final.Outcome, final.Extension, final.EndedAt, final.TalkMS = "answered", "1001", &end, 60000
	late := live
	late.Extension = "1001"

	for i, rows := range [][]Record{{live}, {final}, {late}} {
		if err := writeRecords(ctx, db, []*Record{&rows[0]}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	rs, err := ListCalls(ctx, db, CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Outcome != "answered" || rs[0].EndedAt == nil || rs[0].TalkMS != 60000 {
		t.Fatalf("records: %s", describe(rs))
	}

	// A final record still replaces another final one (a transfer's end after the agent left).
	later := final
	later.Outcome, later.TransferTarget = OutcomeTransferred, "110"
	if err := writeRecords(ctx, db, []*Record{&later}); err != nil {
		t.Fatal(err)
	}
	if rs, _ = ListCalls(ctx, db, CallFilter{}); len(rs) != 1 || rs[0].Outcome != OutcomeTransferred || rs[0].TransferTarget != "110" {
		t.Fatalf("records: %s", describe(rs))
	}
}
