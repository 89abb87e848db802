package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/hotline-city/hotline/tickets"
)

// The 回访 work queue: the resolved tickets whose return visit is still to be done, nearest
// deadline first, each with the form that records an attempt: what the citizen answered, or
// that nobody was reached. Keyboard-first like the console: the first row's outcome is
// focused with alt+v, alt+c calls its citizen (when an outbound gateway is configured), and
// ctrl+enter sends the form being filled in. The citizen's number stays masked: the call is
// placed by the server, which rings the agent's phone first.

type visitQueuePage struct {
	Queue []*ticketView
	Pager *pager
	// Parts are each ticket's co-handling departments (协办), by number: their parts are
	// visited about too, chosen in the row's form.
	Parts        map[string][]tickets.CoHandler
	Outcomes     []string
	Solved       []string
	Satisfaction []string
	Done         string
	Calling      string
	Error        string
	// CanCall: the SIP front end runs with an outbound gateway, so a row can call its citizen.
	CanCall bool
}

func (s *Server) getVisitQueue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg, err := s.Tickets.ListPage(ctx, actorFrom(ctx), tickets.Filter{VisitDue: true, OrderBy: "visit", Limit: pageSize,
		After: r.URL.Query().Get("after")})
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.refuseErr(w, r, status, err)
		return
	}
	st := staffFrom(ctx)
	p := &visitQueuePage{Outcomes: tickets.VisitOutcomes, Solved: tickets.VisitSolved, Satisfaction: tickets.VisitSatisfaction,
		Done: r.URL.Query().Get("done"), Calling: r.URL.Query().Get("calling"), Pager: newPager(r.URL, pg, true),
		CanCall: s.Calls.Telephony != nil && s.Calls.Telephony.CanCallOut()}
	ts := pg.Tickets
	ids := make([]int64, len(ts))
	for i := range ts {
		p.Queue = append(p.Queue, s.viewTicket(st, &ts[i]))
		ids[i] = ts[i].ID
	}
	parts, err := s.Tickets.VisitParts(ctx, ids)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Parts = map[string][]tickets.CoHandler{}
	for _, t := range ts {
		p.Parts[t.Number] = parts[t.ID]
	}
	s.renderStaff(w, r, "staff/visits.html", p)
}

// postVisitForm records an attempt from the queue's row and goes back to the queue.
func (s *Server) postVisitForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := r.PathValue("number")
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	in := tickets.VisitInput{Department: f.get("department"), Channel: "phone", Outcome: f.get("outcome"), Comment: f.get("comment")}
	if in.Outcome == "reached" {
		in.Solved, in.Satisfaction = f.get("solved"), f.get("satisfaction")
		in.Contacted, _ = contactedAnswer(f.get("contacted")) // no answer: the visit is refused, naming it
	}
	if _, _, err := s.Tickets.RecordVisit(ctx, actorFrom(ctx), number, in); err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.refuseErr(w, r, status, err)
		return
	}
	s.publishLive(ctx, "tickets")
	http.Redirect(w, r, "/visits?done="+url.QueryEscape(number), http.StatusSeeOther)
}

// postVisitCall calls the citizen of a resolved ticket for its return visit, through the SIP
// front end: the agent's phone rings, then the citizen's. The number never reaches the page.
func (s *Server) postVisitCall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fail := func(err error) {
		if isAPI(r) {
			s.apiError(w, r, err)
			return
		}
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.refuseErr(w, r, status, err)
	}
	ext, ok := s.extension(w, r)
	if !ok {
		return
	}
	t, err := s.Tickets.GetFor(ctx, actorFrom(ctx), r.PathValue("number"))
	if err != nil {
		fail(err)
		return
	}
	if t.Status != tickets.StatusResolved || t.Merged() {
		fail(fmt.Errorf("a return visit call is for a resolved ticket, %s is %s: %w", t.Number, t.Status, tickets.ErrTransition))
		return
	}
	if err := s.Calls.Telephony.CallCitizen(ctx, t.Number, t.CallerPhone, ext); err != nil {
		fail(err)
		return
	}
	if isAPI(r) {
		writeJSON(w, http.StatusAccepted, map[string]any{"number": t.Number, "calling": true})
		return
	}
	http.Redirect(w, r, "/visits?calling="+url.QueryEscape(t.Number), http.StatusSeeOther)
}
