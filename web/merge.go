package web

import (
	"net/http"
	"net/url"

	"github.com/hotline-city/hotline/internal/org"
)

// postTicketUnmerge undoes a wrong merge (并单) through the API: the ticket is handled on its
// own again, where it stood before.
func (s *Server) postTicketUnmerge(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "body"})
		return
	}
	t, err := s.Tickets.Unmerge(r.Context(), actorFrom(r.Context()), r.PathValue("number"), f.get("note"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.publishLive(r.Context(), "tickets")
	writeJSON(w, http.StatusOK, map[string]any{"number": t.Number, "status": t.Status, "version": t.Version})
}

// postTicketUnmergeForm is the ticket page's unmerge button.
func (s *Server) postTicketUnmergeForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := r.PathValue("number")
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := s.Tickets.Unmerge(ctx, actorFrom(ctx), number, f.get("note")); err != nil {
		s.ticketRefused(w, r, number, err)
		return
	}
	s.publishLive(r.Context(), "tickets")
	http.Redirect(w, r, "/tickets/"+url.PathEscape(number)+"?done=unmerge", http.StatusSeeOther)
}

// canUnmerge reports whether st's role may undo a merge: the centre's.
func canUnmerge(st *org.Staff) bool { return org.Centre.Has(st.Role) }
