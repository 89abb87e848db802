package workcal

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/pgnotify"
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
	cur := l.Get()
	c, err := s.Calendar(ctx, cur.Location(), cur.Hours())
	if err != nil {
		return err
	}
	l.cal.Store(c)
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

// Run keeps l current from db until ctx ends: it subscribes to NotifyChannel on listener and
// reloads on every notification, including the listener's word that some may have been missed
// while its connection was down, and reloads every period as well. Without a listener it only
// reloads periodically.
func (l *Live) Run(ctx context.Context, db bun.IDB, listener *pgnotify.Listener, period time.Duration, log *slog.Logger) error {
	if period <= 0 {
		period = time.Minute
	}
	store := NewStore(db)
	pgnotify.Reload(ctx, listener, NotifyChannel, period, func(ctx context.Context) error { return l.Reload(ctx, store) },
		func(err error) { log.WarnContext(ctx, "reload working-day calendar", "err", err) })
	return nil
}
