package web

import "net/http"

// StaffDeps are what the staff area needs.
type StaffDeps struct{}

// routesStaff lists the staff area's routes.
func (s *Server) routesStaff() {}

// staffMiddleware are the staff area's wrappers (sessions, cross-origin protection).
func (s *Server) staffMiddleware() []func(http.Handler) http.Handler { return nil }
