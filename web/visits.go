package web

import (
	"net/http"

	"github.com/hotline-city/hotline/tickets"
)

// postTicketVisit records a return visit (回访) attempt on a resolved ticket through the API:
// channel, outcome and, when the citizen was reached, contacted, solved, satisfaction and
// their words. An unsolved matter or a dissatisfied citizen sends the ticket back (重办).
func (s *Server) postTicketVisit(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	in := tickets.VisitInput{Department: f.get("department"), Channel: f.get("channel"), Outcome: f.get("outcome"), Solved: f.get("solved"),
		Satisfaction: f.get("satisfaction"), Comment: f.get("comment")}
	var ok bool
	if in.Contacted, ok = contactedAnswer(f.get("contacted")); !ok {
		s.apiError(w, r, &badField{"contacted", "must be true or false"})
		return
	}
	v, t, err := s.Tickets.RecordVisit(r.Context(), actorFrom(r.Context()), r.PathValue("number"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.publishLive(r.Context(), "tickets")
	writeJSON(w, http.StatusOK, map[string]any{"visit": v, "number": t.Number, "status": t.Status, "version": t.Version,
		"reopened": v.Valid && t.Status == tickets.StatusDispatched})
}

// getTicketVisits lists a ticket's return visits, for those who may see the ticket.
func (s *Server) getTicketVisits(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.loadTicket(ctx, r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	vs, err := s.Tickets.Visits(ctx, t.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if vs == nil {
		vs = []tickets.Visit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"visits": vs})
}

func ptrTo[T any](v T) *T { return &v }

// contactedAnswer reads "did the department contact you?" as the API (true/false), the forms
// (yes/no) or a checkbox (1/0) send it: nil when unanswered, ok=false when it is no answer.
func contactedAnswer(v string) (answer *bool, ok bool) {
	switch v {
	case "true", "yes", "1":
		return ptrTo(true), true
	case "false", "no", "0":
		return ptrTo(false), true
	case "":
		return nil, true
	}
	return nil, false
}
