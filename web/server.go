// Package web serves staff, citizens and the API over HTTP.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-city/hotline/evaluation"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/config"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/metrics"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/pgnotify"
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
	// eval computes the scorecards (考评) from its daily aggregate.
	eval *evaluation.Engine
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

	// Listener, when set, carries live updates between processes: a change made through any
	// process reaches the open pages of every process (see publishLive). Without it, only this
	// process's pages hear of changes at once.
	Listener *pgnotify.Listener

	// Evaluation, when set, is the scorecard engine the process refreshes in the background
	// (evaluation.ReadsAsRefreshed); without it every read brings the aggregate up to date first.
	Evaluation *evaluation.Engine

	// BodyTimeout bounds how long a client may take to send a request's body (default two
	// minutes, enough for photos from a phone on a slow network): a client sending a byte now
	// and then holds no connection for ever.
	BodyTimeout time.Duration

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
	s.eval = d.Evaluation
	if s.eval == nil {
		s.eval = evaluation.NewEngine(d.DB, s.location(), d.Clock)
	}
	s.setupStaff()
	if d.Listener != nil {
		go s.relayLive(d.Listener.Subscribe(liveTopic))
	}
	s.routes()
	s.handler = s.branded(s.mux)
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
	// Ready, and says so when a crash of the database could lose what it acknowledges.
	answer := map[string]any{"status": "ready", "durable": true}
	if d, err := database.ReadDurability(ctx, s.db); err == nil && !d.Durable() {
		answer["durable"], answer["warning"] = false, "the database may lose acknowledged writes in a crash: "+d.String()
	}
	writeJSON(w, http.StatusOK, answer)
}

// middleware wraps every request, outermost last.
func (s *Server) middleware() []func(http.Handler) http.Handler {
	return append(s.staffMiddleware(), s.securityHeaders, s.bodyDeadline)
}

// bodyDeadline gives a request with a body a deadline to finish sending it; past it the read
// fails and the connection is closed. Requests without a body (an event stream's GET) keep
// no deadline, so long-lived answers are not cut.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	timeout := s.BodyTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// Not every ResponseWriter can (a test recorder): then there is no socket to bound.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		}
		next.ServeHTTP(w, r)
	})
}

// branded answers what the route tables do not: a path no route matches (404) or a method
// its route does not take (405) gets the site's error page in the reader's language, JSON
// under /api/; a handler that panics gets a 500 the same way instead of a dropped connection.
func (s *Server) branded(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.serverError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		_, pattern := mux.Handler(r)
		metrics.SetRoute(r.Context(), pattern)
		if pattern != "" || strings.HasPrefix(r.URL.Path, open311Base+"/") {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own answer says which: 404, or 405 with the methods allowed.
		rec := &headerRecorder{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		if rec.status != http.StatusNotFound && rec.status != http.StatusMethodNotAllowed {
			mux.ServeHTTP(w, r)
			return
		}
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if isAPI(r) {
			writeJSON(w, rec.status, map[string]string{"error": strings.ToLower(http.StatusText(rec.status))})
			return
		}
		s.renderError(w, r, rec.status, "")
	})
}

// headerRecorder keeps a response's status and headers and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }

func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return len(b), nil
}

func (h *headerRecorder) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

// staffCSP is the Content-Security-Policy of every answer that does not set its own.
const staffCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries; behind TLS (SecureCookies) also
// HSTS, so browsers never speak plain HTTP to the site again.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	secure := s.Staff.SecureCookies
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		// Scripts, styles and everything else from this site only, no inline code and no eval
		// (htmx is configured without either, see the staff layout); pages that need less say
		// so themselves (the citizens' pages, attachments).
		h.Set("Content-Security-Policy", staffCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
