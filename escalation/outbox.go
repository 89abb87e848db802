package escalation

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// Notification channels.
const (
	ChannelInApp = "inapp"
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Notification is one message to one recipient on one channel (the outbox row). It is written
// in the transaction of what caused it, and the delivery worker sends it.
type Notification struct {
	bun.BaseModel `bun:"table:notifications,alias:n"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	Channel       string     `bun:"channel" json:"channel"`
	StaffID       *int64     `bun:"staff_id" json:"-"`
	Address       string     `bun:"address" json:"-"`
	TicketID      *int64     `bun:"ticket_id" json:"-"`
	ActionID      *int64     `bun:"action_id" json:"-"`
	Kind          string     `bun:"kind" json:"kind"`
	Subject       string     `bun:"subject" json:"subject"`
	Body          string     `bun:"body" json:"body"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	Status        string     `bun:"status" json:"status"`
	Attempts      int        `bun:"attempts" json:"-"`
	NextAttemptAt time.Time  `bun:"next_attempt_at" json:"-"`
	SentAt        *time.Time `bun:"sent_at" json:"sent_at,omitempty"`
	ReadAt        *time.Time `bun:"read_at" json:"read_at,omitempty"`
	LastError     string     `bun:"last_error" json:"-"`

	TicketNumber string `bun:"ticket_number,scanonly" json:"ticket,omitempty"`
}

// message is what to tell people; notify turns it into outbox rows per recipient and channel.
type message struct {
	kind     string
	subject  string
	body     string
	ticketID int64
	actionID *int64
	urgent   bool // also by SMS
}

// rowsFor builds the outbox rows of one message: in-app for every recipient, e-mail for those
// with an address when e-mail is configured, SMS for urgent messages when SMS is configured.
func (s *Service) rowsFor(m message, to []org.Staff, now time.Time) []*Notification {
	var out []*Notification
	add := func(channel string, staffID *int64, addr string) {
		tid := m.ticketID
		n := &Notification{Channel: channel, StaffID: staffID, Address: addr, Kind: m.kind, Subject: m.subject,
			Body: m.body, CreatedAt: now, Status: "pending", NextAttemptAt: now, ActionID: m.actionID}
		if tid != 0 {
			n.TicketID = &tid
		}
		out = append(out, n)
	}
	for _, u := range to {
		id := u.ID
		add(ChannelInApp, &id, "")
		if s.opt.Email && u.Email != "" {
			add(ChannelEmail, &id, u.Email)
		}
		if s.opt.SMS && m.urgent && u.Phone != "" {
			add(ChannelSMS, &id, u.Phone)
		}
	}
	return out
}

// citizenSMS is the outbox row telling a citizen something by SMS, when SMS is configured.
func (s *Service) citizenSMS(phone, kind, text string, ticketID int64, now time.Time) []*Notification {
	if !s.opt.SMS || phone == "" {
		return nil
	}
	return []*Notification{{Channel: ChannelSMS, Address: phone, TicketID: &ticketID, Kind: kind, Subject: text, Body: text,
		CreatedAt: now, Status: "pending", NextAttemptAt: now}}
}

func insertNotifications(ctx context.Context, db bun.IDB, ns []*Notification) error {
	for len(ns) > 0 {
		n := min(len(ns), 2000)
		part := ns[:n]
		if _, err := db.NewInsert().Model(&part).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("queue notifications: %w", err)
		}
		ns = ns[n:]
	}
	return nil
}

// Hub tells the parts of one process that notifications were queued or delivered: the
// delivery worker wakes at once instead of at its next poll, and each browser stream of a
// staff member learns it has something new. Processes also poll, so a notification queued by
// another process (a `hotline sweep`, a second server) arrives within a poll interval.
type Hub struct {
	mu   sync.Mutex
	wake chan struct{}
	subs map[int64]map[chan struct{}]bool
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{wake: make(chan struct{}, 1), subs: map[int64]map[chan struct{}]bool{}}
}

// Queued wakes the delivery worker.
func (h *Hub) Queued() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Woken is the channel the delivery worker waits on.
func (h *Hub) Woken() <-chan struct{} { return h.wake }

// Subscribe returns a channel signalled when staff member id has a new in-app notification,
// and the function that ends the subscription.
func (h *Hub) Subscribe(id int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[id] == nil {
		h.subs[id] = map[chan struct{}]bool{}
	}
	h.subs[id][ch] = true
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
		h.mu.Unlock()
	}
}

// Delivered signals staff member id's streams.
func (h *Hub) Delivered(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// InApp lists a staff member's in-app notifications with an id above after, oldest first.
func (s *Service) InApp(ctx context.Context, staffID, after int64, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var ns []Notification
	err := s.db.NewSelect().Model(&ns).ColumnExpr("n.*").ColumnExpr("t.number AS ticket_number").
		Join("LEFT JOIN tickets AS t ON t.id = n.ticket_id").
		Where("n.staff_id = ? AND n.channel = 'inapp' AND n.id > ?", staffID, after).
		Order("n.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("in-app notifications: %w", err)
	}
	return ns, nil
}

// Recent lists a staff member's latest in-app notifications, newest first.
func (s *Service) Recent(ctx context.Context, staffID int64, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var ns []Notification
	err := s.db.NewSelect().Model(&ns).ColumnExpr("n.*").ColumnExpr("t.number AS ticket_number").
		Join("LEFT JOIN tickets AS t ON t.id = n.ticket_id").
		Where("n.staff_id = ? AND n.channel = 'inapp'", staffID).
		OrderExpr("n.id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("in-app notifications: %w", err)
	}
	return ns, nil
}

// MarkRead marks a staff member's in-app notification read; ErrNotFound when it is not theirs.
func (s *Service) MarkRead(ctx context.Context, staffID, id int64) error {
	res, err := s.db.NewUpdate().Model((*Notification)(nil)).Set("read_at = coalesce(read_at, ?)", s.clock.Now()).
		Where("id = ? AND staff_id = ? AND channel = 'inapp'", id, staffID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notification read: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("notification %d: %w", id, ErrNotFound)
	}
	return nil
}
