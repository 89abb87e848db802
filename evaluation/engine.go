package evaluation

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
)

// Engine computes scorecards from the daily aggregate (evaluation_daily), keeping it current:
// before a window is read, each of its days whose tickets, visits, calls or appeals changed
// since, or one of whose deadlines has passed since, is recomputed from the raw tables.
type Engine struct {
	db    *bun.DB
	loc   *time.Location
	clock clock.Clock

	// The scorecards computed, by profile version and window, each with the stamp of its days'
	// aggregate: while no day of the window was recomputed since, it is served again.
	mu    sync.Mutex
	cache map[cacheKey]cached

	// asRefreshed: reads use the aggregate as the background refresher last left it (see
	// ReadsAsRefreshed) and never recompute a day that was aggregated before.
	asRefreshed bool
}

// Option changes how an engine reads.
type Option func(*Engine)

// ReadsAsRefreshed makes a read use the aggregate as last refreshed by RefreshAll, which the
// process runs in the background, so that no read pays for recomputing days that changed: it
// only aggregates days never aggregated before, and the scorecard's ComputedAt says up to when
// its figures hold every change. Without it every read first recomputes the window's changed
// days, as a process without a refresher needs.
func ReadsAsRefreshed() Option { return func(e *Engine) { e.asRefreshed = true } }

type cacheKey struct {
	version  int
	from, to time.Time
}

type cached struct {
	stamp string
	card  *Scorecard
}

// maxCached bounds the scorecards kept.
const maxCached = 128

