package web

import (
	"errors"
	"net/http"

	"github.com/hotline-city/hotline/intake"
)

// The rating link sent by SMS when a ticket is resolved (/rate/{token}): the three questions
// of /track without looking the ticket up, recorded as a return visit of the sms channel. A
// link used already, past its time or for a resolution since reopened gets a page that says
// so in the citizen's language, and nothing is recorded.

type rateLinkPage struct {
	*intakePage
	Link      *intake.RatingLinkView
	RateToken string
	Failed    bool
}

func (s *Server) getRateLink(w http.ResponseWriter, r *http.Request) {
	p := &rateLinkPage{intakePage: s.newIntakePage(w, r), RateToken: r.PathValue("token")}
	link, err := s.Intake.Service.OpenRatingLink(r.Context(), p.RateToken)
	if err != nil {
		s.rateLinkFail(w, r, p, err)
		return
	}
	p.Link = link
	s.renderRateLink(w, r, http.StatusOK, p)
}

func (s *Server) postRateLink(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r.ParseForm()
	p := &rateLinkPage{intakePage: s.newIntakePage(w, r), RateToken: r.PathValue("token")}
	in := intake.RatingInput{Rating: r.PostFormValue("rating"), Solved: r.PostFormValue("solved"), Comment: r.PostFormValue("comment")}
	in.Contacted, _ = contactedAnswer(r.PostFormValue("contacted"))
	_, err := s.Intake.Service.RateByLink(r.Context(), clientAddr(r), p.RateToken, in)
	var fes intake.FieldErrors
	switch {
	case err == nil:
		p.Message = tr(p.Lang, "rate.thanks")
		s.renderRateLink(w, r, http.StatusOK, p)
	case errors.As(err, &fes):
		for _, f := range fes {
			p.Errors[f.Field] = fieldMsg(p.Lang, f.Msg)
		}
		p.Message, p.Failed = tr(p.Lang, "form.fix"), true
		p.Values["rating"], p.Values["comment"] = in.Rating, in.Comment
		p.Values["contacted"], p.Values["solved"] = r.PostFormValue("contacted"), in.Solved
		if p.Link, err = s.Intake.Service.OpenRatingLink(r.Context(), p.RateToken); err != nil {
			s.rateLinkFail(w, r, p, err)
			return
		}
		s.renderRateLink(w, r, http.StatusBadRequest, p)
	default:
		s.rateLinkFail(w, r, p, err)
	}
}

// rateLinkFail says why the link cannot be used: 409 used already, 410 expired, 429 too many
// tries; an outage is the server's error page (503).
func (s *Server) rateLinkFail(w http.ResponseWriter, r *http.Request, p *rateLinkPage, err error) {
	p.Failed, p.Link = true, nil
	switch {
	case errors.Is(err, intake.ErrAlreadyRated):
		p.Message = tr(p.Lang, "ratelink.used")
		s.renderRateLink(w, r, http.StatusConflict, p)
	case errors.Is(err, intake.ErrLinkExpired), errors.Is(err, intake.ErrNotRateable):
		p.Message = tr(p.Lang, "ratelink.expired")
		s.renderRateLink(w, r, http.StatusGone, p)
	case errors.Is(err, intake.ErrRateLimited):
		p.Message = tr(p.Lang, "track.ratelimited")
		s.renderRateLink(w, r, http.StatusTooManyRequests, p)
	default:
		s.intakeServerError(w, r, err)
	}
}

func (s *Server) renderRateLink(w http.ResponseWriter, r *http.Request, status int, p *rateLinkPage) {
	w.Header().Set("Content-Security-Policy", intakeCSP)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the path
	s.execute(w, r, status, "public/rate_link.html", "layout.html", p)
}
