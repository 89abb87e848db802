// Package evaluation computes how departments did (考评): the on-time rates of signing for,
// giving feedback on and resolving their tickets, and the 三率 of the return visits — the
// response rate (did the department contact the citizen), the resolution rate and the
// satisfaction rate — with a score and a rank per department for a month.
//
// The first step of the evaluation engine: the indicators and their weights are fixed here
// (the ones a centre uses in practice, with Beijing's weights); a later step makes them data.
package evaluation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Indicator codes, as the scorecard API names them.
const (
	ResponseRate       = "response_rate"         // 响应率: contacted / valid visits
	ResolutionRate     = "resolution_rate"       // 解决率: solved / valid visits
	SatisfactionRate   = "satisfaction_rate"     // 满意率: (satisfied + 0.9 × basically) / valid visits
	OnTimeAcceptRate   = "on_time_accept_rate"   // 按时签收率: signed for in time / due to be signed for
	OnTimeFeedbackRate = "on_time_feedback_rate" // 按时反馈率: citizen contacted in time / due to be contacted
	OnTimeResolveRate  = "on_time_resolve_rate"  // 按时办结率: resolved in time / due to be resolved
)

// Indicators lists the codes in the order pages show them.
var Indicators = []string{ResponseRate, ResolutionRate, SatisfactionRate, OnTimeAcceptRate, OnTimeFeedbackRate, OnTimeResolveRate}

// Settings are the weights of the score: 综合 = response × 0.1 + resolution × 0.5 +
// satisfaction × 0.4, and how much a "basically satisfied" counts.
type Settings struct {
	ResponseWeight, ResolutionWeight, SatisfactionWeight float64
	Basically                                            float64
}

// Beijing are the weights Beijing's 12345 publishes its 三率 with.
var Beijing = Settings{ResponseWeight: 0.1, ResolutionWeight: 0.5, SatisfactionWeight: 0.4, Basically: 0.9}

// Department is one department's figures for a period. A rate is nil when its denominator is
// zero (nothing to measure), never a number made up.
type Department struct {
	Code       string              `json:"department"`
	Name       string              `json:"name"`
	NameEn     string              `json:"name_en,omitempty"`
	Rank       int                 `json:"rank"`
	Score      *float64            `json:"score"`
	Indicators map[string]*float64 `json:"indicators"`
	Tickets    int                 `json:"tickets"`
	Visits     int                 `json:"valid_visits"`
}

// Scorecard is every department's figures for one month, best first. UnratedRule says how
// resolved tickets whose citizen never gave a valid answer count in the 三率 (the centre's
// setting): "not_rated", left out; or "satisfied", counted after UnratedDays as a valid visit
// answering contacted, solved and satisfied (默认满意).
type Scorecard struct {
	Period      string       `json:"period"`
	Departments []Department `json:"departments"`
	UnratedRule string       `json:"unrated_rule"`
	UnratedDays int          `json:"unrated_days"`
}

// ErrPeriod is a period that is not a month, or one that has not begun.
var ErrPeriod = errors.New("bad period")

var monthPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// Month reads "YYYY-MM" as the month's first instant in loc, refusing one that has not begun
// at now.
func Month(period string, loc *time.Location, now time.Time) (time.Time, error) {
	if !monthPattern.MatchString(period) {
		return time.Time{}, fmt.Errorf("period %q: want a month such as 2026-11: %w", period, ErrPeriod)
	}
	start, err := time.ParseInLocation("2006-01", period, loc)
	if err != nil || start.Year() < 2000 {
		return time.Time{}, fmt.Errorf("period %q: %w", period, ErrPeriod)
	}
	if start.After(now) {
		return time.Time{}, fmt.Errorf("period %s has not begun: %w", period, ErrPeriod)
	}
	return start, nil
}

type counts struct {
	Code       string `bun:"code"`
	Name       string `bun:"name"`
	NameEn     string `bun:"name_en"`
	Tickets    int    `bun:"tickets"`
	AcceptN    int    `bun:"accept_n"`
	AcceptOK   int    `bun:"accept_ok"`
	FeedbackN  int    `bun:"feedback_n"`
	FeedbackOK int    `bun:"feedback_ok"`
	ResolveN   int    `bun:"resolve_n"`
	ResolveOK  int    `bun:"resolve_ok"`
	Visits     int    `bun:"visits"`
	Contacted  int    `bun:"contacted"`
	Solved     int    `bun:"solved"`
	Satisfied  int    `bun:"satisfied"`
	Basically  int    `bun:"basically"`
	Unrated    int    `bun:"unrated"`
}

