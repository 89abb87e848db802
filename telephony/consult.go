package telephony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline-city/hotline/tickets"
)

// consultSession is a three-way consult (三方通话): the agent brought a configured target (110,
// a department's number) onto the call, and caller, agent and target hear each other.
type consultSession struct {
	leg    *leg
	target string
	since  time.Time
}

// Consult steps, as the timeline and the API name them.
const (
	ConsultStarted     = "started"     // the target answered and joined
	ConsultTransferred = "transferred" // the agent dropped out: the caller stays with the target
	ConsultCancelled   = "cancelled"   // the target was dropped: the caller is the agent's again
)

// consultWords say each step on the ticket's timeline.
var consultWords = map[string]string{
	ConsultStarted:     "三方通话：%s 加入（three-way consult: %s joined）",
	ConsultTransferred: "三方通话后转接 %s，坐席退出（attended transfer to %s; the agent left）",
	ConsultCancelled:   "三方通话结束，%s 退出，来电回到坐席（three-way consult ended: %s left, the caller is back with the agent）",
}

// agentCall returns the call with record ID id if the agent at ext is on it with its audio
// through hotline.
func (s *Server) agentCall(id, ext string) (*call, error) {
	c, err := s.liveWithMedia(id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	mine := c.agent != nil && c.agent.ext == ext
	c.mu.Unlock()
	if !mine {
		return nil, fmt.Errorf("call %s is not with extension %s: %w", id, ext, ErrNotTransferable)
	}
	return c, nil
}

// ConsultStep carries out one step of a three-way consult on the call id for the agent at
// ext: ConsultStarted brings target in, ConsultTransferred leaves the caller with it,
// ConsultCancelled drops it. Another step is ErrBadConsultStep.
func (s *Server) ConsultStep(ctx context.Context, step, id, ext, target string, actor tickets.Actor) error {
	switch step {
	case ConsultStarted:
		return s.Consult(ctx, id, ext, target, actor)
	case ConsultTransferred:
		return s.ConsultTransfer(ctx, id, ext, actor)
	case ConsultCancelled:
		return s.ConsultCancel(ctx, id, ext, actor)
	}
	return ErrBadConsultStep
}

// ErrBadConsultStep is a consult step other than started, transferred and cancelled.
var ErrBadConsultStep = errors.New("no such consult step")

// Consult brings target (a configured transfer target) onto the call with record ID id of
// the agent at ext: hotline calls it presenting the citizen's number, offering a session of
// its own, and once it answers caller, agent and target talk together (the mixing is
// hotline's). The agent then leaves (ConsultTransfer) or drops the target (ConsultCancel).
func (s *Server) Consult(ctx context.Context, id, ext, target string, actor tickets.Actor) error {
	raw, ok := s.cfg.Transfers[target]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTarget, target)
	}
	var uri sip.Uri
	if err := sip.ParseUri(raw, &uri); err != nil {
		return fmt.Errorf("consult target %s: %w", target, err)
	}
	c, err := s.agentCall(id, ext)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.transferred || c.transfering || c.consult != nil {
		c.mu.Unlock()
		return fmt.Errorf("call %s: %w", id, ErrNotTransferable)
	}
	c.transfering = true // no blind transfer nor a second consult while the target rings
	caller := c.rec.Caller
	c.mu.Unlock()
	done := func() {
		c.mu.Lock()
		c.transfering = false
		c.mu.Unlock()
	}
	transport := uriTransport(uri)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ringWait+sipTimeout)
	defer cancel()
	dc, ep, err := s.placeLeg(sctx, s.newInvite(uri, transport, caller, uri.User, nil), transport)
	if err != nil {
		done()
		return fmt.Errorf("%w: consult %s: %v", ErrTransferFailed, target, err)
	}
	l := &leg{c: c, id: dc.ID, uac: dc}
	cs := &consultSession{leg: l, target: target, since: s.clock.Now()}
	c.mu.Lock()
	live := c.talking && !c.ended && c.agent != nil && c.agent.ext == ext
	if live {
		c.consult = cs
	}
	c.transfering = false
	c.mu.Unlock()
	if !live || !c.media.join(partyThird, ep, "") {
		c.mu.Lock()
		if c.consult == cs {
			c.consult = nil
		}
		c.mu.Unlock()
		ep.close()
		dc.Bye(sctx)
		return fmt.Errorf("call %s: %w", id, ErrNotLive)
	}
	s.mu.Lock()
	s.legs[l.id] = l
	s.mu.Unlock()
	s.recordConsult(sctx, c, target, ConsultStarted, actor)
	return nil
}

