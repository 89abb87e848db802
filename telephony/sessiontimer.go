package telephony

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028) on every leg of a call: a leg whose peer died without a BYE (a
// killed phone, a lost gateway) is found by a refresh that fails or by a refresh that never
// comes, and the call is then hung up on all its legs. With media off this is the only thing
// that ends such a call; with media on the RTP timeout usually comes first.

// SessionTimerConfig tunes the session timers.
type SessionTimerConfig struct {
	// Expires is the session interval hotline asks for and grants at most; zero means
	// DefaultSessionExpires.
	Expires time.Duration
	// MinSE is the shortest session interval hotline accepts (Min-SE); a caller asking for
	// less is answered 422. Zero means DefaultMinSE, the RFC's 90 s.
	MinSE time.Duration
}

// Defaults of the session timers.
const (
	DefaultSessionExpires = 30 * time.Minute
	DefaultMinSE          = 90 * time.Second
)

func (c SessionTimerConfig) withDefaults() SessionTimerConfig {
	if c.MinSE <= 0 {
		c.MinSE = DefaultMinSE
	}
	if c.Expires <= 0 {
		c.Expires = DefaultSessionExpires
	}
	c.Expires = max(c.Expires, c.MinSE)
	return c
}

// EndSessionExpired is a call's end reason when a leg's session expired or its refresh
// failed: the peer is gone without a BYE.
const EndSessionExpired = "session_expired"

// sessionTimer is the session timer of one leg. Under its own mutex, never under c.mu.
type sessionTimer struct {
	mu       sync.Mutex
	interval time.Duration
	// refresher: hotline refreshes the session; otherwise the peer must, and the session
	// expires when it does not.
	refresher bool
	// update: the peer accepts UPDATE, the cheaper refresh (no SDP).
	update bool
	// alive is when the peer was last known alive (the answer or a refresh), on the
	// server's clock.
	alive time.Time
	timer *time.Timer
	gen   int
}

// headered is a request or a response.
type headered interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// seconds are an interval as Session-Expires and Min-SE carry it.
func seconds(d time.Duration) string { return strconv.Itoa(int((d + time.Second - 1) / time.Second)) }

// sessionExpires reads a message's Session-Expires (compact form x): its interval and
// refresher parameter ("uac", "uas" or "").
func sessionExpires(m headered) (interval time.Duration, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	parts := strings.Split(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n <= 0 {
		return 0, "", false
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// minSE reads a message's Min-SE; zero without one.
func minSE(m headered) time.Duration {
	h := m.GetHeader("Min-SE")
	if h == nil {
		return 0
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// hasOption reports whether any header name (Supported, Require, Allow; compact k for
// Supported) of m lists token.
func hasOption(m headered, name, token string) bool {
	names := []string{name}
	if strings.EqualFold(name, "Supported") {
		names = append(names, "k")
	}
	for _, n := range names {
		for _, h := range m.GetHeaders(n) {
			for _, t := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
	}
	return false
}

// tooShort answers 422 Session Interval Too Small to a caller's INVITE asking for a session
// interval below hotline's minimum, and reports whether it did.
func (s *Server) tooShort(req *sip.Request, tx sip.ServerTransaction) bool {
	se, _, ok := sessionExpires(req)
	if !ok || se >= s.cfg.Session.MinSE {
		return false
	}
	s.respond(tx, req, 422, "Session Interval Too Small", sip.NewHeader("Min-SE", seconds(s.cfg.Session.MinSE)))
	return true
}

// answerTimer negotiates the session timer of a leg hotline answers from the peer's request
// (the INVITE or a refresh), keeping prev's choices where the request says nothing, and
// returns it with the headers for the 2xx. Hotline refreshes unless the peer asks to.
func (s *Server) answerTimer(req *sip.Request, prev *sessionTimer) (*sessionTimer, []sip.Header) {
	st := &sessionTimer{interval: s.cfg.Session.Expires, refresher: true, update: hasOption(req, "Allow", "UPDATE")}
	if prev != nil {
		prev.mu.Lock()
		st.interval, st.refresher = prev.interval, prev.refresher
		st.update = st.update || prev.update
		prev.mu.Unlock()
	}
	se, refresher, ok := sessionExpires(req)
	if ok {
		st.interval = max(min(se, s.cfg.Session.Expires), s.cfg.Session.MinSE)
	}
	// Never below the minimum the peer can bear (RFC 4028 section 9).
	st.interval = max(st.interval, minSE(req))
	supported := hasOption(req, "Supported", "timer") || hasOption(req, "Require", "timer")
	switch {
	case !supported:
		st.refresher = true
	case refresher == "uac":
		st.refresher = false
	case refresher == "uas":
		st.refresher = true
	}
	who := "uas"
	hs := []sip.Header{sip.NewHeader("Supported", "timer")}
	if !st.refresher {
		who = "uac"
		hs = append(hs, sip.NewHeader("Require", "timer"))
	}
	hs = append(hs, sip.NewHeader("Session-Expires", seconds(st.interval)+";refresher="+who))
	return st, hs
}

// offerTimerHeaders are the session timer headers of an INVITE hotline sends: it asks to be
// the refresher (refresher=uac).
func (s *Server) offerTimerHeaders() []sip.Header {
	return []sip.Header{
		sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Allow", allowed),
		sip.NewHeader("Session-Expires", seconds(s.cfg.Session.Expires)+";refresher=uac"),
		sip.NewHeader("Min-SE", seconds(s.cfg.Session.MinSE)),
	}
}

// answeredTimer is the session timer of a leg hotline placed, from the peer's 2xx. A peer
// that knows no session timers (no Session-Expires in its answer) is refreshed all the same
// with re-INVITEs, which every phone answers: a dead phone is thus found.
func (s *Server) answeredTimer(res *sip.Response) *sessionTimer {
	st := &sessionTimer{interval: s.cfg.Session.Expires, refresher: true, update: hasOption(res, "Allow", "UPDATE")}
	if se, refresher, ok := sessionExpires(res); ok {
		st.interval = max(se, s.cfg.Session.MinSE)
		st.refresher = refresher != "uas"
	}
	return st
}

// startTimer arms l's session timer st from now: the leg is up.
func (s *Server) startTimer(l *leg, st *sessionTimer) {
	if st == nil {
		return
	}
	l.c.mu.Lock()
	l.st = st
	l.c.mu.Unlock()
	st.mu.Lock()
	st.alive = s.clock.Now()
	st.mu.Unlock()
	s.armTimer(l, st)
}

// armTimer schedules st's next step: a refresh at half the interval when hotline refreshes,
// else the expiry at interval − min(32 s, interval/3) (RFC 4028 section 10).
func (s *Server) armTimer(l *leg, st *sessionTimer) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.gen++
	gen := st.gen
	d := st.interval - min(32*time.Second, st.interval/3)
	if st.refresher {
		d = st.interval / 2
	}
	if st.timer != nil {
		st.timer.Stop()
	}
	st.timer = time.AfterFunc(d, func() { s.timerFired(l, st, gen) })
}

// timerFired refreshes the session or ends the call whose session expired.
func (s *Server) timerFired(l *leg, st *sessionTimer, gen int) {
	st.mu.Lock()
	stale := gen != st.gen
	refresher := st.refresher
	st.mu.Unlock()
	if stale || !s.legLive(l, st) {
		return
	}
	if refresher {
		s.refreshSession(l, st)
		return
	}
	s.log.Warn("session expired: no refresh from the peer; hanging up", "call_id", l.c.callID, "leg", l.id)
	s.sessionEnded(l, st)
}

// legLive reports whether l is still a leg of a live call, timed by st.
func (s *Server) legLive(l *leg, st *sessionTimer) bool {
	s.mu.Lock()
	live := s.legs[l.id] == l
	s.mu.Unlock()
	l.c.mu.Lock()
	defer l.c.mu.Unlock()
	return live && !l.c.ended && l.st == st
}

// refreshed notes a refresh the peer sent on l (a re-INVITE or UPDATE answered 2xx) and
// returns the session timer headers of the answer.
func (s *Server) refreshed(l *leg, req *sip.Request) []sip.Header {
	l.c.mu.Lock()
	prev := l.st
	l.c.mu.Unlock()
	st, hs := s.answerTimer(req, prev)
	if prev == nil {
		// The leg is not up yet (the answer to the caller is under way): it is armed then.
		return hs
	}
	prev.mu.Lock()
	prev.interval, prev.refresher, prev.update = st.interval, st.refresher, st.update
	prev.alive = s.clock.Now()
	prev.mu.Unlock()
	s.armTimer(l, prev)
	return hs
}

// alive notes that l's peer answered a request hotline sent it (a re-INVITE passed on).
func (s *Server) alive(l *leg) {
	l.c.mu.Lock()
	st := l.st
	l.c.mu.Unlock()
	if st == nil {
		return
	}
	st.mu.Lock()
	st.alive = s.clock.Now()
	st.mu.Unlock()
	s.armTimer(l, st)
}

// refreshSession sends the session refresh on l: UPDATE without a body when the peer
// accepts it, else a re-INVITE with the leg's unchanged SDP. A refresh that times out or is
// answered 408 or 481 ends the call (RFC 4028 section 10); another refusal is tried again
// until the session would expire.
func (s *Server) refreshSession(l *leg, st *sessionTimer) {
	for attempt := 0; attempt < 3; attempt++ {
		st.mu.Lock()
		interval, update, alive := st.interval, st.update, st.alive
		st.mu.Unlock()
		method := sip.INVITE
		var body []byte
		if update {
			method = sip.UPDATE
		} else if body = s.localSDP(l); len(body) == 0 {
			// Nothing to offer again (a late offer answered in an ACK): no refresh.
			return
		}
		req := sip.NewRequest(method, l.remoteTarget())
		who := "uac"
		req.AppendHeader(sip.NewHeader("Supported", "timer"))
		req.AppendHeader(sip.NewHeader("Session-Expires", seconds(interval)+";refresher="+who))
		req.AppendHeader(sip.NewHeader("Min-SE", seconds(s.cfg.Session.MinSE)))
		req.AppendHeader(&s.dialogUA(l.transport()).ContactHDR)
		if len(body) > 0 {
			req.SetBody(body)
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		res, err := l.do(ctx, req)
		cancel()
		if err == nil && res.IsSuccess() && method == sip.INVITE {
			s.ackLeg(l, nil)
		}
		if !s.legLive(l, st) {
			return
		}
		switch {
		case err != nil || res.StatusCode == 408 || res.StatusCode == 481:
			code := 0
			if res != nil {
				code = res.StatusCode
			}
			s.log.Warn("session refresh failed; hanging up", "call_id", l.c.callID, "leg", l.id, "code", code, "err", err)
			s.sessionEnded(l, st)
			return
		case res.IsSuccess():
			st.mu.Lock()
			st.alive = s.clock.Now()
			if se, refresher, ok := sessionExpires(res); ok {
				st.interval = max(se, s.cfg.Session.MinSE)
				st.refresher = refresher != "uas"
			}
			st.mu.Unlock()
			s.armTimer(l, st)
			return
		case res.StatusCode == 422:
			st.mu.Lock()
			st.interval = max(st.interval, minSE(res))
			st.mu.Unlock()
		case method == sip.UPDATE && (res.StatusCode == 405 || res.StatusCode == 501):
			st.mu.Lock()
			st.update = false
			st.mu.Unlock()
		default:
			// Refused for another reason (491 glare, 500): the session lasts until it
			// expires; try again a little later, once.
			wait := min(interval/4, 2*time.Second)
			if s.clock.Now().Add(wait).After(alive.Add(interval)) {
				s.sessionEnded(l, st)
				return
			}
			time.Sleep(wait)
		}
	}
	s.sessionEnded(l, st)
}

// localSDP is the session description hotline last gave l's peer: the refresh offers it
// again unchanged.
func (s *Server) localSDP(l *leg) []byte {
	c := l.c
	if c.media != nil {
		if l == c.in {
			return c.media.answer
		}
		if ep := c.media.endpointOf(l.id); ep != nil {
			return ep.local
		}
		return nil
	}
	if l.uas != nil {
		if r := l.uas.InviteResponse; r != nil {
			return r.Body()
		}
		return nil
	}
	return l.uac.InviteRequest.Body()
}

// transport is the leg's SIP transport, lower case.
func (l *leg) transport() string {
	if l.uas != nil {
		return sip.NetworkToLower(l.uas.InviteRequest.Transport())
	}
	return sip.NetworkToLower(l.uac.InviteRequest.Transport())
}

// sessionEnded ends the call of a leg whose session expired or whose refresh failed: every
// leg gets a BYE, the agent is freed, and the record's end reason is session_expired with
// its talk time ending when the peer was last known alive.
func (s *Server) sessionEnded(l *leg, st *sessionTimer) {
	st.mu.Lock()
	alive := st.alive
	st.gen++ // nothing more from this timer
	st.mu.Unlock()
	c := l.c
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.rec.EndReason = EndSessionExpired
	if c.mediaStopped.IsZero() || alive.Before(c.mediaStopped) {
		c.mediaStopped = alive
	}
	c.mu.Unlock()
	s.hangup(c, nil)
}

// onUpdate answers an UPDATE within a call (RFC 3311), which phones send as the session
// refresh: 200 with the session timer and, to an offer, hotline's unchanged SDP; the session
// itself never changes by UPDATE.
func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	var body []byte
	if len(req.Body()) > 0 {
		if body = s.localSDP(l); len(body) == 0 {
			s.respond(tx, req, 488, "Not Acceptable Here")
			return
		}
	}
	if l.uas != nil {
		l.uas.ReadRequest(req, tx)
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.AppendHeader(&s.dialogUA(req.Transport()).ContactHDR)
	for _, h := range s.refreshed(l, req) {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond update", "err", err)
	}
}
