package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
)

// monitorRoles may listen in on, whisper into and barge into agents' calls (监听/耳语/强插).
var monitorRoles = org.RoleSet{org.RoleSupervisor, org.RoleAdmin}

// canMonitor reports whether the signed-in staff member may monitor calls.
func canMonitor(ctx context.Context) bool {
	st := staffFrom(ctx)
	return st != nil && monitorRoles.Has(st.Role)
}

// monitor carries out one monitoring step on the call in the path for the signed-in
// supervisor: start (from their own phone's extension), mode or stop. Each step is audited.
func (s *Server) monitor(w http.ResponseWriter, r *http.Request, step string, f fields) (telephony.MonitorState, bool, error) {
	tel := s.Calls.Telephony
	id := r.PathValue("id")
	var st telephony.MonitorState
	mode := telephony.MonitorListen
	if v := f.get("mode"); v != "" || step == "mode" {
		m, err := telephony.ParseMonitorMode(v)
		if err != nil {
			return st, true, &badField{"mode", "must be listen, whisper or barge"}
		}
		mode = m
	}
	var err error
	detail := map[string]any{"mode": mode}
	switch step {
	case "start":
		ext, ok := s.extension(w, r)
		if !ok {
			return st, false, nil
		}
		detail["extension"] = ext
		st, err = tel.Monitor(r.Context(), id, ext, mode)
	case "mode":
		st, err = tel.SetMonitorMode(id, mode)
	case "stop":
		delete(detail, "mode")
		err = tel.StopMonitor(r.Context(), id)
	}
	if err == nil {
		s.auditAfter(r.Context(), staffFrom(r.Context()), "call.monitor_"+step, "call", id, detail)
	}
	return st, true, err
}

// postMonitorAPI is one monitoring step by the API.
func (s *Server) postMonitorAPI(step string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := readFields(w, r)
		if err != nil {
			s.refuseErr(w, r, http.StatusBadRequest, err)
			return
		}
		st, ok, err := s.monitor(w, r, step, f)
		if !ok {
			return
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if step == "stop" {
			writeJSON(w, http.StatusOK, map[string]any{"call_id": r.PathValue("id"), "monitored": false})
			return
		}
		writeJSON(w, http.StatusOK, st)
	}
}

// getLiveCallsAPI lists the calls in conversation, each with its monitoring.
func (s *Server) getLiveCallsAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"calls": s.Calls.Telephony.LiveCalls()})
}

// monitorBack is where a monitoring form returns to: the page it was sent from.
var monitorBack = []string{"/wallboard", "/board"}

// postMonitorForm is one monitoring step from the buttons of the wallboard or the board.
func (s *Server) postMonitorForm(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	step := f.get("step")
	if !slices.Contains([]string{"start", "mode", "stop"}, step) {
		s.refuse(w, r, http.StatusBadRequest, "no such action")
		return
	}
	_, ok, err := s.monitor(w, r, step, f)
	if !ok {
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	back := "/wallboard"
	if b := f.get("back"); slices.Contains(monitorBack, b) {
		back = b
	}
	http.Redirect(w, r, back+"#live-calls", http.StatusSeeOther)
}

// consult carries out one step of a three-way consult on the call in the path for the
// signed-in agent: start (target), transfer (the agent leaves) or cancel (the target leaves).
func (s *Server) postConsultAPI(step string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tel := s.Calls.Telephony
		ext, ok := s.extension(w, r)
		if !ok {
			return
		}
		f, err := readFields(w, r)
		if err != nil {
			s.refuseErr(w, r, http.StatusBadRequest, err)
			return
		}
		id, actor := r.PathValue("id"), actorFrom(r.Context())
		target := f.get("target")
		if step == telephony.ConsultStarted && target == "" {
			s.apiError(w, r, &badField{"target", "required: 110 or another configured hotline"})
			return
		}
		if err = tel.ConsultStep(r.Context(), step, id, ext, target, actor); err != nil {
			s.apiError(w, r, err)
			return
		}
		out := map[string]any{"call_id": id, "consult": step}
		if target != "" {
			out["target"] = target
		}
		writeJSON(w, http.StatusOK, out)
	}
}
