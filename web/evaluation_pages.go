package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/org"
)

// The scorecard pages (考评): for the centre, every group ranked with its red and black list
// (红黑榜), the trend against the previous periods and a chart; for a department, itself. Every
// figure links to its drill-down, which shows the formula and the tickets behind each point
// lost. Appeals (申诉) are filed and decided on a page of their own.

// evaluationPages is the table of the evaluation pages.
func (s *Server) evaluationPages() {
	s.addNav("/evaluation", "考评", "Evaluation", 35, org.StaffRoles)
	s.handleStaff("GET /evaluation", nil, s.getEvaluationPage)
	s.handleStaff("GET /evaluation/explain", nil, s.getEvaluationExplainPage)
	s.handleStaff("GET /evaluation/appeals", nil, s.getAppealsPage)
	s.handleStaff("POST /evaluation/appeals", org.DepartmentStaff, s.postAppealForm)
	s.handleStaff("POST /evaluation/appeals/{id}/{decision}", org.Deciders, s.postAppealDecisionForm)
	s.handleStaff("GET /evaluation/profile", org.Admins, s.getProfilePage)
	s.handleStaff("POST /evaluation/profile", org.Admins, s.postProfileForm)
	s.handleStaff("POST /evaluation/profile/{version}/dry-run", org.Admins, s.postProfileDryRunForm)
	s.handleStaff("POST /evaluation/profile/{version}/adopt", org.Admins, s.postProfileAdoptForm)
}

// trendPeriods is how many periods the trend shows, the current one included.
const trendPeriods = 6

// listSize is how many departments the red and the black list of a group name.
const listSize = 3

type evalRowView struct {
	evaluation.Department
	Previous *float64 // the score of the period before
}

type evalGroupView struct {
	evaluation.GroupInfo
	Rows       []evalRowView
	Red, Black []evalRowView
}

type evaluationPage struct {
	Period     string
	From, To   string
	Card       *evaluation.Scorecard
	Indicators []evaluation.Indicator
	Centre     []evaluation.Indicator
	Groups     []evalGroupView
	Chart      any  // the trend, written as JSON for the chart
	Own        bool // a department's own page
	Error      string
}

func (s *Server) getEvaluationPage(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	p := &evaluationPage{Period: s.evalPeriod(r), From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"), Own: ownDepartment(r.Context()) != 0}
	sc, err := s.viewScorecard(r)
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		p.Error = err.Error()
		if errors.Is(err, evaluation.ErrPeriod) {
			p.Error = tr(lang, "eval.bad_period")
		}
		s.renderStaffStatus(w, r, status, "staff/evaluation.html", p)
		return
	}
	p.Card, p.Period = sc, sc.Period
	for _, in := range sc.ProfileUsed().Indicators {
		if in.Scope == evaluation.ScopeDepartment {
			p.Indicators = append(p.Indicators, in)
		} else if !p.Own {
			p.Centre = append(p.Centre, in)
		}
	}
	// The trend: the scores of the periods before, oldest first.
	w0, _ := evaluation.ParsePeriod(sc.Period, s.location(), s.Clock.Now())
	windows := []evaluation.Window{w0}
	for len(windows) < trendPeriods {
		windows = append([]evaluation.Window{windows[0].Previous()}, windows...)
	}
	type series struct {
		Name string     `json:"name"`
		Data []*float64 `json:"data"`
	}
	chart := struct {
		Periods []string `json:"periods"`
		Series  []series `json:"series"`
	}{}
	prof := sc.ProfileUsed()
	cards := map[string]*evaluation.Scorecard{}
	for _, win := range windows[:len(windows)-1] {
		c, err := s.eval.Compute(r.Context(), prof, win)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		cards[win.Period] = c
	}
	cards[sc.Period] = sc
	for _, win := range windows {
		chart.Periods = append(chart.Periods, win.Period)
	}
	previous := cards[windows[len(windows)-2].Period]
	for _, gi := range sc.Groups {
		g := evalGroupView{GroupInfo: gi}
		for _, d := range sc.Departments {
			if d.Group != gi.Code {
				continue
			}
			row := evalRowView{Department: d}
			if pd, ok := previous.Department(d.Code); ok {
				row.Previous = pd.Score
			}
			g.Rows = append(g.Rows, row)
		}
		var scored []evalRowView
		for _, row := range g.Rows {
			if row.Score != nil {
				scored = append(scored, row)
			}
		}
		n := min(listSize, len(scored)/2) // a department is never on both lists
		g.Red = scored[:n]
		for i := len(scored) - 1; i >= len(scored)-n; i-- {
			g.Black = append(g.Black, scored[i])
		}
		if len(g.Rows) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	for _, d := range sc.Departments {
		sr := series{Name: pick(lang, d.Name, orName(d.NameEn, d.Name))}
		for _, win := range windows {
			var v *float64
			if c := cards[win.Period]; c != nil {
				if x, ok := c.Department(d.Code); ok {
					v = x.Score
				}
			}
			sr.Data = append(sr.Data, v)
		}
		chart.Series = append(chart.Series, sr)
	}
	p.Chart = chart
	s.renderStaff(w, r, "staff/evaluation.html", p)
}

type explainPage struct {
	X      *evaluation.Explanation
	Period string
	Error  string
}

func (s *Server) getEvaluationExplainPage(w http.ResponseWriter, r *http.Request) {
	x, err := s.explanation(r)
	p := &explainPage{X: x, Period: s.evalPeriod(r)}
	if err != nil {
		status, _ := errorStatus(err)
		if errors.Is(err, errOtherDepartment) {
			status = http.StatusForbidden
		} else if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		p.Error = err.Error()
		s.renderStaffStatus(w, r, status, "staff/evaluation_explain.html", p)
		return
	}
	s.renderStaff(w, r, "staff/evaluation_explain.html", p)
}

type appealsPage struct {
	Appeals []evaluation.Appeal
	Status  string
	Reasons []string
	Decider bool
	Filer   bool
	Done    string
}

func (s *Server) getAppealsPage(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	status := r.URL.Query().Get("status")
	as, err := s.eval.Appeals(r.Context(), evaluation.AppealFilter{Status: status, DepartmentID: ownDepartment(r.Context())})
	if err != nil {
		status, _ := errorStatus(err)
		s.refuseErr(w, r, status, err)
		return
	}
	s.renderStaff(w, r, "staff/evaluation_appeals.html", &appealsPage{Appeals: as, Status: status, Reasons: evaluation.AppealReasons,
		Decider: org.Deciders.Has(st.Role), Filer: org.DepartmentStaff.Has(st.Role), Done: r.URL.Query().Get("done")})
}

func (s *Server) postAppealForm(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	a, err := s.eval.FileAppeal(r.Context(), actorFrom(r.Context()), f.get("ticket"), f.get("reason"), f.get("text"))
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.refuseErr(w, r, status, err)
		return
	}
	http.Redirect(w, r, "/evaluation/appeals?done="+url.QueryEscape(strconv.FormatInt(a.ID, 10)), http.StatusSeeOther)
}

