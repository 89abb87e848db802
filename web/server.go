// Package web serves staff, citizens and the API over HTTP.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/config"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/tickets"
)

// Server holds what the handlers need. Dependencies arrive through New; nothing is global.
type Server struct {
	Deps
	db      *bun.DB
	log     *slog.Logger
	version string
	mux     *http.ServeMux
	handler http.Handler
}

// Deps are the server's dependencies. Each area of the site has its own part, declared in
// that area's file.
type Deps struct {
	DB       *bun.DB
	Log      *slog.Logger
	Version  string
	Config   *config.Config
	Clock    clock.Clock
	Calendar *workcal.Calendar
	// LiveCalendar, when set, is reloaded after an administrator edits the calendar, so this
	// process counts deadlines on the edit at once (the others hear of it by NOTIFY).
	LiveCalendar *workcal.Live
	Org          *org.Store
	Tickets      *tickets.Service
	// KB is the knowledge base agents answer consultations from.
	KB *kb.Service
	// Accounts signs staff in and keeps their sessions, tokens and the audit trail.
	Accounts *account.Service

	Intake     IntakeDeps
	Staff      StaffDeps
	Calls      CallsDeps
	Escalation EscalationDeps
	Routing    RoutingDeps
}

// New builds the server and its routes. Every dependency but the SIP front end is required;
// without one, New says which is missing. Whether the SIP front end is there is decided here,
// once: without it the call-control routes answer 503.
func New(d Deps) (*Server, error) {
	for _, need := range []struct {
		name    string
		missing bool
	}{
		{"DB", d.DB == nil}, {"Log", d.Log == nil}, {"Clock", d.Clock == nil}, {"Calendar", d.Calendar == nil},
		{"Org", d.Org == nil}, {"Tickets", d.Tickets == nil}, {"Accounts", d.Accounts == nil}, {"KB", d.KB == nil},
		{"Routing.Service", d.Routing.Service == nil}, {"Escalation.Service", d.Escalation.Service == nil},
		{"Intake.Service", d.Intake.Service == nil},
	} {
		if need.missing {
			return nil, fmt.Errorf("web: %s is required", need.name)
		}
	}
	s := &Server{Deps: d, db: d.DB, log: d.Log, version: d.Version, mux: http.NewServeMux()}
	s.setupStaff()
	s.routes()
	s.handler = s.mux
	for _, mw := range s.middleware() {
		s.handler = mw(s.handler)
	}
	return s, nil
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.version})
}

// readyz answers 200 only when the database answers and every migration is applied, so a load
// balancer sends no traffic to a process that cannot serve it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "database unreachable"})
		return
	}
	pending, err := database.Pending(ctx, s.db)
	if err != nil || len(pending) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "migrations not applied", "pending": pending})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
}

// middleware wraps every request, outermost last.
func (s *Server) middleware() []func(http.Handler) http.Handler {
	return append(s.staffMiddleware(), s.securityHeaders)
}

// securityHeaders sets the headers every response carries; behind TLS (SecureCookies) also
// HSTS, so browsers never speak plain HTTP to the site again.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	secure := s.Staff.SecureCookies
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
