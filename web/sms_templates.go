package web

import (
	"net/http"

	"github.com/hotline-city/hotline/escalation"
)

// The texts of the SMS citizens get (受理回执 at registration, the rating link at resolution),
// edited by administrators on /admin/sms-templates or through the API; a text with an unknown
// or missing placeholder is refused, naming what is wrong.

type smsTemplatesPage struct {
	Templates []smsTemplateView
	Saved     bool
	Error     string
}

// smsTemplateView is a template with the placeholders it may and must use.
type smsTemplateView struct {
	escalation.SMSTemplate
	Allowed, Required []string
}

func (s *Server) getSMSTemplates(w http.ResponseWriter, r *http.Request) {
	s.renderSMSTemplates(w, r, http.StatusOK, &smsTemplatesPage{Saved: r.URL.Query().Get("saved") != ""})
}

func (s *Server) renderSMSTemplates(w http.ResponseWriter, r *http.Request, status int, p *smsTemplatesPage) {
	ts, err := s.Escalation.Service.SMSTemplates(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, t := range ts {
		allowed, required := escalation.SMSPlaceholders(t.Kind)
		p.Templates = append(p.Templates, smsTemplateView{SMSTemplate: t, Allowed: allowed, Required: required})
	}
	s.renderStaffStatus(w, r, status, "admin/sms_templates.html", p)
}

func (s *Server) postSMSTemplate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := s.Escalation.Service.SetSMSTemplate(ctx, actorFrom(ctx), f.get("kind"), f.get("body")); err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.renderSMSTemplates(w, r, status, &smsTemplatesPage{Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/admin/sms-templates?saved=1", http.StatusSeeOther)
}

func (s *Server) getSMSTemplatesAPI(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Escalation.Service.SMSTemplates(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": ts})
}

func (s *Server) postSMSTemplateAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	t, err := s.Escalation.Service.SetSMSTemplate(ctx, actorFrom(ctx), f.get("kind"), f.get("body"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}
