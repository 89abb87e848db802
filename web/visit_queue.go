package web

import (
	"net/http"
	"net/url"

	"github.com/hotline-city/hotline/tickets"
)

// The 回访 work queue: the resolved tickets whose return visit is still to be done, nearest
// deadline first, each with the form that records an attempt: what the citizen answered, or
// that nobody was reached. Keyboard-first like the console: the first row's outcome is
// focused with alt+v, and ctrl+enter sends a row's form.

type visitQueuePage struct {
	Queue        []*ticketView
	Pager        *pager
	Outcomes     []string
	Solved       []string
	Satisfaction []string
	Done         string
	Error        string
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
		Done: r.URL.Query().Get("done"), Pager: newPager(r.URL, pg, true)}
	for i := range pg.Tickets {
		p.Queue = append(p.Queue, s.viewTicket(st, &pg.Tickets[i]))
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
	in := tickets.VisitInput{Channel: "phone", Outcome: f.get("outcome"), Comment: f.get("comment")}
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