// ConsultTransfer ends the consult on the call with record ID id by the agent at ext leaving:
// the caller stays with the target (an attended transfer), and the agent's phone is hung up
// and free for the queue.
func (s *Server) ConsultTransfer(ctx context.Context, id, ext string, actor tickets.Actor) error {
	c, err := s.agentCall(id, ext)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sipTimeout)
	defer cancel()
	target, err := s.completeConsultAs(sctx, c, true)
	if err != nil {
		return err
	}
	s.recordConsult(sctx, c, target, ConsultTransferred, actor)
	return nil
}

// completeConsult makes the consult's target the caller's party and releases the agent, whose
// phone gets a BYE when byeAgent (it has hung up itself otherwise).
func (s *Server) completeConsult(ctx context.Context, c *call, byeAgent bool) error {
	target, err := s.completeConsultAs(ctx, c, byeAgent)
	if err == nil {
		s.recordConsult(ctx, c, target, ConsultTransferred, s.agentActor(ctx, c))
	}
	return err
}

func (s *Server) completeConsultAs(ctx context.Context, c *call, byeAgent bool) (string, error) {
	c.mu.Lock()
	cs := c.consult
	if cs == nil || c.ended {
		c.mu.Unlock()
		return "", fmt.Errorf("call %s: %w", c.rec.ID, ErrNotTransferable)
	}
	c.consult = nil
	c.out = cs.leg
	c.transferred = true
	c.rec.TransferTarget = cs.target
	c.mu.Unlock()
	c.media.promoteThird()
	s.releaseAgent(ctx, c, byeAgent)
	s.log.Info("consult became a transfer", "call_id", c.callID, "target", cs.target)
	return cs.target, nil
}

// ConsultCancel ends the consult on the call with record ID id by dropping its target: the
// target's leg is hung up and the caller talks with the agent alone again.
func (s *Server) ConsultCancel(ctx context.Context, id, ext string, actor tickets.Actor) error {
	c, err := s.agentCall(id, ext)
	if err != nil {
		return err
	}
	cs := s.dropThird(c, true)
	if cs == nil {
		return fmt.Errorf("call %s: %w", id, ErrNotTransferable)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sipTimeout)
	defer cancel()
	s.recordConsult(sctx, c, cs.target, ConsultCancelled, actor)
	return nil
}

// dropThird takes the consult's target off the call c, hanging its leg up when bye (it has hung
// up itself otherwise).
func (s *Server) dropThird(c *call, bye bool) *consultSession {
	c.mu.Lock()
	cs := c.consult
	c.consult = nil
	c.mu.Unlock()
	if cs == nil {
		return nil
	}
	c.media.leave(partyThird)
	s.mu.Lock()
	delete(s.legs, cs.leg.id)
	s.mu.Unlock()
	if bye {
		ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		defer cancel()
		if err := cs.leg.bye(ctx); err != nil {
			s.log.Debug("bye to the consult's target", "call_id", c.callID, "err", err)
		}
	} else {
		s.recordConsult(context.Background(), c, cs.target, ConsultCancelled, tickets.Actor{Name: cs.target})
	}
	s.log.Info("consult target left", "call_id", c.callID, "target", cs.target)
	return cs
}

// agentActor is the agent of c as the timeline names them.
func (s *Server) agentActor(ctx context.Context, c *call) tickets.Actor {
	c.mu.Lock()
	ext := c.rec.Extension
	c.mu.Unlock()
	if s.org != nil {
		if st, err := s.org.StaffByExtension(ctx, ext); err == nil {
			return tickets.ActorFor(st)
		}
	}
	return tickets.Actor{Name: "分机 " + ext}
}

// recordConsult puts a consult's step on the linked ticket's timeline, if a ticket is linked,
// and tells the agent's console.
func (s *Server) recordConsult(ctx context.Context, c *call, target, step string, actor tickets.Actor) {
	c.mu.Lock()
	ticketID, recID, ext := c.rec.TicketID, c.rec.ID, c.rec.Extension
	c.mu.Unlock()
	s.hub.publish(ext, Event{Type: "consult", CallID: recID, Extension: ext, Result: step, At: s.clock.Now()})
	if ticketID == nil || s.db == nil {
		return
	}
	data, _ := json.Marshal(map[string]any{"target": target, "call_id": recID, "step": step})
	ev := &tickets.Event{TicketID: *ticketID, Kind: "call_consult", ActorName: actor.Name, ActorRole: string(actor.Role),
		At: s.clock.Now(), Body: fmt.Sprintf(consultWords[step], target, target), Data: data}
	if actor.ID != 0 {
		id := actor.ID
		ev.ActorID = &id
	}
	if err := tickets.AppendEvent(ctx, s.db, ev); err != nil {
		s.log.Error("consult on the ticket's timeline", "ticket_id", *ticketID, "err", err)
	}
}

// sortLive orders live calls by their answer, oldest first.
func sortLive(calls []LiveCall) {
	slices.SortFunc(calls, func(a, b LiveCall) int { return a.AnsweredAt.Compare(b.AnsweredAt) })
}
