package telephony

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// sipTimeout bounds one in-dialog request (BYE, re-INVITE, NOTIFY).
const sipTimeout = 32 * time.Second

// call is one citizen's call through the B2BUA: the caller's leg, which we answer as a
// user agent server, and the leg to the agent (later perhaps to 110), which we place as a
// user agent client. The queue knows the call by the caller leg's Call-ID.
type call struct {
	callID    string // the caller leg's Call-ID, the queue's key
	inviteKey string // the caller's INVITE, remembered when the call ends (inviteKey)
	in        *leg

	answered  chan []byte      // the agent's SDP, once the queue accepted the answer
	abandoned chan acd.Outcome // the queue gave up on the call
	up        chan struct{}    // closed once the call is talking; nil on a callback
	released  chan struct{}    // closed when the caller took the callback offer (offer.go)

	mu          sync.Mutex
	rec         Record
	ringing     map[string]context.CancelFunc // offers in flight, by extension
	out         *leg                          // the bridged leg: agent, or the transfer target
	agent       *leg                          // the agent's leg while the agent is on the call
	callerGone  bool                          // the caller cancelled or the answer to them failed
	talking     bool                          // both legs up
	ended       bool                          // hung up; only records are left to write
	finished    bool                          // the queue has reported the call
	transferred bool
	transfering bool

	// media is the call's audio through hotline; nil with media off.
	media *callMedia
	// surveyed: the agent hung up and the caller was kept for the post-call survey.
	surveyed bool
	// mediaStopped is when the last audio came from the side that went silent, which ended
	// the call (the talk ends there); zero otherwise.
	mediaStopped time.Time
	// over is closed once a call hotline placed (dialOut) has ended; nil for other calls.
	over chan struct{}
	// monitor is a supervisor on the call (monitor.go), monitoring while their phone rings;
	// consult the party of a three-way consult (consult.go).
	monitor    *monitorSession
	monitoring bool
	consult    *consultSession
	// callbackRequested: the caller took the callback offer and left the queue.
	callbackRequested bool
}

// leg is one dialog of a call. Exactly one of uas and uac is set.
type leg struct {
	c   *call
	id  string
	ext string // the agent's extension on an agent leg
	uas *sipgo.DialogServerSession
	uac *sipgo.DialogClientSession
	// acked receives the body of the next ACK on the leg: a re-INVITE without SDP was
	// answered with an offer, and the answer comes in the ACK (delayedoffer.go). Under c.mu.
	acked chan []byte
	// released: the call went on without this leg (an agent who transferred it by REFER):
	// its BYE ends the leg only.
	released atomic.Bool
	// st is the leg's session timer (RFC 4028, sessiontimer.go) once it is up. Under c.mu.
	st *sessionTimer
}

func (l *leg) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if l.uas != nil {
		return l.uas.Do(ctx, req)
	}
	return l.uac.Do(ctx, req)
}

func (l *leg) bye(ctx context.Context) error {
	if l.uas != nil {
		return l.uas.Bye(ctx)
	}
	return l.uac.Bye(ctx)
}

// remoteTarget is where in-dialog requests of the leg go: the peer's Contact.
func (l *leg) remoteTarget() sip.Uri {
	if l.uas != nil {
		return *l.uas.InviteRequest.Contact().Address.Clone()
	}
	if c := l.uac.InviteResponse.Contact(); c != nil {
		return *c.Address.Clone()
	}
	return *l.uac.InviteRequest.Recipient.Clone()
}

// snapshot returns a copy of the call's record. Runs with c.mu held.
func (c *call) snapshot() Record { return c.rec }

// onInvite handles a new call, or a re-INVITE within a call's dialog.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if _, ok := req.To().Params.Get("tag"); ok {
		s.onReinvite(req, tx)
		return
	}
	user := req.Recipient.User
	if user != s.cfg.Hotline {
		s.respond(tx, req, 404, "Not Found")
		return
	}
	src := sourceAddr(req)
	if !s.guard.isTrunk(src) {
		s.guard.warn(src, "not_trunk", "sip call to the hotline refused: source is not a trunk")
		s.respond(tx, req, 403, "Forbidden")
		return
	}
	if s.endedLately(req) {
		// A retransmission of the INVITE of a call that is already over, delayed past the
		// end of its transaction (sipgo ends it at the BYE). Taken as a new call it would
		// ring an agent for nobody and leave a second record for one call. RFC 3261
		// 8.2.2.2 answers such merged requests 482; the caller's transaction is complete
		// and ignores it.
		s.respond(tx, req, 482, "Loop Detected")
		return
	}
	s.incoming(req, tx)
}

