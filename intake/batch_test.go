package intake_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/faultproxy"
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

// TestBatchWithOneKeyTwiceStaysOnTheFastPath: a batch holding the same submission twice under
// one idempotency key, and a different complaint under that key too, is still written in one
// transaction: the pair gets one ticket between them, the different complaint is refused as
// the key's reuse, and the others get their own tickets, each with its submission row.
func TestBatchWithOneKeyTwiceStaysOnTheFastPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	rs, errs := f.svc.SubmitBatch(context.Background(), []intake.Submission{batchSub(0, "web:same"), batchSub(1, ""),
		batchSub(0, "web:same"), batchSub(3, "web:same"), batchSub(4, "")})
	for _, i := range []int{0, 1, 2, 4} {
		if errs[i] != nil || rs[i] == nil || rs[i].Number == "" {
			t.Fatalf("submission %d: %+v %v", i, rs[i], errs[i])
		}
	}
	if rs[0].Number != rs[2].Number || !rs[2].Duplicate || rs[0].Duplicate || rs[1].Number == rs[0].Number || rs[4].Number == rs[1].Number {
		t.Fatalf("receipts %+v %+v %+v: want the pair on one ticket, the others on their own", *rs[0], *rs[1], *rs[2])
	}
	if !errors.Is(errs[3], intake.ErrIdempotencyReused) || rs[3] != nil {
		t.Fatalf("another complaint under the pair's key: %+v, %v; want refused as the key's reuse", rs[3], errs[3])
	}
	if n := count(t, f.db, "SELECT count(*) FROM tickets"); n != 3 {
		t.Fatalf("%d tickets, want 3", n)
	}
	if n := count(t, f.db, "SELECT count(*) FROM tickets t JOIN intake_submissions s ON s.ticket_id = t.id"); n != 3 {
		t.Fatalf("%d tickets with their submission row, want 3", n)
	}
	if txs := count(t, f.db, "SELECT count(DISTINCT xmin::text) FROM tickets"); txs != 1 {
		t.Fatalf("%d transactions for one batch: a repeated key sent it down the slow path", txs)
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

// TestLostCommitRepliesNeitherDuplicateNorLose: while batches register concurrent submissions,
// now and then a COMMIT reaches PostgreSQL and its reply is lost. Every submission is answered
// with its own ticket, looked up by its token rather than written again: no complaint becomes
// two tickets, and every number given is the ticket of that complaint.
func TestLostCommitRepliesNeitherDuplicateNorLose(t *testing.T) {
	t.Parallel()
	var p *faultproxy.Proxy
	c := demotest.New(t, demotest.Intake(open), demotest.FaultProxy(&p))
	s := c.Intake
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	for !s.BatchOpen() {
		time.Sleep(time.Millisecond)
	}
	p.DropCommitReplies("INSERT INTO intake_submissions", 2, 12)
	const n = 150
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := ""
			if i%5 == 0 {
				key = fmt.Sprintf("web:%d", i) // most submissions carry no idempotency key
			}
			r, err := s.Submit(context.Background(), batchSub(i, key))
			if err != nil {
				t.Errorf("submission %d: %v", i, err)
				return
			}
			numbers[i] = r.Number
		})
	}
	wg.Wait()
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if p.Dropped() == 0 {
		t.Fatal("no COMMIT reply was dropped: the test tested nothing")
	}
	if dup := count(t, c.DB, "SELECT count(*) FROM (SELECT description FROM tickets GROUP BY description HAVING count(*) > 1) d"); dup != 0 {
		t.Fatalf("%d complaints registered twice after %d lost COMMIT replies", dup, p.Dropped())
	}
	if got := count(t, c.DB, "SELECT count(*) FROM tickets t JOIN intake_submissions s ON s.ticket_id = t.id AND s.token IS NOT NULL"); got != n {
		t.Fatalf("%d tickets with their submission row and token, want %d", got, n)
	}
	for i, no := range numbers {
		var desc string
		if err := c.DB.QueryRowContext(context.Background(), "SELECT description FROM tickets WHERE number = ?", no).Scan(&desc); err != nil {
			t.Fatalf("submission %d was told %q, which is no ticket: %v", i, no, err)
		}
		if want := batchSub(i, "").Description; desc != want {
			t.Fatalf("submission %d was told %s, the ticket of %q", i, no, desc)
		}
	}
	t.Logf("%d COMMIT replies dropped", p.Dropped())
}

// TestLostCommitReplyDuringOutageIsAnsweredHonestly: the COMMIT of a submission reaches
// PostgreSQL and then the database cannot be reached at all, so whether the ticket exists cannot
// be known: the citizen gets an outage error, not a number, and no second ticket is written.
func TestLostCommitReplyDuringOutageIsAnsweredHonestly(t *testing.T) {
	t.Parallel()
	var p *faultproxy.Proxy
	c := demotest.New(t, demotest.Intake(open), demotest.FaultProxy(&p))
	p.DropCommitReplies("INSERT INTO intake_submissions", 1, 1)
	p.OutageOnDrop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := c.Intake.Submit(ctx, batchSub(1, ""))
	if err == nil || !errors.Is(err, database.ErrCommitUnknown) {
		t.Fatalf("Submit = %+v, %v; want the unknown commit said (%d dropped)", r, err, p.Dropped())
	}
	direct, derr := database.Open(context.Background(), c.URL, 1)
	if derr != nil {
		t.Fatal(derr)
	}
	defer direct.Close()
	// The server carries the COMMIT out after the proxy cut its connection: once no other
	// session is left on the database, it has.
	for count(t, direct, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(t, direct, "SELECT count(*) FROM tickets"); n != 1 {
		t.Fatalf("%d tickets, want the one committed", n)
	}
	p.Restore()
}
