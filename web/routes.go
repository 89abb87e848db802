package web

import "net/http"

// routes is the table of every route; each area lists its own routes in its routes* method.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.routesIntake()      // Open311, /complain, /track (intake.go)
	s.routesStaff()       // login, sessions, staff pages, /api/v1 (staff.go)
	s.routesCalls()       // /api/v1/calls and the console's call views (calls.go)
	s.routesEscalation()  // supervision, extensions, notifications (escalation.go)
	s.routesRouting()     // routing rules administration and dry run (routing.go)
	s.routesOpen311Keys() // Open311 API keys administration (admin_open311_keys.go)
	s.routesAdminAPI()    // administration under /api/v1/admin (api_admin.go)
	s.routesAttachments() // files sent with results and feedback (attachments.go)
}

// middleware wraps every request, outermost last.
func (s *Server) middleware() []func(http.Handler) http.Handler {
	return append(s.staffMiddleware(), securityHeaders)
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
