package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

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
func (s *Server) requireStaff(roles []string, h http.HandlerFunc) http.Handler {
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
		if roles != nil && !slices.Contains(roles, st.Role) {
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
// only by it), else by the session. viaToken reports that a bearer token was sent.
func (s *Server) authenticate(r *http.Request) (st *org.Staff, viaToken bool, err error) {
	ctx := r.Context()
	if tok, ok := bearerToken(r); ok {
		st, err := s.staffByToken(ctx, tok)
		return st, true, err
	}
	sm := s.staff().sessions
	if sm == nil {
		return nil, false, nil
	}
	id := sm.GetInt64(ctx, sessionStaffKey)
	if id == 0 {
		return nil, false, nil
	}
	st, err = s.Org.StaffByID(ctx, id)
	if errors.Is(err, org.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	if !st.Active {
		return nil, false, nil
	}
	return st, false, nil
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

// Login results other than success.
var (
	errBadLogin = errors.New("wrong username or password")
	errLocked   = errors.New("account locked after repeated failed logins")
)

// lockedError says until when an account is locked.
type lockedError struct{ until time.Time }

func (e *lockedError) Error() string { return errLocked.Error() }
func (e *lockedError) Unwrap() error { return errLocked }

// checkLogin checks a username and password. Unknown accounts cost the same argon2id work as
// known ones, so timing does not tell which usernames exist. Repeated failures lock the
// account for a while; a locked account is refused even with the right password.
func (s *Server) checkLogin(ctx context.Context, username, password string) (*org.Staff, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	st, err := s.Org.Staff(ctx, username)
	if errors.Is(err, org.ErrNotFound) || (err == nil && !st.Active) {
		org.CheckPassword(s.staff().dummyHash, password)
		return nil, errBadLogin
	} else if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if st.LockedUntil != nil && st.LockedUntil.After(now) {
		return nil, &lockedError{until: *st.LockedUntil}
	}
	ok, err := org.CheckPassword(st.PasswordHash, password)
	if err != nil && !errors.Is(err, org.ErrBadHash) {
		return nil, err
	}
	if !ok {
		until, err := s.Org.RecordLoginFailure(ctx, st.ID, now, s.Staff.maxFailedLogins(), s.Staff.lockoutDuration())
		if err != nil {
			return nil, err
		}
		if until != nil {
			s.log.WarnContext(ctx, "account locked after failed logins", "username", st.Username, "until", until)
			s.audit(ctx, s.db, nil, "account_locked", "staff", st.Username, map[string]any{"until": until})
		}
		return nil, errBadLogin
	}
	if err := s.Org.RecordLoginSuccess(ctx, st.ID); err != nil {
		return nil, err
	}
	return st, nil
}

// apiToken is a row of api_tokens.
type apiToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:tok"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	StaffID    int64      `bun:"staff_id" json:"staff_id"`
	Name       string     `bun:"name" json:"name"`
	TokenHash  string     `bun:"token_hash" json:"-"`
	CreatedAt  time.Time  `bun:"created_at" json:"created_at"`
	ExpiresAt  *time.Time `bun:"expires_at" json:"expires_at,omitempty"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
	Username   string     `bun:"username,scanonly" json:"username,omitempty"`
}

// tokenLifetime is how long a script's token lasts.
const tokenLifetime = 90 * 24 * time.Hour

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// newToken issues a token for st; only its hash is stored, so the token is shown once.
func (s *Server) newToken(ctx context.Context, st *org.Staff, name string) (string, *apiToken, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	tok := "hl_" + base64.RawURLEncoding.EncodeToString(b)
	now := s.Clock.Now()
	exp := now.Add(tokenLifetime)
	row := &apiToken{StaffID: st.ID, Name: name, TokenHash: hashToken(tok), CreatedAt: now, ExpiresAt: &exp}
	if _, err := s.db.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	return tok, row, nil
}

// staffByToken returns the active account of a valid token, or nil.
func (s *Server) staffByToken(ctx context.Context, tok string) (*org.Staff, error) {
	if tok == "" {
		return nil, nil
	}
	var row apiToken
	now := s.Clock.Now()
	err := s.db.NewSelect().Model(&row).
		Where("token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", hashToken(tok), now).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	st, err := s.Org.StaffByID(ctx, row.StaffID)
	if err != nil || !st.Active {
		return nil, nil
	}
	// last_used_at is a hint for administrators; a minute's precision spares a write per call.
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		s.db.NewUpdate().Model((*apiToken)(nil)).Set("last_used_at = ?", now).Where("id = ?", row.ID).Exec(ctx)
	}
	return st, nil
}

// revokeToken revokes token id; by may revoke its own tokens, an administrator anyone's.
func (s *Server) revokeToken(ctx context.Context, by *org.Staff, id int64) error {
	q := s.db.NewUpdate().Model((*apiToken)(nil)).Set("revoked_at = ?", s.Clock.Now()).
		Where("id = ? AND revoked_at IS NULL", id)
	if by.Role != org.RoleAdmin {
		q = q.Where("staff_id = ?", by.ID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, org.ErrNotFound)
	}
	return nil
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
	st, err := s.checkLogin(r.Context(), username, password)
	var locked *lockedError
	switch {
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", fmt.Sprint(int(time.Until(locked.until).Seconds())+1))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "account locked after repeated failed logins; try again later"})
		return
	case errors.Is(err, errBadLogin):
		s.audit(r.Context(), s.db, nil, "login_failed", "staff", strings.ToLower(username), map[string]any{"via": "token"})
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": errBadLogin.Error()})
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	name := f.get("name")
	if name == "" {
		name = "script"
	}
	tok, row, err := s.newToken(r.Context(), st, name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.audit(r.Context(), s.db, st, "token_created", "api_token", fmt.Sprint(row.ID), map[string]any{"name": name})
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "id": row.ID, "expires_at": row.ExpiresAt,
		"username": st.Username, "role": st.Role})
}

// homeFor is where an account lands after login.
func homeFor(role string) string {
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

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	return next
}

type loginPage struct {
	Username string
	Next     string
	Error    string
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request) {
	if st, _, err := s.authenticate(r); err == nil && st != nil {
		if next := safeNext(r.URL.Query().Get("next")); next != "" {
			http.Redirect(w, r, next, http.StatusSeeOther)
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
	st, err := s.checkLogin(ctx, username, password)
	lang := langOf(r)
	var locked *lockedError
	switch {
	case errors.As(err, &locked):
		page.Error = tr(lang, "login.locked")
		s.renderStaffStatus(w, r, http.StatusTooManyRequests, "staff/login.html", page)
		return
	case errors.Is(err, errBadLogin):
		s.audit(ctx, s.db, nil, "login_failed", "staff", strings.ToLower(username), map[string]any{"via": "page"})
		page.Error = tr(lang, "login.bad")
		s.renderStaffStatus(w, r, http.StatusUnauthorized, "staff/login.html", page)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	sm := s.staff().sessions
	// A new token at login, so a session id planted before login is worth nothing after it.
	if err := sm.RenewToken(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	sm.Put(ctx, sessionStaffKey, st.ID)
	s.audit(ctx, s.db, st, "login", "staff", st.Username, nil)
	next := page.Next
	if next == "" {
		next = homeFor(st.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	if err := s.staff().sessions.Destroy(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.audit(r.Context(), s.db, st, "logout", "staff", st.Username, nil)
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
	n, err := s.staff().store.deleteForStaff(ctx, st.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	detail := map[string]any{"sessions": n + 1}
	if r.PostFormValue("revoke_tokens") != "" {
		if _, err := s.db.NewUpdate().Model((*apiToken)(nil)).Set("revoked_at = ?", s.Clock.Now()).
			Where("staff_id = ? AND revoked_at IS NULL", st.ID).Exec(ctx); err != nil {
			s.serverError(w, r, err)
			return
		}
		detail["tokens_revoked"] = true
	}
	s.audit(ctx, s.db, st, "logout_everywhere", "staff", st.Username, detail)
	if isAPI(r) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "logged out everywhere"})
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
