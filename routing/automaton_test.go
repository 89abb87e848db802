package routing

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestAutomatonAgreesWithContains(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	chars := []rune("欠薪工资拖欠燃气aAbBｃＣ 1")
	word := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteRune(chars[rng.IntN(len(chars))])
		}
		return b.String()
	}
	for round := 0; round < 200; round++ {
		var ps patternSet
		for i := 0; i < 1+rng.IntN(30); i++ {
			ps.add(word(1 + rng.IntN(4)))
		}
		a := buildAutomaton(ps.patterns)
		for i := 0; i < 20; i++ {
			text := word(rng.IntN(40))
			hits := newBitset(len(ps.patterns))
			list := a.scan(text, hits, nil)
			folded := strings.Map(fold, text)
			for id, p := range ps.patterns {
				want := p != "" && strings.Contains(folded, p)
				if hits.has(int32(id)) != want || slices.Contains(list, int32(id)) != want {
					t.Fatalf("pattern %q in %q: hit %v, want %v", p, text, hits.has(int32(id)), want)
				}
			}
			if len(list) != len(slices.Compact(slices.Sorted(slices.Values(list)))) {
				t.Fatalf("ids reported twice: %v", list)
			}
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ＷｉＦｉ": "wifi", "KTV": "ktv", "Ｃ座　３号": "c座 3号", "燃气泄漏": "燃气泄漏", "ÉCOLE": "école",
	} {
		if got := strings.Map(fold, in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
