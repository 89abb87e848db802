package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// kbArticle is a knowledge base article (知识库条目): what agents answer consultations from.
// An article is only offered between ValidFrom and ValidUntil (policies change), and always
// names its Source.
type kbArticle struct {
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

// today is the date in the configured zone, as the knowledge base's validity dates mean it.
func (s *Server) today() string {
	return s.Clock.Now().In(s.location()).Format("2006-01-02")
}

// likeEscape escapes LIKE's wildcards in a search term.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchKB finds the articles valid today whose title, keywords or text contain every word of
// q (Chinese needs no word splitting for a substring match), titles first.
func (s *Server) searchKB(ctx context.Context, q, category string) ([]kbArticle, error) {
	as := []kbArticle{}
	sel := s.db.NewSelect().Model(&as).
		Where("kb.active AND kb.valid_from <= ?::date AND (kb.valid_until IS NULL OR kb.valid_until >= ?::date)", s.today(), s.today())
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

// kbArticleFor returns the article with code or id (any validity).
func (s *Server) kbArticleFor(ctx context.Context, key string) (*kbArticle, error) {
	a := new(kbArticle)
	q := s.db.NewSelect().Model(a)
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		q = q.Where("kb.id = ?", id)
	} else {
		q = q.Where("kb.code = ?", key)
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, &badField{"article", fmt.Sprintf("no knowledge article %q", key)}
	} else if err != nil {
		return nil, fmt.Errorf("knowledge article %s: %w", key, err)
	}
	return a, nil
}

// answerInput is a direct answer: from a knowledge article valid today (recorded on the
// timeline with its source), or the agent's own text, or both.
func (s *Server) answerInput(ctx context.Context, article, text string) (tickets.ActInput, error) {
	in := tickets.ActInput{Text: strings.TrimSpace(text)}
	if article == "" {
		if in.Text == "" {
			return in, &badField{"answer", "an answer needs text or a knowledge article"}
		}
		return in, nil
	}
	a, err := s.kbArticleFor(ctx, article)
	if err != nil {
		return in, err
	}
	today := s.today()
	if !a.Active || a.ValidFrom.Format("2006-01-02") > today || (a.ValidUntil != nil && a.ValidUntil.Format("2006-01-02") < today) {
		return in, &badField{"article", fmt.Sprintf("knowledge article %q is not valid today", a.Code)}
	}
	if in.Text == "" {
		in.Text = a.Body
	}
	in.Data = map[string]any{"kb_article": a.Code, "kb_title": a.Title, "kb_source": a.Source}
	return in, nil
}
