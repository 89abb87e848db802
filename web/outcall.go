package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// A department calls the citizen through 12345 (联系市民): the handler's own SIP phone rings,
// then the citizen's through the outbound gateway with 12345 as the caller ID. The handler
// never sees the number; the call is recorded, each attempt is on the ticket's timeline, and
// an answered call records the first contact (反馈).

// ticketCallView is an attempt in the API: the attempt, the citizen's number masked, and the
// recording's URL for those who may hear it.
type ticketCallView struct {
	telephony.TicketCall
	Phone     string `json:"phone"`
	Recording string `json:"recording"`
}

// callTicketCitizen starts the call for the signed-in handler.
func (s *Server) callTicketCitizen(ctx context.Context, number string) (*ticketCallView, error) {
	st := staffFrom(ctx)
	tc, err := s.Calls.Telephony.CallTicketCitizen(ctx, actorFrom(ctx), number, *st.SIPExtension)
	if err != nil {
		return nil, err
	}
	v := &ticketCallView{TicketCall: *tc}
	if t, err := s.Tickets.GetFor(ctx, actorFrom(ctx), number); err == nil && !t.Confidential {
		v.Phone = tickets.MaskPhone(t.CallerPhone)
	}
	return v, nil
}

// seeTicketToCall answers another department's ticket 404, as any look at it, before the
// reader's phone is asked about.
func (s *Server) seeTicketToCall(ctx context.Context, number string) error {
	_, err := s.loadTicket(ctx, number)
	if errors.Is(err, tickets.ErrForbidden) {
		return fmt.Errorf("call the citizen of %s: %w", number, tickets.ErrNotFound)
	}
	return err
}

// postTicketCallForm is the ticket page's and the workbench's "call the citizen" button.
func (s *Server) postTicketCallForm(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	if err := s.seeTicketToCall(r.Context(), number); err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, ok := s.extension(w, r); !ok {
		return
	}
	if _, err := s.callTicketCitizen(r.Context(), number); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/tickets/"+url.PathEscape(number)+"?done=call_citizen", http.StatusSeeOther)
}

// postTicketCall is POST /api/v1/tickets/{number}/calls: 202 with the attempt, whose result is
// "calling" until the phones hang up.
func (s *Server) postTicketCall(w http.ResponseWriter, r *http.Request) {
	if err := s.seeTicketToCall(r.Context(), r.PathValue("number")); err != nil {
		s.apiError(w, r, err)
		return
	}
	if _, ok := s.extension(w, r); !ok {
		return
	}
	v, err := s.callTicketCitizen(r.Context(), r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

// getTicketCalls is GET /api/v1/tickets/{number}/calls: the attempts, oldest first.
func (s *Server) getTicketCalls(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.loadTicket(ctx, r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	views, err := s.ticketCallViews(ctx, t)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": views})
}

// ticketCallViews are the attempts on t, with the recordings the reader may hear.
func (s *Server) ticketCallViews(ctx context.Context, t *tickets.Ticket) ([]ticketCallView, error) {
	tcs, err := telephony.ListTicketCalls(ctx, s.db, t.ID)
	if err != nil {
		return nil, err
	}
	playable := map[string]bool{}
	if s.Calls.Recordings != nil && len(tcs) > 0 {
		ids := make([]string, len(tcs))
		for i := range tcs {
			ids[i] = tcs[i].ID
		}
		if playable, err = s.Calls.Recordings.Playable(ctx, ids); err != nil {
			return nil, err
		}
	}
	st := staffFrom(ctx)
	views := make([]ticketCallView, len(tcs))
	for i := range tcs {
		views[i] = ticketCallView{TicketCall: tcs[i]}
		if !t.Confidential || org.Centre.Has(st.Role) {
			views[i].Phone = tickets.MaskPhone(t.CallerPhone)
		}
		if playable[tcs[i].ID] && s.mayHear(ctx, st, ticketCallRecord(&tcs[i])) {
			views[i].Recording = recordingURL(tcs[i].ID)
		}
	}
	return views, nil
}

// ticketCallRecord is an attempt seen as a call record, for who may hear its recording: the
// handler who placed it through their extension is no agent, so it is the ticket that
// decides, as for calls to 12345 linked to a ticket.
func ticketCallRecord(tc *telephony.TicketCall) *telephony.Record {
	return &telephony.Record{ID: tc.ID, Extension: tc.Extension, Ticket: tc.Ticket, StartedAt: tc.StartedAt}
}

// recordedCall returns the call whose recording id is: a call to 12345, or a department's
// call to a citizen.
func (s *Server) recordedCall(ctx context.Context, id string) (*telephony.Record, error) {
	rec, err := telephony.GetCall(ctx, s.db, id)
	if err == nil {
		return rec, nil
	}
	tc, terr := telephony.GetTicketCall(ctx, s.db, id)
	if terr != nil {
		return nil, err
	}
	return ticketCallRecord(tc), nil
}

// ticketCallRecordings are the recordings of the department's calls to the citizen of t that
// the reader may hear, for the ticket page.
func (s *Server) ticketCallRecordings(ctx context.Context, t *tickets.Ticket) ([]ticketRecording, error) {
	views, err := s.ticketCallViews(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []ticketRecording
	for _, v := range views {
		if v.Recording != "" {
			out = append(out, ticketRecording{v.ID, v.StartedAt})
		}
	}
	return out, nil
}

// canCallCitizen reports whether st is offered the "call the citizen" button on t: a
// department's handler while it handles the ticket, with the SIP front end in this process.
// A confidential ticket's number is withheld from the page but may still be called.
func (s *Server) canCallCitizen(st *org.Staff, t *tickets.Ticket) bool {
	return s.Calls.Telephony != nil && st != nil && org.DepartmentStaff.Has(st.Role) && !t.Merged() &&
		(t.Status == tickets.StatusDispatched || t.Status == tickets.StatusAccepted) && t.CallerPhone != ""
}
