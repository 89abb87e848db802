package routing

import (
	"sort"
	"strings"
	"unicode"
)

// fold maps a rune to the form keywords are matched in: full-width ASCII
// (全角) to half-width, the ideographic space to a space, and letters to
// lower case. Han characters are returned unchanged without a table lookup.
func fold(r rune) rune {
	switch {
	case r < 0x80:
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	case 0xFF01 <= r && r <= 0xFF5E:
		r -= 0xFEE0
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	case r == 0x3000:
		return ' '
	case r < 0x3000:
		return unicode.ToLower(r)
	}
	return r
}

// foldString returns s trimmed and folded rune by rune.
func foldString(s string) string {
	return strings.Map(fold, strings.TrimSpace(s))
}

// automaton is an Aho–Corasick automaton over folded runes. One scan of a
// text reports every pattern occurring in it, however many patterns there
// are.
type automaton struct {
	states   []acState
	patterns []string // folded patterns by id
	// root maps a rune of the Basic Multilingual Plane to the root's
	// successor state, or 0; most steps of a scan start at the root.
	root []int32
}

type acState struct {
	edges []acEdge // sorted by rune
	fail  int32
	out   []int32 // ids of patterns ending here, including via fail links
}

type acEdge struct {
	r    rune
	next int32
}

// patternSet assigns dense ids to distinct folded patterns.
type patternSet struct {
	ids      map[string]int32
	patterns []string
}

func (p *patternSet) add(s string) int32 {
	s = foldString(s)
	if id, ok := p.ids[s]; ok {
		return id
	}
	if p.ids == nil {
		p.ids = map[string]int32{}
	}
	id := int32(len(p.patterns))
	p.ids[s] = id
	p.patterns = append(p.patterns, s)
	return id
}

func (a *automaton) step(s int32, r rune) (int32, bool) {
	if s == 0 && a.root != nil && r < rune(len(a.root)) {
		n := a.root[r]
		return n, n != 0
	}
	edges := a.states[s].edges
	lo, hi := 0, len(edges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch e := edges[m].r; {
		case e < r:
			lo = m + 1
		case e > r:
			hi = m
		default:
			return edges[m].next, true
		}
	}
	return 0, false
}

func buildAutomaton(patterns []string) *automaton {
	a := &automaton{states: []acState{{}}, patterns: patterns}
	for id, p := range patterns {
		s := int32(0)
		for _, r := range p {
			next, ok := a.step(s, r)
			if !ok {
				next = int32(len(a.states))
				a.states = append(a.states, acState{})
				edges := a.states[s].edges
				i := sort.Search(len(edges), func(i int) bool { return edges[i].r > r })
				edges = append(edges, acEdge{})
				copy(edges[i+1:], edges[i:])
				edges[i] = acEdge{r, next}
				a.states[s].edges = edges
			}
			s = next
		}
		if p != "" {
			a.states[s].out = append(a.states[s].out, int32(id))
		}
	}
	if len(a.states[0].edges) > 32 {
		a.root = make([]int32, 0x10000)
		for _, e := range a.states[0].edges {
			if e.r < 0x10000 {
				a.root[e.r] = e.next
			}
		}
	}
	// Breadth-first: a state's fail link is the longest proper suffix of its
	// path that is also a path from the root.
	queue := make([]int32, 0, len(a.states))
	for _, e := range a.states[0].edges {
		a.states[e.next].fail = 0
		queue = append(queue, e.next)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range a.states[s].edges {
			f := a.states[s].fail
			for {
				if n, ok := a.step(f, e.r); ok {
					a.states[e.next].fail = n
					break
				}
				if f == 0 {
					a.states[e.next].fail = 0
					break
				}
				f = a.states[f].fail
			}
			if fo := a.states[a.states[e.next].fail].out; len(fo) > 0 {
				a.states[e.next].out = append(a.states[e.next].out, fo...)
			}
			queue = append(queue, e.next)
		}
	}
	return a
}

// scan sets the bit of every pattern occurring in text and appends the ids
// not set before to list, which it returns.
func (a *automaton) scan(text string, hits bitset, list []int32) []int32 {
	if len(a.states) == 1 {
		return list
	}
	s := int32(0)
	for _, r := range text {
		r = fold(r)
		for {
			if n, ok := a.step(s, r); ok {
				s = n
				break
			}
			if s == 0 {
				break
			}
			s = a.states[s].fail
		}
		for _, id := range a.states[s].out {
			if !hits.has(id) {
				hits.set(id)
				list = append(list, id)
			}
		}
	}
	return list
}

// bitset is a fixed-size set of small non-negative integers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
