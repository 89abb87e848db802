// Package pgnotify shares one PostgreSQL LISTEN connection among every part of a process that
// reloads on NOTIFY. Writers announce a change with Notify inside their transaction, so it is
// sent on commit; readers subscribe to its topic on the process's one Listener.
package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// AppName is the application_name of the listener's connection, which tells it apart from
// the pool's in pg_stat_activity.
const AppName = "hotline listener"

// bufferSize is how many notifications a subscriber may leave unread before the older ones are
// dropped for a single Missed notification.
const bufferSize = 32

const (
	connectTimeout = 10 * time.Second
	minBackoff     = 100 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// Notify announces a change on topic to every listening process. Inside a transaction
// PostgreSQL sends it when the transaction commits, and not at all on a rollback.
func Notify(ctx context.Context, db bun.IDB, topic, payload string) error {
	if _, err := db.ExecContext(ctx, "SELECT pg_notify(?, ?)", topic, payload); err != nil {
		return fmt.Errorf("notify %s: %w", topic, err)
	}
	return nil
}

// Notification is what a subscriber receives on its topic.
type Notification struct {
	Topic   string
	Payload string
	// Missed says that notifications on the topic may have been lost: the topic has just been
	// LISTENed (on start, after a reconnect, or for a new subscriber) or the subscriber fell
	// behind. The subscriber should reload from the table rather than rely on payloads.
	Missed bool
}

// Listener holds one dedicated connection that LISTENs on every topic with subscribers and
// hands each notification to the topic's subscribers. Run keeps the connection: when it drops
// it is reopened with a growing pause, every topic is LISTENed again, and every subscriber is
// sent a Missed notification, since whatever was committed in the gap went unheard.
type Listener struct {
	config    *pgx.ConnConfig
	log       *slog.Logger
	pingEvery time.Duration // an idle connection is checked this often

	mu        sync.Mutex
	subs      map[string][]*Subscription
	listening map[string]bool // topics LISTENed on the current connection
	dirty     bool            // subs changed since the last LISTEN/UNLISTEN
	interrupt context.CancelFunc
}

// New returns a listener for the database at url; nothing connects until Run.
func New(url string, log *slog.Logger) (*Listener, error) {
	config, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("configure listener: %w", err)
	}
	config.RuntimeParams["application_name"] = AppName
	return &Listener{
		config:    config,
		log:       log,
		pingEvery: 15 * time.Second,
		subs:      map[string][]*Subscription{},
		listening: map[string]bool{},
	}, nil
}

// Subscription receives the notifications of one topic on C until Unsubscribe.
type Subscription struct {
	// C is never blocked on: when the subscriber leaves bufferSize notifications unread, they
	// are replaced by a single Missed notification.
	C <-chan Notification

	l      *Listener
	topic  string
	mu     sync.Mutex // serialises sends, so that a full buffer can be emptied and refilled
	c      chan Notification
	closed bool
}

// Subscribe starts delivering topic's notifications, before or while Run runs. The first
// notification on C is Missed, once the topic is LISTENed: the subscriber loads then, and
// every change committed afterwards is notified.
func (l *Listener) Subscribe(topic string) *Subscription {
	c := make(chan Notification, bufferSize)
	s := &Subscription{C: c, l: l, topic: topic, c: c}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.listening[topic] {
		s.send(Notification{Topic: topic, Missed: true})
	}
	if len(l.subs[topic]) == 0 {
		l.changed()
	}
	l.subs[topic] = append(l.subs[topic], s)
	return s
}

// Unsubscribe stops the deliveries and closes C; the topic is UNLISTENed when it was the last
// subscriber. Calling it again does nothing.
func (s *Subscription) Unsubscribe() {
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.Index(l.subs[s.topic], s)
	if i < 0 {
		return
	}
	l.subs[s.topic] = slices.Delete(l.subs[s.topic], i, i+1)
	if len(l.subs[s.topic]) == 0 {
		delete(l.subs, s.topic)
		l.changed()
	}
	s.mu.Lock()
	s.closed = true
	close(s.c)
	s.mu.Unlock()
}

// send delivers n without waiting: a subscriber that has fallen behind loses what it has not
// read and is told to reload instead.
func (s *Subscription) send(n Notification) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.c <- n:
		return
	default:
	}
	for len(s.c) > 0 {
		select {
		case <-s.c:
		default:
		}
	}
	// Only send writes to c, under s.mu, so the emptied buffer has room.
	s.c <- Notification{Topic: s.topic, Missed: true}
}

// changed makes the run loop bring its LISTENs up to date before it waits again; l.mu is held.
func (l *Listener) changed() {
	l.dirty = true
	if l.interrupt != nil {
		l.interrupt()
	}
}

