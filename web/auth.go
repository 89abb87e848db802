package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Authentication of staff: a session cookie for people in a browser, a bearer token for
// scripts. Both lead to the same *org.Staff in the request's context, and both are held to the
// same roles and department scope.

type staffCtxKey struct{}

// staffFrom returns the signed-in account of the request, or nil outside requireStaff.
func staffFrom(ctx context.Context) *org.Staff {
	st, _ := ctx.Value(staffCtxKey{}).(*org.Staff)
	return st
}

// actorFrom returns the signed-in account as the actor of ticket actions (the zero Actor
// outside requireStaff, which the ticket machine refuses).
func actorFrom(ctx context.Context) tickets.Actor {
	st := staffFrom(ctx)
	if st == nil {
		return tickets.Actor{}
	}
	return tickets.ActorFor(st)
}

// errRoleRefused is the message of a 403 for a role the route does not admit; tests tell it
// from the ticket domain's own refusals by it.
const errRoleRefused = "your role may not use this"

// requireStaff admits signed-in staff whose role is in roles (nil: any staff role) and puts
// the account in the request's context (staffFrom, actorFrom). Without a login it answers 401
// JSON under /api/ and redirects pages to /login; a role outside roles gets 403. State-changing
// requests riding on the session cookie must come from this site (cross-origin protection);
// bearer-token requests carry no ambient credential and need no such check.
func (s *Server) requireStaff(roles org.RoleSet, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, viaToken, err := s.authenticate(r)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if st == nil {
			s.unauthenticated(w, r, viaToken)
			return
		}
		if !viaToken {
			if err := s.staff().cop.Check(r); err != nil {
				s.refuse(w, r, http.StatusForbidden, "cross-origin request refused")
				return
			}
		}
		if roles != nil && !roles.Has(st.Role) {
			s.refuse(w, r, http.StatusForbidden, errRoleRefused)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), staffCtxKey{}, st)))
	})
}

// bearerToken returns the token of an "Authorization: Bearer" header, and whether there was one.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	return strings.TrimSpace(h[7:]), true
}

// authenticate finds the account of a request: by bearer token when one is sent (and then
// only by it), else by the session. viaToken reports that a bearer token was sent. Nobody
// signed in is a nil account; a database failure is an error, never "not signed in".
func (s *Server) authenticate(r *http.Request) (st *org.Staff, viaToken bool, err error) {
	ctx := r.Context()
	if tok, ok := bearerToken(r); ok {
		st, err := s.Accounts.TokenStaff(ctx, tok)
		if errors.Is(err, account.ErrNotFound) {
			return nil, true, nil
		}
		return st, true, err
	}
	id := s.staff().sessions.GetInt64(ctx, account.SessionStaffKey)
	if id == 0 {
		return nil, false, nil
	}
	st, err = s.Accounts.SessionStaff(ctx, id)
	if errors.Is(err, account.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return st, false, nil
}

// homeFor is where an account lands after login.
func homeFor(role org.Role) string {
	switch role {
	case org.RoleAgent, org.RoleDispatcher:
		return "/console"
	case org.RoleHandler, org.RoleHead:
		return "/workbench"
	case org.RoleAdmin:
		return "/admin"
	}
	return "/board"
}

// safeNext keeps a redirect (after login, after the language switch) on this site: a path
// of this site, as parsed, with no control characters or backslashes, which browsers drop or
// read as slashes ("/\t/evil.example" is "//evil.example" to them). Anything else is "".
func safeNext(next string) string {
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return u.RequestURI()
}

type loginPage struct {
	Username string
	Next     string
	Error    string
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request) {
	if st, _, err := s.authenticate(r); err == nil && st != nil {
		if next := safeNext(r.URL.Query().Get("next")); next != "" {
			http.Redirect(w, r, next, http.StatusSeeOther) // #nosec G710 -- safeNext keeps it on this site.
			return
		}
		http.Redirect(w, r, homeFor(st.Role), http.StatusSeeOther)
		return
	}
	s.renderStaff(w, r, "staff/login.html", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	page := loginPage{Username: username, Next: safeNext(r.PostFormValue("next"))}
	st, err := s.Accounts.Login(ctx, username, password)
	if err != nil {
		status, msg := s.loginRefused(w, r, langOf(r), err)
		page.Error = msg
		s.renderStaffStatus(w, r, status, "staff/login.html", page)
		return
	}
	sm := s.staff().sessions
	// A new token at login, so a session id planted before login is worth nothing after it.
	if err := sm.RenewToken(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	sm.Put(ctx, account.SessionStaffKey, st.ID)
	s.auditAfter(ctx, st, "login", "staff", st.Username, nil)
	next := page.Next
	if next == "" {
		next = homeFor(st.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// loginRefused answers a refused login's status and message, in lang, with
// Retry-After where waiting helps. A refusal that is no answer (the database down) is logged.
func (s *Server) loginRefused(w http.ResponseWriter, r *http.Request, lang string, err error) (int, string) {
	var throttled *account.ThrottledError
	switch {
	case errors.Is(err, account.ErrBadLogin):
		return http.StatusUnauthorized, tr(lang, "login.bad")
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.Wait.Seconds())+1))
		return http.StatusTooManyRequests, tr(lang, "login.throttled")
	case errors.Is(err, org.ErrBusy):
		w.Header().Set("Retry-After", "5")
		return http.StatusServiceUnavailable, tr(lang, "login.busy")
	}
	s.log.ErrorContext(r.Context(), "login failed", "err", err)
	w.Header().Set("Retry-After", "5")
	return http.StatusServiceUnavailable, tr(lang, "login.unavailable")
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	if err := s.staff().sessions.Destroy(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.auditAfter(r.Context(), st, "logout", "staff", st.Username, nil)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// postLogoutEverywhere ends every session of the account, on every machine, and with
// revoke_tokens also its scripts' tokens.
func (s *Server) postLogoutEverywhere(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	if err := s.staff().sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	n, err := s.Accounts.EndSessions(ctx, st.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	detail := map[string]any{"sessions": n + 1}
	if r.PostFormValue("revoke_tokens") != "" {
		if err := s.Accounts.RevokeTokens(ctx, st.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
		detail["tokens_revoked"] = true
	}
	s.auditAfter(ctx, st, "logout_everywhere", "staff", st.Username, detail)
	if isAPI(r) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "logged out everywhere"})
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

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
	if err != nil {
		// The API speaks English to scripts, as its other errors do.
		status, msg := s.loginRefused(w, r, "en", err)
		writeJSON(w, status, map[string]string{"error": msg})
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
	s.auditAfter(r.Context(), st, "token_created", "api_token", fmt.Sprint(row.ID), map[string]any{"name": name})
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "id": row.ID, "expires_at": row.ExpiresAt,
		"username": st.Username, "role": st.Role})
}
