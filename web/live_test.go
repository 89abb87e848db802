package web

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/pgnotify"
)

// With a listener, live updates travel through PostgreSQL: a change announced by another
// process reaches this process's open board, and this process's own changes go the same way.
func TestLiveUpdatesReachEveryProcess(t *testing.T) {
	t.Parallel()
	var l *pgnotify.Listener
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		var err error
		if l, err = pgnotify.New(e.url, e.log); err != nil {
			t.Fatal(err)
		}
		go l.Run(ctx)
		d.Listener = l
	})
	sup := e.browser("supervisor")
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/board/events", nil)
	res, err := sup.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- ev
			}
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); !l.Listening(liveTopic); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listener never listened")
		}
	}
	drain := func() {
		for {
			select {
			case <-events:
			case <-time.After(300 * time.Millisecond):
				return
			}
		}
	}
	drain() // the "missed" notice of a fresh LISTEN
	// Another process announces a change.
	if err := pgnotify.Notify(ctx, e.db, liveTopic, "tickets"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev != "tickets" {
			t.Fatalf("event %q", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another process's change never reached the board")
	}
}
