package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/hotline-city/hotline/tickets"
)

// The closed loop's settings (闭环) through the API: what makes a return visit valid, the
// attempts before a citizen counts as unreachable, the rectification deadline and the rule
// for citizens who never answer. A field left out keeps its value.

func (s *Server) getLoopSettings(w http.ResponseWriter, r *http.Request) {
	l, err := s.Tickets.LoopSettings(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) postLoopSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	saved, err := s.saveLoopSettings(ctx, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

// saveLoopSettings reads the fields given over the current settings and saves them.
func (s *Server) saveLoopSettings(ctx context.Context, f fields) (*tickets.LoopSettings, error) {
	cur, err := s.Tickets.LoopSettings(ctx)
	if err != nil {
		return nil, err
	}
	l := *cur
	for k, p := range map[string]*bool{"valid_needs_contacted": &l.ValidNeedsContacted, "valid_needs_solved": &l.ValidNeedsSolved,
		"valid_needs_satisfaction": &l.ValidNeedsSatisfaction} {
		if _, ok := f[k]; !ok {
			continue
		}
		b, ok := contactedAnswer(f.get(k))
		if !ok || b == nil {
			return nil, &badField{k, "must be true or false"}
		}
		*p = *b
	}
	if _, ok := f["valid_channels"]; ok {
		l.ValidChannels = f.list("valid_channels")
	}
	for k, p := range map[string]*int{"max_attempts": &l.MaxAttempts, "rectify_workdays": &l.RectifyWorkdays, "unrated_days": &l.UnratedDays} {
		if _, ok := f[k]; !ok {
			continue
		}
		if *p, err = f.int(k); err != nil {
			return nil, err
		}
	}
	if _, ok := f["unrated_rule"]; ok {
		l.UnratedRule = f.get("unrated_rule")
	}
	return s.Tickets.SetLoopSettings(ctx, actorFrom(ctx), l)
}

// loopSettingsPage is /admin/loop-settings: the same settings as a form.
type loopSettingsPage struct {
	Settings *tickets.LoopSettings
	Channels []string
	Saved    bool
	Error    string
}

// Has reports whether channel c counts for a valid visit.
func (p *loopSettingsPage) Has(c string) bool { return slices.Contains(p.Settings.ValidChannels, c) }

func (s *Server) getLoopSettingsPage(w http.ResponseWriter, r *http.Request) {
	s.renderLoopSettings(w, r, http.StatusOK, &loopSettingsPage{Saved: r.URL.Query().Get("saved") != ""})
}

func (s *Server) renderLoopSettings(w http.ResponseWriter, r *http.Request, status int, p *loopSettingsPage) {
	l, err := s.Tickets.LoopSettings(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Settings, p.Channels = l, tickets.VisitChannels
	s.renderStaffStatus(w, r, status, "admin/loop_settings.html", p)
}

func (s *Server) postLoopSettingsPage(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := s.saveLoopSettings(r.Context(), f); err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.renderLoopSettings(w, r, status, &loopSettingsPage{Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/admin/loop-settings?saved=1", http.StatusSeeOther)
}
