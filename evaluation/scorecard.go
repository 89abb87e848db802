// Package evaluation computes how departments did (考评): indicators kept as versioned data
// (a profile) — the on-time rates of signing for, giving feedback on and resolving tickets,
// the 三率 of the return visits (response: did the department contact the citizen,
// resolution, satisfaction) and more — scored, weighted and ranked per group of departments
// for a month, quarter, year or any window of days; appeals (申诉) that take a ticket out of a
// department's figures; and a drill-down from every point lost to the tickets behind it.
package evaluation

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Indicator codes of the default profile; the scorecard API's codes keep these meanings.
const (
	ResponseRate       = "response_rate"         // 响应率: contacted / valid visits
	ResolutionRate     = "resolution_rate"       // 解决率: solved / valid visits
	SatisfactionRate   = "satisfaction_rate"     // 满意率: (satisfied + 0.9 × basically) / valid visits
	OnTimeAcceptRate   = "on_time_accept_rate"   // 按时签收率: signed for in time / due to be signed for
	OnTimeFeedbackRate = "on_time_feedback_rate" // 按时反馈率: citizen contacted in time / due to be contacted
	OnTimeResolveRate  = "on_time_resolve_rate"  // 按时办结率: resolved in time / due to be resolved
	CloseRate          = "close_rate"            // 结案率: closed / resolved or closed
	ReturnRate         = "return_rate"           // 退单率: returns / dispatches
	RedoRate           = "redo_rate"             // 重办率: redos / resolutions
	CoReplyRate        = "co_reply_rate"         // 协办答复率: co-handling replies / co-handled
	Composite          = "composite"             // 综合: 0.1 × response + 0.5 × resolution + 0.4 × satisfaction
	DirectAnswerRate   = "direct_answer_rate"    // 直接答复率: answered directly / registered (the centre)
	AnswerRate         = "answer_rate"           // 接通率: calls answered / offered (the centre)
	Answer15Rate       = "answer_15s_rate"       // 15秒接通率: answered within 15 s / offered (the centre)
)

// Indicators lists the codes the public pages show, in their order.
var Indicators = []string{ResponseRate, ResolutionRate, SatisfactionRate, OnTimeAcceptRate, OnTimeFeedbackRate, OnTimeResolveRate}

// ErrPeriod is a period that is not a month, quarter, year or window of days, or one that has
// not begun.
var ErrPeriod = errors.New("bad period")

// Period kinds.
const (
	KindMonth   = "month"
	KindQuarter = "quarter"
	KindYear    = "year"
	KindCustom  = "custom"
)

// A Window is the days a scorecard counts: tickets registered (calls started) from From up
// to, not including, To, both midnight in the engine's zone.
type Window struct {
	Period   string
	Kind     string
	From, To time.Time
}

var (
	monthPattern   = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])$`)
	quarterPattern = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	yearPattern    = regexp.MustCompile(`^(\d{4})$`)
	dayPattern     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// Month reads "YYYY-MM" as the month's first instant in loc, refusing one that has not begun
// at now.
func Month(period string, loc *time.Location, now time.Time) (time.Time, error) {
	if !monthPattern.MatchString(period) {
		return time.Time{}, fmt.Errorf("period %q: want a month such as 2026-11: %w", period, ErrPeriod)
	}
	w, err := ParsePeriod(period, loc, now)
	return w.From, err
}

// ParsePeriod reads a month (2026-11), a quarter (2026-Q4), a year (2026) or a window of days
// (2026-11-03..2026-11-20, both included), refusing one that has not begun at now.
func ParsePeriod(period string, loc *time.Location, now time.Time) (Window, error) {
	w := Window{Period: period}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch {
	case monthPattern.MatchString(period):
		m := monthPattern.FindStringSubmatch(period)
		w.Kind, w.From = KindMonth, time.Date(atoi(m[1]), time.Month(atoi(m[2])), 1, 0, 0, 0, 0, loc)
		w.To = w.From.AddDate(0, 1, 0)
	case quarterPattern.MatchString(period):
		m := quarterPattern.FindStringSubmatch(period)
		w.Kind, w.From = KindQuarter, time.Date(atoi(m[1]), time.Month(3*atoi(m[2])-2), 1, 0, 0, 0, 0, loc)
		w.To = w.From.AddDate(0, 3, 0)
	case yearPattern.MatchString(period):
		w.Kind, w.From = KindYear, time.Date(atoi(period), 1, 1, 0, 0, 0, 0, loc)
		w.To = w.From.AddDate(1, 0, 0)
	default:
		a, b, ok := strings.Cut(period, "..")
		if !ok || !dayPattern.MatchString(a) || !dayPattern.MatchString(b) {
			return w, fmt.Errorf("period %q: want a month (2026-11), a quarter (2026-Q4), a year (2026) or days (2026-11-03..2026-11-20): %w", period, ErrPeriod)
		}
		from, err1 := time.ParseInLocation(time.DateOnly, a, loc)
		last, err2 := time.ParseInLocation(time.DateOnly, b, loc)
		if err1 != nil || err2 != nil {
			return w, fmt.Errorf("period %q: not a date: %w", period, ErrPeriod)
		}
		if last.Before(from) {
			return w, fmt.Errorf("period %q ends before it begins: %w", period, ErrPeriod)
		}
		if last.Sub(from) > 3*366*24*time.Hour {
			return w, fmt.Errorf("period %q: at most three years: %w", period, ErrPeriod)
		}
		w.Kind, w.From, w.To = KindCustom, from, last.AddDate(0, 0, 1)
	}
	if w.From.Year() < 2000 {
		return w, fmt.Errorf("period %q: %w", period, ErrPeriod)
	}
	if w.From.After(now) {
		return w, fmt.Errorf("period %s has not begun: %w", period, ErrPeriod)
	}
	return w, nil
}

// Previous is the window of the same kind just before w (for a custom window, as many days).
func (w Window) Previous() Window {
	p := Window{Kind: w.Kind, To: w.From}
	switch w.Kind {
	case KindMonth:
		p.From = w.From.AddDate(0, -1, 0)
		p.Period = p.From.Format("2006-01")
	case KindQuarter:
		p.From = w.From.AddDate(0, -3, 0)
		p.Period = fmt.Sprintf("%d-Q%d", p.From.Year(), (int(p.From.Month())+2)/3)
	case KindYear:
		p.From = w.From.AddDate(-1, 0, 0)
		p.Period = p.From.Format("2006")
	default:
		days := int(w.To.Sub(w.From).Hours()/24 + 0.5)
		p.From = w.From.AddDate(0, 0, -days)
		p.Period = p.From.Format(time.DateOnly) + ".." + p.To.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return p
}