// recentCalls remembers the callers' INVITEs (Call-ID and From tag) of calls that ended
// within the last 64×T1, the longest a retransmission of them can arrive.
type recentCalls struct {
	keys  map[string]struct{}
	order []recentCall // oldest first
}

type recentCall struct {
	key string
	at  time.Time
}

// inviteKey identifies the caller's INVITE of a call.
func inviteKey(req *sip.Request) string {
	tag, _ := req.From().Params.Get("tag")
	return req.CallID().Value() + "\x00" + tag
}

// endedLately reports whether req repeats the INVITE of a call that ended lately.
func (s *Server) endedLately(req *sip.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ended.keys[inviteKey(req)]
	return ok
}

// remember notes the end of the call whose caller sent the INVITE with key, and forgets
// the calls that ended too long ago to be retransmitted. Runs with s.mu held.
func (r *recentCalls) remember(key string, now time.Time) {
	if r.keys == nil {
		r.keys = make(map[string]struct{})
	}
	limit := now.Add(-64 * sip.T1)
	n := 0
	for n < len(r.order) && r.order[n].at.Before(limit) {
		delete(r.keys, r.order[n].key)
		n++
	}
	r.order = append(r.order[n:], recentCall{key, now})
	r.keys[key] = struct{}{}
}

// incoming answers a citizen's call to the hotline through the queue. The handler stays
// with the INVITE transaction until the caller has an answer, as sipgo requires.
func (s *Server) incoming(req *sip.Request, tx sip.ServerTransaction) {
	if s.tooShort(req, tx) {
		return
	}
	st, timerHeaders := s.answerTimer(req, nil)
	dlg, err := s.dialogUA(req.Transport()).ReadInvite(req, tx)
	if err != nil {
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	c := s.newCall(req, dlg)
	if code, phrase := s.admit(c); code != 0 {
		s.respond(tx, req, code, phrase)
		return
	}
	if s.cfg.Media.Enabled && !s.openMedia(c, dlg) {
		return
	}
	if !s.cfg.Hours.Open(s.clock.Now()) {
		s.outOfHours(c, dlg)
		return
	}
	if !s.enqueue(c, dlg) {
		c.closeMedia()
		return
	}
	if c.media != nil {
		// The caller hears the greeting and then the hold audio at once, as early media: a
		// trunk releases a call that shows no progress within 20-30 s.
		dlg.Respond(183, "Session Progress", c.media.answer, sip.NewHeader("Content-Type", "application/sdp"))
	}
	select {
	case sdp := <-c.answered:
		if s.answerCaller(c, dlg, sdp, timerHeaders...) {
			s.startTimer(c.in, st)
		}
	case reason := <-c.abandoned:
		s.abandon(c, dlg, reason)
		c.closeMedia()
	case <-c.released:
		s.confirmCallback(c, dlg)
	case <-dlg.Context().Done():
		// CANCEL (sipgo has answered 487) or the transaction died.
		s.callerLeft(c)
		c.closeMedia()
	}
}

// openMedia answers the caller's offer with hotline's own session. A caller with no codec in
// common is answered 488, and 503 when no RTP port is free; the call then ends as failed.
func (s *Server) openMedia(c *call, dlg *sipgo.DialogServerSession) bool {
	m, err := s.openCallerMedia(c.callID, dlg.InviteRequest.Body())
	if err == nil {
		m.onSilence = func(agent bool, since time.Time) { s.silent(c, agent, since) }
		if s.cfg.Media.CallbackOfferAbove > 0 && callableNumber.MatchString(c.rec.Caller) {
			m.offerCallback = func() { s.requestCallback(c) }
		}
		c.media = m
		m.startWaiting()
		return true
	}
	s.log.Warn("caller media", "call_id", c.callID, "err", err)
	if errors.Is(err, errNoCodec) {
		dlg.Respond(488, "Not Acceptable Here", nil)
	} else {
		dlg.Respond(503, "Service Unavailable", nil)
	}
	s.failed(c)
	s.forgetLegs(c)
	return false
}

// silent ends a call whose caller's audio stopped (agent false) or whose agent's did (both
// ends dead, a broken NAT): every leg is hung up, the agent freed, and the record says why,
// its talk time ending when the audio stopped (since).
func (s *Server) silent(c *call, agent bool, since time.Time) {
	c.mu.Lock()
	c.rec.EndReason = "no_rtp"
	who := "caller"
	if agent {
		c.rec.EndReason, who = "no_rtp_agent", "agent"
	}
	c.mediaStopped = since
	c.mu.Unlock()
	s.log.Warn("no audio; hanging up", "call_id", c.callID, "from", who, "timeout", s.cfg.Media.Timeout)
	s.hangup(c, nil)
}

// closeMedia ends the call's audio, if hotline carries it, and stores its recording.
func (c *call) closeMedia() {
	if c.media != nil {
		c.media.close()
	}
}

// newCall is the call a caller's INVITE starts, with its first record: in progress from now.
func (s *Server) newCall(req *sip.Request, dlg *sipgo.DialogServerSession) *call {
	now := s.clock.Now()
	c := &call{
		callID:    req.CallID().Value(),
		inviteKey: inviteKey(req),
		answered:  make(chan []byte, 1),
		abandoned: make(chan acd.Outcome, 1),
		up:        make(chan struct{}),
		released:  make(chan struct{}),
		ringing:   make(map[string]context.CancelFunc),
		rec: Record{
			ID: uuid.NewString(), Caller: callerNumber(req), Dialled: req.Recipient.User,
			Outcome: OutcomeInProgress, StartedAt: now, CallerCallID: req.CallID().Value(),
		},
	}
	c.in = &leg{c: c, id: dlg.ID, uas: dlg}
	return c
}

// admit files a new call under its Call-ID, its record and its dialog, and queues its first
// record. It refuses the call while the server is stopping (503) and when its Call-ID is
// already a live call's (482), returning the status to answer; 0 when the call was admitted.
func (s *Server) admit(c *call) (int, string) {
	// Once filed, the call can be finished by a shutdown, which writes its record: the first
	// record is taken before.
	first := c.rec
	s.mu.Lock()
	if !s.serving {
		s.mu.Unlock()
		return 503, "Service Unavailable"
	}
	if _, dup := s.calls[c.callID]; dup {
		s.mu.Unlock()
		return 482, "Loop Detected"
	}
	s.calls[c.callID] = c
	s.byRecord[c.rec.ID] = c
	s.legs[c.in.id] = c.in
	s.mu.Unlock()
	s.writer.put(first)
	return 0, ""
}

// enqueue hands the call to the queue and reports whether it waits there for an agent. When
// the queue fails (500, and the call gets its final record here) or refuses the call because
// no agent is signed in (480), the caller is answered and the call forgotten.
func (s *Server) enqueue(c *call, dlg *sipgo.DialogServerSession) bool {
	res, err := s.queue.Enqueue(c.callID, c.rec.Caller)
	if err != nil {
		s.log.Error("enqueue call", "call_id", c.callID, "err", err)
		dlg.Respond(500, "Server Internal Error", nil)
		s.failed(c)
		s.forgetLegs(c)
		return false
	}
	if res == acd.Refused {
		s.log.Info("call refused: no agent signed in", "call_id", c.callID, "caller", tickets.MaskPhone(c.rec.Caller))
		if c.media != nil && s.cfg.Media.VoiceMessages {
			s.takeMessage(c, dlg, "no-agent")
			return false
		}
		dlg.Respond(480, "No Agent Available", nil)
		s.forgetLegs(c)
		return false
	}
	return true
}

// answerCaller passes the agent's answer (sdp) on to the caller once the queue accepted it,
// with the headers hs, and reports whether the call is talking. The call is hung up when the
// answer fails, when it ended while the answer was out, and when the caller never
// acknowledged the answer within AckWait.
func (s *Server) answerCaller(c *call, dlg *sipgo.DialogServerSession, sdp []byte, hs ...sip.Header) bool {
	if c.media != nil {
		sdp = c.media.answer // the same session as in the 183: the caller's audio goes on
	}
	noAck, err := s.answerWithin(dlg, sdp, hs...)
	if err != nil {
		// The caller cancelled as the agent answered, or hung up before acknowledging.
		s.log.Info("answer to caller failed", "call_id", c.callID, "err", err)
		s.hangup(c, nil)
		return false
	}
	c.mu.Lock()
	c.talking = true
	ended := c.ended
	c.mu.Unlock()
	close(c.up)
	if noAck {
		s.log.Info("no ack from the caller; hanging up", "call_id", c.callID, "caller", tickets.MaskPhone(c.rec.Caller))
	}
	if ended || noAck {
		s.hangup(c, nil)
		return false
	}
	return true
}

// answerWithin answers the caller's INVITE 200 with sdp and waits for the ACK, at most
// AckWait; noAck reports that it never came and the dialog was confirmed without it.
//
// sipgo retransmits the answer until an ACK or BYE comes, and past 64×T1 for ever: a caller
// whose ACK and BYE were both lost would hold the agent and leave the call without a final
// record. After AckWait the dialog counts as confirmed (RFC 3261 13.3.1.4).
func (s *Server) answerWithin(dlg *sipgo.DialogServerSession, sdp []byte, hs ...sip.Header) (noAck bool, err error) {
	var timedOut atomic.Bool
	watchdog := time.AfterFunc(s.cfg.AckWait, func() {
		timedOut.Store(true)
		dlg.ReadAck(confirmingAck(dlg.InviteRequest), nil)
	})
	if len(sdp) > 0 {
		hs = append(hs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	err = dlg.Respond(200, "OK", sdp, hs...)
	watchdog.Stop()
	return timedOut.Load(), err
}

// abandon answers a caller the queue gave up on: nobody is left to answer, or they waited
// longer than the queue allows.
func (s *Server) abandon(c *call, dlg *sipgo.DialogServerSession, reason acd.Outcome) {
	if c.media != nil && s.cfg.Media.VoiceMessages {
		// Nobody can answer: the caller may leave a message instead.
		s.takeMessage(c, dlg, "no-agent")
		return
	}
	c.mu.Lock()
	c.callerGone = true
	c.mu.Unlock()
	code, phrase := 480, "No Agent Available"
	if reason == acd.OutcomeMaxWait {
		code, phrase = 480, "Queue Wait Exceeded"
	}
	dlg.Respond(code, phrase, nil)
	s.forgetLegs(c)
}

// callerLeft ends a call whose caller cancelled before an answer: the queue drops it, and an
// agent who answered at that very moment is hung up.
func (s *Server) callerLeft(c *call) {
	c.mu.Lock()
	c.callerGone = true
	agent := c.agent
	c.mu.Unlock()
	if err := s.queue.Hangup(c.callID); err != nil && !errors.Is(err, acd.ErrUnknownCall) {
		s.log.Warn("queue hangup", "call_id", c.callID, "err", err)
	}
	if agent != nil {
		// The agent answered just as the caller gave up.
		ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		agent.bye(ctx)
		cancel()
	}
	s.forgetLegs(c)
}

// confirmingAck stands in for the ACK that never came to our answer to invite: the dialog
// takes it as confirmed and stops retransmitting the answer.
func confirmingAck(invite *sip.Request) *sip.Request {
	ack := sip.NewRequest(sip.ACK, invite.Recipient)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: invite.CSeq().SeqNo, MethodName: sip.ACK})
	return ack
}

// callerNumber is the citizen's number as the trunk presents it: the From user part.
func callerNumber(req *sip.Request) string {
	if u := req.From().Address.User; u != "" {
		return u
	}
	return "anonymous"
}

// ring offers the call to ext: an INVITE to the agent's phone carrying the caller's SDP.
// It runs in its own goroutine per offer.
func (s *Server) ring(c *call, ext string) {
	b, ok := s.reg.lookup(ext)
	if !ok {
		s.queue.AgentRejected(c.callID, ext)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.mu.Lock()
	if c.callerGone {
		c.mu.Unlock()
		s.queue.AgentRejected(c.callID, ext)
		return
	}
	c.ringing[ext] = cancel
	caller := c.rec.Caller
	recID := c.rec.ID
	offer := c.in.uas.InviteRequest.Body()
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.ringing, ext)
		c.mu.Unlock()
	}()

	var sess *media.MediaSession
	if c.media != nil {
		// The agent is offered hotline's session, with every codec hotline has, never the
		// caller's: the audio is bridged here.
		var err error
		if sess, offer, err = s.offerAgent(); err != nil {
			s.log.Error("agent media", "ext", ext, "err", err)
			s.queue.AgentRejected(c.callID, ext)
			return
		}
		defer func() {
			if sess != nil {
				sess.Close() // not handed to the bridge
			}
		}()
	}
	req := s.newInvite(b.contact, b.transport, caller, ext, offer)
	req.SetDestination(b.dest)
	req.AppendHeader(sip.NewHeader("X-Hotline-Call", recID))
	dc, err := s.dialogUA(b.transport).WriteInvite(ctx, req)
	if err != nil {
		s.log.Warn("invite agent", "ext", ext, "err", err)
		s.queue.AgentRejected(c.callID, ext)
		return
	}
	err = dc.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
		if r.StatusCode == 180 || r.StatusCode == 183 {
			s.relayProgress(c, r)
		}
		return nil
	}})
	if err != nil {
		if ctx.Err() != nil {
			// The queue withdrew the offer; WaitAnswer has sent CANCEL. If the phone
			// answered across the CANCEL, hang that answer up.
			if dc.InviteResponse != nil && dc.InviteResponse.IsSuccess() {
				s.ackAndBye(dc)
			}
			return
		}
		var re *sipgo.ErrDialogResponse
		if errors.As(err, &re) && codecRefusal(re.Res.StatusCode) {
			// The phone cannot take this call: no miss, and it is not offered the call again.
			s.log.Info("agent's phone refused the call's codecs", "ext", ext, "code", re.Res.StatusCode)
			s.queue.AgentUnable(c.callID, ext)
			return
		}
		if qerr := s.queue.AgentRejected(c.callID, ext); qerr != nil {
			s.log.Debug("agent rejected", "ext", ext, "err", qerr)
		}
		return
	}
	var ep *endpoint
	if sess != nil {
		if ep, err = answered(sess, offer, dc.InviteResponse.Body(), dc.ID); err != nil {
			// The phone answered with nothing we can send it.
			s.log.Warn("agent answer without a usable codec", "ext", ext, "err", err)
			s.ackAndBye(dc)
			s.queue.AgentUnable(c.callID, ext)
			return
		}
	}
	if err := s.queue.Answered(c.callID, ext); err != nil {
		// The ring timed out or the caller left just before the answer.
		s.ackAndBye(dc)
		return
	}
	actx, acancel := context.WithTimeout(context.Background(), sipTimeout)
	dc.Ack(actx)
	acancel()
	l := &leg{c: c, id: dc.ID, ext: ext, uac: dc}
	now := s.clock.Now()
	if ep != nil {
		sess = nil // the bridge owns it now
		c.media.bridge(ep, recID)
	}
	c.mu.Lock()
	gone := c.callerGone
	c.out, c.agent = l, l
	c.rec.Extension = ext
	c.rec.AgentCallID = dc.InviteRequest.CallID().Value()
	c.rec.AnsweredAt = &now
	rec := c.snapshot()
	if !gone && !c.finished {
		// Put under c.mu, so that it is queued before the final record Finished puts.
		s.writer.put(rec)
	}
	c.mu.Unlock()
	s.mu.Lock()
	s.legs[l.id] = l
	s.mu.Unlock()
	if gone {
		s.hangup(c, nil)
		return
	}
	s.startTimer(l, s.answeredTimer(dc.InviteResponse))
	c.answered <- dc.InviteResponse.Body()
	s.hub.publish(ext, Event{Type: "screenpop", CallID: rec.ID, Caller: rec.Caller, Extension: ext, At: now})
}

