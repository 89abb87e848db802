package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/routing"
)

// routingRuleRow is a rule as the admin list shows it.
type routingRuleRow struct {
	routing.Rule
	Conditions string // compact JSON
	Action     string
}

// routingAdminPage is /admin/routing: the rules, a new rule, a dry run and the return figures.
type routingAdminPage struct {
	Rules   []routingRuleRow
	NewJSON string
	Error   string
	Dry     *routing.DryRunResult
	DryReq  routing.Request
	DryAt   string
	Model   routing.ModelInfo
	Stats   []routing.DepartmentReturns
	// New is the new rule's form: its values and its pickers (routing_form.go).
	New ruleForm
}

// ruleForm is what the rule form's fields show: a rule and the pickers' choices for it.
type ruleForm struct {
	Rule routing.Rule
	Pick *rulePickers
}

// routingRulePage is /admin/routing/rules/{id}: one rule as a form and as JSON, with its history.
type routingRulePage struct {
	Rule     routing.Rule
	Pick     *rulePickers
	JSON     string
	Versions []routingVersionRow
	Error    string
	Saved    bool
}

// routingVersionRow is one version of a rule as the rule page lists it.
type routingVersionRow struct {
	routing.RuleVersion
	Name string
	JSON string
}

// routingReturnsPage is /routing/returns: the review queue of returned tickets.
type routingReturnsPage struct {
	Queue       []routing.ReturnedTicket
	Departments []org.Department
	Error       string
	Done        string
}

const newRuleTemplate = `{
  "name": "新规则 new rule",
  "priority": 500,
  "enabled": true,
  "conditions": {"keywords": ["关键词"]},
  "action": {"lead": "urban", "profile": "standard"}
}`

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func indentJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func (s *Server) getRoutingAdmin(w http.ResponseWriter, r *http.Request) {
	s.renderRoutingAdmin(w, r, http.StatusOK, "", newRuleTemplate, routing.Rule{Priority: 500, Enabled: true})
}

