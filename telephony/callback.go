package telephony

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// Errors of callbacks.
var (
	ErrCallbackBusy     = errors.New("callback task is being called or done")
	ErrAgentUnavailable = errors.New("your phone is not registered")
	ErrNoOutbound       = errors.New("no outbound gateway is configured for calls to citizens")
)

// Callbacks lists callback tasks, open ones oldest first (the citizen who waited longest
// is called first), then the rest newest first. status "" lists open and calling tasks.
func (s *Server) Callbacks(ctx context.Context, status string, limit int) ([]CallbackTask, error) {
	return ListCallbacks(ctx, s.db, status, limit)
}

// ListCallbacks is Callbacks over db, for a process that reads the tasks without running the
// SIP front end.
func ListCallbacks(ctx context.Context, db bun.IDB, status string, limit int) ([]CallbackTask, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var ts []CallbackTask
	q := db.NewSelect().Model(&ts).ColumnExpr("cb.*").
		// The missed calls a task stands for: its own and those from its number since, while
		// it was open.
		ColumnExpr(`(SELECT count(*) FROM call_records r WHERE r.caller = cb.phone AND r.outcome IN (?)
			AND r.started_at >= (SELECT c.started_at FROM call_records c WHERE c.id = cb.call_id)
			AND (cb.status IN ('open', 'calling') OR r.started_at <= cb.updated_at)) AS missed_calls`, bun.List(callbackOutcomes)).
		// The voice messages left from its number since its call, while it was open.
		ColumnExpr(`ARRAY(SELECT vm.call_id::text FROM voice_messages vm WHERE vm.phone = cb.phone
			AND vm.created_at >= (SELECT c.started_at FROM call_records c WHERE c.id = cb.call_id)
			AND (cb.status IN ('open', 'calling') OR vm.created_at <= cb.updated_at)
			ORDER BY vm.created_at) AS messages`).
		Limit(int64(limit))
	if status == "" {
		q = q.Where("cb.status IN ('open', 'calling')").OrderExpr("cb.created_at, cb.id")
	} else {
		q = q.Where("cb.status = ?", status).OrderExpr("cb.created_at DESC, cb.id DESC")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	return ts, nil
}

// CallBack starts calling the citizen of task id back for the agent at ext: the agent's
// phone rings first and, once the agent answers, the citizen's. The attempt and its result
// are kept; a task goes back to open when the attempt fails and to done when the citizen
// answers.
func (s *Server) CallBack(ctx context.Context, id int64, ext string, staffID int64) (*CallbackTask, error) {
	if s.cfg.Outbound == "" {
		return nil, fmt.Errorf("call back %d: %w", id, ErrNoOutbound)
	}
	b, ok := s.reg.lookup(ext)
	if !ok {
		return nil, ErrAgentUnavailable
	}
	t := new(CallbackTask)
	var attemptID int64
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(t).Where("cb.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("callback %d: %w", id, ErrNotFound)
			}
			return err
		}
		if t.Status != "open" {
			return fmt.Errorf("callback %d is %s: %w", id, t.Status, ErrCallbackBusy)
		}
		now := s.clock.Now()
		t.Status, t.Attempts, t.LastAttemptAt, t.UpdatedAt = "calling", t.Attempts+1, &now, now
		if _, err := tx.NewUpdate().Model(t).Column("status", "attempts", "last_attempt_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		var sid *int64
		if staffID != 0 {
			sid = &staffID
		}
		return tx.NewRaw("INSERT INTO callback_attempts (task_id, extension, staff_id, started_at) VALUES (?, ?, ?, ?) RETURNING id",
			t.ID, ext, sid, now).Scan(ctx, &attemptID)
	})
	if err != nil {
		return nil, fmt.Errorf("call back: %w", err)
	}
	s.log.Info("callback started", "callback_id", t.ID, "ext", ext, "phone", tickets.MaskPhone(t.Phone))
	// #nosec G118 -- the callback outlives the request that started it, by design.
	go s.runCallback(*t, attemptID, b)
	return t, nil
}