// codecRefusal reports whether an answer to an INVITE refuses its session description: 488 Not
// Acceptable Here, 415 Unsupported Media Type, 606 Not Acceptable.
func codecRefusal(code int) bool { return code == 488 || code == 415 || code == 606 }

// newInvite builds an INVITE to target presenting the citizen's number as the caller.
func (s *Server) newInvite(target sip.Uri, transport, callerNum, toUser string, sdp []byte) *sip.Request {
	req := sip.NewRequest(sip.INVITE, *target.Clone())
	req.SetTransport(sip.NetworkToUpper(transport))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: callerNum, Host: s.host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: toUser, Host: target.Host, Port: target.Port}, Params: sip.NewParams()}
	req.AppendHeader(from)
	req.AppendHeader(to)
	if len(sdp) > 0 {
		req.SetBody(sdp)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	for _, h := range s.offerTimerHeaders() {
		req.AppendHeader(h)
	}
	return req
}

// ackAndBye ends a dialog that was answered when nobody wants it any more.
func (s *Server) ackAndBye(dc *sipgo.DialogClientSession) {
	ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
	defer cancel()
	dc.Ack(ctx)
	dc.Bye(ctx)
}

// relayProgress passes the agent's 180 Ringing or 183 Session Progress on to the caller.
func (s *Server) relayProgress(c *call, r *sip.Response) {
	c.mu.Lock()
	gone := c.callerGone || c.out != nil
	c.mu.Unlock()
	if gone || c.media != nil {
		// With media the caller already hears our prompts through the 183.
		return
	}
	var hs []sip.Header
	if len(r.Body()) > 0 {
		hs = append(hs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	c.in.uas.Respond(r.StatusCode, r.Reason, r.Body(), hs...)
}

// onAck confirms the caller's dialog, and hands the answer an ACK carries to a re-INVITE
// without SDP waiting for it (delayedoffer.go).
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		return
	}
	if l.uas != nil {
		l.uas.ReadAck(req, tx)
	}
	l.c.mu.Lock()
	ch := l.acked
	l.acked = nil
	l.c.mu.Unlock()
	if ch != nil {
		ch <- req.Body()
	}
}

