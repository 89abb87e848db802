package web

import "github.com/hotline-city/hotline/escalation"

// EscalationDeps are what the escalation area needs.
type EscalationDeps struct {
	Service *escalation.Service
}

// routesEscalation lists the escalation area's routes.
func (s *Server) routesEscalation() {}
