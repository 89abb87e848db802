package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-city/hotline/evaluation"
)

// The public evaluation (/stats): each month's figures and ranking of departments, as a page,
// JSON and CSV. Only departments, counts and rates: no citizen, no ticket, no text anyone
// typed. Cached for a few minutes, so it may sit on the city's website.

// getScorecard is GET /api/v1/scorecards/{period} for the centre.
func (s *Server) getScorecard(w http.ResponseWriter, r *http.Request) {
	period := r.PathValue("period")
	if _, err := evaluation.Month(period, s.location(), s.Clock.Now()); err != nil {
		s.apiError(w, r, err)
		return
	}
	sc, err := s.scorecard(r.Context(), period)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// scorecard computes period (a month, quarter, year or days) with the profile in force.
func (s *Server) scorecard(ctx context.Context, period string) (*evaluation.Scorecard, error) {
	w, err := evaluation.ParsePeriod(period, s.location(), s.Clock.Now())
	if err != nil {
		return nil, err
	}
	p, err := s.eval.Current(ctx)
	if err != nil {
		return nil, err
	}
	return s.eval.Compute(ctx, p, w)
}

// monthScorecard is scorecard for a month only, as the contract's pages take.
func (s *Server) monthScorecard(ctx context.Context, period string) (*evaluation.Scorecard, error) {
	if _, err := evaluation.Month(period, s.location(), s.Clock.Now()); err != nil {
		return nil, err
	}
	return s.scorecard(ctx, period)
}

// statsPage is /stats: a month's scorecard (?month=, default the last complete month) and the
// months before it to choose from.
type statsPage struct {
	*intakePage
	Month      string
	Months     []string
	Card       *evaluation.Scorecard
	Indicators []string
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	p := &statsPage{intakePage: s.newIntakePage(w, r), Indicators: evaluation.Indicators}
	now := s.Clock.Now().In(s.location())
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.location()).AddDate(0, -1, 0)
	for i := range 12 {
		p.Months = append(p.Months, last.AddDate(0, -i, 0).Format("2006-01"))
	}
	p.Month = r.URL.Query().Get("month")
	if p.Month == "" {
		p.Month = p.Months[0]
	}
	card, err := s.monthScorecard(r.Context(), p.Month)
	if errors.Is(err, evaluation.ErrPeriod) {
		p.Message = tr(p.Lang, "stats.bad_month")
		s.renderStats(w, r, http.StatusBadRequest, p)
		return
	} else if err != nil {
		s.intakeServerError(w, r, err)
		return
	}
	p.Card = card
	s.renderStats(w, r, http.StatusOK, p)
}

func (s *Server) renderStats(w http.ResponseWriter, r *http.Request, status int, p *statsPage) {
	w.Header().Set("Content-Security-Policy", intakeCSP)
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.execute(w, r, status, "public/stats.html", "layout.html", p)
}

// getStatsFile is /stats/{YYYY-MM}.json and .csv: the month's scorecard as open data.
func (s *Server) getStatsFile(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	period, format, ok := strings.Cut(file, ".")
	if !ok || (format != "json" && format != "csv") {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such file: ask for YYYY-MM.json or YYYY-MM.csv"})
		return
	}
	card, err := s.monthScorecard(r.Context(), period)
	if errors.Is(err, evaluation.ErrPeriod) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "period"})
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if format == "json" {
		writeJSON(w, http.StatusOK, card)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="hotline-stats-%s.csv"`, period))
	w.Write([]byte("\ufeff")) // a BOM, so spreadsheet programs read the Chinese names right
	cw := csv.NewWriter(w)
	head := append([]string{"period", "rank", "department", "name", "score", "tickets", "valid_visits"}, evaluation.Indicators...)
	head = append(head, "group", "unrated_rule") // how citizens who never answered count, on every row
	cw.Write(head)
	for _, d := range card.Departments {
		row := []string{card.Period, fmt.Sprint(d.Rank), d.Code, d.Name, figure(d.Score), fmt.Sprint(d.Tickets), fmt.Sprint(d.Visits)}
		for _, code := range evaluation.Indicators {
			row = append(row, figure(d.Indicators[code]))
		}
		row = append(row, d.Group, unratedRule(card))
		cw.Write(row)
	}
	cw.Flush()
}

// unratedRule names the rule for citizens who never answered, as open data says it:
// "not_rated", or "satisfied_after_7_days".
func unratedRule(card *evaluation.Scorecard) string {
	if card.UnratedRule == "satisfied" {
		return fmt.Sprintf("satisfied_after_%d_days", card.UnratedDays)
	}
	return card.UnratedRule
}

// figure writes a rate or score for open data: empty when there is none.
func figure(v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}

// score shows a score with two decimals, or "—" when there is none.
func score(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f", *v)
}

// percent shows a rate as a percentage, or "—" when there is nothing to measure.
func percent(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}
