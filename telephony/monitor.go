package telephony

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline-city/hotline/tickets"
)

// Errors of monitoring and consults, mapped to HTTP codes at the edge.
var (
	ErrBadMonitorMode = errors.New("monitor mode must be listen, whisper or barge")
	ErrNotRegistered  = errors.New("your SIP phone is not registered")
	ErrNotLive        = errors.New("call is not in conversation with an agent through hotline's media")
	ErrMonitored      = errors.New("call is already monitored")
	ErrNotMonitored   = errors.New("call is not monitored")
	ErrNoAnswer       = errors.New("phone did not answer")
)

// ringWait bounds how long a supervisor's phone or a consult's target may ring.
const ringWait = 30 * time.Second

// ParseMonitorMode reads a monitoring mode as the API and the board send it.
func ParseMonitorMode(v string) (MonitorMode, error) {
	switch m := MonitorMode(v); m {
	case MonitorListen, MonitorWhisper, MonitorBarge:
		return m, nil
	}
	return "", fmt.Errorf("%w: %q", ErrBadMonitorMode, v)
}

// monitorSession is a supervisor on a call: their phone's leg and how they take part.
type monitorSession struct {
	leg   *leg
	ext   string
	mode  MonitorMode
	since time.Time
}

// MonitorState is a call's monitoring as the board shows it.
type MonitorState struct {
	CallID    string      `json:"call_id"`
	Extension string      `json:"extension"`
	Mode      MonitorMode `json:"mode"`
	Since     time.Time   `json:"since"`
}

// LiveCall is a call in conversation, for a supervisor to pick on the board.
type LiveCall struct {
	ID         string        `json:"id"`
	Caller     string        `json:"caller"` // masked
	Extension  string        `json:"extension"`
	AnsweredAt time.Time     `json:"answered_at"`
	Monitor    *MonitorState `json:"monitor,omitempty"`
	Consult    string        `json:"consult,omitempty"` // the consult's target while one is on
	Media      bool          `json:"media"`             // hotline carries its audio: it can be monitored
}

// placeLeg calls a party (a supervisor's phone, a consult's target) with an offer of a new
// session of hotline's own, and returns the answered dialog and its endpoint.
func (s *Server) placeLeg(ctx context.Context, req *sip.Request, transport string) (*sipgo.DialogClientSession, *endpoint, error) {
	sess, offer, err := s.offerAgent()
	if err != nil {
		return nil, nil, err
	}
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	rctx, cancel := context.WithTimeout(ctx, ringWait)
	defer cancel()
	dc, err := s.dialogUA(transport).WriteInvite(rctx, req)
	if err != nil {
		sess.Close()
		return nil, nil, err
	}
	if err := dc.WaitAnswer(rctx, sipgo.AnswerOptions{}); err != nil {
		sess.Close()
		if dc.InviteResponse != nil && dc.InviteResponse.IsSuccess() {
			s.ackAndBye(dc)
		}
		var re *sipgo.ErrDialogResponse
		if errors.As(err, &re) {
			return nil, nil, fmt.Errorf("%w: answered %d", ErrNoAnswer, re.Res.StatusCode)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrNoAnswer, err)
	}
	dc.Ack(ctx)
	ep, err := answered(sess, offer, dc.InviteResponse.Body(), dc.ID)
	if err != nil {
		sess.Close()
		bctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		dc.Bye(bctx)
		cancel()
		return nil, nil, err
	}
	return dc, ep, nil
}

// liveWithMedia returns the call with record ID id if it is talking with its audio through
// hotline.
func (s *Server) liveWithMedia(id string) (*call, error) {
	c := s.liveCall(id)
	if c == nil {
		return nil, fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	if c.media == nil {
		return nil, fmt.Errorf("call %s: %w", id, ErrNoMedia)
	}
	c.mu.Lock()
	ok := c.talking && !c.ended && !c.surveyed && c.out != nil
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("call %s: %w", id, ErrNotLive)
	}
	return c, nil
}

// Monitor lets the supervisor at extension ext monitor the call with record ID id (监听, 耳语,
// 强插 by mode): hotline calls the supervisor's registered phone, presenting the hotline's
// number, and once it answers mixes the call's audio for it. It returns when the phone
// answered; the session ends when the supervisor hangs up, StopMonitor is called or the call
// ends.
func (s *Server) Monitor(ctx context.Context, id, ext string, mode MonitorMode) (MonitorState, error) {
	b, ok := s.reg.lookup(ext)
	if !ok {
		return MonitorState{}, fmt.Errorf("extension %s: %w", ext, ErrNotRegistered)
	}
	c, err := s.liveWithMedia(id)
	if err != nil {
		return MonitorState{}, err
	}
	c.mu.Lock()
	if c.monitor != nil || c.monitoring {
		c.mu.Unlock()
		return MonitorState{}, fmt.Errorf("call %s: %w", id, ErrMonitored)
	}
	c.monitoring = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.monitoring = false
		c.mu.Unlock()
	}()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ringWait+sipTimeout)
	defer cancel()
	req := s.newInvite(b.contact, b.transport, s.cfg.Hotline, ext, nil)
	req.SetDestination(b.dest)
	req.AppendHeader(sip.NewHeader("X-Hotline-Monitor", id+";mode="+string(mode)))
	dc, ep, err := s.placeLeg(sctx, req, b.transport)
	if err != nil {
		return MonitorState{}, fmt.Errorf("monitor call %s from %s: %w", id, ext, err)
	}
	l := &leg{c: c, id: dc.ID, ext: ext, uac: dc}
	ms := &monitorSession{leg: l, ext: ext, mode: mode, since: s.clock.Now()}
	c.mu.Lock()
	live := c.talking && !c.ended && !c.surveyed
	if live {
		c.monitor = ms
	}
	c.mu.Unlock()
	if !live || !c.media.join(partySup, ep, mode) {
		ep.close()
		c.mu.Lock()
		if c.monitor == ms {
			c.monitor = nil
		}
		c.mu.Unlock()
		bctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		dc.Bye(bctx)
		cancel()
		return MonitorState{}, fmt.Errorf("call %s: %w", id, ErrNotLive)
	}
	s.mu.Lock()
	s.legs[l.id] = l
	s.mu.Unlock()
	s.log.Info("call monitored", "call_id", c.callID, "ext", ext, "mode", mode)
	return ms.state(id), nil
}

