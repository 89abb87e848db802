package acd

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func TestFakeClock(t *testing.T) {
	t.Parallel()
	c := NewFakeClock(t0)
	var fired []string
	at := func(name string) func() {
		return func() { fired = append(fired, name+"@"+c.Now().Sub(t0).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(3*time.Second, at("d")) // same instant as c: fires after it
	stopped := c.AfterFunc(2*time.Second, at("never"))
	c.AfterFunc(2*time.Second, func() {
		fired = append(fired, "b@"+c.Now().Sub(t0).String())
		// A timer set from a callback still fires within the same Advance.
		c.AfterFunc(500*time.Millisecond, at("e"))
	})
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer = false")
	}
	if stopped.Stop() {
		t.Fatal("second Stop = true")
	}
	if got := c.Pending(); got != 4 {
		t.Fatalf("Pending = %d, want 4", got)
	}

	c.Advance(2500 * time.Millisecond)
	want := []string{"a@1s", "b@2s", "e@2.5s"}
	if !slices.Equal(fired, want) {
		t.Fatalf("after 2.5s fired %v, want %v", fired, want)
	}
	c.Advance(10 * time.Second)
	want = append(want, "c@3s", "d@3s")
	if !slices.Equal(fired, want) {
		t.Fatalf("after 12.5s fired %v, want %v", fired, want)
	}
	if got := c.Now(); !got.Equal(t0.Add(12500 * time.Millisecond)) {
		t.Fatalf("Now = %v", got)
	}

	// A due-now timer waits for the next Advance so that it never runs
	// inside AfterFunc, where the caller may hold a lock.
	ran := false
	tm := c.AfterFunc(0, func() { ran = true })
	if ran {
		t.Fatal("zero timer ran inside AfterFunc")
	}
	c.Advance(0)
	if !ran || tm.Stop() || c.Pending() != 0 {
		t.Fatalf("zero timer: ran=%v pending=%d", ran, c.Pending())
	}
}

func TestSystemClock(t *testing.T) {
	t.Parallel()
	var c Clock = SystemClock{}
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Fatalf("Now is %v away from time.Now", d)
	}
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc never fired")
	}
	if c.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") }).Stop() != true {
		t.Fatal("Stop of a pending timer = false")
	}
}
