package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline-city/hotline/evaluation"
	"github.com/hotline-city/hotline/internal/org"
)

// The evaluation engine's API (考评): scorecards of any period ranked per group, the drill-down
// of every indicator, the versioned profile with its dry runs, and appeals (申诉).

// evaluationAPI is the table of the evaluation engine's routes.
func (s *Server) evaluationAPI() {
	s.handleAPI("GET /api/v1/evaluation/scorecards", nil, "Scorecard of a period: period (2026-11, 2026-Q4, 2026 or 2026-11-03..2026-11-20; from and to for days; default last month), group; ranked per group; department staff see their own department only", s.getEvalScorecard)
	s.handleAPI("GET /api/v1/evaluation/explain", nil, "Explain one indicator of one department (department; none for the centre's) in a period: formula, numerator, denominator, points, and the tickets behind every point lost", s.getEvalExplain)
	s.handleAPI("GET /api/v1/evaluation/export", org.CityWide, "The scorecard of a period as a monthly report (通报): format=xlsx (ranked table and one sheet per indicator) or csv (with a BOM)", s.getEvalExport)
	s.handleAPI("GET /api/v1/evaluation/profile", nil, "The evaluation profile in force: indicators, formulas, scoring, groups and weights", s.getEvalProfile)
	s.handleAPI("GET /api/v1/evaluation/profile/versions", org.CityWide, "Every version of the evaluation profile, newest first", s.getEvalVersions)
	s.handleAPI("POST /api/v1/evaluation/profile/versions", org.Admins, "Propose a new version of the profile (a JSON profile document, note); it applies only once dry-run and adopted", s.postEvalVersion,
		"profile*", "note")
	s.handleAPI("POST /api/v1/evaluation/profile/versions/{version}/dry-run", org.Admins, "Dry run: the scores the version would have given over the past months (months, default 3), beside the version in force", s.postEvalDryRun, "months")
	s.handleAPI("POST /api/v1/evaluation/profile/versions/{version}/adopt", org.Admins, "Adopt a version after its dry run (409 without one)", s.postEvalAdopt)
	s.handleAPI("POST /api/v1/tickets/{number}/appeals", org.DepartmentStaff, "Appeal (申诉) the inclusion of one of your department's tickets in its figures: reason (unreasonable 不合理诉求, duplicate, not_duty, other) and text", s.postAppeal,
		"reason*", "text*")
	s.handleAPI("GET /api/v1/evaluation/appeals", nil, "Appeals (status: pending, approved, refused); department staff see their own department's", s.getAppeals)
	s.handleAPI("POST /api/v1/evaluation/appeals/{id}/approve", org.Deciders, "Approve an appeal: the ticket leaves the department's figures", s.decideAppeal(true), "text")
	s.handleAPI("POST /api/v1/evaluation/appeals/{id}/refuse", org.Deciders, "Refuse an appeal, with a reason", s.decideAppeal(false), "text*")
}

// evalPeriod reads the period of a request: period, or from and to (days); by default the
// last complete month.
func (s *Server) evalPeriod(r *http.Request) string {
	q := r.URL.Query()
	if p := q.Get("period"); p != "" {
		return p
	}
	if q.Get("from") != "" || q.Get("to") != "" {
		return q.Get("from") + ".." + q.Get("to")
	}
	now := s.Clock.Now().In(s.location())
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.location()).AddDate(0, -1, 0).Format("2006-01")
}

// ownDepartment is the department a department's staff are limited to; 0 for the centre's
// roles, who see every department.
func ownDepartment(ctx context.Context) int64 {
	st := staffFrom(ctx)
	if st != nil && org.DepartmentStaff.Has(st.Role) {
		return st.DepartmentID
	}
	return 0
}

// errUnknownGroup is a group the profile does not have.
var errUnknownGroup = errors.New("no such group in the evaluation profile")

// viewScorecard is the scorecard a request may see: of its period, of one group when asked,
// only their own department for a department's staff.
func (s *Server) viewScorecard(r *http.Request) (*evaluation.Scorecard, error) {
	sc, err := s.scorecard(r.Context(), s.evalPeriod(r))
	if err != nil {
		return nil, err
	}
	if g := r.URL.Query().Get("group"); g != "" {
		var keep []evaluation.Department
		found := false
		for _, gi := range sc.Groups {
			found = found || gi.Code == g
		}
		if !found {
			return nil, &badField{"group", errUnknownGroup.Error() + ": " + g}
		}
		for _, d := range sc.Departments {
			if d.Group == g {
				keep = append(keep, d)
			}
		}
		sc.Departments = append([]evaluation.Department{}, keep...)
	}
	if own := ownDepartment(r.Context()); own != 0 {
		var keep []evaluation.Department
		for _, d := range sc.Departments {
			if d.ID == own {
				keep = append(keep, d)
			}
		}
		sc.Departments = append([]evaluation.Department{}, keep...)
		sc.Centre = map[string]*float64{}
	}
	return sc, nil
}

