package web

// routesAdmin lists the administration pages.
func (s *Server) routesAdmin() {}
