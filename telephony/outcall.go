package telephony

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// Errors of a department's calls to citizens.
var (
	// ErrNoPhone is a ticket without a phone number to call.
	ErrNoPhone = errors.New("the ticket has no phone number to call")
	// ErrCallingAlready is a second call to a ticket's citizen while the first is under way.
	ErrCallingAlready = errors.New("the citizen of this ticket is being called already")
)

// DefaultContactMinTalk is how long an answered call to the citizen must last to count as the
// ticket's first contact (首次反馈).
const DefaultContactMinTalk = 10 * time.Second

// TicketCall is one attempt of a department to call the citizen of a ticket through 12345
// (部门通过12345联系市民), as stored in ticket_calls. Its recording, when there is one, is the
// recording with the same ID.
type TicketCall struct {
	bun.BaseModel `bun:"table:ticket_calls,alias:tc"`

	ID           string     `bun:"id,pk,type:uuid" json:"id"`
	TicketID     int64      `bun:"ticket_id" json:"-"`
	StaffID      *int64     `bun:"staff_id" json:"-"`
	StaffName    string     `bun:"staff_name" json:"staff"`
	DepartmentID *int64     `bun:"department_id" json:"-"`
	Extension    string     `bun:"extension" json:"extension"`
	Result       string     `bun:"result" json:"result"`
	StartedAt    time.Time  `bun:"started_at" json:"started_at"`
	AnsweredAt   *time.Time `bun:"answered_at" json:"answered_at"`
	EndedAt      *time.Time `bun:"ended_at" json:"ended_at"`
	TalkMS       int64      `bun:"talk_ms" json:"talk_ms"`
	// Feedback says the call recorded the ticket's first contact (首次反馈).
	Feedback bool `bun:"feedback" json:"feedback"`

	// Ticket is the ticket's number, read by a join.
	Ticket string `bun:"ticket,scanonly" json:"ticket"`
}