func (s *Server) postAppealDecisionForm(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	decision := r.PathValue("decision")
	if err != nil || (decision != "approve" && decision != "refuse") {
		s.refuse(w, r, http.StatusNotFound, tr(langOf(r), "eval.no_appeal"))
		return
	}
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := s.eval.DecideAppeal(r.Context(), actorFrom(r.Context()), id, decision == "approve", f.get("text")); err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.refuseErr(w, r, status, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/evaluation/appeals?done=%d", id), http.StatusSeeOther)
}

// The profile's versions for administrators: each version, the one in force, a form proposing
// the next (the profile as JSON, prefilled with the one in force), and for a proposed version
// its dry run — every department's score and changed figures under both, month by month —
// before the button that adopts it.

type profilePage struct {
	Versions []evaluation.Version
	Current  int
	Draft    string
	Run      *evaluation.DryRun
	Error    string
	Done     string
}

func (s *Server) profilePage(r *http.Request, p *profilePage) (*profilePage, error) {
	vs, err := s.eval.Versions(r.Context())
	if err != nil {
		return nil, err
	}
	p.Versions = vs
	for _, v := range vs {
		if v.Adopted {
			p.Current = v.Version
			if p.Draft == "" {
				raw, _ := json.MarshalIndent(v.Profile, "", "  ")
				p.Draft = string(raw)
			}
		}
	}
	return p, nil
}

func (s *Server) renderProfilePage(w http.ResponseWriter, r *http.Request, status int, p *profilePage) {
	p, err := s.profilePage(r, p)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderStaffStatus(w, r, status, "staff/evaluation_profile.html", p)
}

func (s *Server) getProfilePage(w http.ResponseWriter, r *http.Request) {
	s.renderProfilePage(w, r, http.StatusOK, &profilePage{Done: r.URL.Query().Get("done")})
}

// profileFormError renders the page again with the error of a form, or answers an outage.
func (s *Server) profileFormError(w http.ResponseWriter, r *http.Request, p *profilePage, err error) {
	status, _ := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	p.Error = err.Error()
	s.renderProfilePage(w, r, status, p)
}

func (s *Server) postProfileForm(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p := &profilePage{Draft: f.get("profile")}
	var prof evaluation.Profile
	dec := json.NewDecoder(strings.NewReader(p.Draft))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&prof); err != nil {
		s.profileFormError(w, r, p, &badField{"profile", tr(langOf(r), "eval.profile_json") + ": " + err.Error()})
		return
	}
	v, err := s.eval.Propose(r.Context(), &prof, f.get("note"), actorFrom(r.Context()).Name)
	if err != nil {
		s.profileFormError(w, r, p, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/evaluation/profile?done=%d", v.Version), http.StatusSeeOther)
}

func (s *Server) postProfileDryRunForm(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p := &profilePage{}
	v, err := pathVersion(r)
	months := 3
	if err == nil && f.get("months") != "" {
		months, err = f.int("months")
	}
	if err == nil {
		p.Run, err = s.eval.RunDry(r.Context(), v, months, actorFrom(r.Context()).Name)
	}
	if err != nil {
		s.profileFormError(w, r, p, err)
		return
	}
	s.renderProfilePage(w, r, http.StatusOK, p)
}

func (s *Server) postProfileAdoptForm(w http.ResponseWriter, r *http.Request) {
	v, err := pathVersion(r)
	if err == nil {
		err = s.eval.Adopt(r.Context(), v, actorFrom(r.Context()).Name)
	}
	if err != nil {
		s.profileFormError(w, r, &profilePage{}, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/evaluation/profile?done=%d", v), http.StatusSeeOther)
}
