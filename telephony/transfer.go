package telephony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Errors of call control, mapped to SIP and HTTP codes at the edges.
var (
	ErrNotFound        = errors.New("no such call")
	ErrUnknownTarget   = errors.New("unknown transfer target")
	ErrNotTransferable = errors.New("call is not in a state to transfer")
	ErrTransferFailed  = errors.New("transfer target did not answer")
)

// transfer sends the caller of c to the configured target (一键转接, one-key transfer): an
// INVITE to the target presenting the citizen's number with the citizen's SDP, then a
// re-INVITE of the citizen towards the target's media. On failure the caller stays with
// the agent and nothing changes. On success the caller talks to the target through us
// and the agent's leg is left to the caller of transfer to release.
func (s *Server) transfer(ctx context.Context, c *call, target string) error {
	raw, ok := s.cfg.Transfers[target]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTarget, target)
	}
	var uri sip.Uri
	if err := sip.ParseUri(raw, &uri); err != nil {
		return fmt.Errorf("transfer target %s: %w", target, err)
	}
	c.mu.Lock()
	if !c.talking || c.transferred || c.transfering || c.ended || c.consult != nil {
		c.mu.Unlock()
		return ErrNotTransferable
	}
	c.transfering = true
	caller := c.rec.Caller
	offer := c.in.uas.InviteRequest.Body()
	c.mu.Unlock()
	done := func() {
		c.mu.Lock()
		c.transfering = false
		c.mu.Unlock()
	}

	transport := uriTransport(uri)
	if c.media != nil {
		return s.transferMedia(ctx, c, target, uri, transport, caller, done)
	}
	req := s.newInvite(uri, transport, caller, uri.User, offer)
	dc, err := s.dialogUA(transport).WriteInvite(ctx, req)
	if err != nil {
		done()
		return fmt.Errorf("transfer to %s: %w", target, err)
	}
	if err := dc.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		done()
		if dc.InviteResponse != nil && dc.InviteResponse.IsSuccess() {
			s.ackAndBye(dc)
		}
		var re *sipgo.ErrDialogResponse
		if errors.As(err, &re) {
			return fmt.Errorf("%w: %s answered %d", ErrTransferFailed, target, re.Res.StatusCode)
		}
		return fmt.Errorf("%w: %s: %v", ErrTransferFailed, target, err)
	}
	dc.Ack(ctx)
	reinvite := sip.NewRequest(sip.INVITE, c.in.remoteTarget())
	if body := dc.InviteResponse.Body(); len(body) > 0 {
		reinvite.SetBody(body)
		reinvite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res, err := c.in.do(ctx, reinvite)
	if err != nil || !res.IsSuccess() {
		done()
		dc.Bye(ctx)
		if err == nil {
			err = fmt.Errorf("caller answered %d", res.StatusCode)
		}
		return fmt.Errorf("%w: re-invite caller: %v", ErrTransferFailed, err)
	}
	s.ackLeg(c.in, nil)
	l := &leg{c: c, id: dc.ID, uac: dc}
	s.mu.Lock()
	s.legs[l.id] = l
	s.mu.Unlock()
	s.startTimer(l, s.answeredTimer(dc.InviteResponse))
	c.mu.Lock()
	c.out = l
	c.transferred = true
	c.transfering = false
	c.rec.TransferTarget = target
	c.mu.Unlock()
	return nil
}

// transferMedia is transfer on a call whose audio hotline carries: the target is offered
// hotline's own session and bridged to the caller here, so the caller's session does not
// change at all (no re-INVITE) and the recording goes on with the target on its right.
func (s *Server) transferMedia(ctx context.Context, c *call, target string, uri sip.Uri, transport, caller string, done func()) error {
	sess, offer, err := s.offerAgent()
	if err != nil {
		done()
		return fmt.Errorf("transfer to %s: %w", target, err)
	}
	req := s.newInvite(uri, transport, caller, uri.User, offer)
	dc, err := s.dialogUA(transport).WriteInvite(ctx, req)
	if err != nil {
		sess.Close()
		done()
		return fmt.Errorf("transfer to %s: %w", target, err)
	}
	if err := dc.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		sess.Close()
		done()
		if dc.InviteResponse != nil && dc.InviteResponse.IsSuccess() {
			s.ackAndBye(dc)
		}
		var re *sipgo.ErrDialogResponse
		if errors.As(err, &re) {
			return fmt.Errorf("%w: %s answered %d", ErrTransferFailed, target, re.Res.StatusCode)
		}
		return fmt.Errorf("%w: %s: %v", ErrTransferFailed, target, err)
	}
	dc.Ack(ctx)
	ep, err := answered(sess, offer, dc.InviteResponse.Body(), dc.ID)
	if err != nil {
		sess.Close()
		done()
		dc.Bye(ctx)
		return fmt.Errorf("%w: %s: %v", ErrTransferFailed, target, err)
	}
	l := &leg{c: c, id: dc.ID, uac: dc}
	s.mu.Lock()
	s.legs[l.id] = l
	s.mu.Unlock()
	s.startTimer(l, s.answeredTimer(dc.InviteResponse))
	c.media.bridge(ep, "")
	c.mu.Lock()
	c.out = l
	c.transferred = true
	c.transfering = false
	c.rec.TransferTarget = target
	c.mu.Unlock()
	return nil
}

// releaseAgent ends the agent's leg after a transfer and tells the queue the agent is free.
func (s *Server) releaseAgent(ctx context.Context, c *call, byeAgent bool) {
	c.mu.Lock()
	agent := c.agent
	c.agent = nil
	c.mu.Unlock()
	if agent == nil {
		return
	}
	s.mu.Lock()
	delete(s.legs, agent.id)
	s.mu.Unlock()
	if byeAgent {
		agent.bye(ctx)
	}
	if err := s.queue.CallEnded(c.callID); err != nil {
		s.log.Warn("release agent after transfer", "call_id", c.callID, "err", err)
	}
}

