package telephony

import (
	"errors"

	"github.com/emiago/sipgo"

	"github.com/hotline-city/hotline/tickets"
)

// OutcomeCallbackRequested is a call whose caller pressed 1 at the callback offer and left
// the queue for a callback task: neither answered nor abandoned.
const OutcomeCallbackRequested = "callback_requested"

// startWaiting starts what a waiting caller hears and, with the callback offer on, listens
// for its 1.
func (m *callMedia) startWaiting() {
	go m.play()
	if m.offerCallback != nil {
		go m.listenOffer()
	}
}

// listenOffer reads the waiting caller's keys until the prompts stop: a 1 once the callback
// offer has been heard takes it; every other key, and a 1 before the offer, is ignored, so
// that nothing a caller presses delays them.
func (m *callMedia) listenOffer() {
	for {
		select {
		case <-m.stop:
			return
		case d := <-m.digits:
			select {
			case <-m.stop:
				return
			default:
			}
			if d == '1' && m.offered.Load() {
				m.offerCallback()
				return
			}
		}
	}
}

// requestCallback takes a waiting caller's acceptance of the callback offer: the call leaves
// the queue (its record says callback_requested, which makes a callback task with the caller's
// number) and incoming answers the caller with the confirmation. A call an agent answered
// meanwhile goes on as answered.
func (s *Server) requestCallback(c *call) {
	c.mu.Lock()
	if c.callerGone || c.out != nil || c.ended || c.callbackRequested {
		c.mu.Unlock()
		return
	}
	c.callbackRequested = true
	c.mu.Unlock()
	if err := s.queue.Hangup(c.callID); err != nil {
		c.mu.Lock()
		c.callbackRequested = false
		c.mu.Unlock()
		s.log.Info("callback offer taken too late", "call_id", c.callID, "err", err)
		return
	}
	s.log.Info("caller asked to be called back", "call_id", c.callID, "caller", tickets.MaskPhone(c.rec.Caller))
	close(c.released)
}

// confirmCallback answers a caller who asked to be called back, plays the confirmation and
// hangs up. The call is answered, not refused, so that no trunk plays its own "unavailable"
// announcement after ours.
func (s *Server) confirmCallback(c *call, dlg *sipgo.DialogServerSession) {
	if !s.answerForPrompts(c, dlg) {
		return
	}
	c.media.playOnce("callback-confirm")
	s.hangup(c, nil)
}

// answerForPrompts answers the caller's INVITE with hotline's session, for prompts after the
// queue (the callback confirmation, a voice message), and stops the waiting caller's audio. It
// reports whether the call is up; when not, the call is over and forgotten.
func (s *Server) answerForPrompts(c *call, dlg *sipgo.DialogServerSession) bool {
	c.media.stopPrompts()
	noAck, err := s.answerWithin(dlg, c.media.answer)
	c.mu.Lock()
	c.talking = err == nil
	c.callerGone = err != nil
	c.mu.Unlock()
	if err != nil || noAck {
		s.log.Info("answer to caller failed", "call_id", c.callID, "no_ack", noAck, "err", err)
		if err == nil {
			s.hangup(c, nil)
		} else {
			c.closeMedia()
			s.forgetLegs(c)
		}
		return false
	}
	return true
}

// errNoMessage is a voice message with no audio: nothing is stored.
var errNoMessage = errors.New("no audio in the voice message")