func (s *Server) renderRoutingAdmin(w http.ResponseWriter, r *http.Request, status int, errMsg, newJSON string, newRule routing.Rule) {
	svc := s.Routing.Service
	ctx := r.Context()
	rules, err := svc.Rules(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p := routingAdminPage{NewJSON: newJSON, Error: errMsg, Model: svc.Cache().ModelInfo(), New: ruleForm{Rule: newRule}}
	if p.New.Pick, err = s.rulePickers(ctx, langOf(r), newRule); err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, rule := range rules {
		p.Rules = append(p.Rules, routingRuleRow{Rule: rule, Conditions: compactJSON(rule.Conditions), Action: compactJSON(rule.Action)})
	}
	if p.Stats, err = svc.ReturnStats(ctx, s.Clock.Now().AddDate(0, 0, -30)); err != nil {
		s.serverError(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Get("dry") != "" {
		p.DryAt = q.Get("at")
		req, err := s.routingRequest(fields(q))
		if err == nil {
			p.Dry, err = svc.DryRun(ctx, req)
		}
		p.DryReq = req
		if err != nil {
			st, _ := errorStatus(err)
			if st == http.StatusInternalServerError {
				s.serverError(w, r, err)
				return
			}
			p.Error, status = errorText(langOf(r), err), st
		}
	}
	s.renderStaffStatus(w, r, status, "routing/admin.html", p)
}

// ruleFromForm reads a rule from the admin form: the JSON text when mode is json, else the
// form's fields over base (so conditions the form does not show are kept).
func ruleFromForm(f fields, base routing.Rule) (routing.Rule, error) {
	if f.get("mode") == "json" {
		var rule routing.Rule
		dec := json.NewDecoder(strings.NewReader(f.get("json")))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rule); err != nil {
			return rule, &badField{"json", "is not a JSON rule object: " + err.Error()}
		}
		rule.ID = base.ID
		if rule.Version == 0 {
			rule.Version = base.Version
		}
		return rule, nil
	}
	rule := base
	rule.Name = f.get("name")
	p, err := f.int("priority")
	if err != nil {
		return rule, err
	}
	rule.Priority = p
	if v, err := f.int("version"); err != nil {
		return rule, err
	} else if v != 0 {
		rule.Version = v
	}
	rule.Enabled = f.get("enabled") != ""
	rule.Conditions.Categories = f.list("categories")
	rule.Conditions.Keywords = f.list("keywords")
	rule.Conditions.UrgentWords = f.list("urgent_words")
	rule.Conditions.Districts = f.list("districts")
	rule.Conditions.Streets = f.list("streets")
	rule.Conditions.Types = f.list("types")
	rule.Conditions.Channels = f.list("channels")
	rule.Conditions.DayTypes = f.list("day_types")
	if from, to := f.get("time_from"), f.get("time_to"); from != "" || to != "" {
		rule.Conditions.TimeWindow = &routing.TimeWindow{From: from, To: to}
	} else {
		rule.Conditions.TimeWindow = nil
	}
	if rule.Conditions.MinRecentByPhone, err = f.int("min_recent_by_phone"); err != nil {
		return rule, err
	}
	rule.Action.Lead = f.get("lead")
	rule.Action.CoHandlers = f.list("co_handlers")
	rule.Action.Profile = f.get("profile")
	rule.Action.Priority = f.get("action_priority")
	rule.Action.Hold = f.get("hold") != ""
	rule.Action.Transfer = f.get("transfer")
	return rule, nil
}

func (s *Server) postRoutingAdminCreate(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	entered, err := ruleFromForm(f, routing.Rule{})
	var rule routing.Rule
	if err == nil {
		rule, err = svc.CreateRule(r.Context(), editorOf(r), entered)
	}
	if err != nil {
		if st, _ := errorStatus(err); st != http.StatusInternalServerError {
			json := f.get("json")
			if json == "" {
				json = newRuleTemplate
			}
			s.renderRoutingAdmin(w, r, st, errorText(langOf(r), err), json, entered)
			return
		}
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/routing/rules/%d?saved=1", rule.ID), http.StatusSeeOther)
}

func (s *Server) getRoutingAdminRule(w http.ResponseWriter, r *http.Request) {
	s.renderRoutingRule(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderRoutingRule(w http.ResponseWriter, r *http.Request, status int, errMsg string, edited *routing.Rule) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.refuse(w, r, http.StatusNotFound, "no such rule")
		return
	}
	rule, err := svc.Rule(r.Context(), id)
	if errors.Is(err, routing.ErrNotFound) {
		s.refuse(w, r, http.StatusNotFound, "no such rule")
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	vs, err := svc.Versions(r.Context(), id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if edited != nil {
		rule = *edited
	}
	rows := make([]routingVersionRow, len(vs))
	for i, v := range vs {
		rows[i] = routingVersionRow{RuleVersion: v, Name: v.Rule.Name, JSON: indentJSON(v.Rule)}
	}
	pick, err := s.rulePickers(r.Context(), langOf(r), rule)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderStaffStatus(w, r, status, "routing/rule.html", routingRulePage{Rule: rule, Pick: pick, JSON: indentJSON(rule), Versions: rows,
		Error: errMsg, Saved: r.URL.Query().Get("saved") != ""})
}

func (s *Server) postRoutingAdminUpdate(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.refuse(w, r, http.StatusNotFound, "no such rule")
		return
	}
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	base, err := svc.Rule(r.Context(), id)
	if err != nil {
		if st, _ := errorStatus(err); st == http.StatusNotFound {
			s.refuse(w, r, http.StatusNotFound, "no such rule")
			return
		}
		s.serverError(w, r, err)
		return
	}
	entered, err := ruleFromForm(f, base)
	var rule routing.Rule
	if err == nil {
		rule, err = svc.UpdateRule(r.Context(), editorOf(r), entered)
	}
	if err != nil {
		if st, _ := errorStatus(err); st != http.StatusInternalServerError {
			// The form shows again with what was entered, not an empty rule.
			s.renderRoutingRule(w, r, st, errorText(langOf(r), err), &entered)
			return
		}
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/routing/rules/%d?saved=1", rule.ID), http.StatusSeeOther)
}

func (s *Server) postRoutingAdminDelete(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	id, err := ruleID(r)
	if err != nil {
		s.refuse(w, r, http.StatusNotFound, "no such rule")
		return
	}
	_, err = svc.DeleteRule(r.Context(), editorOf(r), id)
	if err != nil {
		if st, _ := errorStatus(err); st != http.StatusInternalServerError {
			s.refuseErr(w, r, st, err)
			return
		}
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/routing", http.StatusSeeOther)
}

func (s *Server) getRoutingReturnsPage(w http.ResponseWriter, r *http.Request) {
	s.renderRoutingReturns(w, r, http.StatusOK, "", r.URL.Query().Get("done"))
}

func (s *Server) renderRoutingReturns(w http.ResponseWriter, r *http.Request, status int, errMsg, done string) {
	svc := s.Routing.Service
	q, err := svc.ReturnQueue(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ds, err := s.Org.Departments(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var active []org.Department
	for _, d := range ds {
		if d.Active && d.Kind != "centre" && d.Kind != "leadership" {
			active = append(active, d)
		}
	}
	s.renderStaffStatus(w, r, status, "routing/returns.html", routingReturnsPage{Queue: q, Departments: active, Error: errMsg, Done: done})
}

func (s *Server) postRoutingReturnsPage(w http.ResponseWriter, r *http.Request) {
	svc := s.Routing.Service
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	in, err := reviewInput(f)
	if err == nil {
		_, err = svc.Review(r.Context(), actorFrom(r.Context()), r.PathValue("number"), in)
	}
	if err != nil {
		if st, _ := errorStatus(err); st != http.StatusInternalServerError {
			s.renderRoutingReturns(w, r, st, r.PathValue("number")+": "+errorText(langOf(r), err), "")
			return
		}
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/routing/returns?done="+url.QueryEscape(r.PathValue("number")), http.StatusSeeOther)
}