// recordTransfer puts the transfer on the linked ticket's timeline, if a ticket is linked.
func (s *Server) recordTransfer(ctx context.Context, c *call, target string, actor tickets.Actor, result error) {
	c.mu.Lock()
	ticketID := c.rec.TicketID
	recID := c.rec.ID
	ext := c.rec.Extension // the queue may be writing the call's final record
	c.mu.Unlock()
	outcome := "ok"
	body := "一键转接 " + target + "（one-key transfer to " + target + "）"
	if result != nil {
		outcome = "failed"
		body += "：未接通（not connected）"
	}
	s.log.Info("call transfer", "call_id", c.callID, "target", target, "result", outcome)
	s.hub.publish(ext, Event{Type: "transfer", CallID: recID, Extension: ext, Result: outcome, At: s.clock.Now()})
	if ticketID == nil {
		return
	}
	data, _ := json.Marshal(map[string]any{"target": target, "call_id": recID, "result": outcome})
	ev := &tickets.Event{TicketID: *ticketID, Kind: "call_transfer", ActorName: actor.Name, ActorRole: string(actor.Role),
		At: s.clock.Now(), Body: body, Data: data}
	if actor.ID != 0 {
		id := actor.ID
		ev.ActorID = &id
	}
	if actor.DepartmentID != 0 {
		d := actor.DepartmentID
		ev.DepartmentID = &d
	}
	if err := tickets.AppendEvent(ctx, s.db, ev); err != nil {
		s.log.Error("transfer on the ticket's timeline", "ticket_id", *ticketID, "err", err)
	}
}

// onRefer handles a blind transfer from the agent's phone (RFC 3515): 202 Accepted, NOTIFYs
// with the progress as message/sipfrag, then the agent is released on success.
func (s *Server) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c := l.c
	c.mu.Lock()
	isAgent := l == c.agent
	c.mu.Unlock()
	if !isAgent {
		s.respond(tx, req, 403, "Only The Agent May Transfer")
		return
	}
	rt := req.ReferTo()
	if rt == nil {
		s.respond(tx, req, 400, "Missing Refer-To")
		return
	}
	target := rt.Address.User
	if _, ok := s.cfg.Transfers[target]; !ok {
		s.respond(tx, req, 403, "Transfer Target Not Allowed")
		return
	}
	c.mu.Lock()
	ok := c.talking && !c.transferred && !c.transfering && c.consult == nil
	c.mu.Unlock()
	if !ok {
		s.respond(tx, req, 491, "Request Pending")
		return
	}
	s.respond(tx, req, 202, "Accepted")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*sipTimeout)
		defer cancel()
		s.notifyRefer(ctx, l, "SIP/2.0 100 Trying", false)
		err := s.transfer(ctx, c, target)
		actor := tickets.Actor{Name: "分机 " + l.ext, Role: org.RoleAgent}
		if st, serr := s.org.StaffByExtension(ctx, l.ext); serr == nil {
			actor = tickets.ActorFor(st)
		}
		s.recordTransfer(ctx, c, target, actor, err)
		if err != nil {
			s.log.Info("transfer failed; caller stays with the agent", "call_id", c.callID, "err", err)
			s.notifyRefer(ctx, l, "SIP/2.0 503 Service Unavailable", true)
			return
		}
		// The agent is let go before the final NOTIFY: the phone may hang up as soon as it
		// has it, and that BYE must find the leg released, not end the transferred call.
		s.releaseReferrer(c, l)
		s.notifyRefer(ctx, l, "SIP/2.0 200 OK", true)
	}()
}

// releaseReferrer frees the agent whose phone transferred the call by REFER. The phone, as the
// transferor, hangs its leg up itself once told that the transfer succeeded (RFC 5589 6.1);
// were hotline to send its own BYE at once, the two BYEs would cross and one would get 481
// (fault 5). So the agent is free for the queue at once, the phone's BYE is answered 200
// without touching the call (onBye), and hotline sends a BYE only if none came within
// ReferByeWait — a BYE the phone has sent already is never repeated (sipgo's dialog is over).
func (s *Server) releaseReferrer(c *call, l *leg) {
	c.mu.Lock()
	if c.agent == l {
		c.agent = nil
	}
	c.mu.Unlock()
	l.released.Store(true)
	if err := s.queue.CallEnded(c.callID); err != nil {
		s.log.Warn("release agent after transfer", "call_id", c.callID, "err", err)
	}
	time.AfterFunc(s.cfg.ReferByeWait, func() {
		ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		defer cancel()
		if err := l.bye(ctx); err != nil {
			s.log.Debug("bye to the transferor", "call_id", c.callID, "err", err)
		}
		s.mu.Lock()
		delete(s.legs, l.id)
		s.mu.Unlock()
	})
}

// notifyRefer sends the agent a NOTIFY of the refer subscription with a sipfrag status.
func (s *Server) notifyRefer(ctx context.Context, l *leg, frag string, final bool) {
	n := sip.NewRequest(sip.NOTIFY, l.remoteTarget())
	n.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	n.AppendHeader(sip.NewHeader("Subscription-State", state))
	n.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	n.SetBody([]byte(frag + "\r\n"))
	if _, err := l.do(ctx, n); err != nil {
		s.log.Debug("notify refer", "err", err)
	}
}

// uriTransport is the transport a target's URI asks for (its transport parameter), UDP if none.
func uriTransport(uri sip.Uri) string {
	if tp, ok := uri.UriParams.Get("transport"); ok {
		return strings.ToLower(tp)
	}
	return "udp"
}
