package pgnotify

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/testdb"
)

// env is a test's own database, a pool on it, and a listener not yet running.
type env struct {
	t  *testing.T
	db *bun.DB
	l  *Listener
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := testdb.NewURL(t)
	db, err := database.Open(context.Background(), url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := New(url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, l: l}
}

// run starts the listener and returns the function that stops it and checks that Run ended
// cleanly; the test's cleanup calls it too.
func (e *env) run() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.l.Run(ctx) }()
	stopped := false
	stop = func() {
		e.t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			e.t.Error("run did not return after its context ended")
		}
	}
	e.t.Cleanup(stop)
	return stop
}

func (e *env) notify(topic, payload string) {
	e.t.Helper()
	if err := Notify(context.Background(), e.db, topic, payload); err != nil {
		e.t.Fatal(err)
	}
}

// backends are the pids of the listener connections to the test's database.
func (e *env) backends() []int {
	e.t.Helper()
	var pids []int
	err := e.db.NewRaw("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
		AppName).Scan(context.Background(), &pids)
	if err != nil {
		e.t.Fatal(err)
	}
	return pids
}

// oneBackend waits until exactly one listener connection is open and returns its pid.
func (e *env) oneBackend() int {
	e.t.Helper()
	var pids []int
	waitFor(e.t, "one listener connection", func() bool { pids = e.backends(); return len(pids) == 1 })
	return pids[0]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// next is the subscription's next notification.
func next(t *testing.T, s *Subscription) Notification {
	t.Helper()
	select {
	case n, ok := <-s.C:
		if !ok {
			t.Fatalf("%s: subscription closed", s.topic)
		}
		return n
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no notification", s.topic)
	}
	return Notification{}
}

func wantMissed(t *testing.T, s *Subscription) {
	t.Helper()
	if n := next(t, s); !n.Missed || n.Topic != s.topic {
		t.Fatalf("got %+v, want Missed on %s", n, s.topic)
	}
}

func wantPayload(t *testing.T, s *Subscription, payload string) {
	t.Helper()
	want := Notification{Topic: s.topic, Payload: payload}
	if n := next(t, s); n != want {
		t.Fatalf("got %+v, want %+v", n, want)
	}
}

func wantNothing(t *testing.T, s *Subscription) {
	t.Helper()
	select {
	case n := <-s.C:
		t.Fatalf("%s: unexpected %+v", s.topic, n)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestTwoTopicsOneConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alpha, beta := e.l.Subscribe("alpha"), e.l.Subscribe("Beta Topic") // quoted as an identifier
	e.run()
	wantMissed(t, alpha)
	wantMissed(t, beta)
	e.notify("alpha", "1")
	e.notify("Beta Topic", "2")
	wantPayload(t, alpha, "1")
	wantPayload(t, beta, "2")
	wantNothing(t, alpha)
	if pids := e.backends(); len(pids) != 1 {
		t.Fatalf("listener connections %v, want one for both topics", pids)
	}
}

func TestNotifyIsSentOnCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.l.Subscribe("alpha")
	e.run()
	wantMissed(t, s)
	ctx := context.Background()
	for _, commit := range []bool{false, true} {
		err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := Notify(ctx, tx, "alpha", strconv.FormatBool(commit)); err != nil {
				return err
			}
			if !commit {
				return context.Canceled // any error rolls back
			}
			return nil
		})
		if commit != (err == nil) {
			t.Fatalf("commit %v: %v", commit, err)
		}
	}
	wantPayload(t, s, "true")
	wantNothing(t, s)
}

func TestSubscribeAfterStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.l.pingEvery = 20 * time.Millisecond // idle pings along the way must not disturb anything
	alpha := e.l.Subscribe("alpha")
	e.run()
	wantMissed(t, alpha)
	pid := e.oneBackend()

	// A new topic is LISTENed on the same connection; its subscriber learns when.
	gamma := e.l.Subscribe("gamma")
	wantMissed(t, gamma)
	if !e.l.Listening("gamma") {
		t.Fatal("gamma: Missed before its LISTEN")
	}
	e.notify("gamma", "g")
	wantPayload(t, gamma, "g")

	// A second subscriber of a topic already LISTENed is told at once.
	alpha2 := e.l.Subscribe("alpha")
	wantMissed(t, alpha2)
	time.Sleep(100 * time.Millisecond) // several pings
	e.notify("alpha", "a")
	wantPayload(t, alpha, "a")
	wantPayload(t, alpha2, "a")
	if pids := e.backends(); len(pids) != 1 || pids[0] != pid {
		t.Fatalf("listener connections %v, want still %d alone", pids, pid)
	}
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a1, a2, b := e.l.Subscribe("alpha"), e.l.Subscribe("alpha"), e.l.Subscribe("beta")
	e.run()
	for _, s := range []*Subscription{a1, a2, b} {
		wantMissed(t, s)
	}

	a1.Unsubscribe()
	a1.Unsubscribe()
	if _, ok := <-a1.C; ok {
		t.Fatal("an unsubscribed channel is still open")
	}
	e.notify("alpha", "after")
	wantPayload(t, a2, "after")

	// The last subscriber of a topic takes its LISTEN away; the others keep theirs.
	b.Unsubscribe()
	waitFor(t, "beta UNLISTENed", func() bool { return !e.l.Listening("beta") })
	if !e.l.Listening("alpha") {
		t.Fatal("alpha UNLISTENed with a subscriber left")
	}
	e.notify("beta", "unheard")
	e.notify("alpha", "heard")
	wantPayload(t, a2, "heard")

	// Subscribing again LISTENs again.
	b2 := e.l.Subscribe("beta")
	wantMissed(t, b2)
	e.notify("beta", "again")
	wantPayload(t, b2, "again")
}

func TestReconnectListensAgainAndSaysMissed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alpha, beta := e.l.Subscribe("alpha"), e.l.Subscribe("beta")
	e.run()
	wantMissed(t, alpha)
	wantMissed(t, beta)
	pid := e.oneBackend()

	var killed bool
	if err := e.db.NewRaw("SELECT pg_terminate_backend(?)", pid).Scan(context.Background(), &killed); err != nil || !killed {
		t.Fatalf("terminate the listener's backend %d: %v, %v", pid, killed, err)
	}
	// Whatever was committed while it was down went unheard: both are told to reload.
	wantMissed(t, alpha)
	wantMissed(t, beta)
	if again := e.oneBackend(); again == pid {
		t.Fatalf("listener still on backend %d", pid)
	}
	e.notify("alpha", "1")
	e.notify("beta", "2")
	wantPayload(t, alpha, "1")
	wantPayload(t, beta, "2")
}

func TestSlowSubscriberBlocksNoOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slow := e.l.Subscribe("alpha") // never read until the end
	fast, other := e.l.Subscribe("alpha"), e.l.Subscribe("beta")
	e.run()
	wantMissed(t, fast)
	wantMissed(t, other)
	n := 2*bufferSize + bufferSize/2
	for i := range n {
		e.notify("alpha", strconv.Itoa(i))
		wantPayload(t, fast, strconv.Itoa(i))
	}
	e.notify("beta", "b")
	wantPayload(t, other, "b")

	// The slow one was told it missed what did not fit, followed by the latest in order.
	var got []Notification
	for len(slow.C) > 0 {
		got = append(got, <-slow.C)
	}
	if len(got) < 2 || len(got) > bufferSize || !got[0].Missed {
		t.Fatalf("slow subscriber holds %+v, want Missed first", got)
	}
	for i, n0 := range got[1:] {
		if want := strconv.Itoa(n - len(got) + 1 + i); n0.Missed || n0.Payload != want {
			t.Fatalf("slow subscriber holds %+v, want the latest payloads up to %d after Missed", got, n-1)
		}
	}
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.l.Subscribe("alpha")
	stop := e.run()
	wantMissed(t, s)
	e.oneBackend()
	stop()
	if e.l.Listening("alpha") {
		t.Fatal("still listening after Run returned")
	}
	waitFor(t, "the listener connection closed", func() bool { return len(e.backends()) == 0 })
	// Subscriptions outlive Run harmlessly.
	s2 := e.l.Subscribe("beta")
	e.notify("alpha", "late")
	wantNothing(t, s)
	s.Unsubscribe()
	s2.Unsubscribe()
}