// findLeg returns the leg an in-dialog request belongs to.
func (s *Server) findLeg(req *sip.Request) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if l := s.legs[id]; l != nil && l.uas != nil {
			return l
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if l := s.legs[id]; l != nil && l.uac != nil {
			return l
		}
	}
	return nil
}

// onBye ends a call from either side and hangs up the other.
func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	var err error
	if l.uas != nil {
		err = l.uas.ReadBye(req, tx)
	} else {
		err = l.uac.ReadBye(req, tx)
	}
	if err != nil {
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	if l.released.Load() {
		s.mu.Lock()
		delete(s.legs, l.id)
		s.mu.Unlock()
		return
	}
	if s.legOnly(l) {
		return
	}
	s.hangup(l.c, l)
}

// hangup ends a bridged call: every leg but from (which hung up itself) gets a BYE, and
// the queue learns the call is over. It runs once per call.
func (s *Server) hangup(c *call, from *leg) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	if s.surveying(c, from) {
		// The agent hung up first: the agent is free at once, and the caller stays to rate
		// the call.
		c.mu.Unlock()
		if err := s.queue.CallEnded(c.callID); err != nil && !errors.Is(err, acd.ErrUnknownCall) {
			s.queue.Hangup(c.callID)
		}
		go s.StopMonitor(context.Background(), c.rec.ID) // the survey is the citizen's alone
		go s.runSurvey(c, from)
		return
	}
	c.ended = true
	talking := c.talking
	legs := []*leg{c.in, c.out}
	if c.agent != nil && c.agent != c.out {
		legs = append(legs, c.agent)
	}
	// A supervisor monitoring the call and a consult's party go with it.
	if c.monitor != nil {
		legs = append(legs, c.monitor.leg)
	}
	if c.consult != nil {
		legs = append(legs, c.consult.leg)
	}
	transferred := c.transferred
	if transferred {
		now := s.clock.Now()
		c.rec.EndedAt = &now
	}
	rec := c.snapshot()
	c.mu.Unlock()
	if !talking && from == nil {
		// The answer to the caller failed: only the agent's leg is up.
		legs = []*leg{c.out}
	}
	ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range legs {
		if l == nil || l == from {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.bye(ctx); err != nil {
				s.log.Debug("bye", "call_id", c.callID, "err", err)
			}
		}()
	}
	if transferred {
		s.writer.put(rec)
	} else if err := s.queue.CallEnded(c.callID); err != nil && !errors.Is(err, acd.ErrUnknownCall) {
		s.queue.Hangup(c.callID)
	}
	wg.Wait()
	c.closeMedia()
	s.forgetLegs(c)
	if c.over != nil {
		close(c.over)
	}
}

