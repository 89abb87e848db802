package workcal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// NotifyChannel is the PostgreSQL channel Store's changes notify, so that every process
// serving the same database reloads its calendar (see Live.Run).
const NotifyChannel = "workcal_changed"

// Live is the calendar a running process uses: an immutable Calendar behind an atomic
// pointer, swapped for a new one when administrators edit the table. Deadline arithmetic
// reads it through the methods below, so the services that hold a Live always count on the
// newest calendar without a restart.
type Live struct {
	cal   atomic.Pointer[Calendar]
	mu    sync.Mutex // serialises reloads, so an older read never replaces a newer one
	loads atomic.Int64
}

// NewLive returns a Live holding c.
func NewLive(c *Calendar) *Live {
	l := &Live{}
	l.cal.Store(c)
	return l
}

// Get returns the current calendar.
func (l *Live) Get() *Calendar { return l.cal.Load() }

// Loads is how many times Reload swapped in a calendar, for tests and logs.
func (l *Live) Loads() int64 { return l.loads.Load() }

// Reload reads the calendar from s and swaps it in, keeping the zone and working hours. An
// empty table counts on the national calendar shipped with the program, as at start-up.
func (l *Live) Reload(ctx context.Context, s *Store) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	days, err := s.Load(ctx)
	if err != nil {
		return err
	}
	if len(days) == 0 {
		if days, err = Seed(); err != nil {
			return err
		}
	}
	cur := l.Get()
	l.cal.Store(New(days, cur.Location(), cur.Hours()))
	l.loads.Add(1)
	return nil
}

// AddWorkdays is Calendar.AddWorkdays on the current calendar.
func (l *Live) AddWorkdays(t time.Time, n int) time.Time { return l.Get().AddWorkdays(t, n) }

// AddWorkingHours is Calendar.AddWorkingHours on the current calendar.
func (l *Live) AddWorkingHours(t time.Time, d time.Duration) time.Time {
	return l.Get().AddWorkingHours(t, d)
}

// WorkingDuration is Calendar.WorkingDuration on the current calendar.
func (l *Live) WorkingDuration(from, to time.Time) time.Duration {
	return l.Get().WorkingDuration(from, to)
}

// DayType is Calendar.DayType on the current calendar.
func (l *Live) DayType(t time.Time) string { return l.Get().DayType(t) }

// IsWorkday is Calendar.IsWorkday on the current calendar.
func (l *Live) IsWorkday(t time.Time) bool { return l.Get().IsWorkday(t) }

// Run keeps l current from db until ctx ends: it listens on NotifyChannel over its own
// connection to url and reloads on every notification, and reloads every period as well, in
// case a notification was missed while the connection was down. Without a url it only
// reloads periodically. A lost connection is retried with a growing pause; Run never gives
// up on the database.
func (l *Live) Run(ctx context.Context, db bun.IDB, url string, period time.Duration, log *slog.Logger) error {
	if period <= 0 {
		period = time.Minute
	}
	store := NewStore(db)
	if url == "" {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := l.Reload(ctx, store); err != nil && ctx.Err() == nil {
					log.WarnContext(ctx, "reload working-day calendar", "err", err)
				}
			}
		}
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx, store, url, period, log)
		if ctx.Err() != nil {
			return nil
		}
		log.WarnContext(ctx, "calendar listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	return nil
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (l *Live) listen(ctx context.Context, store *Store, url string, period time.Duration, log *slog.Logger) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	for {
		// Whatever changed while we were not listening, then after each wake-up.
		if err := l.Reload(ctx, store); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "reload working-day calendar", "err", err)
		}
		wctx, cancel := context.WithTimeout(ctx, period)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
		default:
			return err
		}
	}
}
