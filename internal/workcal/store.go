package workcal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/pgnotify"
)

// ErrNotFound is returned by Store.Delete when the date has no entry.
var ErrNotFound = errors.New("no calendar entry for that date")

// seedAuthor is recorded as updated_by on rows written by SeedDefaults, so
// that administrators can tell the shipped data from their own edits.
const seedAuthor = "seed"

// dayRow is a row of workcal_days. updated_at is left to the database
// default and to the upsert in Put, so that it follows the database clock.
type dayRow struct {
	bun.BaseModel `bun:"table:workcal_days,alias:wd"`

	Day       Date   `bun:"day,pk"`
	Kind      Kind   `bun:"kind,notnull"`
	Name      string `bun:"name,notnull"`
	UpdatedBy string `bun:"updated_by,notnull"`
}

// Store keeps the administrators' working-day calendar in the workcal_days
// table (see the migrations). Build a Calendar from Load after each change.
type Store struct {
	db bun.IDB
}

// NewStore returns a Store using db, which may be a *bun.DB or a bun.Tx.
func NewStore(db bun.IDB) *Store {
	return &Store{db: db}
}

// Load returns all entries sorted by date.
func (s *Store) Load(ctx context.Context) ([]Day, error) {
	var rows []dayRow
	if err := s.db.NewSelect().Model(&rows).OrderExpr("wd.day").Scan(ctx); err != nil {
		return nil, fmt.Errorf("workcal: load calendar: %w", err)
	}
	days := make([]Day, 0, len(rows))
	for _, r := range rows {
		// The table's check constraint makes this unreachable unless the
		// schema and the code disagree, which must not pass silently.
		if !r.Kind.Valid() {
			return nil, fmt.Errorf("workcal: load calendar: %s has unknown kind %q", r.Day, r.Kind)
		}
		days = append(days, Day{Date: r.Day, Kind: r.Kind, Name: r.Name})
	}
	return days, nil
}

// Put creates or replaces the entry for d.Date, recording by as its author.
func (s *Store) Put(ctx context.Context, d Day, by string) error {
	if err := s.put(ctx, d, by); err != nil {
		return err
	}
	return s.notify(ctx)
}

func (s *Store) put(ctx context.Context, d Day, by string) error {
	if err := validateDay(d); err != nil {
		return fmt.Errorf("workcal: put: %w", err)
	}
	row := dayRow{Day: d.Date, Kind: d.Kind, Name: d.Name, UpdatedBy: by}
	_, err := s.db.NewInsert().
		Model(&row).
		On("CONFLICT (day) DO UPDATE").
		Set("kind = EXCLUDED.kind").
		Set("name = EXCLUDED.name").
		Set("updated_by = EXCLUDED.updated_by").
		Set("updated_at = now()").
		Returning("NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("workcal: put %s: %w", d.Date, err)
	}
	return nil
}

// notify tells every process listening on NotifyChannel that the calendar changed. Inside a
// transaction PostgreSQL delivers it at the commit, and not at all on a rollback.
func (s *Store) notify(ctx context.Context) error {
	if err := pgnotify.Notify(ctx, s.db, NotifyChannel, ""); err != nil {
		return fmt.Errorf("workcal: %w", err)
	}
	return nil
}

// Delete removes the entry for date, which then follows the normal week. It
// returns an error wrapping ErrNotFound if there was no entry.
func (s *Store) Delete(ctx context.Context, date Date) error {
	if !date.IsValid() {
		return fmt.Errorf("workcal: delete: invalid date %s", date)
	}
	res, err := s.db.NewDelete().
		Model((*dayRow)(nil)).
		Where("day = ?", date).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("workcal: delete %s: %w", date, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("workcal: delete %s: %w", date, err)
	}
	if n == 0 {
		return fmt.Errorf("workcal: delete %s: %w", date, ErrNotFound)
	}
	return s.notify(ctx)
}

// Apply writes the changes of a year's table (see DiffYear), recording by as their author,
// with one notification for all of them.
func (s *Store) Apply(ctx context.Context, changes []Change, by string) error {
	for _, c := range changes {
		if c.New == nil {
			if _, err := s.db.NewDelete().Model((*dayRow)(nil)).Where("day = ?", c.Date).Exec(ctx); err != nil {
				return fmt.Errorf("workcal: delete %s: %w", c.Date, err)
			}
			continue
		}
		if err := s.put(ctx, *c.New, by); err != nil {
			return err
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return s.notify(ctx)
}

// Calendar builds the calendar the running processes count on from the table, in loc with
// the daily window hours. An empty table counts on the national calendar shipped with the
// program (see Seed), as at start-up.
func (s *Store) Calendar(ctx context.Context, loc *time.Location, hours WorkingHours) (*Calendar, error) {
	days, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		if days, err = Seed(); err != nil {
			return nil, err
		}
	}
	return New(days, loc, hours), nil
}

// SeedDefaults inserts the embedded calendar (see Seed) and returns how many
// rows it inserted. Dates that already have an entry are left alone, so an
// administrator's correction survives and running it again inserts nothing.
func (s *Store) SeedDefaults(ctx context.Context) (int, error) {
	days, err := Seed()
	if err != nil {
		return 0, err
	}
	if len(days) == 0 {
		return 0, nil
	}
	rows := make([]dayRow, len(days))
	for i, d := range days {
		rows[i] = dayRow{Day: d.Date, Kind: d.Kind, Name: d.Name, UpdatedBy: seedAuthor}
	}
	res, err := s.db.NewInsert().
		Model(&rows).
		On("CONFLICT (day) DO NOTHING").
		Returning("NULL").
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("workcal: seed calendar: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("workcal: seed calendar: %w", err)
	}
	if n > 0 {
		if err := s.notify(ctx); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

func validateDay(d Day) error {
	if !d.Date.IsValid() {
		return fmt.Errorf("invalid date %s", d.Date)
	}
	if _, err := ParseKind(string(d.Kind)); err != nil {
		return err
	}
	return nil
}
