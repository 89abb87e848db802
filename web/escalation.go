package web

// EscalationDeps are what the escalation area needs.
type EscalationDeps struct{}

// routesEscalation lists the escalation area's routes.
func (s *Server) routesEscalation() {}
