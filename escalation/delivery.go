package escalation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/wneessen/go-mail"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/tickets"
)

// DeliveryOptions say where messages go.
type DeliveryOptions struct {
	SMTPHost    string // empty: e-mail rows fail at once
	SMTPPort    int
	SMTPFrom    string
	SMSGateway  string // URL the SMS gateway takes a JSON POST on; empty: SMS rows fail at once
	HTTP        *http.Client
	MaxAttempts int           // default 8
	Backoff     time.Duration // first retry delay, doubled each time up to an hour; default 30s
	Poll        time.Duration // how often to look for work queued by other processes; default 2s
}

// Delivery is the outbox worker: it sends pending notifications, in-app, by e-mail and by SMS.
// Workers in several processes share the outbox: each row is claimed with SKIP LOCKED and
// marked sent in the transaction that claimed it, so no two workers send the same row.
type Delivery struct {
	db    *bun.DB
	clock clock.Clock
	log   *slog.Logger
	hub   *Hub
	opt   DeliveryOptions
}

// NewDelivery wires a worker.
func NewDelivery(db *bun.DB, clk clock.Clock, log *slog.Logger, hub *Hub, opt DeliveryOptions) *Delivery {
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 8
	}
	if opt.Backoff <= 0 {
		opt.Backoff = 30 * time.Second
	}
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.SMTPPort == 0 {
		opt.SMTPPort = 25
	}
	if hub == nil {
		hub = NewHub()
	}
	return &Delivery{db: db, clock: clk, log: log, hub: hub, opt: opt}
}

// Run delivers until ctx ends, waking when this process queues something and polling for
// what other processes queue.
func (d *Delivery) Run(ctx context.Context) error {
	t := time.NewTicker(d.opt.Poll)
	defer t.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "deliver notifications", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.hub.Woken():
		}
	}
}

// DeliverDue sends every notification due now and returns how many it handled.
func (d *Delivery) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := d.deliverBatch(ctx, 20)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// errPermanent marks a failure that retrying cannot fix.
var errPermanent = errors.New("permanent failure")

func (d *Delivery) deliverBatch(ctx context.Context, limit int) (int, error) {
	var ns []Notification
	var inapp []int64
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		now := d.clock.Now()
		err := tx.NewSelect().Model(&ns).Where("n.status = 'pending' AND n.next_attempt_at <= ?", now).
			OrderExpr("n.next_attempt_at, n.id").Limit(int64(limit)).For("UPDATE SKIP LOCKED").Scan(ctx)
		if err != nil {
			return fmt.Errorf("claim notifications: %w", err)
		}
		var mc *mail.Client
		var dialErr error // one failed connection fails the batch's other e-mails too, without waiting again
		defer func() {
			if mc != nil {
				mc.Close()
			}
		}()
		for i := range ns {
			n := &ns[i]
			var err error
			switch n.Channel {
			case ChannelInApp:
				// In-app delivery is the row itself: the browser stream reads it.
				if n.StaffID != nil {
					inapp = append(inapp, *n.StaffID)
				}
			case ChannelEmail:
				if mc == nil && dialErr == nil {
					mc, dialErr = d.dialSMTP(ctx)
				}
				err = dialErr
				if err == nil {
					err = d.sendEmail(mc, n)
					if err != nil {
						mc.Close()
						mc = nil
					}
				}
			case ChannelSMS:
				err = d.sendSMS(ctx, n)
			default:
				err = fmt.Errorf("unknown channel %q: %w", n.Channel, errPermanent)
			}
			n.Attempts++
			switch {
			case err == nil:
				n.Status, n.SentAt, n.LastError = "sent", &now, ""
			case errors.Is(err, errPermanent) || n.Attempts >= d.opt.MaxAttempts:
				n.Status, n.LastError = "failed", err.Error()
				d.log.WarnContext(ctx, "notification failed", "notification_id", n.ID, "channel", n.Channel, "attempts", n.Attempts, "err", err)
			default:
				n.LastError = err.Error()
				n.NextAttemptAt = now.Add(d.backoff(n.Attempts))
				d.log.InfoContext(ctx, "notification will be retried", "notification_id", n.ID, "channel", n.Channel,
					"attempts", n.Attempts, "next_attempt_at", n.NextAttemptAt, "err", err)
			}
			_, err = tx.NewUpdate().Model(n).Column("status", "attempts", "next_attempt_at", "sent_at", "last_error").WherePK().Exec(ctx)
			if err != nil {
				return fmt.Errorf("mark notification %d: %w", n.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range inapp {
		d.hub.Delivered(id)
	}
	return len(ns), nil
}

func (d *Delivery) backoff(attempts int) time.Duration {
	b := d.opt.Backoff
	for i := 1; i < attempts && b < time.Hour; i++ {
		b *= 2
	}
	return min(b, time.Hour)
}

func (d *Delivery) dialSMTP(ctx context.Context) (*mail.Client, error) {
	if d.opt.SMTPHost == "" {
		return nil, fmt.Errorf("no SMTP server configured: %w", errPermanent)
	}
	c, err := mail.NewClient(d.opt.SMTPHost, mail.WithTLSPolicy(mail.TLSOpportunistic), mail.WithPort(d.opt.SMTPPort),
		mail.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, fmt.Errorf("connect to smtp server: %w", err)
	}
	return c, nil
}

func (d *Delivery) sendEmail(c *mail.Client, n *Notification) error {
	m := mail.NewMsg()
	if err := m.From(d.opt.SMTPFrom); err != nil {
		return fmt.Errorf("from address: %w", errPermanent)
	}
	if err := m.To(n.Address); err != nil {
		return fmt.Errorf("recipient address %q: %w", n.Address, errPermanent)
	}
	m.Subject(n.Subject)
	m.SetBodyString(mail.TypeTextPlain, n.Body)
	// A stable Message-ID lets a mail system drop the copy a crash between sending and
	// recording could cause.
	m.SetMessageIDWithValue("notification-" + strconv.FormatInt(n.ID, 10) + "@hotline")
	if err := c.Send(m); err != nil {
		return fmt.Errorf("send e-mail: %w", err)
	}
	return nil
}

func (d *Delivery) sendSMS(ctx context.Context, n *Notification) error {
	if d.opt.SMSGateway == "" {
		return fmt.Errorf("no SMS gateway configured: %w", errPermanent)
	}
	id := "hotline-" + strconv.FormatInt(n.ID, 10)
	body, err := json.Marshal(map[string]string{"id": id, "to": n.Address, "text": n.Body})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.opt.SMSGateway, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms request: %w", errPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	resp, err := d.opt.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway for %s: %w", tickets.MaskPhone(n.Address), err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("sms gateway answered %s", resp.Status)
	default:
		return fmt.Errorf("sms gateway refused %s: %s: %w", tickets.MaskPhone(n.Address), resp.Status, errPermanent)
	}
}
