package web

// IntakeDeps are what the intake area needs.
type IntakeDeps struct{}

// routesIntake lists the intake area's routes.
func (s *Server) routesIntake() {}
