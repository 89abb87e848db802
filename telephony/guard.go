package telephony

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// guard protects the SIP front end from single sources: it limits how many messages a
// source address outside the trunks may send, throttles sources that keep failing digest
// authentication, and lets each kind of complaint about a source reach the log once per
// period, so that a flood cannot fill the disk either.
type guard struct {
	now    func() time.Time
	log    *slog.Logger
	trunks []netip.Prefix

	// perSource is the sustained message rate allowed to one address outside the trunks;
	// burst the short excess. Trunks carry every citizen's call and are not limited.
	perSource rate.Limit
	burst     int

	// maxFailures failed authentications within failWindow block the source for the rest
	// of the window; maxExtFailures from all sources together block the extension, so that
	// guessing spread over many addresses stops too.
	maxFailures    int
	maxExtFailures int
	failWindow     time.Duration
	logPeriod      time.Duration

	mu       sync.Mutex
	limiters map[netip.Addr]*rate.Limiter
	failures map[netip.Addr]*failCount
	extFails map[string]*failCount
	logged   map[logKey]*logEntry
	swept    time.Time
}

type failCount struct {
	n     int
	since time.Time
}

type logKey struct {
	src  netip.Addr
	kind string
}

type logEntry struct {
	at         time.Time
	suppressed int
}

func newGuard(now func() time.Time, log *slog.Logger, trunks []netip.Prefix) *guard {
	return &guard{
		now: now, log: log, trunks: trunks,
		perSource: 200, burst: 400,
		maxFailures: 5, maxExtFailures: 20, failWindow: time.Minute, logPeriod: time.Minute,
		limiters: make(map[netip.Addr]*rate.Limiter),
		failures: make(map[netip.Addr]*failCount),
		extFails: make(map[string]*failCount),
		logged:   make(map[logKey]*logEntry),
	}
}

// isTrunk reports whether addr belongs to a configured trunk.
func (g *guard) isTrunk(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.trunks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// allow reports whether one more message from src may be processed.
func (g *guard) allow(src netip.Addr) bool {
	src = src.Unmap()
	if g.isTrunk(src) {
		return true
	}
	now := g.now()
	g.mu.Lock()
	g.sweep(now)
	l := g.limiters[src]
	if l == nil {
		l = rate.NewLimiter(g.perSource, g.burst)
		g.limiters[src] = l
	}
	ok := l.AllowN(now, 1)
	g.mu.Unlock()
	if !ok {
		g.warn(src, "flood", "sip messages dropped: source exceeds its rate", "limit_per_s", float64(g.perSource))
	}
	return ok
}

// blocked reports whether src failed authentication too often recently.
func (g *guard) blocked(src netip.Addr) bool {
	src = src.Unmap()
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.failures[src]
	return f != nil && f.n >= g.maxFailures && now.Sub(f.since) < g.failWindow
}

// blockedExt reports whether ext failed authentication too often recently, from anywhere.
func (g *guard) blockedExt(ext string) bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.extFails[ext]
	return f != nil && f.n >= g.maxExtFailures && now.Sub(f.since) < g.failWindow
}

// failed counts one failed authentication from src for ext.
func (g *guard) failed(src netip.Addr, ext string) {
	src = src.Unmap()
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	count := func(f *failCount) *failCount {
		if f == nil || now.Sub(f.since) >= g.failWindow {
			f = &failCount{since: now}
		}
		f.n++
		return f
	}
	g.failures[src] = count(g.failures[src])
	if len(g.extFails) < 10000 || g.extFails[ext] != nil {
		g.extFails[ext] = count(g.extFails[ext])
	}
}

// warn logs msg for src unless the same kind was logged for src within the period; the
// next line carries how many were suppressed.
func (g *guard) warn(src netip.Addr, kind, msg string, args ...any) {
	now := g.now()
	k := logKey{src.Unmap(), kind}
	g.mu.Lock()
	e := g.logged[k]
	if e != nil && now.Sub(e.at) < g.logPeriod {
		e.suppressed++
		g.mu.Unlock()
		return
	}
	suppressed := 0
	if e != nil {
		suppressed = e.suppressed
	}
	g.logged[k] = &logEntry{at: now}
	g.mu.Unlock()
	args = append(args, "source", k.src.String(), "kind", kind)
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	g.log.Warn(msg, args...)
}

// sweep forgets idle sources now and then so the maps stay small. Runs with g.mu held.
func (g *guard) sweep(now time.Time) {
	if now.Sub(g.swept) < time.Minute {
		return
	}
	g.swept = now
	for a, l := range g.limiters {
		if l.TokensAt(now) >= float64(g.burst) {
			delete(g.limiters, a)
		}
	}
	for e, f := range g.extFails {
		if now.Sub(f.since) >= g.failWindow {
			delete(g.extFails, e)
		}
	}
	for a, f := range g.failures {
		if now.Sub(f.since) >= g.failWindow {
			delete(g.failures, a)
		}
	}
	for k, e := range g.logged {
		if now.Sub(e.at) >= g.logPeriod && e.suppressed == 0 {
			delete(g.logged, k)
		}
	}
}
