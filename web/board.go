package web

import (
	"context"
	"net/http"

	"github.com/hotline-city/hotline/tickets"
)

// boardPage is the supervisor board.
type boardPage struct {
	Stats    []tickets.DepartmentCount
	Overdue  []tickets.Ticket
	DueSoon  []tickets.Ticket
	Returned []tickets.Ticket
	Lists    []tickets.BoardList
	// Esc is what the escalation area adds (escalation_pages.go): escalations, extension
	// approvals and supervision notices.
	Esc *boardEscalation
	// MissingYear is next year when, from 1 November, the calendar has no entry in it yet.
	MissingYear int
}

func (s *Server) boardData(ctx context.Context) (*boardPage, error) {
	st := staffFrom(ctx)
	data := &boardPage{}
	var err error
	if data.Stats, err = s.Tickets.DepartmentCounts(ctx, tickets.ActorFor(st)); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		list tickets.BoardList
		dst  *[]tickets.Ticket
	}{{tickets.ListOverdue, &data.Overdue}, {tickets.ListDueSoon, &data.DueSoon}, {tickets.ListReturned, &data.Returned}} {
		if *l.dst, err = s.Tickets.Board(ctx, tickets.ActorFor(st), l.list, 50); err != nil {
			return nil, err
		}
	}
	data.Lists = tickets.BoardLists
	if data.MissingYear, err = s.missingYear(ctx); err != nil {
		return nil, err
	}
	if data.Esc, err = s.boardEscalation(ctx); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) getBoard(w http.ResponseWriter, r *http.Request) {
	data, err := s.boardData(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if data.Esc != nil {
		data.Esc.Done = r.URL.Query().Get("done")
	}
	s.renderStaff(w, r, "staff/board.html", data)
}

func (s *Server) getBoardCounts(w http.ResponseWriter, r *http.Request) {
	stats, err := s.Tickets.DepartmentCounts(r.Context(), actorFrom(r.Context()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/board_counts.html", "content", boardPage{Stats: stats})
}
