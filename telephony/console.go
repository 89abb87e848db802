package telephony

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// ErrBadStatus means an agent status other than available, break or signed_out.
var ErrBadStatus = errors.New("agent status must be available, break or signed_out")

// ParseStatus reads an agent status as the console sends it.
func ParseStatus(v string) (acd.Status, error) {
	switch v {
	case "available":
		return acd.StatusAvailable, nil
	case "break":
		return acd.StatusBreak, nil
	case "signed_out":
		return acd.StatusSignedOut, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrBadStatus, v)
}

// SetAgentStatus records the status an agent chose on the console for their extension.
func (s *Server) SetAgentStatus(ext string, st acd.Status) error {
	if err := s.queue.SetStatus(ext, st); err != nil {
		return err
	}
	s.mu.Lock()
	s.statuses[ext] = st
	s.mu.Unlock()
	s.log.Info("agent status", "ext", ext, "status", st.String())
	s.hub.publish(ext, Event{Type: "status", Extension: ext, Status: st.String(), At: s.clock.Now()})
	return nil
}

// AgentState is an agent as the console shows it.
type AgentState struct {
	Extension  string `json:"extension"`
	Registered bool   `json:"registered"`
	Status     string `json:"status"`
	State      string `json:"state"`
	CallID     string `json:"call_id,omitempty"` // the call record's ID while on a call
}

// Agent returns the queue's view of one extension.
func (s *Server) Agent(ext string) AgentState {
	out := AgentState{Extension: ext, Status: acd.StatusSignedOut.String(), State: acd.StateIdle.String()}
	for _, a := range s.queue.Snapshot().Agents {
		if a.Ext == ext {
			out.Registered, out.Status, out.State = a.Registered, a.Status.String(), a.State.String()
			if a.CallID != "" {
				s.mu.Lock()
				if c := s.calls[a.CallID]; c != nil {
					out.CallID = c.rec.ID
				}
				s.mu.Unlock()
			}
		}
	}
	return out
}

// Queue returns a snapshot of the call queue for the wallboard.
func (s *Server) Queue() acd.Snapshot { return s.queue.Snapshot() }

// liveCall returns the call in progress with record ID id.
func (s *Server) liveCall(id string) *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byRecord[id]
}

// Transfer sends the caller of the call with record ID id to target ("110", or another
// configured hotline) on behalf of the agent at ext, from the console. On success the agent
// is released; on failure the caller stays with the agent.
func (s *Server) Transfer(ctx context.Context, id, ext, target string, actor tickets.Actor) error {
	c := s.liveCall(id)
	if c == nil {
		return fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	if _, ok := s.cfg.Transfers[target]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTarget, target)
	}
	c.mu.Lock()
	mine := c.agent != nil && c.agent.ext == ext
	c.mu.Unlock()
	if !mine {
		return fmt.Errorf("call %s is not with extension %s: %w", id, ext, ErrNotTransferable)
	}
	// The SIP work must not be cut short by the HTTP client going away.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*sipTimeout)
	defer cancel()
	err := s.transfer(sctx, c, target)
	s.recordTransfer(sctx, c, target, actor, err)
	if err != nil {
		return err
	}
	s.releaseAgent(sctx, c, true)
	return nil
}

// Targets lists the configured transfer targets by name.
func (s *Server) Targets() map[string]string {
	out := make(map[string]string, len(s.cfg.Transfers))
	for k, v := range s.cfg.Transfers {
		out[k] = v
	}
	return out
}

// LinkTicket links the ticket with number to the call with record ID id, so that the call
// list shows which ticket the call produced.
func (s *Server) LinkTicket(ctx context.Context, id, number string) error {
	if uuid.Validate(id) != nil {
		return fmt.Errorf("call %q: %w", id, ErrNotFound)
	}
	var ticketID int64
	err := s.db.NewSelect().Table("tickets").Column("id").Where("number = ?", number).Scan(ctx, &ticketID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("ticket %s: %w", number, tickets.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("link ticket %s: %w", number, err)
	}
	live := false
	if c := s.liveCall(id); c != nil {
		c.mu.Lock()
		c.rec.TicketID = &ticketID
		c.mu.Unlock()
		live = true
	}
	res, err := s.db.NewUpdate().Table("call_records").Set("ticket_id = ?", ticketID).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("link ticket %s to call %s: %w", number, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 && !live {
		return fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	return nil
}

// CallFilter selects calls for the list.
type CallFilter struct {
	Caller    string
	Extension string // the agent's extension that took the call
	Outcome   string
	Limit     int
	Before    time.Time // started before; zero: no bound
	// TicketID selects the calls linked to one ticket; zero: any.
	TicketID int64
}

// Calls lists call records, newest first.
func (s *Server) Calls(ctx context.Context, f CallFilter) ([]Record, error) {
	return ListCalls(ctx, s.db, f)
}

// ListCalls lists call records in db, newest first, with the linked ticket's number.
func ListCalls(ctx context.Context, db bun.IDB, f CallFilter) ([]Record, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var rs []Record
	q := db.NewSelect().Model(&rs).
		ColumnExpr("cr.*").ColumnExpr("coalesce(t.number, '') AS ticket").
		Join("LEFT JOIN tickets AS t ON t.id = cr.ticket_id").
		OrderExpr("cr.started_at DESC, cr.id DESC").Limit(int64(f.Limit))
	if f.Caller != "" {
		q = q.Where("cr.caller = ?", f.Caller)
	}
	if f.Extension != "" {
		q = q.Where("cr.extension = ?", f.Extension)
	}
	if f.Outcome != "" {
		q = q.Where("cr.outcome = ?", f.Outcome)
	}
	if !f.Before.IsZero() {
		q = q.Where("cr.started_at < ?", f.Before)
	}
	if f.TicketID != 0 {
		q = q.Where("cr.ticket_id = ?", f.TicketID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	return rs, nil
}

// Call returns one call record by ID.
func (s *Server) Call(ctx context.Context, id string) (*Record, error) {
	return GetCall(ctx, s.db, id)
}

// GetCall returns one call record in db by ID, with the linked ticket's number.
func GetCall(ctx context.Context, db bun.IDB, id string) (*Record, error) {
	if uuid.Validate(id) != nil {
		return nil, fmt.Errorf("call %q: %w", id, ErrNotFound)
	}
	r := new(Record)
	err := db.NewSelect().Model(r).
		ColumnExpr("cr.*").ColumnExpr("coalesce(t.number, '') AS ticket").
		Join("LEFT JOIN tickets AS t ON t.id = cr.ticket_id").
		Where("cr.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("call %s: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("call %s: %w", id, err)
	}
	return r, nil
}
