package demo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/testdb"
)

// contents is every row of every table but the migrations' own, each table's rows sorted.
func contents(t *testing.T, db *bun.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	if err := db.NewRaw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'bun_migration%'
		ORDER BY table_name`).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, tb := range tables {
		var rows []string
		if err := db.NewRaw("SELECT to_jsonb(x)::text FROM ? AS x ORDER BY 1", bun.Ident(tb)).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		out[tb] = rows
	}
	return out
}

func TestSeedTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	if err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	first := contents(t, db)
	// Every part of the city is there, each through its domain.
	for table, want := range map[string]int{
		"departments": len(demo.Departments), "categories": len(demo.Categories), "deadline_profiles": len(demo.Profiles),
		"staff": len(demo.Accounts()), "routing_rules": len(demo.Rules()), "routing_rule_versions": len(demo.Rules()),
		"intake_api_keys": 1, "call_records": 4, "callback_tasks": 2, "kb_articles": len(demo.Articles), "kb_article_versions": len(demo.Articles),
	} {
		if got := len(first[table]); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	if len(first["workcal_days"]) == 0 || len(first["intake_services"]) == 0 {
		t.Errorf("no working-day calendar (%d) or Open311 services (%d)", len(first["workcal_days"]), len(first["intake_services"]))
	}
	if n := strings.Count(fmt.Sprint(first["staff"]), "@demo.invalid"); n == 0 {
		t.Error("no demo e-mail addresses")
	}

	if err := demo.Seed(ctx, db); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if diff := cmp.Diff(first, contents(t, db)); diff != "" {
		t.Fatalf("a second seed changed the data (-first +second):\n%s", diff)
	}
}

// TestArticlesNameTheirSourceAndOwner checks the demo's knowledge base: at least 150 articles,
// each with an owner department and a category of the demo city (or none), a source, and
// validity dates in order.
func TestArticlesNameTheirSourceAndOwner(t *testing.T) {
	t.Parallel()
	if len(demo.Articles) < 150 {
		t.Fatalf("%d articles, want at least 150", len(demo.Articles))
	}
	deps, cats := map[string]bool{}, map[string]bool{"": true}
	for _, d := range demo.Departments {
		deps[d.Code] = true
	}
	for _, c := range demo.Categories {
		cats[c.Code] = true
	}
	for _, a := range demo.Articles {
		if !deps[a.Department] || !cats[a.Category] || a.Source == "" || a.Title == "" || a.Body == "" || a.ValidFrom == "" ||
			(a.ValidUntil != "" && a.ValidUntil < a.ValidFrom) {
			t.Errorf("article %s: %+v", a.Code, a)
		}
	}
}
