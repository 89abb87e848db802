package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/org"
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
	switch {
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

// postTokens is POST /api/v1/tokens: a username and password in, a bearer token out.
func (s *Server) postTokens(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	username, password := f.get("username"), f.get("password")
	if username == "" || password == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "username and password are required", "field": "username"})
		return
	}
	st, err := s.Accounts.Login(r.Context(), username, password)
	var locked *account.LockedError
	switch {
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", fmt.Sprint(int(time.Until(locked.Until).Seconds())+1))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "account locked after repeated failed logins; try again later"})
		return
	case errors.Is(err, account.ErrBadLogin):
		s.Accounts.RecordAfter(r.Context(), account.Change{Action: "login_failed", ObjectType: "staff", ObjectKey: strings.ToLower(username), Detail: map[string]any{"via": "token"}})
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": account.ErrBadLogin.Error()})
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	name := f.get("name")
	if name == "" {
		name = "script"
	}
	tok, row, err := s.Accounts.IssueToken(r.Context(), st, name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.Accounts.RecordAfter(r.Context(), account.Change{Action: "token_created", ObjectType: "api_token", ObjectKey: fmt.Sprint(row.ID), Detail: map[string]any{"name": name}}.By(st))
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "id": row.ID, "expires_at": row.ExpiresAt,
		"username": st.Username, "role": st.Role})
}
