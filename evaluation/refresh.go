package evaluation

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// pick says which days of the aggregate a refresh recomputes.
type pick int

const (
	// pickMissing: the window's days never aggregated (what a read of a new window needs).
	pickMissing pick = iota
	// pickStale: the window's days never aggregated, marked dirty since, or past a deadline.
	pickStale
	// pickAll: besides the window's missing days, every aggregated day, of any window, that is
	// dirty or past a deadline: the background refresher's pass.
	pickAll
)

// lockKey is the advisory lock every writer of the aggregate holds, in any process.
const lockKey = "SELECT %s(hashtext('evaluation_daily'))"

// Refresh brings the daily aggregate of the days from–to (exclusive) up to date: each day
// never aggregated, marked dirty since, or with a deadline passed since it was, is recomputed
// from the raw tables in one transaction. Days after today have nothing to count.
func (e *Engine) Refresh(ctx context.Context, from, to time.Time) error {
	_, err := e.refresh(ctx, true, from, to, pickStale)
	return err
}

// RefreshAll brings every aggregated day up to date, and aggregates the days of this month and
// the last that never were, so that their reads find them ready. It is the background
// refresher's pass (RunRefresher): while another process's pass is running it does nothing and
// reports false. When it has run, every change committed before it began is in the aggregate,
// and the scorecards read afterwards say so (ComputedAt).
func (e *Engine) RefreshAll(ctx context.Context) (bool, error) {
	today := e.clock.Now().In(e.loc)
	from := time.Date(today.Year(), today.Month()-1, 1, 0, 0, 0, 0, e.loc)
	return e.refresh(ctx, false, from, from.AddDate(0, 2, 0), pickAll)
}

// RunRefresher runs RefreshAll at once and then every period until ctx ends. A failed pass is
// logged and tried again at the next.
func (e *Engine) RunRefresher(ctx context.Context, period time.Duration, log *slog.Logger) error {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		start := time.Now()
		ran, err := e.RefreshAll(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Error("evaluation refresh", "err", err)
		case ran:
			log.Debug("evaluation refresh done", "took", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// refresh recomputes the days pick chooses. It holds the aggregate's advisory lock on its own
// connection (waiting for it, or giving up at once when wait is false, reporting false) and
// then works in one REPEATABLE READ transaction begun after the lock was granted: the days, the
// dirty marks it clears and the raw rows it reads are one snapshot, so a mark it clears is
// always one whose change it has counted, and a refresh that waited for another sees its work.
func (e *Engine) refresh(ctx context.Context, wait bool, from, to time.Time, p pick) (bool, error) {
	now := e.clock.Now()
	today := now.In(e.loc)
	tomorrow := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, e.loc)
	if to.After(tomorrow) {
		to = tomorrow
	}
	if !from.Before(to) && p != pickAll {
		return true, nil
	}
	if p != pickAll {
		// Most reads find nothing to do: say so without taking the lock.
		stale, err := e.pickDays(ctx, e.db, from, to, now, p)
		if err != nil || len(stale) == 0 {
			return true, err
		}
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("evaluation refresh: %w", err)
	}
	defer conn.Close()
	if wait {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(lockKey, "pg_advisory_lock")); err != nil {
			return false, fmt.Errorf("lock evaluation aggregate: %w", err)
		}
	} else {
		var got bool
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(lockKey, "pg_try_advisory_lock")).Scan(&got); err != nil {
			return false, fmt.Errorf("lock evaluation aggregate: %w", err)
		}
		if !got {
			return false, nil
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(lockKey, "pg_advisory_unlock"))
	err = conn.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(ctx context.Context, tx bun.Tx) error {
		// The first statement takes the snapshot: what committed before it began is counted.
		var asOf time.Time
		var maxDirty int64
		if err := tx.QueryRowContext(ctx, "SELECT statement_timestamp(), coalesce(max(id), 0) FROM evaluation_dirty").Scan(&asOf, &maxDirty); err != nil {
			return fmt.Errorf("evaluation dirty days: %w", err)
		}
		stale, err := e.pickDays(ctx, tx, from, to, now, p)
		if err != nil {
			return err
		}
		for _, r := range ranges(stale) {
			if err := e.recompute(ctx, tx, r[0], r[1], now, asOf); err != nil {
				return err
			}
		}
		if len(stale) > 0 {
			days := make([]string, len(stale))
			for i, d := range stale {
				days[i] = d.Format(time.DateOnly)
			}
			// The marks of the days recomputed go, and those of days never aggregated (their
			// first aggregation will count them); the others wait for their day's refresh.
			if _, err := tx.ExecContext(ctx, `DELETE FROM evaluation_dirty WHERE id <= ? AND ((at AT TIME ZONE ?)::date = ANY(?::date[])
				OR NOT EXISTS (SELECT 1 FROM evaluation_days d WHERE d.day = (at AT TIME ZONE ?)::date))`,
				maxDirty, e.loc.String(), pgDates(days), e.loc.String()); err != nil {
				return fmt.Errorf("clear evaluation dirty days: %w", err)
			}
		}
		if p == pickAll {
			if _, err := tx.ExecContext(ctx, `INSERT INTO evaluation_refreshed (id, as_of) VALUES (1, ?)
				ON CONFLICT (id) DO UPDATE SET as_of = excluded.as_of`, asOf); err != nil {
				return fmt.Errorf("record evaluation refresh: %w", err)
			}
		}
		return nil
	})
	return err == nil, err
}

func pgDates(days []string) string { return "{" + strings.Join(days, ",") + "}" }

// pickDays lists the days to recompute, oldest first: the window's days from–to never
// aggregated; with pickStale also those of them dirty or past a deadline; with pickAll also every
// aggregated day, of any window, dirty or past a deadline.
func (e *Engine) pickDays(ctx context.Context, db bun.IDB, from, to, now time.Time, p pick) ([]time.Time, error) {
	zone := e.loc.String()
	q := `SELECT g.day::date FROM generate_series(?::date, ?::date - 1, interval '1 day') AS g(day)
		LEFT JOIN evaluation_days d ON d.day = g.day::date WHERE d.day IS NULL`
	args := []any{from.Format(time.DateOnly), to.Format(time.DateOnly)}
	switch p {
	case pickStale:
		q += ` OR d.next_due <= ?
			OR EXISTS (SELECT 1 FROM evaluation_dirty x WHERE x.at >= g.day::timestamp AT TIME ZONE ? AND x.at < (g.day + interval '1 day')::timestamp AT TIME ZONE ?)`
		args = append(args, now, zone, zone)
	case pickAll:
		q += ` UNION SELECT day FROM evaluation_days WHERE next_due <= ?
			UNION SELECT d.day FROM (SELECT DISTINCT (at AT TIME ZONE ?)::date AS day FROM evaluation_dirty) x JOIN evaluation_days d ON d.day = x.day`
		args = append(args, now, zone)
	}
	rs, err := db.QueryContext(ctx, `SELECT day FROM (`+q+`) AS s(day) ORDER BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("evaluation stale days: %w", err)
	}
	defer rs.Close()
	var out []time.Time
	for rs.Next() {
		var d time.Time
		if err := rs.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, e.loc))
	}
	return out, rs.Err()
}
