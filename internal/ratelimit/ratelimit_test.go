package ratelimit_test

import (
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/ratelimit"
)

func TestReserveAndRefund(t *testing.T) {
	t.Parallel()
	s := ratelimit.New()
	l := ratelimit.Limit{Every: 10 * time.Second, Burst: 2}
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	r, ok, _ := s.Reserve("a", l, now)
	if !ok {
		t.Fatal("first token refused")
	}
	if ok, _ := s.Allow("a", l, now); !ok {
		t.Fatal("second token refused")
	}
	if ok, wait := s.Allow("a", l, now); ok || wait <= 0 || wait > l.Every {
		t.Fatalf("third token: %v, wait %s", ok, wait)
	}
	r.Refund(now) // the first attempt turned out not to count
	if ok, _ := s.Allow("a", l, now); !ok {
		t.Fatal("refunded token refused")
	}
	if ok, _ := s.Allow("b", l, now); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := s.Allow("a", l, now.Add(l.Every)); !ok {
		t.Fatal("no token after its interval")
	}
	if ok, _ := s.Allow("a", ratelimit.Limit{}, now); !ok {
		t.Fatal("a zero limit refused")
	}
}
