// Package kb is the knowledge base (知识库): the articles call-centre agents answer
// consultations from. An article is offered only between its ValidFrom and ValidUntil dates
// (policies change) and always names its source, which goes on the ticket's timeline with the
// answer.
package kb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
)

// Article is a knowledge base article (知识库条目).
type Article struct {
	bun.BaseModel `bun:"table:kb_articles,alias:kb"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	Code         string     `bun:"code" json:"code"`
	Title        string     `bun:"title" json:"title"`
	Body         string     `bun:"body" json:"body"`
	Keywords     string     `bun:"keywords" json:"keywords"`
	CategoryCode string     `bun:"category_code" json:"category"`
	Source       string     `bun:"source" json:"source"`
	ValidFrom    time.Time  `bun:"valid_from,type:date" json:"valid_from"`
	ValidUntil   *time.Time `bun:"valid_until,type:date" json:"valid_until,omitempty"`
	Active       bool       `bun:"active" json:"active"`
	UpdatedAt    time.Time  `bun:"updated_at" json:"updated_at"`
	UpdatedBy    string     `bun:"updated_by" json:"updated_by"`
}

// Errors of the knowledge base.
var (
	ErrNotFound = errors.New("knowledge article not found")
	ErrInvalid  = errors.New("invalid knowledge article")
)

// FieldError is bad input in one field; it unwraps to ErrInvalid.
type FieldError struct{ Field, Msg string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Service searches and keeps the articles.
type Service struct {
	db    *bun.DB
	clock clock.Clock
	loc   *time.Location
}

// NewService returns the knowledge base on db; today is counted in loc.
func NewService(db *bun.DB, clk clock.Clock, loc *time.Location) *Service {
	return &Service{db: db, clock: clk, loc: loc}
}

// today is the date in the configured zone, as the validity dates mean it.
func (s *Service) today() string { return s.clock.Now().In(s.loc).Format(time.DateOnly) }

// ValidOn reports whether a is offered on day (YYYY-MM-DD).
func (a *Article) ValidOn(day string) bool {
	return a.Active && a.ValidFrom.Format(time.DateOnly) <= day && (a.ValidUntil == nil || a.ValidUntil.Format(time.DateOnly) >= day)
}

// likeEscape escapes LIKE's wildcards in a search term.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search finds the articles valid today whose title, keywords or text contain every word of q
// (Chinese needs no word splitting for a substring match), titles first; category, when
// given, narrows to that category's articles.
func (s *Service) Search(ctx context.Context, q, category string) ([]Article, error) {
	as := []Article{}
	today := s.today()
	sel := s.db.NewSelect().Model(&as).
		Where("kb.active AND kb.valid_from <= ?::date AND (kb.valid_until IS NULL OR kb.valid_until >= ?::date)", today, today)
	words := strings.Fields(q)
	if len(words) > 8 {
		words = words[:8]
	}
	for _, w := range words {
		p := "%" + likeEscape(w) + "%"
		sel = sel.Where("(kb.title ILIKE ? OR kb.keywords ILIKE ? OR kb.body ILIKE ?)", p, p, p)
	}
	if category != "" {
		sel = sel.Where("kb.category_code = ?", category)
	}
	if len(words) > 0 {
		sel = sel.OrderExpr("(kb.title ILIKE ?) DESC", "%"+likeEscape(words[0])+"%")
	}
	if err := sel.OrderExpr("kb.title").Limit(20).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search knowledge base: %w", err)
	}
	return as, nil
}

// All lists every article, valid or not, by code: the administrators' view.
func (s *Service) All(ctx context.Context) ([]Article, error) {
	as := []Article{}
	if err := s.db.NewSelect().Model(&as).Order("code").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list knowledge base: %w", err)
	}
	return as, nil
}

// Article returns the article with code or id, whatever its validity.
func (s *Service) Article(ctx context.Context, key string) (*Article, error) {
	a := new(Article)
	q := s.db.NewSelect().Model(a)
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		q = q.Where("kb.id = ?", id)
	} else {
		q = q.Where("kb.code = ?", key)
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("knowledge article %q: %w", key, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("knowledge article %s: %w", key, err)
	}
	return a, nil
}

// ValidArticle returns the article with code or id when it is offered today; an article that
// is not is a FieldError on "article".
func (s *Service) ValidArticle(ctx context.Context, key string) (*Article, error) {
	a, err := s.Article(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, &FieldError{"article", fmt.Sprintf("no knowledge article %q", key)}
	} else if err != nil {
		return nil, err
	}
	if !a.ValidOn(s.today()) {
		return nil, &FieldError{"article", fmt.Sprintf("knowledge article %q is not valid today", a.Code)}
	}
	return a, nil
}

var codeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// check refuses an article the table would: a bad code, a missing title, text or source, a
// validity that ends before it starts.
func check(a *Article) error {
	switch {
	case !codeRe.MatchString(a.Code):
		return &FieldError{"code", "lower-case letters, digits and dashes, starting with a letter or digit"}
	case strings.TrimSpace(a.Title) == "":
		return &FieldError{"title", "is required"}
	case strings.TrimSpace(a.Body) == "":
		return &FieldError{"body", "is required"}
	case strings.TrimSpace(a.Source) == "":
		return &FieldError{"source", "is required"}
	case a.ValidFrom.IsZero():
		return &FieldError{"valid_from", "must be a date like 2027-01-01"}
	case a.ValidUntil != nil && a.ValidUntil.Before(a.ValidFrom):
		return &FieldError{"valid_until", "must not be before valid_from"}
	}
	return nil
}

// Save writes a new article or a new text of an existing one (by code) on db, the transaction
// that also writes the change's audit entry.
func Save(ctx context.Context, db bun.IDB, a *Article) error {
	if err := check(a); err != nil {
		return err
	}
	_, err := db.NewInsert().Model(a).On("CONFLICT (code) DO UPDATE").
		Set("title = EXCLUDED.title, body = EXCLUDED.body, keywords = EXCLUDED.keywords, category_code = EXCLUDED.category_code, source = EXCLUDED.source, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, active = EXCLUDED.active, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by").
		Returning("id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save knowledge article %s: %w", a.Code, err)
	}
	return nil
}

// AddMissing writes a only when no article has its code, leaving an edited one as it is: how
// a seed loads its articles again and again.
func AddMissing(ctx context.Context, db bun.IDB, a *Article) error {
	if err := check(a); err != nil {
		return err
	}
	if _, err := db.NewInsert().Model(a).On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("add knowledge article %s: %w", a.Code, err)
	}
	return nil
}
