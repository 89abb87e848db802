package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/hotline-city/hotline/tickets"
)

// The printed sheets of a ticket: the work sheet (工单流转单) that follows a ticket through its
// steps, and the result sheet (办结单) a department files when it is done. Both are staff pages
// whose print stylesheet leaves out the navigation and every form, on A4.

// ticketSheet is what a printed sheet shows.
type ticketSheet struct {
	*ticketPage
	Kind string // "flow" or "result"
	// Resolver is who resolved the ticket (the result sheet's 承办人), OnTime whether the
	// resolution met its deadline.
	Resolver string
	OnTime   *bool
	// Visit is the latest valid return visit of the current resolution, when there is one.
	Visit     *sheetVisit
	PrintedAt time.Time
}

func (s *Server) getTicketSheet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.ticketPageData(ctx, r.PathValue("number"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sh := &ticketSheet{ticketPage: p, Kind: "flow", PrintedAt: s.Clock.Now()}
	if strings.HasSuffix(r.URL.Path, "/result-sheet") {
		sh.Kind = "result"
		t := p.T.Ticket
		if t.ResolvedAt == nil {
			s.renderError(w, r, http.StatusConflict, tr(pageLang(r), "sheet.not_resolved"))
			return
		}
		if t.ResolveDue != nil {
			on := !t.ResolvedAt.After(*t.ResolveDue)
			sh.OnTime = &on
		}
		for i := len(p.Events) - 1; i >= 0; i-- {
			if p.Events[i].Kind == string(tickets.ActResolve) {
				sh.Resolver = p.Events[i].ActorName
				break
			}
		}
		visits, err := s.Tickets.Visits(ctx, t.ID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for i := len(visits) - 1; i >= 0; i-- {
			if visits[i].Valid && visits[i].Resolution == t.ReopenCount {
				sh.Visit = newSheetVisit(&visits[i])
				break
			}
		}
	}
	s.renderStaff(w, r, "staff/ticket_sheet.html", sh)
}

// sheetVisit is a return visit's answers as the result sheet words them: message keys'
// suffixes, empty where the citizen was not asked.
type sheetVisit struct {
	At                                       time.Time
	Channel, Contacted, Solved, Satisfaction string
}

func newSheetVisit(v *tickets.Visit) *sheetVisit {
	sv := &sheetVisit{At: v.At, Channel: v.Channel}
	if v.Contacted != nil {
		sv.Contacted = "no"
		if *v.Contacted {
			sv.Contacted = "yes"
		}
	}
	if v.Solved != nil {
		sv.Solved = *v.Solved
	}
	if v.Satisfaction != nil {
		sv.Satisfaction = *v.Satisfaction
	}
	return sv
}
