// Package kb is the knowledge base (知识库): the articles call-centre agents answer
// consultations from. An article is offered only while it is published and between its
// ValidFrom and ValidUntil dates (policies change; ValidUntil is the date by which its owner
// department must review it) and always names its source, which goes on the ticket's timeline
// with the answer. Departments propose new articles and updates of their own (workflow.go);
// the centre reviews them before they are published. Search is Chinese-aware
// (internal/textsearch).
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
	"github.com/hotline-city/hotline/internal/textsearch"
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
	// DepartmentID is the owner department, which proposes its updates; nil: the centre's own.
	DepartmentID *int64 `bun:"department_id" json:"department_id,omitempty"`
	Status       Status `bun:"status" json:"status"`
	Version      int    `bun:"version" json:"version"` // published versions so far; 0 while never published
}

// Status is where an article stands in the workflow.
type Status string

// Statuses of an article.
const (
	StatusDraft     Status = "draft"     // proposed by its department, not yet sent for review
	StatusReview    Status = "review"    // waiting for the centre's review
	StatusPublished Status = "published" // offered while valid
	StatusWithdrawn Status = "withdrawn" // no longer offered
)

// Errors of the knowledge base.
var (
	ErrNotFound  = errors.New("knowledge article not found")
	ErrInvalid   = errors.New("invalid knowledge article")
	ErrForbidden = errors.New("not allowed on this knowledge article")
	ErrConflict  = errors.New("the knowledge article or proposal has moved on")
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

// ValidOn reports whether a is offered on day (YYYY-MM-DD): published, active and within its
// validity.
func (a *Article) ValidOn(day string) bool {
	return a.Active && a.Status == StatusPublished && a.ValidFrom.Format(time.DateOnly) <= day && (a.ValidUntil == nil || a.ValidUntil.Format(time.DateOnly) >= day)
}

// ExpiredOn reports whether a's validity has ended by day (YYYY-MM-DD).
func (a *Article) ExpiredOn(day string) bool {
	return a.ValidUntil != nil && a.ValidUntil.Format(time.DateOnly) < day
}

// Today is the date in the configured zone, as the validity dates mean it.
func (s *Service) Today() string { return s.today() }

// Filter narrows a Find.
type Filter struct {
	Query        string // words, Chinese-aware (internal/textsearch); empty: browse
	Category     string
	DepartmentID int64
	Offered      bool // only the articles offered today (published, active, valid)
	Published    bool // only published or withdrawn articles, not the proposals' drafts
	Limit        int  // default and maximum 200
}

// Hit is an article found, with its rank for the query (0 when browsing).
type Hit struct {
	Article `bun:",extend"`
	Rank    float64 `bun:"rank,scanonly" json:"rank"`
}

// searchText is the text search_ngrams made kb.search of, for the exact test of long words.
const searchText = "kb.title || ' ' || kb.keywords || ' ' || kb.body"

// Find returns the articles matching f: by rank for a query, else by title. A query that is
// empty or too long is a FieldError on "q".
func (s *Service) Find(ctx context.Context, f Filter) ([]Hit, textsearch.Query, error) {
	var pq textsearch.Query
	hits := []Hit{}
	sel := s.db.NewSelect().Model(&hits).ColumnExpr("?TableColumns")
	if f.Query != "" {
		var err error
		if pq, err = ParseQuery(f.Query); err != nil {
			return nil, pq, err
		}
		// Matched on all the text; ranked by the title (weighing most) and keywords.
		cond, args := pq.Condition("kb.search", searchText)
		sel = sel.ColumnExpr("ts_rank(kb.search_head, ?::tsquery) AS rank", pq.TSQuery).Where(cond, args...).
			OrderExpr("rank DESC")
	} else {
		sel = sel.ColumnExpr("0::float8 AS rank")
	}
	if f.Offered {
		today := s.today()
		sel = sel.Where("kb.active AND kb.status = ? AND kb.valid_from <= ?::date AND (kb.valid_until IS NULL OR kb.valid_until >= ?::date)",
			StatusPublished, today, today)
	}
	if f.Published {
		sel = sel.Where("kb.status IN (?, ?)", StatusPublished, StatusWithdrawn)
	}
	if f.Category != "" {
		sel = sel.Where("kb.category_code = ?", f.Category)
	}
	if f.DepartmentID != 0 {
		sel = sel.Where("kb.department_id = ?", f.DepartmentID)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 200
	}
	if err := sel.OrderExpr("kb.title, kb.id").Limit(int64(f.Limit)).Scan(ctx); err != nil {
		return nil, pq, fmt.Errorf("search knowledge base: %w", err)
	}
	return hits, pq, nil
}

// ParseQuery reads a search for articles; bad input is a FieldError on "q".
func ParseQuery(q string) (textsearch.Query, error) {
	pq, err := textsearch.Parse(q)
	switch {
	case errors.Is(err, textsearch.ErrEmpty):
		return pq, &FieldError{"q", "type a word to search for"}
	case errors.Is(err, textsearch.ErrTooLong):
		return pq, &FieldError{"q", fmt.Sprintf("at most %d characters and %d words", textsearch.MaxQueryRunes, textsearch.MaxWords)}
	}
	return pq, err
}

// Search finds the articles offered today that match every word of q, best first (the
// agents' direct answers); category, when given, narrows to that category's articles. An
// empty or too long q is a FieldError on "q".
func (s *Service) Search(ctx context.Context, q, category string) ([]Article, error) {
	if _, err := ParseQuery(q); err != nil {
		return nil, err
	}
	hits, _, err := s.Find(ctx, Filter{Query: q, Category: category, Offered: true, Limit: 20})
	if err != nil {
		return nil, err
	}
	as := make([]Article, len(hits))
	for i := range hits {
		as[i] = hits[i].Article
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
// that also writes the change's audit entry: the administrators' direct edit, published at
// once (or withdrawn, when not active) as the article's next version.
func Save(ctx context.Context, db bun.IDB, a *Article) error {
	if err := check(a); err != nil {
		return err
	}
	a.Status = StatusPublished
	if !a.Active {
		a.Status = StatusWithdrawn
	}
	a.Version = 1
	_, err := db.NewInsert().Model(a).On("CONFLICT (code) DO UPDATE").
		Set("title = EXCLUDED.title, body = EXCLUDED.body, keywords = EXCLUDED.keywords, category_code = EXCLUDED.category_code, source = EXCLUDED.source, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, active = EXCLUDED.active, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by").
		Set("status = EXCLUDED.status, version = kb.version + 1").
		Returning("id, version, department_id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save knowledge article %s: %w", a.Code, err)
	}
	return addVersion(ctx, db, a, nil)
}

// AddMissing writes a, published as its first version, only when no article has its code,
// leaving an edited one as it is: how a seed loads its articles again and again.
func AddMissing(ctx context.Context, db bun.IDB, a *Article) error {
	if err := check(a); err != nil {
		return err
	}
	a.Status, a.Version = StatusPublished, 1
	if !a.Active {
		a.Status = StatusWithdrawn
	}
	res, err := db.NewInsert().Model(a).On("CONFLICT (code) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("add knowledge article %s: %w", a.Code, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return addVersion(ctx, db, a, nil)
}

// Version is one published text of an article (kb_article_versions, append-only).
type Version struct {
	bun.BaseModel `bun:"table:kb_article_versions,alias:v"`

	ArticleID    int64      `bun:"article_id,pk" json:"-"`
	Version      int        `bun:"version,pk" json:"version"`
	Title        string     `bun:"title" json:"title"`
	Body         string     `bun:"body" json:"body"`
	Keywords     string     `bun:"keywords" json:"keywords"`
	CategoryCode string     `bun:"category_code" json:"category"`
	Source       string     `bun:"source" json:"source"`
	ValidFrom    time.Time  `bun:"valid_from,type:date" json:"valid_from"`
	ValidUntil   *time.Time `bun:"valid_until,type:date" json:"valid_until,omitempty"`
	DepartmentID *int64     `bun:"department_id" json:"department_id,omitempty"`
	ProposalID   *int64     `bun:"proposal_id" json:"proposal_id,omitempty"`
	PublishedAt  time.Time  `bun:"published_at" json:"published_at"`
	PublishedBy  string     `bun:"published_by" json:"published_by"`
}

// addVersion records a's text as its version a.Version.
func addVersion(ctx context.Context, db bun.IDB, a *Article, proposal *int64) error {
	v := &Version{ArticleID: a.ID, Version: a.Version, Title: a.Title, Body: a.Body, Keywords: a.Keywords,
		CategoryCode: a.CategoryCode, Source: a.Source, ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil,
		DepartmentID: a.DepartmentID, ProposalID: proposal, PublishedAt: a.UpdatedAt, PublishedBy: a.UpdatedBy}
	if _, err := db.NewInsert().Model(v).Exec(ctx); err != nil {
		return fmt.Errorf("record version %d of knowledge article %s: %w", a.Version, a.Code, err)
	}
	return nil
}

// Versions lists the published texts of the article with id, newest first.
func (s *Service) Versions(ctx context.Context, id int64) ([]Version, error) {
	vs := []Version{}
	if err := s.db.NewSelect().Model(&vs).Where("v.article_id = ?", id).Order("version DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("versions of knowledge article %d: %w", id, err)
	}
	return vs, nil
}
