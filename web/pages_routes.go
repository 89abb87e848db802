package web

// routesPages lists the staff pages.
func (s *Server) routesPages() {}