// runCallback places the two legs of a callback and bridges them.
func (s *Server) runCallback(t CallbackTask, attemptID int64, b binding) {
	result := s.dialCallback(t, b)
	now := s.clock.Now()
	status := "open"
	if result == "answered" {
		status = "done"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("UPDATE callback_attempts SET ended_at = ?, result = ? WHERE id = ?", now, result, attemptID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewRaw("UPDATE callback_tasks SET status = ?, last_result = ?, updated_at = ? WHERE id = ?", status, result, now, t.ID).Exec(ctx)
		return err
	})
	if err != nil {
		s.log.Error("record callback attempt", "callback_id", t.ID, "err", err)
	}
	s.log.Info("callback attempt", "callback_id", t.ID, "result", result)
	s.hub.publish(b.ext, Event{Type: "callback", Extension: b.ext, Result: result, At: now})
}

// dialCallback rings the agent, then the citizen, and returns the attempt's result.
func (s *Server) dialCallback(t CallbackTask, b binding) string {
	result, _ := s.dialOut(outDial{phone: t.Phone, shown: t.Phone,
		header: sip.NewHeader("X-Hotline-Callback", fmt.Sprint(t.ID))}, b)
	return result
}

// outDial is a call hotline places to a citizen for a member of staff: their phone rings
// first and, once they answer, the citizen's through the outbound gateway, with the hotline's
// number as the caller ID.
type outDial struct {
	phone string // the citizen's number
	// shown is the caller the staff member's phone shows (the From user) and display the
	// From's display name: the citizen's number for the centre's own callbacks, never for a
	// department's call, whose handler must not learn it.
	shown, display string
	header         sip.Header // names the task or the ticket for the phone; nil: none
	// recordID, with media on, puts the call's audio through hotline and records it under
	// this ID (the citizen left, the staff member right); empty: the phones exchange audio
	// directly, unrecorded.
	recordID string
}

