package web

import (
	"net/http"
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
	cur, err := s.Tickets.LoopSettings(ctx)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	l := *cur
	for k, p := range map[string]*bool{"valid_needs_contacted": &l.ValidNeedsContacted, "valid_needs_solved": &l.ValidNeedsSolved,
		"valid_needs_satisfaction": &l.ValidNeedsSatisfaction} {
		if _, ok := f[k]; !ok {
			continue
		}
		b, ok := contactedAnswer(f.get(k))
		if !ok || b == nil {
			s.apiError(w, r, &badField{k, "must be true or false"})
			return
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
			s.apiError(w, r, err)
			return
		}
	}
	if _, ok := f["unrated_rule"]; ok {
		l.UnratedRule = f.get("unrated_rule")
	}
	saved, err := s.Tickets.SetLoopSettings(ctx, actorFrom(ctx), l)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, saved)
}
