package telephony

import (
	"context"
	"fmt"

	"github.com/hotline-city/hotline/tickets"
)

// CanCallOut reports whether citizens can be called through an outbound gateway.
func (s *Server) CanCallOut() bool { return s.cfg.Outbound != "" }

// CallCitizen rings the agent at ext and then the citizen at phone through the outbound
// gateway, as a callback does, for the return visit (回访) of ticket number; the agent hears
// how it went as a "visit_call" event on their stream, and records the visit's outcome.
func (s *Server) CallCitizen(ctx context.Context, number, phone, ext string) error {
	if s.cfg.Outbound == "" {
		return fmt.Errorf("call the citizen of %s: %w", number, ErrNoOutbound)
	}
	b, ok := s.reg.lookup(ext)
	if !ok {
		return ErrAgentUnavailable
	}
	s.log.Info("visit call started", "ticket_no", number, "ext", ext, "phone", tickets.MaskPhone(phone))
	// #nosec G118 -- the call outlives the request that started it, by design.
	go func() {
		result := s.dialCallback(CallbackTask{Phone: phone}, b)
		s.log.Info("visit call", "ticket_no", number, "result", result)
		s.hub.publish(b.ext, Event{Type: "visit_call", Extension: b.ext, Result: result, At: s.clock.Now()})
	}()
	return nil
}
