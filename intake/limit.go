package intake

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterSet holds one token bucket per key (an address, a phone number, an API key), made on
// first use. Buckets idle long enough to be full again are dropped so the map stays small.
type limiterSet struct {
	mu sync.Mutex
	m  map[string]*limiterEntry
}

type limiterEntry struct {
	lim  *rate.Limiter
	last time.Time
	idle time.Duration // how long until an unused bucket is full again
}

func newLimiterSet() *limiterSet { return &limiterSet{m: map[string]*limiterEntry{}} }

// allow takes one token from key's bucket at now, reporting whether there was one and, if
// not, how long until there is.
func (ls *limiterSet) allow(key string, l Limit, now time.Time) (bool, time.Duration) {
	if l.Every <= 0 || l.Burst <= 0 {
		return true, 0
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	e := ls.m[key]
	if e == nil {
		if len(ls.m) >= 10000 {
			ls.sweep(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(rate.Every(l.Every), l.Burst), idle: l.Every * time.Duration(l.Burst)}
		ls.m[key] = e
	}
	e.last = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, l.Every
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (ls *limiterSet) sweep(now time.Time) {
	for k, e := range ls.m {
		if now.Sub(e.last) > e.idle {
			delete(ls.m, k)
		}
	}
}
