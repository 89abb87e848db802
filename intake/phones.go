package intake

import "sync"

// phoneCache remembers what NormalizePhone made of the phone numbers seen lately. Parsing a
// number against the numbering plan is the costliest step of validating a complaint, and
// citizens who complain online tend to come back with the same number (the repeat callers
// routing counts). The cache is bounded: when full it starts again, which costs one parse per
// number, never a wrong answer, since NormalizePhone depends on its input alone.
type phoneCache struct {
	mu  sync.Mutex
	max int
	m   map[string]phoneResult
}

type phoneResult struct {
	norm string
	err  error
}

func newPhoneCache(max int) *phoneCache {
	return &phoneCache{max: max, m: make(map[string]phoneResult)}
}

// normalize is NormalizePhone through the cache.
func (c *phoneCache) normalize(raw string) (string, error) {
	c.mu.Lock()
	r, ok := c.m[raw]
	c.mu.Unlock()
	if ok {
		return r.norm, r.err
	}
	norm, err := NormalizePhone(raw)
	if len(raw) > 64 {
		return norm, err // not worth keeping; NormalizePhone refuses it at once anyway
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[raw] = phoneResult{norm: norm, err: err}
	c.mu.Unlock()
	return norm, err
}