// CallTicketCitizen calls the citizen of ticket number for actor, a handler of a department
// holding it (lead or co-handler), whose phone is ext: the handler's phone rings first and,
// once answered, the citizen's through the outbound gateway with the hotline's number as the
// caller ID. The handler's phone is shown the hotline and the ticket, never the citizen's
// number, so a confidential ticket (保密) may be called too. The call is recorded; its end
// puts the attempt on the ticket's timeline and, answered long enough, records the first
// contact (反馈). The attempt is returned at once, while the phones ring.
func (s *Server) CallTicketCitizen(ctx context.Context, actor tickets.Actor, number, ext string) (*TicketCall, error) {
	if !s.cfg.Media.Enabled || s.ports == nil {
		// Unrecorded, the call would prove nothing, and without hotline in the media path
		// the citizen's SDP would reach the handler's phone.
		return nil, fmt.Errorf("call the citizen of %s: %w", number, ErrNoMedia)
	}
	if s.cfg.Outbound == "" {
		return nil, fmt.Errorf("call the citizen of %s: %w", number, ErrNoOutbound)
	}
	t, err := s.tickets.GetFor(ctx, actor, number)
	if errors.Is(err, tickets.ErrForbidden) {
		// Another department's ticket is not there at all for this handler.
		return nil, fmt.Errorf("call the citizen of %s: %w", number, tickets.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if t.Merged() {
		return nil, fmt.Errorf("call the citizen of %s: %w", number, tickets.ErrMerged)
	}
	if t.Status != tickets.StatusDispatched && t.Status != tickets.StatusAccepted {
		return nil, fmt.Errorf("call the citizen of %s: a department calls while it handles the ticket, it is %s: %w",
			number, t.Status, tickets.ErrTransition)
	}
	if t.CallerPhone == "" {
		return nil, fmt.Errorf("call the citizen of %s: %w", number, ErrNoPhone)
	}
	b, ok := s.reg.lookup(ext)
	if !ok {
		return nil, ErrAgentUnavailable
	}
	s.mu.Lock()
	if !s.serving {
		s.mu.Unlock()
		return nil, ErrAgentUnavailable
	}
	if s.ticketCalls == nil {
		s.ticketCalls = make(map[int64]bool)
	}
	busy := s.ticketCalls[t.ID]
	s.ticketCalls[t.ID] = true
	if !busy {
		// Under s.mu with serving checked: a shutdown waits for every attempt it let start.
		s.outcalls.Add(1)
	}
	s.mu.Unlock()
	if busy {
		return nil, fmt.Errorf("call the citizen of %s: %w", number, ErrCallingAlready)
	}
	tc := &TicketCall{ID: uuid.NewString(), TicketID: t.ID, StaffName: actor.Name, Extension: ext,
		Result: "calling", StartedAt: s.clock.Now(), Ticket: t.Number}
	if actor.ID != 0 {
		tc.StaffID = &actor.ID
	}
	if actor.DepartmentID != 0 {
		tc.DepartmentID = &actor.DepartmentID
	}
	if _, err := s.db.NewInsert().Model(tc).Exec(ctx); err != nil {
		s.doneCalling(t.ID)
		s.outcalls.Done()
		return nil, fmt.Errorf("call the citizen of %s: %w", number, err)
	}
	s.log.Info("department calls the citizen", "ticket_no", t.Number, "ext", ext, "phone", tickets.MaskPhone(t.CallerPhone))
	// #nosec G118 -- the call outlives the request that started it, by design.
	go s.runTicketCall(*tc, t.CallerPhone, actor, b)
	return tc, nil
}

func (s *Server) doneCalling(ticketID int64) {
	s.mu.Lock()
	delete(s.ticketCalls, ticketID)
	s.mu.Unlock()
}

// runTicketCall places the call, waits for its end and records it.
func (s *Server) runTicketCall(tc TicketCall, phone string, actor tickets.Actor, b binding) {
	defer s.outcalls.Done()
	defer s.doneCalling(tc.TicketID)
	result, c := s.dialOut(outDial{phone: phone, shown: s.cfg.Hotline, display: tc.Ticket,
		header: sip.NewHeader("X-Hotline-Ticket", tc.Ticket), recordID: tc.ID}, b)
	if result == "agent_unreachable" {
		result = "handler_unreachable"
	}
	if c == nil && s.life.Err() != nil {
		// The server stopped while the phones rang: nobody missed the call.
		result = "failed"
	}
	tc.Result = result
	if c != nil {
		now := s.clock.Now()
		tc.AnsweredAt = &now
		if s.place(c) {
			s.hub.publish(b.ext, Event{Type: "citizen_call", Extension: b.ext, Result: "talking", At: now})
			<-c.over
		}
		s.mu.Lock()
		delete(s.placed, c)
		s.mu.Unlock()
	}
	end := s.clock.Now()
	tc.EndedAt = &end
	if tc.AnsweredAt != nil {
		tc.TalkMS = end.Sub(*tc.AnsweredAt).Milliseconds()
	}
	min := s.cfg.ContactMinTalk
	if min <= 0 {
		min = DefaultContactMinTalk
	}
	contact := result == "answered" && time.Duration(tc.TalkMS)*time.Millisecond >= min
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.recordTicketCall(ctx, &tc, actor, contact)
	if err != nil && contact {
		// The first contact could not be recorded (the ticket moved on meanwhile): the
		// attempt is kept all the same.
		s.log.Warn("first contact by phone not recorded", "ticket_no", tc.Ticket, "err", err)
		err = s.recordTicketCall(ctx, &tc, actor, false)
	}
	if err != nil {
		s.log.Error("record the call to the citizen", "ticket_no", tc.Ticket, "err", err)
	}
	s.log.Info("department's call to the citizen", "ticket_no", tc.Ticket, "result", result, "talk_ms", tc.TalkMS, "feedback", tc.Feedback)
	s.hub.publish(b.ext, Event{Type: "citizen_call", Extension: b.ext, Result: result, At: end})
}

// recordTicketCall writes the attempt's end and its timeline event in one transaction, with
// the first contact (反馈) when contact says the answered call counts as one and the ticket
// has none yet.
func (s *Server) recordTicketCall(ctx context.Context, tc *TicketCall, actor tickets.Actor, contact bool) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var t struct {
			Status       string     `bun:"status"`
			FeedbackAt   *time.Time `bun:"feedback_at"`
			DepartmentID *int64     `bun:"department_id"`
			MasterID     *int64     `bun:"master_id"`
		}
		if err := tx.NewSelect().Table("tickets").Column("status", "feedback_at", "department_id", "master_id").
			Where("id = ?", tc.TicketID).For("UPDATE").Scan(ctx, &t); err != nil {
			return fmt.Errorf("read ticket: %w", err)
		}
		// The first contact is the lead department's, on a ticket it has signed for.
		tc.Feedback = contact && t.FeedbackAt == nil && t.MasterID == nil && t.Status == string(tickets.StatusAccepted) &&
			t.DepartmentID != nil && *t.DepartmentID == actor.DepartmentID
		if _, err := tx.NewUpdate().Model(tc).Column("result", "answered_at", "ended_at", "talk_ms", "feedback").
			WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update ticket call: %w", err)
		}
		data, _ := json.Marshal(map[string]any{"call_id": tc.ID, "result": tc.Result, "talk_ms": tc.TalkMS,
			"extension": tc.Extension, "started_at": tc.StartedAt, "answered_at": tc.AnsweredAt, "ended_at": tc.EndedAt,
			"feedback": tc.Feedback})
		ev := &tickets.Event{TicketID: tc.TicketID, Kind: "citizen_call", ActorID: tc.StaffID, ActorName: actor.Name,
			ActorRole: string(actor.Role), DepartmentID: tc.DepartmentID, At: *tc.EndedAt, Body: ticketCallBody(tc), Data: data}
		if err := tickets.AppendEvent(ctx, tx, ev); err != nil {
			return err
		}
		if !tc.Feedback {
			return nil
		}
		_, err := s.tickets.FeedbackTx(ctx, tx, actor, tc.Ticket, tickets.ActInput{
			Text: "通过12345电话联系市民，已录音（contacted by phone through 12345, recorded）",
			Data: map[string]any{"call_id": tc.ID, "by": "phone_12345"}})
		return err
	})
}

