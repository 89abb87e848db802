package routing

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// benchSetup builds 2,000 generated rules and 1,024 inputs: about three
// quarters made to match a rule chosen uniformly (so the deciding rule is
// sometimes early, sometimes late in precedence), the rest random and
// mostly matching nothing.
func benchSetup(tb testing.TB) (*Engine, []Input) {
	rng := rand.New(rand.NewPCG(2026, 12345))
	g := newGenerator(rng, 40)
	rules := g.rules(2000)
	e := mustEngine(tb, rules...)
	inputs := make([]Input, 1024)
	for i := range inputs {
		if i%4 == 3 {
			inputs[i] = g.input()
		} else {
			inputs[i] = g.matching(rules[rng.IntN(len(rules))])
		}
	}
	return e, inputs
}

// BenchmarkDecide2000Rules measures decisions per second over 2,000 rules;
// run it with -cpu 1.
func BenchmarkDecide2000Rules(b *testing.B) {
	e, inputs := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.Decide(inputs[i%len(inputs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// TestBenchSetup checks that the benchmark's index agrees with the full
// scan and that its inputs are spread: some decided by late rules, some
// queued.
func TestBenchSetup(t *testing.T) {
	t.Parallel()
	e, inputs := benchSetup(t)
	queued, late, early := 0, 0, 0
	rank := map[int64]int{}
	for i, r := range e.Rules() {
		rank[r.ID] = i
	}
	for _, in := range inputs[:300] {
		d := e.Decide(in)
		checkInvariant(t, d)
		if x := e.Explain(in); !cmp.Equal(d, x.Decision) {
			t.Fatalf("Decide and Explain disagree:\n%s", cmp.Diff(d, x.Decision))
		}
		switch {
		case d.Queue:
			queued++
		case rank[d.RuleID] >= 1000:
			late++
		default:
			early++
		}
	}
	t.Logf("of 300 inputs: %d decided by the first 1,000 rules, %d by the last 1,000, %d queued", early, late, queued)
	if queued == 0 || late == 0 || early == 0 {
		t.Error("benchmark inputs are not spread")
	}
}
