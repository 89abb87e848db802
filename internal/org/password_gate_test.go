package org

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// A crowd of password checks runs at most slots at a time, lets at most maxWait wait, and
// turns the rest away at once instead of holding their memory.
func TestHashGateBoundsRunningAndWaiting(t *testing.T) {
	t.Parallel()
	g := newHashGate(2, 3)
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 { // two run, three wait
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- g.do(context.Background(), func() { <-release })
		}()
	}
	for g.running.Load() < 2 || g.waiting.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	if err := g.do(context.Background(), func() { t.Error("ran past the waiting limit") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("sixth check: %v, want ErrBusy", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a check that waited its turn: %v", err)
		}
	}
	if p := g.peak.Load(); p != 2 {
		t.Fatalf("peak concurrent checks: %d, want 2", p)
	}
}

// A check waiting for a slot gives up when its request does.
func TestHashGateWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	g := newHashGate(1, 1)
	release, running := make(chan struct{}), make(chan struct{})
	go g.do(context.Background(), func() { close(running); <-release })
	<-running
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := g.do(ctx, func() { t.Error("ran after its context ended") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("check whose request gave up: %v", err)
	}
	if w := g.waiting.Load(); w != 0 {
		t.Fatalf("waiting after giving up: %d", w)
	}
}