func (ms *monitorSession) state(id string) MonitorState {
	return MonitorState{CallID: id, Extension: ms.ext, Mode: ms.mode, Since: ms.since}
}

// SetMonitorMode switches the supervisor on the call with record ID id to mode.
func (s *Server) SetMonitorMode(id string, mode MonitorMode) (MonitorState, error) {
	c := s.liveCall(id)
	if c == nil {
		return MonitorState{}, fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	c.mu.Lock()
	ms := c.monitor
	if ms != nil {
		ms.mode = mode
	}
	c.mu.Unlock()
	if ms == nil {
		return MonitorState{}, fmt.Errorf("call %s: %w", id, ErrNotMonitored)
	}
	c.media.setMode(mode)
	s.log.Info("monitor mode", "call_id", c.callID, "ext", ms.ext, "mode", mode)
	return ms.state(id), nil
}

// Monitoring returns the monitoring of the call with record ID id, if it is monitored.
func (s *Server) Monitoring(id string) (MonitorState, bool) {
	c := s.liveCall(id)
	if c == nil {
		return MonitorState{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.monitor == nil {
		return MonitorState{}, false
	}
	return c.monitor.state(id), true
}

// StopMonitor ends the monitoring of the call with record ID id: the supervisor's phone is
// hung up and the call goes on as before.
func (s *Server) StopMonitor(ctx context.Context, id string) error {
	c := s.liveCall(id)
	if c == nil {
		return fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	ms := s.endMonitor(c)
	if ms == nil {
		return fmt.Errorf("call %s: %w", id, ErrNotMonitored)
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sipTimeout)
	defer cancel()
	if err := ms.leg.bye(bctx); err != nil {
		s.log.Debug("bye to the supervisor", "call_id", c.callID, "err", err)
	}
	return nil
}

// endMonitor takes the supervisor off the call c, if one is on it, and returns their session;
// their leg is left to the caller to hang up or not.
func (s *Server) endMonitor(c *call) *monitorSession {
	c.mu.Lock()
	ms := c.monitor
	c.monitor = nil
	c.mu.Unlock()
	if ms == nil {
		return nil
	}
	if c.media != nil {
		c.media.leave(partySup)
	}
	s.mu.Lock()
	delete(s.legs, ms.leg.id)
	s.mu.Unlock()
	s.log.Info("call monitoring ended", "call_id", c.callID, "ext", ms.ext)
	return ms
}

// LiveCalls lists the calls in conversation, oldest answer first, for the board.
func (s *Server) LiveCalls() []LiveCall {
	s.mu.Lock()
	calls := make([]*call, 0, len(s.byRecord))
	for _, c := range s.byRecord {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	out := make([]LiveCall, 0, len(calls))
	for _, c := range calls {
		c.mu.Lock()
		if c.talking && !c.ended && c.rec.AnsweredAt != nil {
			lc := LiveCall{ID: c.rec.ID, Caller: tickets.MaskPhone(c.rec.Caller), Extension: c.rec.Extension,
				AnsweredAt: *c.rec.AnsweredAt, Media: c.media != nil}
			if c.monitor != nil {
				st := c.monitor.state(c.rec.ID)
				lc.Monitor = &st
			}
			if c.consult != nil {
				lc.Consult = c.consult.target
			}
			out = append(out, lc)
		}
		c.mu.Unlock()
	}
	sortLive(out)
	return out
}

// legOnly ends the part of the party whose leg l hung up, when that party's BYE ends their part
// only and not the call: a supervisor monitoring it, a consult's third party, or the agent in a
// consult (the caller then stays with the third party). It reports whether l was such a leg.
func (s *Server) legOnly(l *leg) bool {
	c := l.c
	c.mu.Lock()
	isMonitor := c.monitor != nil && c.monitor.leg == l
	isThird := c.consult != nil && c.consult.leg == l
	agentInConsult := c.consult != nil && c.agent == l
	c.mu.Unlock()
	switch {
	case isMonitor:
		s.endMonitor(c)
	case isThird:
		s.dropThird(c, false)
	case agentInConsult:
		ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		defer cancel()
		if err := s.completeConsult(ctx, c, false); err != nil {
			s.log.Warn("agent left the consult", "call_id", c.callID, "err", err)
		}
	default:
		return false
	}
	return true
}
