package web

import (
	"context"
	"net/http"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// workbenchPage is a department's queue, nearest deadline first.
type workbenchPage struct {
	Queue      []*ticketView
	Department *org.Department
	// Esc is what the escalation area adds (escalation_pages.go): extensions and notices.
	Esc *workbenchEscalation
}

func (s *Server) workbenchData(ctx context.Context) (*workbenchPage, error) {
	st := staffFrom(ctx)
	ts, err := s.Tickets.List(ctx, actorFrom(ctx), tickets.Filter{
		Statuses: []tickets.Status{tickets.StatusDispatched, tickets.StatusAccepted}, OrderBy: "due", Limit: 500, Queue: true})
	if err != nil {
		return nil, err
	}
	data := &workbenchPage{}
	data.Department, _ = s.Org.DepartmentByID(ctx, st.DepartmentID)
	for i := range ts {
		data.Queue = append(data.Queue, s.viewTicket(st, &ts[i]))
	}
	if data.Esc, err = s.workbenchEscalation(ctx, data.Queue); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) getWorkbench(w http.ResponseWriter, r *http.Request) {
	data, err := s.workbenchData(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if data.Esc != nil {
		data.Esc.Done = r.URL.Query().Get("done")
	}
	s.renderStaff(w, r, "staff/workbench.html", data)
}
