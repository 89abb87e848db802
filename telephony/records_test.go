package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/telephony/acd"
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

// Missed calls make one callback task per number while it is open: a citizen who tried five
// times is called back once, a flood from one number buries nobody else, a caller that is no
// number gets none, and writing a batch again changes nothing.
func TestMissedCallsMakeOneCallbackPerNumber(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	missed := func(caller string, at time.Duration) *Record {
		s, e := start.Add(at), start.Add(at+30*time.Second)
		return &Record{ID: uuid.NewString(), Caller: caller, Dialled: "12345", Outcome: string(acd.OutcomeAbandonedQueue),
			StartedAt: s, EndedAt: &e, CallerCallID: uuid.NewString()}
	}
	first := []*Record{missed("13800138000", 0), missed("13800138000", time.Minute), missed("anonymous", 2*time.Minute),
		missed("<script>", 3*time.Minute), missed("13900139000", 4*time.Minute)}
	later := []*Record{missed("13800138000", time.Hour), missed("13800138000", 2*time.Hour), missed("13800138000", 3*time.Hour)}
	for i, batch := range [][]*Record{first, later, later} {
		if err := writeRecords(ctx, db, batch); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	s := &Server{db: db}
	open, err := s.Callbacks(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, cb := range open {
		got[cb.Phone] += cb.MissedCalls
	}
	if len(open) != 2 || got["13800138000"] != 5 || got["13900139000"] != 1 {
		t.Fatalf("open callbacks: %+v", open)
	}
	// Once the citizen was called back, a new missed call is a new task.
	if _, err := db.ExecContext(ctx, "UPDATE callback_tasks SET status = 'done', updated_at = ? WHERE phone = '13800138000'", start.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := writeRecords(ctx, db, []*Record{missed("13800138000", 5*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if open, _ = s.Callbacks(ctx, "", 10); len(open) != 2 || open[1].Phone != "13800138000" || open[1].MissedCalls != 1 {
		t.Fatalf("after the callback: %+v", open)
	}
	if done, _ := s.Callbacks(ctx, "done", 10); len(done) != 1 || done[0].MissedCalls != 5 {
		t.Fatalf("the task called back: %+v", done)
	}
}
