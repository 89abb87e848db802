package evaluation

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Explanation shows how one indicator of one department (or the centre) came out: its formula,
// numerator, denominator, value and points, and the tickets behind every point lost — each
// ticket the denominator counts that the numerator does not fully.
type Explanation struct {
	Period      string         `json:"period"`
	Department  string         `json:"department,omitempty"`
	Indicator   string         `json:"indicator"`
	NameZh      string         `json:"name_zh"`
	NameEn      string         `json:"name_en"`
	FormulaZh   string         `json:"formula_zh"`
	FormulaEn   string         `json:"formula_en"`
	Numerator   *float64       `json:"numerator,omitempty"`
	Denominator *float64       `json:"denominator,omitempty"`
	Value       *float64       `json:"value"`
	Points      *float64       `json:"points"`
	MaxPoints   float64        `json:"max_points"`
	Weight      float64        `json:"weight"` // in the department's group
	Scoring     *Scoring       `json:"scoring,omitempty"`
	Tickets     []LostTicket   `json:"tickets"`
	More        bool           `json:"more"` // more tickets than listed
	Parts       []*Explanation `json:"parts,omitempty"`
	Excluded    []Appeal       `json:"excluded_by_appeal"`
}

// LostTicket is a ticket that cost an indicator: what it counted in the denominator and the
// numerator, and the share of the rate it cost.
type LostTicket struct {
	Number       string    `json:"number"`
	RegisteredAt time.Time `json:"registered_at"`
	Numerator    float64   `json:"numerator"`
	Denominator  float64   `json:"denominator"`
	RateLost     float64   `json:"rate_lost"`
}

// MaxLostTickets bounds the tickets an explanation lists.
const MaxLostTickets = 500

// Explain how indicator came out for the department of code dept ("" for the centre) in w.
func (e *Engine) Explain(ctx context.Context, p *Profile, w Window, dept, indicator string) (*Explanation, error) {
	in, ok := p.Indicator(indicator)
	if !ok {
		return nil, fmt.Errorf("indicator %q: %w", indicator, ErrNotFound)
	}
	sc, err := e.Compute(ctx, p, w)
	if err != nil {
		return nil, err
	}
	var values map[string]*float64
	var deptID int64
	var weight float64
	if dept == "" {
		if in.Scope != ScopeCentre {
			return nil, &FieldError{"department", indicator + " measures departments: name one"}
		}
		values = sc.Centre
	} else {
		if in.Scope != ScopeDepartment {
			return nil, &FieldError{"indicator", indicator + " measures the centre, not a department"}
		}
		d, ok := sc.Department(dept)
		if !ok {
			if err := e.db.QueryRowContext(ctx, "SELECT id FROM departments WHERE code = ?", dept).Scan(&deptID); err != nil {
				return nil, fmt.Errorf("department %q: %w", dept, ErrNotFound)
			}
			values = map[string]*float64{}
		} else {
			deptID, values = d.ID, d.Indicators
			for _, g := range p.Groups {
				if g.Code == d.Group {
					weight = g.Weights[indicator]
				}
			}
		}
	}
	return e.explain(ctx, p, w, dept, deptID, in, values, weight)
}

func (e *Engine) explain(ctx context.Context, p *Profile, w Window, dept string, deptID int64, in *Indicator, values map[string]*float64, weight float64) (*Explanation, error) {
	x := &Explanation{Period: w.Period, Department: dept, Indicator: in.Code, NameZh: in.NameZh, NameEn: in.NameEn,
		FormulaZh: p.Formula(in, "zh"), FormulaEn: p.Formula(in, "en"), Value: values[in.Code], Weight: weight,
		Scoring: in.Scoring, Tickets: []LostTicket{}, Excluded: []Appeal{}}
	if in.Scoring != nil {
		x.Points, x.MaxPoints = in.Scoring.points(x.Value), in.Scoring.Points
	}
	if len(in.Parts) > 0 {
		for _, part := range in.Parts {
			ref, _ := p.Indicator(part.Indicator)
			sub, err := e.explain(ctx, p, w, dept, deptID, ref, values, 0)
			if err != nil {
				return nil, err
			}
			x.Parts = append(x.Parts, sub)
		}
		return x, nil
	}
	facts, args := factsSQL(w.From, w.To, e.clock.Now(), deptID)
	deptCond := ""
	if deptID != 0 {
		deptCond = "AND f.department_id = ?"
		args = append(args, deptID)
	}
	rs, err := e.db.QueryContext(ctx, `SELECT t.number, t.created_at, coalesce(c.code, ''), f.type, f.channel, `+sums("f.")+`
		FROM (`+facts+`) AS f(ticket_id, department_id, category_id, type, channel, at, `+columns("", ", ")+`)
		JOIN tickets t ON t.id = f.ticket_id LEFT JOIN categories c ON c.id = f.category_id
		WHERE true `+deptCond+`
		GROUP BY t.number, t.created_at, c.code, f.type, f.channel ORDER BY t.created_at, t.number`, args...)
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", in.Code, err)
	}
	defer rs.Close()
	agg, err := e.aggregate(ctx, w)
	if err != nil {
		return nil, err
	}
	cats := map[int64]string{}
	var catRows []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
	}
	if err := e.db.NewRaw("SELECT id, code FROM categories").Scan(ctx, &catRows); err != nil {
		return nil, err
	}
	for _, c := range catRows {
		cats[c.ID] = c.Code
	}
	var mine []aggRow
	for _, r := range agg {
		if deptID == 0 || r.dept == deptID {
			mine = append(mine, r)
		}
	}
	numTotal, denTotal := p.fraction(in, sumRows(mine, &in.Filter, cats))
	for rs.Next() {
		var lt LostTicket
		var cat, typ, channel string
		counts := make([]int64, len(Measures))
		dest := []any{&lt.Number, &lt.RegisteredAt, &cat, &typ, &channel}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		if !in.Filter.keeps(typ, channel, cat) {
			continue
		}
		lt.Numerator, lt.Denominator = p.fraction(in, counts)
		if lt.Denominator > lt.Numerator {
			if len(x.Tickets) >= MaxLostTickets {
				x.More = true
				continue
			}
			x.Tickets = append(x.Tickets, lt)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	for i := range x.Tickets {
		x.Tickets[i].RateLost = round4((x.Tickets[i].Denominator - x.Tickets[i].Numerator) / denTotal)
	}
	slices.SortStableFunc(x.Tickets, func(a, b LostTicket) int {
		if a.RateLost != b.RateLost {
			if a.RateLost > b.RateLost {
				return -1
			}
			return 1
		}
		return 0
	})
	x.Numerator, x.Denominator = &numTotal, &denTotal
	if deptID != 0 {
		ex, err := e.Appeals(ctx, AppealFilter{Status: "approved", DepartmentID: deptID, From: w.From, To: w.To})
		if err != nil {
			return nil, err
		}
		x.Excluded = ex
	}
	return x, nil
}