// forgetLegs drops the call's dialogs from the lookup tables once it is over.
func (s *Server) forgetLegs(c *call) {
	c.mu.Lock()
	legs := []*leg{c.in, c.out, c.agent}
	if c.monitor != nil {
		legs = append(legs, c.monitor.leg)
	}
	if c.consult != nil {
		legs = append(legs, c.consult.leg)
	}
	c.mu.Unlock()
	s.mu.Lock()
	for _, l := range legs {
		if l != nil {
			delete(s.legs, l.id)
		}
	}
	delete(s.byRecord, c.rec.ID)
	s.mu.Unlock()
}

// onCancel answers a CANCEL that matched no INVITE transaction (sipgo answers the ones
// that match and ends their dialog, which incoming sees).
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// onReinvite passes a re-INVITE (hold, codec change) on to the other leg and its answer back.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c := l.c
	if c.media != nil {
		s.reinviteMedia(l, req, tx)
		return
	}
	if l == c.in {
		// The caller may re-INVITE as soon as it has acknowledged our answer, which can be
		// before incoming has marked the call talking: that is no glare, so wait for it.
		c.awaitAnswer(s.cfg.AckWait)
	}
	c.mu.Lock()
	other := c.out
	if l != c.in {
		other = c.in
	}
	busy := c.transfering || !c.talking
	c.mu.Unlock()
	if other == nil || busy {
		s.respond(tx, req, 491, "Request Pending")
		return
	}
	if l.uas != nil {
		l.uas.ReadRequest(req, tx)
	}
	fwd := sip.NewRequest(sip.INVITE, other.remoteTarget())
	if body := req.Body(); len(body) > 0 {
		fwd.SetBody(body)
		fwd.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
	defer cancel()
	res, err := other.do(ctx, fwd)
	if err != nil {
		s.respond(tx, req, 500, "Re-INVITE Failed")
		return
	}
	// A re-INVITE without SDP (delayed offer): the other side's offer goes back in our 200,
	// and our ACK to it must carry the answer, which comes in the ACK to that 200.
	var acked chan []byte
	if res.IsSuccess() {
		if len(req.Body()) == 0 && len(res.Body()) > 0 {
			acked = l.awaitAck()
		} else {
			s.ackLeg(other, nil)
		}
	}
	out := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, res.Body())
	if len(res.Body()) > 0 {
		out.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	out.AppendHeader(&s.dialogUA(req.Transport()).ContactHDR)
	if res.IsSuccess() {
		// A refresh (RFC 4028) of both sessions: the other leg answered, and this one's
		// answer carries the session timer.
		s.alive(other)
		for _, h := range s.refreshed(l, req) {
			out.AppendHeader(h)
		}
	}
	if err := tx.Respond(out); err != nil {
		s.log.Debug("respond re-invite", "err", err)
	}
	if acked != nil {
		s.ackLeg(other, s.answerFromAck(l, acked))
	}
}