// ticketCallWords are an attempt's results on the timeline, in Chinese and English.
var ticketCallWords = map[string]string{
	"answered":            "已接通（answered）",
	"no_answer":           "市民未接听（no answer）",
	"busy":                "市民忙线（busy）",
	"handler_unreachable": "承办人话机未接听（your phone did not answer）",
	"failed":              "呼叫失败（failed）",
}

// ticketCallBody is the attempt's line on the timeline.
func ticketCallBody(tc *TicketCall) string {
	b := "经12345致电市民（called the citizen through 12345）：" + ticketCallWords[tc.Result]
	if tc.Result == "answered" {
		b += fmt.Sprintf("，通话 %d 秒（%d s）", tc.TalkMS/1000, tc.TalkMS/1000)
	}
	return b
}

// ListTicketCalls returns the calls to the citizen of ticket id, oldest first.
func ListTicketCalls(ctx context.Context, db bun.IDB, ticketID int64) ([]TicketCall, error) {
	var out []TicketCall
	err := db.NewSelect().Model(&out).ColumnExpr("tc.*").ColumnExpr("t.number AS ticket").
		Join("JOIN tickets t ON t.id = tc.ticket_id").Where("tc.ticket_id = ?", ticketID).
		OrderExpr("tc.started_at, tc.id").Limit(200).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("calls to the citizen of ticket %d: %w", ticketID, err)
	}
	return out, nil
}

// GetTicketCall returns one call to a citizen by its ID.
func GetTicketCall(ctx context.Context, db bun.IDB, id string) (*TicketCall, error) {
	if uuid.Validate(id) != nil {
		return nil, fmt.Errorf("call %q: %w", id, ErrNotFound)
	}
	tc := new(TicketCall)
	err := db.NewSelect().Model(tc).ColumnExpr("tc.*").ColumnExpr("t.number AS ticket").
		Join("JOIN tickets t ON t.id = tc.ticket_id").Where("tc.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("call %s: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("call %s: %w", id, err)
	}
	return tc, nil
}

// bridgeOut puts the audio of a call hotline placed through hotline: the citizen's endpoint is
// the call's caller side (left channel of the recording), the staff member's the other.
func (s *Server) bridgeOut(c *call, citizen, staff *endpoint, recID string) *callMedia {
	m := &callMedia{s: s, callID: c.callID, caller: citizen, answer: citizen.local, stop: make(chan struct{}),
		done: make(chan struct{}), digits: make(chan byte, 8)}
	m.onSilence = func(agent bool, since time.Time) { s.silent(c, agent, since) }
	go citizen.read(m.fromCaller, m.onCallerEvent)
	m.bridge(staff, recID)
	return m
}

// place files a department's call to a citizen that is talking, so that a shutdown ends it,
// and reports whether it may go on: false when the server is stopping already (the call is
// then ended here).
func (s *Server) place(c *call) bool {
	s.mu.Lock()
	serving := s.serving && s.life.Err() == nil
	if serving {
		s.placed[c] = struct{}{}
	}
	s.mu.Unlock()
	if !serving {
		s.endPlaced(c)
	}
	return serving
}

// finishPlaced ends, at shutdown, the departments' calls to citizens that are talking, and
// waits for every attempt under way (ringing ones give up with the server's life) to store its
// final result and its recording.
func (s *Server) finishPlaced() {
	s.mu.Lock()
	live := make([]*call, 0, len(s.placed))
	for c := range s.placed {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		s.endPlaced(c)
	}
	done := make(chan struct{})
	go func() {
		s.outcalls.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		s.log.Error("calls to citizens still unrecorded at shutdown")
	}
}

// endPlaced ends a call hotline placed without a word to the phones (the SIP transport is
// closed by then): its recording is completed and stored, and its attempt learns the end.
func (s *Server) endPlaced(c *call) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.mu.Unlock()
	c.closeMedia()
	s.forgetLegs(c)
	close(c.over)
}
