package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// Responses: the one mapping of domain errors to HTTP (errorStatus) and how each surface renders
// an answer or a refusal. The citizens' pages and Open311 render errorStatus their own way.

// apiError maps an error to the staff API's HTTP answer: the ticket domain's sentinels at the
// edge, a field named for bad input.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, status, body)
}

// errorStatus is the one mapping of domain errors to HTTP: a status and a body naming the
// error and, for bad input, its field. The staff API writes it as JSON, the staff pages as a
// short page, the citizens' pages and Open311 in their own words and formats.
func errorStatus(err error) (int, map[string]string) {
	var fe *tickets.FieldError
	var rfe *routing.FieldError
	var verr *routing.ValidationError
	var bf *badField
	var kfe *kb.FieldError
	var ife intake.FieldErrors
	var wte workcal.TableErrors
	switch {
	case errors.As(err, &wte) && len(wte) > 0:
		return http.StatusBadRequest, map[string]string{"error": wte.Error(), "field": "table"}
	case errors.As(err, &ife) && len(ife) > 0:
		return http.StatusBadRequest, map[string]string{"error": ife[0].Field + ": " + ife[0].Msg, "field": ife[0].Field}
	case errors.As(err, &verr) && len(verr.Problems) > 0:
		p := verr.Problems[0]
		return http.StatusBadRequest, map[string]string{"error": p.Error(), "field": p.Field, "rule": p.Rule}
	case errors.As(err, &fe):
		return http.StatusBadRequest, map[string]string{"error": fe.Error(), "field": fe.Field}
	case errors.As(err, &rfe):
		return http.StatusBadRequest, map[string]string{"error": rfe.Error(), "field": rfe.Field}
	case errors.As(err, &bf):
		return http.StatusBadRequest, map[string]string{"error": bf.Error(), "field": bf.field}
	case errors.As(err, &kfe):
		return http.StatusBadRequest, map[string]string{"error": kfe.Error(), "field": kfe.Field}
	case errors.Is(err, tickets.ErrNotFound), errors.Is(err, org.ErrNotFound), errors.Is(err, routing.ErrNotFound), errors.Is(err, account.ErrNotFound), errors.Is(err, kb.ErrNotFound):
		return http.StatusNotFound, map[string]string{"error": err.Error()}
	case errors.Is(err, tickets.ErrForbidden):
		return http.StatusForbidden, map[string]string{"error": err.Error()}
	case errors.Is(err, tickets.ErrTransition), errors.Is(err, tickets.ErrConflict), errors.Is(err, routing.ErrConflict):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.Is(err, tickets.ErrInvalid), errors.Is(err, telephony.ErrUnknownTarget), errors.Is(err, telephony.ErrBadStatus):
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrNotFound), errors.Is(err, telephony.ErrNotFound):
		return http.StatusNotFound, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrKey):
		return http.StatusForbidden, map[string]string{"error": err.Error()}
	case errors.Is(err, intake.ErrRateLimited):
		return http.StatusTooManyRequests, map[string]string{"error": err.Error()}
	case errors.Is(err, telephony.ErrNoOutbound):
		return http.StatusConflict, map[string]string{"error": "no outbound SIP gateway is configured (HOTLINE_SIP_OUTBOUND): citizens cannot be called back"}
	case errors.Is(err, intake.ErrAlreadyRated), errors.Is(err, intake.ErrNotRateable), errors.Is(err, telephony.ErrNotTransferable),
		errors.Is(err, telephony.ErrCallbackBusy), errors.Is(err, telephony.ErrAgentUnavailable):
		return http.StatusConflict, map[string]string{"error": err.Error()}
	case errors.Is(err, telephony.ErrTransferFailed):
		return http.StatusBadGateway, map[string]string{"error": err.Error()}
	}
	return http.StatusInternalServerError, map[string]string{"error": "internal error"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// refuse answers an error: JSON under /api/, a short page otherwise.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.renderError(w, r, status, msg)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.refuse(w, r, http.StatusInternalServerError, "internal error")
}

func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, viaToken bool) {
	if isAPI(r) || viaToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
		msg := "login required"
		if viaToken {
			msg = "invalid or expired token"
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": msg})
		return
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", "/login")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	next := r.URL.RequestURI()
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
