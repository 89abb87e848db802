package demo

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/kb"
)

// Article is a demo knowledge base article (知识库条目).
type Article struct {
	Code, Department, Category, Title, Keywords, Source, ValidFrom, ValidUntil, Body string
}

//go:embed kb_articles.tsv
var articlesTSV string

// Articles are the demo's knowledge base, from kb_articles.tsv: answers to the consultations
// a city's hotline takes every day, each with its owner department, source and validity
// (valid_until is the date to review it by). A few have expired, to show that agents are not
// offered them.
var Articles = mustParseArticles(articlesTSV)

// parseArticles reads the tab-separated articles: comment lines start with #.
func parseArticles(text string) ([]Article, error) {
	var as []Article
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			return nil, fmt.Errorf("kb_articles.tsv line %d: %d fields, want 9", i+1, len(f))
		}
		a := Article{Code: f[0], Department: f[1], Category: f[2], Title: f[3], Keywords: f[4], Source: f[5], ValidFrom: f[6], ValidUntil: f[7], Body: f[8]}
		if seen[a.Code] {
			return nil, fmt.Errorf("kb_articles.tsv line %d: code %s twice", i+1, a.Code)
		}
		seen[a.Code] = true
		as = append(as, a)
	}
	return as, nil
}

func mustParseArticles(text string) []Article {
	as, err := parseArticles(text)
	if err != nil {
		panic(err)
	}
	return as
}

// SeedStaffWeb loads the staff web's part of the demo city, the knowledge base, through the
// knowledge base's own API; it is idempotent.
func SeedStaffWeb(ctx context.Context, db bun.IDB) error {
	deps := map[string]int64{}
	rows, err := db.QueryContext(ctx, "SELECT code, id FROM departments")
	if err != nil {
		return fmt.Errorf("seed knowledge base: %w", err)
	}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			rows.Close()
			return fmt.Errorf("seed knowledge base: %w", err)
		}
		deps[code] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("seed knowledge base: %w", err)
	}
	for _, a := range Articles {
		from, err := time.Parse(time.DateOnly, a.ValidFrom)
		if err != nil {
			return fmt.Errorf("seed knowledge article %s: %w", a.Code, err)
		}
		row := &kb.Article{Code: a.Code, Title: a.Title, Body: a.Body, Keywords: a.Keywords, CategoryCode: a.Category,
			Source: a.Source, ValidFrom: from, Active: true, UpdatedAt: time.Now(), UpdatedBy: "seed"}
		if a.Department != "" {
			id, ok := deps[a.Department]
			if !ok {
				return fmt.Errorf("seed knowledge article %s: no department %s", a.Code, a.Department)
			}
			row.DepartmentID = &id
		}
		if a.ValidUntil != "" {
			until, err := time.Parse(time.DateOnly, a.ValidUntil)
			if err != nil {
				return fmt.Errorf("seed knowledge article %s: %w", a.Code, err)
			}
			row.ValidUntil = &until
		}
		if err := kb.AddMissing(ctx, db, row); err != nil {
			return fmt.Errorf("seed knowledge article %s: %w", a.Code, err)
		}
	}
	return nil
}
