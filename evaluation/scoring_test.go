package evaluation

import "testing"

func TestScoringKinds(t *testing.T) {
	t.Parallel()
	v := func(x float64) *float64 { return &x }
	onTime := &Scoring{Kind: "linear", Points: 100, Zero: 0.8, Full: 1}
	steps := &Scoring{Kind: "thresholds", Points: 10, Steps: []Step{{Min: 0.95, Points: 10}, {Min: 0.9, Points: 6}, {Min: 0.85, Points: 3}}}
	deduct := &Scoring{Kind: "deduction", Points: 20, Full: 1, Zero: 0.5, Per: 2, Unit: 0.01}
	for _, c := range []struct {
		name string
		s    *Scoring
		in   *float64
		want any
	}{
		{"80% on time scores nothing", onTime, v(0.8), 0.0},
		{"90% on time scores half", onTime, v(0.9), 50.0},
		{"all on time", onTime, v(1), 100.0},
		{"nothing to measure has no points", onTime, nil, nil},
		{"top step", steps, v(0.97), 10.0},
		{"middle step exactly", steps, v(0.9), 6.0},
		{"under every step", steps, v(0.8), 0.0},
		{"3% short loses 6", deduct, v(0.97), 14.0},
		{"never below 0", deduct, v(0.6), 0.0},
		{"at the floor", deduct, v(0.5), 0.0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.s.points(c.in)
			var g any
			if got != nil {
				g = *got
			}
			if g != c.want {
				t.Errorf("points(%v) = %v, want %v", c.in, g, c.want)
			}
		})
	}
}

func TestDefaultProfileIsValid(t *testing.T) {
	t.Parallel()
	if err := Default().Validate(nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		break_ func(p *Profile)
		field  string
	}{
		{"unknown measure", func(p *Profile) { p.Indicators[0].Denominator[0].Measure = "x" }, "indicators[0].denominator[0].measure"},
		{"calls for a department", func(p *Profile) { p.Indicators[0].Numerator[0].Measure = "calls_answered" }, "indicators[0].numerator[0].measure"},
		{"unknown setting", func(p *Profile) { p.Indicators[9].Numerator[1].Setting = "nope" }, "indicators[9].numerator[1].setting"},
		{"weight of an unknown indicator", func(p *Profile) { p.Groups[0].Weights["nope"] = 1 }, "groups[0].weights.nope"},
		{"bad linear scoring", func(p *Profile) { p.Indicators[0].Scoring = &Scoring{Kind: "linear", Points: 100, Zero: 1, Full: 0.5} }, "indicators[0].scoring"},
		{"duplicate code", func(p *Profile) { p.Indicators[1].Code = p.Indicators[0].Code }, "indicators[1].code"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := Default()
			c.break_(p)
			err := p.Validate(nil)
			pe, ok := err.(*ProfileError)
			if !ok || pe.Field != c.field {
				t.Fatalf("got %v, want a problem with %s", err, c.field)
			}
		})
	}
}
