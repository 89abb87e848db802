package escalation

import (
	"context"
	"database/sql"
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
	// DedupKey, when set, makes the row one of a kind for its recipient and channel: a second
	// row with the same key is not written (escalations: one per ticket, round and level).
	DedupKey *string `bun:"dedup_key" json:"-"`

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
	// dedup is the key that lets each recipient hear of it once on each channel; empty: always.
	dedup string
}

// rowsFor builds the outbox rows of one message: in-app for every recipient, e-mail for those
// with an address when e-mail is configured, SMS for urgent messages when SMS is configured.
func (s *Service) rowsFor(m message, to []org.Staff, now time.Time) []*Notification {
	var out []*Notification
	add := func(channel string, staffID *int64, addr string) {
		tid := m.ticketID
		n := &Notification{Channel: channel, StaffID: staffID, Address: addr, Kind: m.kind, Subject: m.subject,
			Body: m.body, CreatedAt: now, Status: "pending", NextAttemptAt: now, ActionID: m.actionID}
		if m.dedup != "" {
			n.DedupKey = &m.dedup
		}
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

// insertNotificationsSQL writes outbox rows sent as one array per column: one statement text
// for any number of rows, values in binary, so a sweep's thousands of rows cost little more
// than the inserts themselves. A row whose dedup key its recipient already has on its channel
// is skipped (notifications_dedup_idx), whichever sweep or process wrote the first.
const insertNotificationsSQL = `
INSERT INTO notifications (channel, staff_id, address, ticket_id, action_id, kind, subject, body, created_at,
                           status, next_attempt_at, dedup_key)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
                     $8::text[], $9::timestamptz[], $10::text[], $11::timestamptz[], $12::text[])
ON CONFLICT DO NOTHING`

// insertNotifications queues outbox rows in db's transaction. It does not fill in their IDs:
// nobody reads them back, the worker claims rows from the table.
func insertNotifications(ctx context.Context, db bun.IDB, ns []*Notification) error {
	if len(ns) == 0 {
		return nil
	}
	n := len(ns)
	var (
		channel = make([]string, n)
		staff   = make([]*int64, n)
		addr    = make([]string, n)
		ticket  = make([]*int64, n)
		action  = make([]*int64, n)
		kind    = make([]string, n)
		subject = make([]string, n)
		body    = make([]string, n)
		created = make([]time.Time, n)
		status  = make([]string, n)
		next    = make([]time.Time, n)
		dedup   = make([]*string, n)
	)
	for i, x := range ns {
		channel[i], staff[i], addr[i], ticket[i], action[i] = x.Channel, x.StaffID, x.Address, x.TicketID, x.ActionID
		kind[i], subject[i], body[i], created[i], status[i], next[i] = x.Kind, x.Subject, x.Body, x.CreatedAt, x.Status, x.NextAttemptAt
		dedup[i] = x.DedupKey
	}
	raw := rawSQL(db)
	if raw == nil {
		return fmt.Errorf("queue notifications: no database/sql handle in %T", db)
	}
	if _, err := raw.ExecContext(ctx, insertNotificationsSQL, prepared, channel, staff, addr, ticket, action, kind, subject, body,
		created, status, next, dedup); err != nil {
		return fmt.Errorf("queue %d notifications: %w", n, err)
	}
	return nil
}

// sqlRunner is what database/sql's DB, Conn and Tx share.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rawSQL is db's database/sql handle (nil for an unknown bun.IDB), for statements with real $n
// parameters: bun would spell the arguments out in the SQL text, while the pgx driver sends Go
// slices as binary arrays.
func rawSQL(db bun.IDB) sqlRunner {
	switch v := db.(type) {
	case bun.Tx:
		return v.Tx
	case *bun.Tx:
		return v.Tx
	case bun.Conn:
		return v.Conn
	case *bun.DB:
		return v.DB
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

// NotificationGroup is a staff member's in-app notifications about one ticket (a notification
// without a ticket is a group of its own): the newest of them, how many there are and how
// many are unread.
type NotificationGroup struct {
	Notification
	Count  int `bun:"group_count" json:"count"`
	Unread int `bun:"group_unread" json:"unread"`
	// The escalation action the latest notification tells of, when it does: its clock, level,
	// deadline and supervision notice, so that pages word it in the reader's language.
	ActionClock  string     `bun:"action_clock,scanonly" json:"-"`
	ActionLevel  int        `bun:"action_level,scanonly" json:"-"`
	ActionDue    *time.Time `bun:"action_due,scanonly" json:"-"`
	ActionNotice string     `bun:"action_notice,scanonly" json:"-"`
}

// groupKey is the SQL expression that groups a person's notifications: by ticket.
const groupKey = "coalesce(ticket_id, -id)"

// Grouped lists a staff member's latest in-app notifications grouped by ticket, the group
// with the newest notification first, at most limit groups.
func (s *Service) Grouped(ctx context.Context, staffID int64, limit int) ([]NotificationGroup, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	groups := s.db.NewSelect().TableExpr("notifications").
		ColumnExpr("max(id) AS latest, count(*) AS group_count, count(*) FILTER (WHERE read_at IS NULL) AS group_unread").
		Where("staff_id = ? AND channel = 'inapp'", staffID).GroupExpr(groupKey).
		OrderExpr("latest DESC").Limit(int64(limit))
	var out []NotificationGroup
	err := s.db.NewSelect().With("g", groups).TableExpr("g").
		ColumnExpr("n.*, t.number AS ticket_number, g.group_count, g.group_unread").
		ColumnExpr("coalesce(a.clock, '') AS action_clock, coalesce(a.level, 0) AS action_level, a.due AS action_due, coalesce(sn.number, '') AS action_notice").
		Join("JOIN notifications AS n ON n.id = g.latest").
		Join("LEFT JOIN tickets AS t ON t.id = n.ticket_id").
		Join("LEFT JOIN escalation_actions AS a ON a.id = n.action_id").
		Join("LEFT JOIN supervision_notices AS sn ON sn.id = a.notice_id").
		OrderExpr("n.id DESC").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("grouped notifications: %w", err)
	}
	return out, nil
}

// MarkGroupRead marks read the in-app notifications of a staff member about the ticket of
// their notification id (that one alone when it has no ticket); ErrNotFound when it is not
// theirs.
func (s *Service) MarkGroupRead(ctx context.Context, staffID, id int64) error {
	res, err := s.db.NewUpdate().Model((*Notification)(nil)).Set("read_at = coalesce(read_at, ?)", s.clock.Now()).
		Where("staff_id = ? AND channel = 'inapp'", staffID).
		Where("(id = ? OR ticket_id = (SELECT ticket_id FROM notifications WHERE id = ? AND staff_id = ? AND channel = 'inapp'))", id, id, staffID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("notification %d: %w", id, ErrNotFound)
	}
	return nil
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

// Unread counts a staff member's unread in-app notifications as their list groups them: the
// tickets they have something unread about (and each unread one without a ticket).
func (s *Service) Unread(ctx context.Context, staffID int64) (int, error) {
	var n int
	err := s.db.NewSelect().TableExpr("notifications").ColumnExpr("count(DISTINCT "+groupKey+")").
		Where("staff_id = ? AND channel = 'inapp' AND read_at IS NULL", staffID).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return int(n), nil
}

// MarkAllRead marks every in-app notification of a staff member read.
func (s *Service) MarkAllRead(ctx context.Context, staffID int64) error {
	_, err := s.db.NewUpdate().Model((*Notification)(nil)).Set("read_at = ?", s.clock.Now()).
		Where("staff_id = ? AND channel = 'inapp' AND read_at IS NULL", staffID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	return nil
}
