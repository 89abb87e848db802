package web

// RoutingDeps are what the routing area needs.
type RoutingDeps struct{}

// routesRouting lists the routing area's routes.
func (s *Server) routesRouting() {}