func (s *Server) getEvalScorecard(w http.ResponseWriter, r *http.Request) {
	sc, err := s.viewScorecard(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// explanation explains the request's indicator, refusing a department's staff another's.
func (s *Server) explanation(r *http.Request) (*evaluation.Explanation, error) {
	q := r.URL.Query()
	ind := q.Get("indicator")
	if ind == "" {
		return nil, &badField{"indicator", "name the indicator to explain"}
	}
	dept := q.Get("department")
	if own := ownDepartment(r.Context()); own != 0 {
		d, err := s.Org.DepartmentByID(r.Context(), own)
		if err != nil {
			return nil, err
		}
		if dept == "" {
			dept = d.Code // a department's staff explain their own figures
		}
		if dept != d.Code {
			return nil, errOtherDepartment
		}
	}
	w, err := evaluation.ParsePeriod(s.evalPeriod(r), s.location(), s.Clock.Now())
	if err != nil {
		return nil, err
	}
	p, err := s.eval.Current(r.Context())
	if err != nil {
		return nil, err
	}
	return s.eval.Explain(r.Context(), p, w, dept, ind)
}

var errOtherDepartment = errors.New("another department's figures: forbidden")

func (s *Server) getEvalExplain(w http.ResponseWriter, r *http.Request) {
	x, err := s.explanation(r)
	if errors.Is(err, errOtherDepartment) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": err.Error()})
		return
	} else if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (s *Server) getEvalProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.eval.Current(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	type withFormula struct {
		evaluation.Indicator
		FormulaZh string `json:"formula_zh"`
		FormulaEn string `json:"formula_en"`
	}
	var ins []withFormula
	for i := range p.Indicators {
		ins = append(ins, withFormula{p.Indicators[i], p.Formula(&p.Indicators[i], "zh"), p.Formula(&p.Indicators[i], "en")})
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": p.Version, "name_zh": p.NameZh, "name_en": p.NameEn,
		"settings": p.Settings, "indicators": ins, "groups": p.Groups, "measures": evaluation.MeasureCodes()})
}

func (s *Server) getEvalVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.eval.Versions(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func (s *Server) postEvalVersion(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Profile *evaluation.Profile `json:"profile"`
		Note    string              `json:"note"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.apiError(w, r, &badField{"profile", "a JSON body {\"profile\": {…}, \"note\": …}: " + err.Error()})
		return
	}
	if body.Profile == nil {
		s.apiError(w, r, &badField{"profile", "the profile document is required"})
		return
	}
	p, err := s.eval.Propose(r.Context(), body.Profile, body.Note, actorFrom(r.Context()).Name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func pathVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		return 0, &badField{"version", "a version number"}
	}
	return v, nil
}

func (s *Server) postEvalDryRun(w http.ResponseWriter, r *http.Request) {
	v, err := pathVersion(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f, err := readFields(w, r)
	if err != nil {
		s.apiError(w, r, &badField{"months", err.Error()})
		return
	}
	months := 3
	if f.get("months") != "" {
		if months, err = f.int("months"); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	run, err := s.eval.RunDry(r.Context(), v, months, actorFrom(r.Context()).Name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) postEvalAdopt(w http.ResponseWriter, r *http.Request) {
	v, err := pathVersion(r)
	if err == nil {
		err = s.eval.Adopt(r.Context(), v, actorFrom(r.Context()).Name)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	p, err := s.eval.Current(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) postAppeal(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.apiError(w, r, &badField{"text", err.Error()})
		return
	}
	a, err := s.eval.FileAppeal(r.Context(), actorFrom(r.Context()), r.PathValue("number"), f.get("reason"), f.get("text"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) getAppeals(w http.ResponseWriter, r *http.Request) {
	as, err := s.eval.Appeals(r.Context(), evaluation.AppealFilter{Status: r.URL.Query().Get("status"), DepartmentID: ownDepartment(r.Context())})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"appeals": as})
}

func (s *Server) decideAppeal(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.apiError(w, r, &badField{"id", "an appeal number"})
			return
		}
		f, err := readFields(w, r)
		if err != nil {
			s.apiError(w, r, &badField{"text", err.Error()})
			return
		}
		a, err := s.eval.DecideAppeal(r.Context(), actorFrom(r.Context()), id, approve, f.get("text"))
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}