// NewEngine returns the engine over db, counting days in loc.
func NewEngine(db *bun.DB, loc *time.Location, c clock.Clock, opts ...Option) *Engine {
	e := &Engine{db: db, loc: loc, clock: c, cache: map[cacheKey]cached{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Location is the zone the engine counts days in.
func (e *Engine) Location() *time.Location { return e.loc }

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// Scorecard is every department's figures for one period, ranked per group.
type Scorecard struct {
	Period      string       `json:"period"`
	Kind        string       `json:"kind"`
	From        string       `json:"from"`
	To          string       `json:"to"` // the last day, inclusive
	Profile     int          `json:"profile_version"`
	Groups      []GroupInfo  `json:"groups"`
	Departments []Department `json:"departments"`
	// Centre holds the centre's own indicators (calls, direct answers).
	Centre     map[string]*float64 `json:"centre"`
	ComputedAt time.Time           `json:"computed_at"`
	// UnratedRule says how resolved tickets whose citizen never gave a valid answer count in the
	// 三率 (the centre's setting): "not_rated", left out; or "satisfied", counted after
	// UnratedDays as a valid visit answering contacted, solved and satisfied (默认满意).
	UnratedRule string `json:"unrated_rule"`
	UnratedDays int    `json:"unrated_days"`

	profile *Profile
}

// GroupInfo names a group of the scorecard.
type GroupInfo struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

// Department is one department's figures for a period. A rate is nil when its denominator is
// zero (nothing to measure), never a number made up; so is a score with nothing to score.
type Department struct {
	ID         int64               `json:"-"`
	Code       string              `json:"department"`
	Name       string              `json:"name"`
	NameEn     string              `json:"name_en,omitempty"`
	Group      string              `json:"group"`
	Rank       int                 `json:"rank"`
	Score      *float64            `json:"score"`
	Indicators map[string]*float64 `json:"indicators"`
	Points     map[string]*float64 `json:"points"`
	Tickets    int                 `json:"tickets"`
	Visits     int                 `json:"valid_visits"`
	Excluded   int                 `json:"excluded_by_appeal"`
}

// Profile is the profile the scorecard was computed with.
func (sc *Scorecard) ProfileUsed() *Profile { return sc.profile }

// Department returns the department of code.
func (sc *Scorecard) Department(code string) (*Department, bool) {
	for i := range sc.Departments {
		if sc.Departments[i].Code == code {
			return &sc.Departments[i], true
		}
	}
	return nil, false
}

type aggRow struct {
	dept, category int64
	typ, channel   string
	counts         []int64
}

// Compute the scorecard of window w with profile p.
func (e *Engine) Compute(ctx context.Context, p *Profile, w Window) (*Scorecard, error) {
	pick := pickStale
	if e.asRefreshed {
		pick = pickMissing
	}
	if _, err := e.refresh(ctx, true, w.From, w.To, pick); err != nil {
		return nil, err
	}
	// The stamp of the window's aggregate: when and how many of its days were last computed;
	// and up to when it holds every change: each day is current as of its own computation or
	// the last refresh of all days, whichever is later.
	var stamp string
	var asOf sql.NullTime
	if err := e.db.QueryRowContext(ctx, `SELECT coalesce(max(computed_at)::text, '') || '/' || count(*),
			min(greatest(computed_at, (SELECT as_of FROM evaluation_refreshed WHERE id = 1)))
		FROM evaluation_days WHERE day >= ? AND day < ?`,
		w.From.Format(time.DateOnly), w.To.Format(time.DateOnly)).Scan(&stamp, &asOf); err != nil {
		return nil, fmt.Errorf("scorecard %s: %w", w.Period, err)
	}
	computedAt := e.clock.Now()
	if e.asRefreshed && asOf.Valid {
		computedAt = asOf.Time
	}
	key := cacheKey{p.Version, w.From, w.To}
	e.mu.Lock()
	c, ok := e.cache[key]
	e.mu.Unlock()
	if ok && c.stamp == stamp {
		card := *c.card // callers may replace its lists, never change them in place
		card.Period, card.Kind, card.ComputedAt = w.Period, w.Kind, computedAt
		return &card, nil
	}
	rows, err := e.aggregate(ctx, w)
	if err != nil {
		return nil, err
	}
	card, err := e.score(ctx, p, w, rows)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.cache) >= maxCached {
		clear(e.cache)
	}
	e.cache[key] = cached{stamp: stamp, card: card}
	e.mu.Unlock()
	out := *card
	out.ComputedAt = computedAt
	return &out, nil
}

func (e *Engine) aggregate(ctx context.Context, w Window) ([]aggRow, error) {
	rs, err := e.db.QueryContext(ctx, `SELECT department_id, category_id, type, channel, `+sums("")+`
		FROM evaluation_daily WHERE day >= ? AND day < ? GROUP BY department_id, category_id, type, channel`,
		w.From.Format(time.DateOnly), w.To.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("scorecard %s: %w", w.Period, err)
	}
	return scanAgg(rs, w)
}

// ComputeRaw computes the scorecard of w straight from the raw tables, as one plain GROUP BY
// without the daily aggregate: what the aggregate saves, and a cross-check of it.
func (e *Engine) ComputeRaw(ctx context.Context, p *Profile, w Window) (*Scorecard, error) {
	facts, args := factsSQL(w.From, w.To, e.clock.Now(), 0)
	rs, err := e.db.QueryContext(ctx, `SELECT f.department_id, f.category_id, f.type, f.channel, `+sums("f.")+`
		FROM (`+facts+`) AS f(ticket_id, department_id, category_id, type, channel, at, `+columns("", ", ")+`)
		GROUP BY 1, 2, 3, 4`, args...)
	if err != nil {
		return nil, fmt.Errorf("scorecard %s from the raw tables: %w", w.Period, err)
	}
	rows, err := scanAgg(rs, w)
	if err != nil {
		return nil, err
	}
	return e.score(ctx, p, w, rows)
}

func scanAgg(rs *sql.Rows, w Window) ([]aggRow, error) {
	defer rs.Close()
	var out []aggRow
	for rs.Next() {
		r := aggRow{counts: make([]int64, len(Measures))}
		dest := []any{&r.dept, &r.category, &r.typ, &r.channel}
		for i := range r.counts {
			dest = append(dest, &r.counts[i])
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scorecard %s: %w", w.Period, err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

type deptInfo struct {
	ID     int64  `bun:"id"`
	Code   string `bun:"code"`
	NameZh string `bun:"name_zh"`
	NameEn string `bun:"name_en"`
	Kind   string `bun:"kind"`
}

func (e *Engine) score(ctx context.Context, p *Profile, w Window, rows []aggRow) (*Scorecard, error) {
	var depts []deptInfo
	if err := e.db.NewRaw("SELECT id, code, name_zh, name_en, kind FROM departments").Scan(ctx, &depts); err != nil {
		return nil, fmt.Errorf("scorecard departments: %w", err)
	}
	cats := map[int64]string{}
	var catRows []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
	}
	if err := e.db.NewRaw("SELECT id, code FROM categories").Scan(ctx, &catRows); err != nil {
		return nil, fmt.Errorf("scorecard categories: %w", err)
	}
	for _, c := range catRows {
		cats[c.ID] = c.Code
	}
	byID := map[int64]deptInfo{}
	for _, d := range depts {
		byID[d.ID] = d
	}
	sc := &Scorecard{Period: w.Period, Kind: w.Kind, From: w.From.Format(time.DateOnly), To: w.To.AddDate(0, 0, -1).Format(time.DateOnly),
		Profile: p.Version, Departments: []Department{}, Centre: map[string]*float64{}, ComputedAt: e.clock.Now(), profile: p}
	if err := e.db.QueryRowContext(ctx, "SELECT unrated_rule, unrated_days FROM loop_settings WHERE id = 1").Scan(&sc.UnratedRule, &sc.UnratedDays); err != nil {
		return nil, fmt.Errorf("scorecard %s: the unrated rule: %w", w.Period, err)
	}
	for _, g := range p.Groups {
		sc.Groups = append(sc.Groups, GroupInfo{Code: g.Code, NameZh: g.NameZh, NameEn: g.NameEn})
	}
	perDept := map[int64][]aggRow{}
	for _, r := range rows {
		perDept[r.dept] = append(perDept[r.dept], r)
	}
	sc.Centre = p.values(rows, cats, ScopeCentre)
	for id, rs := range perDept {
		d, ok := byID[id]
		if id == 0 || !ok {
			continue
		}
		group := p.groupOf(d)
		if group == nil {
			continue
		}
		dep := Department{ID: id, Code: d.Code, Name: d.NameZh, NameEn: d.NameEn, Group: group.Code,
			Indicators: p.values(rs, cats, ScopeDepartment), Points: map[string]*float64{}}
		total := sumRows(rs, nil, cats)
		dep.Tickets = int(total[measureIndex("registered")])
		dep.Visits = int(total[measureIndex("valid_visits")])
		dep.Excluded = int(total[measureIndex("excluded")])
		var sum, weights float64
		for _, in := range p.Indicators {
			if in.Scope != ScopeDepartment || in.Scoring == nil {
				continue
			}
			pts := in.Scoring.points(dep.Indicators[in.Code])
			dep.Points[in.Code] = pts
			if wt := group.Weights[in.Code]; wt > 0 && pts != nil {
				sum += wt * *pts
				weights += wt
			}
		}
		if weights > 0 {
			s := round(sum / weights)
			dep.Score = &s
		}
		sc.Departments = append(sc.Departments, dep)
	}
	groupOrder := map[string]int{}
	for i, g := range p.Groups {
		groupOrder[g.Code] = i
	}
	// Per group; best score first; departments with nothing to score after them; then by code.
	slices.SortFunc(sc.Departments, func(a, b Department) int {
		if a.Group != b.Group {
			return groupOrder[a.Group] - groupOrder[b.Group]
		}
		switch {
		case a.Score != nil && b.Score == nil:
			return -1
		case a.Score == nil && b.Score != nil:
			return 1
		case a.Score != nil && *a.Score != *b.Score:
			if *a.Score > *b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Code, b.Code)
	})
	for i := range sc.Departments {
		d := &sc.Departments[i]
		d.Rank = 1
		if i > 0 && sc.Departments[i-1].Group == d.Group {
			prev := &sc.Departments[i-1]
			d.Rank = i + 1 - firstOfGroup(sc.Departments, i)
			if equalScore(d.Score, prev.Score) {
				d.Rank = prev.Rank // a tie shares its rank
			}
		}
	}
	return sc, nil
}

func firstOfGroup(ds []Department, i int) int {
	j := i
	for j > 0 && ds[j-1].Group == ds[i].Group {
		j--
	}
	return j
}

func (p *Profile) groupOf(d deptInfo) *Group {
	for i := range p.Groups {
		if slices.Contains(p.Groups[i].Departments, d.Code) {
			return &p.Groups[i]
		}
	}
	for i := range p.Groups {
		if slices.Contains(p.Groups[i].Kinds, d.Kind) {
			return &p.Groups[i]
		}
	}
	return nil
}

func measureIndex(code string) int {
	for i, m := range Measures {
		if m.Code == code {
			return i
		}
	}
	panic("evaluation: unknown measure " + code)
}

// sumRows adds up the rows the filter keeps.
func sumRows(rows []aggRow, f *Filter, cats map[int64]string) []int64 {
	total := make([]int64, len(Measures))
	for _, r := range rows {
		if f != nil && !f.keeps(r.typ, r.channel, cats[r.category]) {
			continue
		}
		for i, v := range r.counts {
			total[i] += v
		}
	}
	return total
}

func (f *Filter) keeps(typ, channel, category string) bool {
	return (len(f.Types) == 0 || slices.Contains(f.Types, typ)) &&
		(len(f.Channels) == 0 || slices.Contains(f.Channels, channel)) &&
		(len(f.Categories) == 0 || slices.Contains(f.Categories, category))
}

// values computes every indicator of scope over rows.
func (p *Profile) values(rows []aggRow, cats map[int64]string, scope string) map[string]*float64 {
	out := map[string]*float64{}
	for _, in := range p.Indicators {
		if in.Scope != scope {
			continue
		}
		if len(in.Parts) > 0 {
			var v float64
			ok := true
			for _, part := range in.Parts {
				x := out[part.Indicator]
				if x == nil {
					ok = false
					break
				}
				v += p.factor(part.Weight, part.Setting) * *x
			}
			if ok {
				r := round4(v)
				out[in.Code] = &r
			} else {
				out[in.Code] = nil
			}
			continue
		}
		num, den := p.fraction(&in, sumRows(rows, &in.Filter, cats))
		out[in.Code] = rate(num, den)
	}
	return out
}

// fraction is an indicator's numerator and denominator over totals.
func (p *Profile) fraction(in *Indicator, total []int64) (float64, float64) {
	var num, den float64
	for _, t := range in.Numerator {
		num += p.factor(t.Factor, t.Setting) * float64(total[measureIndex(t.Measure)])
	}
	for _, t := range in.Denominator {
		den += p.factor(t.Factor, t.Setting) * float64(total[measureIndex(t.Measure)])
	}
	return num, den
}

// points scores a value; nil when there is no value.
func (s *Scoring) points(v *float64) *float64 {
	if v == nil {
		return nil
	}
	x := *v
	var pts float64
	switch s.Kind {
	case "linear":
		switch {
		case x <= s.Zero:
			pts = 0
		case x >= s.Full:
			pts = s.Points
		default:
			pts = s.Points * (x - s.Zero) / (s.Full - s.Zero)
		}
	case "thresholds":
		for _, st := range s.Steps {
			if x >= st.Min-1e-9 && st.Points > pts {
				pts = st.Points
			}
		}
	case "deduction":
		if x > s.Zero {
			short := s.Full - x
			if short < 0 {
				short = 0
			}
			pts = max(0, s.Points-s.Per*float64(int64(short/s.Unit+1e-9)))
		}
	}
	r := round(pts)
	return &r
}

func equalScore(a, b *float64) bool { return a != nil && b != nil && *a == *b }

// rate is n/d rounded to four places, or nil when there is nothing to divide by.
func rate(n, d float64) *float64 {
	if d == 0 {
		return nil
	}
	r := round4(n / d)
	return &r
}

func round(v float64) float64  { return float64(int64(v*100+0.5)) / 100 }
func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

// ranges joins consecutive days into [first, last+1) ranges.
func ranges(days []time.Time) [][2]time.Time {
	var out [][2]time.Time
	for _, d := range days {
		next := d.AddDate(0, 0, 1)
		if n := len(out); n > 0 && out[n-1][1].Equal(d) {
			out[n-1][1] = next
			continue
		}
		out = append(out, [2]time.Time{d, next})
	}
	return out
}

// recompute replaces the aggregate of the days from–to from the raw tables, stamping them
// computed as of asOf (the transaction's snapshot).
func (e *Engine) recompute(ctx context.Context, tx bun.Tx, from, to, now, asOf time.Time) error {
	fromDay, toDay := from.Format(time.DateOnly), to.Format(time.DateOnly)
	if _, err := tx.ExecContext(ctx, "DELETE FROM evaluation_daily WHERE day >= ? AND day < ?", fromDay, toDay); err != nil {
		return fmt.Errorf("clear evaluation days %s–%s: %w", fromDay, toDay, err)
	}
	facts, args := factsSQL(from, to, now, 0)
	q := `INSERT INTO evaluation_daily (day, department_id, category_id, type, channel, ` + columns("", ", ") + `)
		SELECT (f.at AT TIME ZONE ?)::date, f.department_id, f.category_id, f.type, f.channel, ` + sums("") + `
		FROM (` + facts + `) AS f(ticket_id, department_id, category_id, type, channel, at, ` + columns("", ", ") + `)
		GROUP BY 1, 2, 3, 4, 5`
	if _, err := tx.ExecContext(ctx, q, append([]any{e.loc.String()}, args...)...); err != nil {
		return fmt.Errorf("aggregate evaluation days %s–%s: %w", fromDay, toDay, err)
	}
	// The next deadline still to come of each day's tickets: when it passes, the day changes.
	// computed_at is the database's own time, so that every recomputation stamps its days anew
	// (the cached scorecards compare stamps) whatever the engine's clock says.
	if _, err := tx.ExecContext(ctx, `INSERT INTO evaluation_days (day, computed_at, next_due)
		SELECT g.day::date, ?::timestamptz, n.next_due FROM generate_series(?::date, ?::date - 1, interval '1 day') AS g(day)
		LEFT JOIN (SELECT (created_at AT TIME ZONE ?)::date AS day, min(least(
				CASE WHEN accepted_at IS NULL AND accept_due > ? THEN accept_due END,
				CASE WHEN feedback_at IS NULL AND feedback_due > ? THEN feedback_due END,
				CASE WHEN resolved_at IS NULL AND resolve_due > ? THEN resolve_due END,
				-- 默认满意: when an unrated resolution starts counting as satisfied
				(SELECT resolved_at + unrated_days * interval '1 day' FROM loop_settings
				 WHERE id = 1 AND unrated_rule = 'satisfied' AND visited_at IS NULL AND resolved_at + unrated_days * interval '1 day' > ?))) AS next_due
			FROM tickets WHERE created_at >= ? AND created_at < ? GROUP BY 1) n ON n.day = g.day::date
		ON CONFLICT (day) DO UPDATE SET computed_at = excluded.computed_at, next_due = excluded.next_due`,
		asOf, fromDay, toDay, e.loc.String(), now, now, now, now, from, to); err != nil {
		return fmt.Errorf("record evaluation days %s–%s: %w", fromDay, toDay, err)
	}
	return nil
}

// GroupName is the name of the group of code in lang (zh or en).
func (sc *Scorecard) GroupName(code, lang string) string {
	for _, g := range sc.Groups {
		if g.Code == code {
			if lang == "en" {
				return g.NameEn
			}
			return g.NameZh
		}
	}
	return code
}
