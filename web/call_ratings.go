package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
)

// The post-call ratings (来电评价) in the evaluation of agents and of the centre: per agent and
// for the whole centre, for a month or a range of days, from the call records and the keypad
// survey's ratings.

// ratingsRoles may read the ratings report: the centre's roles and the city leadership.
var ratingsRoles = append(org.RoleSet{org.RoleLeader}, org.Centre...)

// ratingsAllRoles read every agent's figures and the centre's; the others of ratingsRoles
// (agents and dispatchers, who take calls themselves) only their own extension's.
var ratingsAllRoles = org.RoleSet{org.RoleSupervisor, org.RoleAdmin, org.RoleLeader}

// defaultBasicallyWeight is what a 基本满意 counts for when the evaluation profile in force
// names no "basically" setting: Beijing's 0.9.
const defaultBasicallyWeight = 0.9

// ratingsReport is the report as the API answers it and the page shows it.
type ratingsReport struct {
	// Period is the month (2026-11) or the days (2026-11-03..2026-11-20) counted.
	Period string `json:"period"`
	From   string `json:"from"`
	To     string `json:"to"` // the last day, inclusive
	// BasicallyWeight is what a 基本满意 counted for in the satisfaction rate.
	BasicallyWeight float64                   `json:"basically_weight"`
	Agents          []telephony.RatingFigures `json:"agents"`
	// Centre is the whole centre's figures; nil for a reader limited to their own row.
	Centre *telephony.RatingFigures `json:"centre"`
}

// ratingsWindow is the period of a ratings request, in the configured zone.
type ratingsWindow struct {
	Month, FromDay, ToDay string // as asked: a month, or the first and last day
	period                string
	from, to              time.Time // [from, to)
}

// ratingsPeriod reads a ratings request's period: month (YYYY-MM), or from and to (days,
// both counted); by default the current month. Bad input names its field.
func (s *Server) ratingsPeriod(q url.Values) (ratingsWindow, error) {
	loc := s.location()
	month, from, to := q.Get("month"), q.Get("from"), q.Get("to")
	w := ratingsWindow{Month: month, FromDay: from, ToDay: to}
	switch {
	case month != "" && (from != "" || to != ""):
		return w, &badField{"month", "give a month or from and to, not both"}
	case month == "" && from == "" && to == "":
		now := s.Clock.Now().In(loc)
		month, w.Month = now.Format("2006-01"), now.Format("2006-01")
		fallthrough
	case month != "":
		first, err := evaluation.Month(month, loc, s.Clock.Now())
		if err != nil {
			return w, &badField{"month", "must be a month like 2026-11"}
		}
		w.from, w.to = first, first.AddDate(0, 1, 0)
		w.period = month
		return w, nil
	}
	day := func(field, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, &badField{field, "is required"}
		}
		t, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return time.Time{}, &badField{field, "must be a date like 2027-01-01"}
		}
		return t, nil
	}
	first, err := day("from", from)
	if err != nil {
		return w, err
	}
	last, err := day("to", to)
	if err != nil {
		return w, err
	}
	if last.Before(first) {
		return w, &badField{"to", "must not be before from"}
	}
	if last.After(first.AddDate(1, 0, 0)) {
		return w, &badField{"to", "at most a year after from"}
	}
	w.from, w.to, w.period = first, last.AddDate(0, 0, 1), from+".."+to
	return w, nil
}

// errNoExtension refuses the ratings to a reader limited to their own row who has no
// extension, so no row.
var errNoExtension = errors.New("your account has no SIP extension")

// ratingsFor is the report of window w that st may read: every agent's and the centre's
// figures for ratingsAllRoles, only their own extension's for the others.
func (s *Server) ratingsFor(ctx context.Context, st *org.Staff, w ratingsWindow) (*ratingsReport, error) {
	p, err := s.eval.Current(ctx)
	if err != nil {
		return nil, err
	}
	weight, ok := p.Settings["basically"]
	if !ok {
		weight = defaultBasicallyWeight
	}
	f := telephony.RatingsFilter{From: w.from, To: w.to, Basically: weight}
	all := ratingsAllRoles.Has(st.Role)
	if !all {
		if st.SIPExtension == nil || *st.SIPExtension == "" {
			return nil, errNoExtension
		}
		f.Extension = *st.SIPExtension
	}
	agents, centre, err := telephony.Ratings(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	rep := &ratingsReport{Period: w.period, From: w.from.Format(time.DateOnly), To: w.to.AddDate(0, 0, -1).Format(time.DateOnly),
		BasicallyWeight: weight, Agents: agents}
	if all {
		rep.Centre = &centre
	} else if len(agents) == 0 {
		// An agent who answered nothing in the period still has their row, of zeros.
		rep.Agents = []telephony.RatingFigures{{Extension: f.Extension, Name: st.DisplayName}}
	}
	return rep, nil
}

func (s *Server) getCallRatings(w http.ResponseWriter, r *http.Request) {
	win, err := s.ratingsPeriod(r.URL.Query())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rep, err := s.ratingsFor(r.Context(), staffFrom(r.Context()), win)
	if errors.Is(err, errNoExtension) {
		s.refuse(w, r, http.StatusConflict, err.Error())
		return
	} else if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// callRatingsPage is the ratings page (/calls/ratings).
type callRatingsPage struct {
	Window ratingsWindow
	Report *ratingsReport
	Own    bool // the reader sees their own row only
	Error  string
}

func (s *Server) getCallRatingsPage(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	p := &callRatingsPage{Own: !ratingsAllRoles.Has(st.Role)}
	win, err := s.ratingsPeriod(r.URL.Query())
	p.Window = win
	if err != nil {
		var bf *badField
		if !errors.As(err, &bf) {
			s.pageError(w, r, err)
			return
		}
		lang := pageLang(r)
		p.Error = fmt.Sprintf(tr(lang, "error.field"), tr(lang, "ratings.field."+bf.field), fieldMsg(lang, bf.msg))
		s.renderStaffStatus(w, r, http.StatusBadRequest, "staff/call_ratings.html", p)
		return
	}
	p.Report, err = s.ratingsFor(r.Context(), st, win)
	if errors.Is(err, errNoExtension) {
		s.refuse(w, r, http.StatusConflict, err.Error())
		return
	} else if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderStaff(w, r, "staff/call_ratings.html", p)
}
