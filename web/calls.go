package web

// CallsDeps are what the calls area needs.
type CallsDeps struct{}

// routesCalls lists the calls area's routes.
func (s *Server) routesCalls() {}