// reinviteMedia answers a re-INVITE (a session refresh, hold) on a call whose audio hotline
// carries: hotline's session stays as it is, so the answer is the same SDP again and the
// other leg never hears of it.
func (s *Server) reinviteMedia(l *leg, req *sip.Request, tx sip.ServerTransaction) {
	c := l.c
	var body []byte
	if l == c.in {
		body = c.media.answer
	} else if ep := c.media.endpointOf(l.id); ep != nil {
		body = ep.local
	}
	if len(body) == 0 {
		s.respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	if l.uas != nil {
		l.uas.ReadRequest(req, tx)
	}
	// Without SDP in the re-INVITE (delayed offer) the same session is our offer, and the
	// answer comes in the ACK.
	var acked chan []byte
	if len(req.Body()) == 0 {
		acked = l.awaitAck()
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(&s.dialogUA(req.Transport()).ContactHDR)
	for _, h := range s.refreshed(l, req) {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond re-invite", "err", err)
	}
	if acked != nil {
		go s.checkMediaAnswer(l, s.answerFromAck(l, acked))
	}
}

// awaitAnswer waits, at most d, until a call whose answer to the caller is under way (the
// agent answered, the call is not talking yet) is talking; for any other call it returns at
// once.
func (c *call) awaitAnswer(d time.Duration) {
	c.mu.Lock()
	underway := c.up != nil && c.out != nil && !c.talking && !c.ended
	c.mu.Unlock()
	if !underway {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.up:
	case <-t.C:
	}
}

// ackLeg acknowledges a 2xx to a re-INVITE we sent on l.
func (s *Server) ackLeg(l *leg, body []byte) {
	ack := sip.NewRequest(sip.ACK, l.remoteTarget())
	if len(body) > 0 {
		ack.SetBody(body)
		ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	if l.uas != nil {
		l.uas.WriteRequest(ack)
		return
	}
	l.uac.WriteRequest(ack)
}

// onNotify accepts NOTIFYs within a call's dialogs (phones report on subscriptions we
// never made) and refuses the rest.
func (s *Server) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if s.findLeg(req) == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	s.respond(tx, req, 200, "OK")
}

// finishAll ends every live call at shutdown so that each gets its record.
func (s *Server) finishAll() {
	s.mu.Lock()
	s.serving = false
	ids := make([]string, 0, len(s.calls))
	live := make([]*call, 0, len(s.calls))
	for id, c := range s.calls {
		ids = append(ids, id)
		live = append(live, c)
	}
	for _, c := range s.byRecord {
		if s.calls[c.callID] != c {
			// Out of the queue but still up: a voice message or the callback confirmation.
			live = append(live, c)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.queue.Hangup(id)
	}
	// The calls' audio ends with the process: each recording is completed and stored.
	for _, c := range live {
		c.closeMedia()
	}
	// A call the queue never knew, because its INVITE arrived as the server stopped, or
	// whose end the queue is still reporting, gets its final record here all the same.
	s.mu.Lock()
	left := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		left = append(left, c)
	}
	s.mu.Unlock()
	for _, c := range left {
		s.failed(c)
	}
	s.finishPlaced()
}

// failed writes the final record of a call that ended outside the queue: it could not be
// queued, or the server stopped first.
func (s *Server) failed(c *call) {
	s.mu.Lock()
	delete(s.calls, c.callID)
	s.ended.remember(c.inviteKey, s.clock.Now())
	s.mu.Unlock()
	c.closeMedia()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return
	}
	c.finished = true
	now := s.clock.Now()
	c.rec.Outcome = OutcomeFailed
	c.rec.EndedAt = &now
	s.writer.put(c.snapshot())
}

// switchboard is the Server seen by the queue: the acd.Switch implementation.
type switchboard Server

func (sb *switchboard) server() *Server { return (*Server)(sb) }

func (sb *switchboard) lookup(callID string) *call {
	s := sb.server()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[callID]
}

// Ring rings an agent's phone in the background: the queue must not wait for SIP.
func (sb *switchboard) Ring(callID, ext string) {
	c := sb.lookup(callID)
	if c == nil {
		return
	}
	go sb.server().ring(c, ext)
}

// CancelRing cancels the INVITE to ext.
func (sb *switchboard) CancelRing(callID, ext string) {
	c := sb.lookup(callID)
	if c == nil {
		return
	}
	c.mu.Lock()
	cancel := c.ringing[ext]
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Abandon ends a call that waited too long or that nobody is left to answer.
func (sb *switchboard) Abandon(callID string, reason acd.Outcome) {
	c := sb.lookup(callID)
	if c == nil {
		return
	}
	select {
	case c.abandoned <- reason:
	default:
	}
}

// AgentPaused tells the agent's console that the queue put them on break.
func (sb *switchboard) AgentPaused(ext string) {
	s := sb.server()
	s.mu.Lock()
	s.statuses[ext] = acd.StatusBreak
	s.mu.Unlock()
	s.log.Info("agent paused after missed calls", "ext", ext)
	s.hub.publish(ext, Event{Type: "status", Extension: ext, Status: acd.StatusBreak.String(), At: s.clock.Now()})
}

// Finished writes the call's record.
func (sb *switchboard) Finished(r acd.CallRecord) {
	s := sb.server()
	s.mu.Lock()
	c := s.calls[r.CallID]
	delete(s.calls, r.CallID)
	if c != nil {
		s.ended.remember(c.inviteKey, s.clock.Now())
	}
	s.mu.Unlock()
	if c == nil {
		s.log.Error("finished call unknown to the switch", "call_id", r.CallID)
		return
	}
	s.waits.observe(r)
	c.mu.Lock()
	c.finished = true
	rec := &c.rec
	rec.Outcome = string(r.Outcome)
	if c.transferred {
		rec.Outcome = OutcomeTransferred
	}
	if c.callbackRequested {
		rec.Outcome = OutcomeCallbackRequested
	}
	rec.Extension = r.Agent
	rec.QueueWaitMS = r.Wait.Milliseconds()
	rec.RingMS = r.Ring.Milliseconds()
	if !r.TalkStart.IsZero() {
		t := r.TalkStart
		rec.AnsweredAt = &t
		if !r.TalkEnd.IsZero() {
			end := r.TalkEnd
			if !c.mediaStopped.IsZero() && c.mediaStopped.Before(end) {
				end = c.mediaStopped // nobody talked after the audio stopped
			}
			rec.TalkMS = max(0, end.Sub(r.TalkStart).Milliseconds())
		}
	}
	if rec.EndedAt == nil || !c.transferred {
		e := r.Ended
		rec.EndedAt = &e
	}
	rec.Offers = offersJSON(r.Offers)
	out := c.snapshot()
	s.writer.put(out)
	c.mu.Unlock()
	if out.Outcome != string(acd.OutcomeAnswered) && out.Outcome != OutcomeTransferred {
		s.log.Info("missed call", "call_id", r.CallID, "caller", tickets.MaskPhone(out.Caller), "outcome", out.Outcome)
	}
}
