package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/hotline-city/hotline/internal/org"
)

// StaffDeps are what the staff area needs. The zero value is usable: every setting has a
// default. The unexported part is filled while the routes are built.
type StaffDeps struct {
	// SessionLifetime is the longest a login lasts (default 12 hours, a long shift).
	SessionLifetime time.Duration
	// IdleTimeout ends a session nobody used for that long (default 30 minutes).
	IdleTimeout time.Duration
	// SecureCookies is for a site served over HTTPS: the session cookie is Secure and named
	// with the __Host- prefix (this host only, path /), and responses carry HSTS.
	SecureCookies bool
	// BoardPush is how often the board's counts are read again for the open boards while any
	// is open (default two seconds): one read per process, whatever the number of boards, and
	// pushed to them only when a count changed. A change announced on the live stream is read
	// at once.
	BoardPush time.Duration
	// ExportMaxRows is the most rows one export of a list holds (default 100,000); a longer
	// list is refused with a message asking to narrow it.
	ExportMaxRows int

	st *staffState
}

// staffState is what the staff area builds once per server: sessions, cross-origin
// protection, the parsed templates, and the registries other areas add to (navigation,
// protected routes, API documentation).
type staffState struct {
	sessions *scs.SessionManager
	cop      *http.CrossOriginProtection
	pages    map[string]*pageTemplate
	nav      []navEntry
	routes   []staffRoute
	apiDocs  []apiOp
	live     *liveHub
	feed     *boardFeed
	// breaks are the reasons agents gave for their breaks (小休), by extension (desk.go).
	deskMu sync.Mutex
	breaks map[string]string
}

// staff returns the state the staff surfaces share, built by setupStaff before the routes.
func (s *Server) staff() *staffState { return s.Staff.st }

// staffRoute is a route registered through handleStaff, with the roles it admits; the
// authorisation matrix test is generated from these.
type staffRoute struct {
	Pattern string
	Roles   org.RoleSet
}

// handleStaff registers pattern for signed-in staff of roles (nil: any staff role) and records
// it for the authorisation matrix test. staffPages' table (routes.go) calls it:
//
//	s.handleStaff("GET /calls", org.CallTakers, s.getCallsPage)
func (s *Server) handleStaff(pattern string, roles org.RoleSet, h http.HandlerFunc) {
	st := s.staff()
	st.routes = append(st.routes, staffRoute{Pattern: pattern, Roles: roles})
	s.mux.Handle(pattern, s.requireStaff(roles, h))
}

// noSessionKey marks a request whose session could not be loaded.
type noSessionKey struct{}

// setupStaff builds what the staff surfaces share: sessions in PostgreSQL, cross-origin
// protection and the parsed templates (a missing template fails the start, not a click).
func (s *Server) setupStaff() {
	st := &staffState{live: newLiveHub()}
	st.feed = newBoardFeed(s, orDefault(s.Staff.BoardPush, 2*time.Second))
	st.live.changed = st.feed.changed
	s.Staff.st = st
	sm := scs.New()
	sm.Store = s.Accounts.Sessions()
	sm.Lifetime = orDefault(s.Staff.SessionLifetime, 12*time.Hour)
	sm.IdleTimeout = orDefault(s.Staff.IdleTimeout, 30*time.Minute)
	sm.Cookie.Name = "hotline_session"
	if s.Staff.SecureCookies {
		sm.Cookie.Name = "__Host-hotline_session"
		sm.Cookie.Path = "/"
	}
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = s.Staff.SecureCookies
	// The session could not be read (its store is down): the error page must not look the
	// session up again, which scs cannot do without one.
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.serverError(w, r.WithContext(context.WithValue(r.Context(), noSessionKey{}, true)), err)
	}
	st.sessions = sm

	st.cop = http.NewCrossOriginProtection()
	// Open311 clients are other sites' apps by design and authenticate with an api_key, not a
	// cookie, so a cross-site request there forges nothing.
	st.cop.AddInsecureBypassPattern("/open311/")
	st.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, http.StatusForbidden, "cross-origin request refused")
	}))
	s.parseTemplates()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// staffMiddleware are the staff area's wrappers: sessions outside, cross-origin protection
// inside (it needs no session, and refuses before any handler runs).
func (s *Server) staffMiddleware() []func(http.Handler) http.Handler {
	st := s.staff()
	return []func(http.Handler) http.Handler{s.crossOrigin, st.sessions.LoadAndSave, withRemoteAddr}
}

// crossOrigin refuses state-changing requests from other sites (Go's CrossOriginProtection,
// which reads Sec-Fetch-Site and Origin). Requests with a bearer token skip it: a browser never
// attaches one by itself, and scripts send neither header anyway.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	protected := s.staff().cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := bearerToken(r); ok {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

func (s *Server) getHome(w http.ResponseWriter, r *http.Request) {
	st, _, err := s.authenticate(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if st == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, homeFor(st.Role), http.StatusSeeOther)
}
