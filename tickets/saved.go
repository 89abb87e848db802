package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// SavedFilter (常用查询) is a person's named search of the ticket list: the query string of the
// list's URL. Only its owner reads it.
type SavedFilter struct {
	bun.BaseModel `bun:"table:saved_filters,alias:sf"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	StaffID   int64     `bun:"staff_id" json:"-"`
	Name      string    `bun:"name" json:"name"`
	Query     string    `bun:"query" json:"query"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
}

// Limits of saved filters.
const (
	MaxSavedFilters   = 50   // per person
	MaxSavedNameRunes = 60   // characters of a name
	MaxSavedQuery     = 2000 // bytes of a query string
)

// SaveFilter keeps query under name for actor, replacing the one of that name if there is one.
// The query is the edge's to check (it reads it as a list's filter before saving).
func (s *Service) SaveFilter(ctx context.Context, actor Actor, name, query string) (*SavedFilter, error) {
	name = strings.TrimSpace(name)
	switch {
	case actor.ID == 0:
		return nil, fmt.Errorf("save filter: %w", ErrForbidden)
	case name == "":
		return nil, invalid("name", "is required")
	case utf8.RuneCountInString(name) > MaxSavedNameRunes:
		return nil, invalid("name", fmt.Sprintf("at most %d characters", MaxSavedNameRunes))
	case len(query) > MaxSavedQuery:
		return nil, invalid("query", fmt.Sprintf("at most %d characters", MaxSavedQuery))
	}
	f := &SavedFilter{StaffID: actor.ID, Name: name, Query: query, CreatedAt: s.clock.Now()}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// One at a time per person, so the limit holds.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('saved_filters'), ?::int)", actor.ID); err != nil {
			return err
		}
		var n int
		if err := tx.NewSelect().Model((*SavedFilter)(nil)).ColumnExpr("count(*)").
			Where("staff_id = ? AND name <> ?", actor.ID, name).Scan(ctx, &n); err != nil {
			return err
		}
		if n >= MaxSavedFilters {
			return invalid("name", fmt.Sprintf("at most %d saved searches: delete one first", MaxSavedFilters))
		}
		_, err := tx.NewInsert().Model(f).
			On("CONFLICT (staff_id, name) DO UPDATE").Set("query = EXCLUDED.query, created_at = EXCLUDED.created_at").
			Returning("id").Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save filter %q: %w", name, err)
	}
	return f, nil
}

// SavedFilters lists actor's saved filters by name.
func (s *Service) SavedFilters(ctx context.Context, actor Actor) ([]SavedFilter, error) {
	fs := []SavedFilter{}
	if err := s.db.NewSelect().Model(&fs).Where("staff_id = ?", actor.ID).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("saved filters: %w", err)
	}
	return fs, nil
}

// SavedFilter reads one of actor's saved filters; another person's is not found.
func (s *Service) SavedFilter(ctx context.Context, actor Actor, id int64) (*SavedFilter, error) {
	f := new(SavedFilter)
	err := s.db.NewSelect().Model(f).Where("id = ? AND staff_id = ?", id, actor.ID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("saved filter %d: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("saved filter %d: %w", id, err)
	}
	return f, nil
}

// DeleteSavedFilter deletes one of actor's saved filters; another person's is not found.
func (s *Service) DeleteSavedFilter(ctx context.Context, actor Actor, id int64) error {
	res, err := s.db.NewDelete().Model((*SavedFilter)(nil)).Where("id = ? AND staff_id = ?", id, actor.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete saved filter %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("saved filter %d: %w", id, ErrNotFound)
	}
	return nil
}
