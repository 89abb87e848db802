package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/tickets"
)

func (s *Server) getTrack(w http.ResponseWriter, r *http.Request) {
	p := s.newIntakePage(w, r)
	p.Values["number"] = r.URL.Query().Get("number")
	s.renderIntake(w, r, "track", http.StatusOK, p)
}

// trackFail shows the look-up form again with what went wrong.
func (s *Server) trackFail(w http.ResponseWriter, r *http.Request, p *intakePage, err error) {
	var fes intake.FieldErrors
	switch {
	case errors.As(err, &fes):
		for _, f := range fes {
			p.Errors[f.Field] = fieldMsg(p.Lang, f.Msg)
		}
		p.Message = tr(p.Lang, "form.fix")
		s.renderIntake(w, r, "track", http.StatusBadRequest, p)
	case errors.Is(err, intake.ErrRateLimited):
		p.Message = tr(p.Lang, "track.ratelimited")
		s.renderIntake(w, r, "track", http.StatusTooManyRequests, p)
	case errors.Is(err, intake.ErrNotFound):
		p.Message = tr(p.Lang, "track.notfound")
		s.renderIntake(w, r, "track", http.StatusNotFound, p)
	default:
		s.intakeServerError(w, r, err)
	}
}

func (s *Server) postTrack(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r.ParseForm()
	p := s.newIntakePage(w, r)
	p.Values["number"] = r.PostFormValue("number")
	p.Values["phone"] = r.PostFormValue("phone")
	v, err := s.Intake.Service.Track(r.Context(), clientAddr(r), p.Values["number"], p.Values["phone"])
	if err != nil {
		s.trackFail(w, r, p, err)
		return
	}
	p.View = v
	s.renderIntake(w, r, "track_view", http.StatusOK, p)
}

func (s *Server) postTrackRate(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r.ParseForm()
	p := s.newIntakePage(w, r)
	svc := s.Intake.Service
	access := r.PostFormValue("access")
	in := intake.RatingInput{Rating: r.PostFormValue("rating"), Solved: r.PostFormValue("solved"), Comment: r.PostFormValue("comment")}
	in.Contacted, _ = contactedAnswer(r.PostFormValue("contacted")) // no answer: refused, naming it
	v, err := svc.Rate(r.Context(), clientAddr(r), access, in)
	if err == nil {
		p.View = v
		p.Message = tr(p.Lang, "rate.thanks")
		if v.Ticket.Status == tickets.StatusDispatched {
			p.Message += " " + tr(p.Lang, "rate.reopened")
		}
		s.renderIntake(w, r, "track_view", http.StatusOK, p)
		return
	}
	var fes intake.FieldErrors
	status := http.StatusConflict
	switch {
	case errors.As(err, &fes):
		status = http.StatusBadRequest
		for _, f := range fes {
			p.Errors[f.Field] = fieldMsg(p.Lang, f.Msg)
		}
		p.Message = tr(p.Lang, "form.fix")
		p.Values["rating"], p.Values["comment"] = in.Rating, in.Comment
		p.Values["contacted"], p.Values["solved"] = r.PostFormValue("contacted"), in.Solved
	case errors.Is(err, intake.ErrAlreadyRated):
		p.Message = tr(p.Lang, "rate.already")
	case errors.Is(err, intake.ErrNotRateable):
		p.Message = tr(p.Lang, "rate.notyet")
	case errors.Is(err, intake.ErrNotFound):
		p.Message = tr(p.Lang, "track.expired")
		s.renderIntake(w, r, "track", http.StatusNotFound, p)
		return
	default:
		s.trackFail(w, r, p, err)
		return
	}
	if p.View, err = svc.TrackWithAccess(r.Context(), access); err != nil {
		s.trackFail(w, r, p, err)
		return
	}
	s.renderIntake(w, r, "track_view", status, p)
}

// getTicketPhoto sends a photo a citizen attached, to staff who may see the ticket only.
func (s *Server) getTicketPhoto(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if _, err := s.Tickets.GetFor(r.Context(), actorFrom(r.Context()), number); errors.Is(err, tickets.ErrForbidden) {
		http.Error(w, "this ticket belongs to another department", http.StatusForbidden)
		return
	} else if errors.Is(err, tickets.ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		s.log.ErrorContext(r.Context(), "photo", "ticket_no", number, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	ct, data, err := s.Intake.Service.Photo(r.Context(), number, id)
	if errors.Is(err, intake.ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		s.log.ErrorContext(r.Context(), "photo", "ticket_no", number, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(data)
}