// Listening reports whether topic is LISTENed on a live connection.
func (l *Listener) Listening(topic string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.listening[topic]
}

// Run holds the connection until ctx ends. It never gives up on the database: a lost
// connection is logged and reopened after a pause that grows to maxBackoff. Run once.
func (l *Listener) Run(ctx context.Context) error {
	backoff := minBackoff
	for {
		healthy, err := l.listen(ctx)
		l.mu.Lock()
		clear(l.listening)
		l.mu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
		if healthy {
			backoff = minBackoff
		}
		l.log.WarnContext(ctx, "listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen holds one connection until it fails or ctx ends; healthy says it got as far as
// LISTENing on every topic.
func (l *Listener) listen(ctx context.Context) (healthy bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := pgx.ConnectConfig(cctx, l.config)
	cancel()
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	l.mu.Lock()
	l.dirty = true // a new connection listens on nothing yet
	l.mu.Unlock()
	for {
		if err := l.sync(ctx, conn); err != nil {
			return healthy, err
		}
		healthy = true
		n, err := l.wait(ctx, conn)
		switch {
		case ctx.Err() != nil:
			return healthy, nil
		case err == nil:
			if n != nil {
				l.dispatch(n.Channel, n.Payload)
			}
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// Idle for pingEvery: make sure the connection is still there.
			pctx, cancel := context.WithTimeout(ctx, connectTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return healthy, fmt.Errorf("ping: %w", err)
			}
		case errors.Is(err, context.Canceled) && !conn.IsClosed():
			// Interrupted by a change of subscriptions.
		default:
			return healthy, fmt.Errorf("wait for notification: %w", err)
		}
	}
}

// sync LISTENs on the topics that gained subscribers, sending each of them Missed, and
// UNLISTENs the topics that lost them all.
func (l *Listener) sync(ctx context.Context, conn *pgx.Conn) error {
	l.mu.Lock()
	var add, drop []string
	for topic := range l.subs {
		if !l.listening[topic] {
			add = append(add, topic)
		}
	}
	for topic := range l.listening {
		if len(l.subs[topic]) == 0 {
			drop = append(drop, topic)
		}
	}
	l.dirty = false
	l.mu.Unlock()
	for _, topic := range add {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{topic}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", topic, err)
		}
		l.log.DebugContext(ctx, "listening", "topic", topic)
		l.mu.Lock()
		l.listening[topic] = true
		for _, s := range l.subs[topic] {
			s.send(Notification{Topic: topic, Missed: true})
		}
		l.mu.Unlock()
	}
	for _, topic := range drop {
		if _, err := conn.Exec(ctx, "UNLISTEN "+pgx.Identifier{topic}.Sanitize()); err != nil {
			return fmt.Errorf("unlisten %s: %w", topic, err)
		}
		l.log.DebugContext(ctx, "unlistened", "topic", topic)
		l.mu.Lock()
		delete(l.listening, topic) // a subscriber that came meanwhile set dirty: LISTEN again
		l.mu.Unlock()
	}
	return nil
}

// wait returns the next notification, or an error for an idle connection (DeadlineExceeded),
// a change of subscriptions (Canceled) or a failure. Notifications that arrived during a
// LISTEN or a ping were kept by the connection and come first.
func (l *Listener) wait(ctx context.Context, conn *pgx.Conn) (*pgconn.Notification, error) {
	l.mu.Lock()
	if l.dirty {
		l.mu.Unlock()
		return nil, nil
	}
	wctx, cancel := context.WithTimeout(ctx, l.pingEvery)
	l.interrupt = cancel
	l.mu.Unlock()
	n, err := conn.WaitForNotification(wctx)
	l.mu.Lock()
	l.interrupt = nil
	l.mu.Unlock()
	cancel()
	return n, err
}

// dispatch hands a notification to the topic's subscribers; none of them can hold up the
// others or the connection.
func (l *Listener) dispatch(topic, payload string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.subs[topic] {
		s.send(Notification{Topic: topic, Payload: payload})
	}
}

// Reload calls load whenever topic is notified on l, including l's word that notifications
// may have been missed, and every period besides, until ctx ends: how a process keeps what it
// holds from a table current. Notifications already queued are covered by one load. Without a
// listener it loads every period only. A failed load is reported to failed, and tried again at
// the next notification or period.
func Reload(ctx context.Context, l *Listener, topic string, period time.Duration, load func(context.Context) error, failed func(error)) {
	var notes <-chan Notification
	if l != nil {
		sub := l.Subscribe(topic)
		defer sub.Unsubscribe()
		notes = sub.C
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-notes:
			for len(notes) > 0 {
				<-notes
			}
		case <-t.C:
		}
		if err := load(ctx); err != nil && ctx.Err() == nil {
			failed(err)
		}
	}
}
