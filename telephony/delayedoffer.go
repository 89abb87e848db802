package telephony

import (
	"strconv"
	"time"

	"github.com/emiago/diago/media/sdp"
)

// A re-INVITE without SDP (a delayed offer, RFC 3261 section 14 and RFC 3264) asks the
// answerer for an offer: it comes back in the 200, and the answer to it comes in the ACK.
// Passing such a re-INVITE on (signalling only), hotline's ACK to the other leg must carry
// that answer; with media anchored the offer is hotline's own session and the other leg never
// hears of it.

// awaitAck arranges for the body of the next ACK on l to be sent on the channel returned.
func (l *leg) awaitAck() chan []byte {
	ch := make(chan []byte, 1)
	l.c.mu.Lock()
	l.acked = ch
	l.c.mu.Unlock()
	return ch
}

// answerFromAck waits for the ACK on l at most AckWait and returns the answer it carries;
// nil when it never came or carried none.
func (s *Server) answerFromAck(l *leg, acked chan []byte) []byte {
	t := time.NewTimer(s.cfg.AckWait)
	defer t.Stop()
	select {
	case body := <-acked:
		if len(body) == 0 {
			s.log.Warn("ack to a delayed offer without an answer", "call_id", l.c.callID)
		}
		return body
	case <-t.C:
		l.c.mu.Lock()
		if l.acked == acked {
			l.acked = nil
		}
		l.c.mu.Unlock()
		s.log.Warn("no ack to a delayed offer", "call_id", l.c.callID)
		return nil
	}
}

// checkMediaAnswer takes the answer to hotline's offer on l: it must keep the codec the leg
// is sent (hotline offered its whole session again, and the audio goes on unchanged); an
// answer without it is logged, and the peer's new address, if any, is learnt from its RTP.
func (s *Server) checkMediaAnswer(l *leg, answer []byte) {
	if len(answer) == 0 || l.c.media == nil {
		return
	}
	ep := l.c.media.caller
	if l != l.c.in {
		if ep = l.c.media.endpointOf(l.id); ep == nil {
			return
		}
	}
	sd := sdp.SessionDescription{}
	if err := sdp.Unmarshal(answer, &sd); err != nil {
		s.log.Warn("answer in ack unreadable", "call_id", l.c.callID, "err", err)
		return
	}
	md, err := sd.MediaDescription("audio")
	if err != nil {
		s.log.Warn("answer in ack without audio", "call_id", l.c.callID, "err", err)
		return
	}
	for _, f := range md.Formats {
		if f == strconv.Itoa(int(ep.codec.PayloadType)) {
			return
		}
	}
	s.log.Warn("answer in ack drops the call's codec", "call_id", l.c.callID, "codec", ep.codec.Name, "formats", md.Formats)
}