// Compute the scorecard of the month period (YYYY-MM, in loc) at now. Tickets count in the
// month they were registered, with the department they are dispatched to (the lead); a
// merged ticket counts once, with its master. A ticket's visit is its latest valid return
// visit (the citizen reached and answering).
func Compute(ctx context.Context, db bun.IDB, period string, loc *time.Location, now time.Time, set Settings) (*Scorecard, error) {
	start, err := Month(period, loc, now)
	if err != nil {
		return nil, err
	}
	end := start.AddDate(0, 1, 0)
	var rule struct {
		Rule string `bun:"unrated_rule"`
		Days int    `bun:"unrated_days"`
	}
	if err := db.NewRaw("SELECT unrated_rule, unrated_days FROM loop_settings WHERE id = 1").Scan(ctx, &rule); err != nil {
		return nil, fmt.Errorf("scorecard %s: the unrated rule: %w", period, err)
	}
	var rows []counts
	err = db.NewRaw(`WITH t AS (
			SELECT id, department_id, accept_due, accepted_at, feedback_due, feedback_at, resolve_due, resolved_at
			FROM tickets WHERE created_at >= ? AND created_at < ? AND department_id IS NOT NULL AND master_id IS NULL),
		v AS (
			SELECT DISTINCT ON (rv.ticket_id) rv.ticket_id, rv.contacted, rv.solved, rv.satisfaction
			FROM return_visits rv JOIN t ON t.id = rv.ticket_id
			WHERE rv.valid AND rv.department_id = t.department_id -- the lead's part; co-handlers' parts are theirs
			ORDER BY rv.ticket_id, rv.id DESC)
		SELECT d.code, d.name_zh AS name, coalesce(d.name_en, '') AS name_en, count(*) AS tickets,
			count(*) FILTER (WHERE t.accept_due IS NOT NULL AND (t.accepted_at IS NOT NULL OR t.accept_due <= ?)) AS accept_n,
			count(*) FILTER (WHERE t.accepted_at <= t.accept_due) AS accept_ok,
			count(*) FILTER (WHERE t.feedback_due IS NOT NULL AND (t.feedback_at IS NOT NULL OR t.feedback_due <= ?)) AS feedback_n,
			count(*) FILTER (WHERE t.feedback_at <= t.feedback_due) AS feedback_ok,
			count(*) FILTER (WHERE t.resolve_due IS NOT NULL AND (t.resolved_at IS NOT NULL OR t.resolve_due <= ?)) AS resolve_n,
			count(*) FILTER (WHERE t.resolved_at <= t.resolve_due) AS resolve_ok,
			count(v.ticket_id) AS visits,
			count(*) FILTER (WHERE v.contacted) AS contacted,
			count(*) FILTER (WHERE v.solved = 'solved') AS solved,
			count(*) FILTER (WHERE v.satisfaction = 'satisfied') AS satisfied,
			count(*) FILTER (WHERE v.satisfaction = 'basically') AS basically,
			count(*) FILTER (WHERE v.ticket_id IS NULL AND t.resolved_at <= ?) AS unrated
		FROM t JOIN departments d ON d.id = t.department_id LEFT JOIN v ON v.ticket_id = t.id
		GROUP BY d.code, d.name_zh, d.name_en`, start, end, now, now, now, now.AddDate(0, 0, -rule.Days)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("scorecard %s: %w", period, err)
	}
	sc := &Scorecard{Period: period, Departments: []Department{}, UnratedRule: rule.Rule, UnratedDays: rule.Days}
	for _, c := range rows {
		if rule.Rule == "satisfied" {
			// 默认满意: a citizen silent for the set days counts as a valid visit, all answers good.
			c.Visits, c.Contacted, c.Solved, c.Satisfied = c.Visits+c.Unrated, c.Contacted+c.Unrated, c.Solved+c.Unrated, c.Satisfied+c.Unrated
		}
		d := Department{Code: c.Code, Name: c.Name, NameEn: c.NameEn, Tickets: c.Tickets, Visits: c.Visits, Indicators: map[string]*float64{
			OnTimeAcceptRate:   rate(float64(c.AcceptOK), c.AcceptN),
			OnTimeFeedbackRate: rate(float64(c.FeedbackOK), c.FeedbackN),
			OnTimeResolveRate:  rate(float64(c.ResolveOK), c.ResolveN),
			ResponseRate:       rate(float64(c.Contacted), c.Visits),
			ResolutionRate:     rate(float64(c.Solved), c.Visits),
			SatisfactionRate:   rate(float64(c.Satisfied)+set.Basically*float64(c.Basically), c.Visits),
		}}
		if c.Visits > 0 {
			in := d.Indicators
			score := round(100 * (set.ResponseWeight**in[ResponseRate] + set.ResolutionWeight**in[ResolutionRate] + set.SatisfactionWeight**in[SatisfactionRate]))
			d.Score = &score
		}
		sc.Departments = append(sc.Departments, d)
	}
	// Best score first; departments without a visit to score after them; then by code.
	slices.SortFunc(sc.Departments, func(a, b Department) int {
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
		sc.Departments[i].Rank = i + 1
		if i > 0 && equalScore(sc.Departments[i].Score, sc.Departments[i-1].Score) {
			sc.Departments[i].Rank = sc.Departments[i-1].Rank // a tie shares its rank
		}
	}
	return sc, nil
}

func equalScore(a, b *float64) bool { return a != nil && b != nil && *a == *b }

// rate is n/d rounded to four places, or nil when there is nothing to divide by.
func rate(n float64, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := round4(n / float64(d))
	return &r
}

func round(v float64) float64  { return float64(int64(v*100+0.5)) / 100 }
func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }
