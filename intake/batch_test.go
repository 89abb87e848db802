package intake_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/intake"
)

func batchSub(i int, key string) intake.Submission {
	return intake.Submission{Channel: "web", ServiceCode: "road-damage", Description: fmt.Sprintf("路面有坑 %d", i),
		Address: "东城区安定门大街1号", Phone: fmt.Sprintf("139%08d", i), ClientAddr: fmt.Sprintf("192.0.2.%d", i%250), IdempotencyKey: key}
}

func count(t *testing.T, db *bun.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatchWithOneKeyTwiceFallsBackToOneByOne: two submissions with one idempotency key in the
// same batch fail its transaction; each is then registered alone, so the third gets its own
// ticket, the pair one ticket between them, and every ticket its submission row.
func TestBatchWithOneKeyTwiceFallsBackToOneByOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	rs, errs := f.svc.SubmitBatch(context.Background(), []intake.Submission{batchSub(0, "web:same"), batchSub(1, ""), batchSub(2, "web:same")})
	for i, r := range rs {
		if errs[i] != nil || r == nil || r.Number == "" {
			t.Fatalf("submission %d: %+v %v", i, r, errs[i])
		}
	}
	if rs[0].Number != rs[2].Number || !rs[2].Duplicate || rs[1].Number == rs[0].Number {
		t.Fatalf("receipts %+v %+v %+v: want the pair on one ticket, the other on its own", *rs[0], *rs[1], *rs[2])
	}
	if n := count(t, f.db, "SELECT count(*) FROM tickets"); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
	if n := count(t, f.db, "SELECT count(*) FROM tickets t JOIN intake_submissions s ON s.ticket_id = t.id"); n != 2 {
		t.Fatalf("%d tickets with their submission row, want 2", n)
	}
}

// TestBatchAnswersEachSubmission: a batch that commits answers each submission with its own
// ticket, in order, each with its submission row.
func TestBatchAnswersEachSubmission(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	var subs []intake.Submission
	for i := range 5 {
		subs = append(subs, batchSub(i, fmt.Sprintf("web:%d", i)))
	}
	rs, errs := f.svc.SubmitBatch(context.Background(), subs)
	for i, r := range rs {
		if errs[i] != nil || r == nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		var desc, key string
		err := f.db.QueryRowContext(context.Background(), `SELECT t.description, s.idempotency_key FROM tickets t
			JOIN intake_submissions s ON s.ticket_id = t.id WHERE t.number = ?`, r.Number).Scan(&desc, &key)
		if err != nil || desc != subs[i].Description || key != subs[i].IdempotencyKey {
			t.Fatalf("submission %d: ticket %s holds %q with key %q (%v)", i, r.Number, desc, key, err)
		}
	}
	if txs := count(t, f.db, "SELECT count(DISTINCT xmin::text) FROM tickets"); txs != 1 {
		t.Fatalf("%d transactions for one batch", txs)
	}
}

// TestRunRegistersConcurrentSubmissionsInBatches: while Run runs, concurrent submissions share
// transactions (their tickets' rows carry the same transaction id), each gets its own ticket
// with its submission row; after Run returns, submissions are registered one by one again.
func TestRunRegistersConcurrentSubmissionsInBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	s, db := f.svc, f.db
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	for !s.BatchOpen() {
		time.Sleep(time.Millisecond)
	}
	const n = 120
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := s.Submit(context.Background(), batchSub(i, fmt.Sprintf("web:%d", i)))
			if err != nil {
				t.Error(err)
				return
			}
			numbers[i] = r.Number
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, no := range numbers {
		if no == "" || seen[no] {
			t.Fatalf("submission %d: number %q (seen before: %v)", i, no, seen[no])
		}
		seen[no] = true
	}
	if got := count(t, db, "SELECT count(*) FROM tickets t JOIN intake_submissions s ON s.ticket_id = t.id AND s.idempotency_key = 'web:' || (regexp_replace(t.description, '\\D', '', 'g'))"); got != n {
		t.Fatalf("%d tickets with their own submission row, want %d", got, n)
	}
	if txs := count(t, db, "SELECT count(DISTINCT xmin::text) FROM tickets"); txs >= n {
		t.Fatalf("%d transactions for %d submissions: no batch was written", txs, n)
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s.BatchOpen() {
		t.Fatal("the queue still takes submissions after Run returned")
	}
	if r, err := s.Submit(context.Background(), batchSub(n, "")); err != nil || r.Number == "" {
		t.Fatalf("submission after Run: %v %v", r, err)
	}
}