// dialOut places o for the staff member whose phone is b and returns the result; the call is
// returned when the citizen answered, live until either side hangs up (over is closed then).
func (s *Server) dialOut(o outDial, b binding) (string, *call) {
	ring := s.cfg.ACD.RingTimeout
	if ring <= 0 {
		ring = 15 * time.Second
	}
	anchor := o.recordID != "" && s.cfg.Media.Enabled && s.ports != nil
	var staffSess, citSess *media.MediaSession
	var staffOffer, citOffer []byte
	closeSessions := func() {
		if staffSess != nil {
			staffSess.Close()
		}
		if citSess != nil {
			citSess.Close()
		}
	}
	if anchor {
		var err error
		if staffSess, staffOffer, err = s.offerAgent(); err != nil {
			s.log.Error("staff phone media", "ext", b.ext, "err", err)
			return "failed", nil
		}
	}
	// The staff member's phone: without media, no SDP, so its answer carries the offer we
	// pass to the citizen; with media, hotline's own offer.
	actx, acancel := context.WithTimeout(s.life, ring)
	defer acancel()
	req := s.newInvite(b.contact, b.transport, o.shown, b.ext, staffOffer)
	if o.display != "" {
		req.From().DisplayName = o.display
	}
	req.SetDestination(b.dest)
	if o.header != nil {
		req.AppendHeader(o.header)
	}
	agent, err := s.dialogUA(b.transport).WriteInvite(actx, req)
	if err != nil {
		closeSessions()
		return "agent_unreachable", nil
	}
	if err := agent.WaitAnswer(actx, sipgo.AnswerOptions{}); err != nil {
		if agent.InviteResponse != nil && agent.InviteResponse.IsSuccess() {
			s.ackAndBye(agent)
		}
		closeSessions()
		return "agent_unreachable", nil
	}
	var staffEP *endpoint
	if anchor {
		if staffEP, err = answered(staffSess, staffOffer, agent.InviteResponse.Body(), agent.ID); err != nil {
			s.log.Warn("staff phone answered without a usable codec", "ext", b.ext, "err", err)
			s.ackAndBye(agent)
			closeSessions()
			return "failed", nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
		agent.Ack(ctx)
		cancel()
	}
	hangUpStaff := func() {
		if anchor {
			ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
			agent.Bye(ctx)
			cancel()
			return
		}
		s.ackAndBye(agent)
	}
	target, ok := s.outbound(o.phone)
	if !ok {
		hangUpStaff()
		closeSessions()
		return "failed", nil
	}
	offer := agent.InviteResponse.Body()
	if anchor {
		if citSess, citOffer, err = s.offerAgent(); err != nil {
			s.log.Error("citizen media", "err", err)
			hangUpStaff()
			closeSessions()
			return "failed", nil
		}
		offer = citOffer
	}
	cctx, ccancel := context.WithTimeout(s.life, 45*time.Second)
	defer ccancel()
	creq := s.newInvite(target, "udp", s.cfg.Hotline, o.phone, offer)
	citizen, err := s.dialogUA("udp").WriteInvite(cctx, creq)
	if err == nil {
		err = citizen.WaitAnswer(cctx, sipgo.AnswerOptions{})
	}
	if err != nil {
		if citizen != nil && citizen.InviteResponse != nil && citizen.InviteResponse.IsSuccess() {
			s.ackAndBye(citizen)
		}
		hangUpStaff()
		closeSessions()
		var re *sipgo.ErrDialogResponse
		if errors.As(err, &re) && (re.Res.StatusCode == 486 || re.Res.StatusCode == 600) {
			return "busy", nil
		}
		return "no_answer", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sipTimeout)
	defer cancel()
	citizen.Ack(ctx)
	c := &call{callID: "callback-" + agent.InviteRequest.CallID().Value(), talking: true,
		ringing: map[string]context.CancelFunc{}, over: make(chan struct{})}
	c.agent = &leg{c: c, id: agent.ID, ext: b.ext, uac: agent}
	if anchor {
		citEP, err := answered(citSess, citOffer, citizen.InviteResponse.Body(), citizen.ID)
		if err != nil {
			s.log.Warn("citizen answered without a usable codec", "err", err)
			citizen.Bye(ctx)
			hangUpStaff()
			closeSessions()
			return "failed", nil
		}
		// The citizen is the call's caller side: their session stays for the whole call,
		// and their silence ends it. No survey follows a call hotline placed.
		c.in = &leg{c: c, id: citizen.ID, uac: citizen}
		c.out, c.surveyed = c.agent, true
		c.media = s.bridgeOut(c, citEP, staffEP, o.recordID)
	} else {
		// The agent's late offer is answered in the ACK with the citizen's SDP.
		ack := sip.NewRequest(sip.ACK, *agent.InviteResponse.Contact().Address.Clone())
		if body := citizen.InviteResponse.Body(); len(body) > 0 {
			ack.SetBody(body)
			ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		}
		agent.WriteAck(ctx, ack)
		c.out = &leg{c: c, id: citizen.ID, uac: citizen}
	}
	c.rec.ID = ""
	s.mu.Lock()
	for _, l := range []*leg{c.in, c.agent, c.out} {
		if l != nil {
			s.legs[l.id] = l
		}
	}
	s.mu.Unlock()
	for _, l := range []*leg{c.in, c.agent, c.out} {
		if l != nil && l.st == nil {
			s.startTimer(l, s.answeredTimer(l.uac.InviteResponse))
		}
	}
	return "answered", c
}

// outbound returns the URI that reaches phone through the gateway.
func (s *Server) outbound(phone string) (sip.Uri, bool) {
	gw := s.cfg.Outbound
	if gw == "" {
		return sip.Uri{}, false
	}
	host, port, err := net.SplitHostPort(gw)
	if err != nil {
		host, port = gw, "5060"
	}
	var u sip.Uri
	if err := sip.ParseUri("sip:"+phone+"@"+net.JoinHostPort(host, port), &u); err != nil {
		return sip.Uri{}, false
	}
	return u, true
}
