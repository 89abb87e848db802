// Package ratelimit holds token buckets per key (a client address, a phone number, an API key)
// in the process's memory. Each process keeps its own: behind a load balancer that spreads a
// client over n nodes, the client gets up to n times a limit.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: one token every Every, at most Burst at once. A zero Limit allows
// everything.
type Limit struct {
	Every time.Duration
	Burst int
}

// Set holds one token bucket per key, made on first use. Buckets idle long enough to be full
// again are dropped so the map stays small.
type Set struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	lim  *rate.Limiter
	last time.Time
	idle time.Duration // how long until an unused bucket is full again
}

// maxKeys is when a Set drops its full buckets before making a new one.
const maxKeys = 10000

// New returns an empty set.
func New() *Set { return &Set{m: map[string]*entry{}} }

// Allow takes one token from key's bucket at now, reporting whether there was one and, if
// not, how long until there is.
func (s *Set) Allow(key string, l Limit, now time.Time) (bool, time.Duration) {
	_, ok, wait := s.Reserve(key, l, now)
	return ok, wait
}

// Reservation is a token taken by Reserve, kept unless handed back with Refund.
type Reservation struct{ r *rate.Reservation }

// Refund hands the token back at now: what it was taken for turned out not to count (a
// password that was right).
func (r Reservation) Refund(now time.Time) {
	if r.r != nil {
		r.r.CancelAt(now)
	}
}

// Reserve takes one token from key's bucket at now like Allow, and returns it so that the
// caller can refund it when the attempt turns out not to count.
func (s *Set) Reserve(key string, l Limit, now time.Time) (Reservation, bool, time.Duration) {
	if l.Every <= 0 || l.Burst <= 0 {
		return Reservation{}, true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil {
		if len(s.m) >= maxKeys {
			s.sweep(now)
		}
		e = &entry{lim: rate.NewLimiter(rate.Every(l.Every), l.Burst), idle: l.Every * time.Duration(l.Burst)}
		s.m[key] = e
	}
	e.last = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return Reservation{}, false, l.Every
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return Reservation{}, false, d
	}
	return Reservation{r: r}, true, 0
}

func (s *Set) sweep(now time.Time) {
	for k, e := range s.m {
		if now.Sub(e.last) > e.idle {
			delete(s.m, k)
		}
	}
}
