package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// workbenchPage is a department's queue, nearest deadline first.
type workbenchPage struct {
	Queue      []*ticketView
	Pager      *pager
	Department *org.Department
	// Esc is what the escalation area adds (escalation_pages.go): extensions and notices.
	Esc *workbenchEscalation
	// Batch is the outcome of a batch just taken (batch.go), BatchError why one was refused.
	Batch      *batchResult
	BatchError string
	// Callable are the tickets whose citizen the handler may call through 12345 (outcall.go).
	Callable map[string]bool
}

// workbenchData is the page of the queue at u: the first fifty, or the fifty after u's cursor.
func (s *Server) workbenchData(ctx context.Context, u *url.URL) (*workbenchPage, error) {
	st := staffFrom(ctx)
	p, err := s.Tickets.ListPage(ctx, actorFrom(ctx), tickets.Filter{
		Statuses: []tickets.Status{tickets.StatusDispatched, tickets.StatusAccepted}, OrderBy: "due", Limit: pageSize, Queue: true,
		After: u.Query().Get("after")})
	if err != nil {
		return nil, err
	}
	data := &workbenchPage{Pager: newPager(u, p, true)}
	data.Department, _ = s.Org.DepartmentByID(ctx, st.DepartmentID)
	for i := range p.Tickets {
		data.Queue = append(data.Queue, s.viewTicket(st, &p.Tickets[i]))
		if s.canCallCitizen(st, &p.Tickets[i]) {
			if data.Callable == nil {
				data.Callable = map[string]bool{}
			}
			data.Callable[p.Tickets[i].Number] = true
		}
	}
	if data.Esc, err = s.workbenchEscalation(ctx, data.Queue); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) getWorkbench(w http.ResponseWriter, r *http.Request) {
	data, err := s.workbenchData(r.Context(), r.URL)
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.refuseErr(w, r, status, err)
		return
	}
	if data.Esc != nil {
		data.Esc.Done = r.URL.Query().Get("done")
	}
	s.renderStaff(w, r, "staff/workbench.html", data)
}
