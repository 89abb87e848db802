package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/hotline-city/hotline/telephony"
)

// consultFor fills the console header's consult buttons of d: the targets, and the consult
// on the agent's call if one is on.
func (s *Server) consultFor(d *deskStatus) {
	tel := s.Calls.Telephony
	if d.Agent.CallID == "" {
		return
	}
	for name := range tel.Targets() {
		d.Targets = append(d.Targets, name)
	}
	slices.Sort(d.Targets)
	for _, c := range tel.LiveCalls() {
		if c.ID == d.Agent.CallID {
			d.Consult = c.Consult
		}
	}
}

// postConsoleConsult is a step of a three-way consult from the console's buttons: started
// (with target), transferred (the agent leaves) or cancelled (the target is dropped).
func (s *Server) postConsoleConsult(w http.ResponseWriter, r *http.Request) {
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
	err = tel.ConsultStep(r.Context(), f.get("step"), f.get("call_id"), ext, f.get("target"), actorFrom(r.Context()))
	if errors.Is(err, telephony.ErrBadConsultStep) {
		s.refuse(w, r, http.StatusBadRequest, "no such action")
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
