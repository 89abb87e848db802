package kb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/kb"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSearchOffersOnlyValidArticles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// 23:30 UTC on the 22nd is already the 23rd in Shanghai.
	svc := kb.NewService(db, clock.NewFixed(time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)), loc)
	until := date("2026-11-22")
	for _, a := range []*kb.Article{
		{Code: "social-card", Title: "社保卡补办", Body: "携带身份证到社保窗口办理。", Keywords: "社保 补卡", Source: "市人社局", ValidFrom: date("2026-01-01"), Active: true},
		{Code: "old-rule", Title: "旧社保政策", Body: "已废止。", Source: "市人社局", ValidFrom: date("2025-01-01"), ValidUntil: &until, Active: true},
		{Code: "hidden", Title: "社保内部", Body: "停用。", Source: "市人社局", ValidFrom: date("2026-01-01"), Active: false},
	} {
		if err := kb.Save(ctx, db, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.Search(ctx, "社保", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Code != "social-card" {
		t.Fatalf("search 社保: %+v", got)
	}
	if got, _ := svc.Search(ctx, "补卡 100%", ""); len(got) != 0 {
		t.Fatalf("a literal %% matched: %+v", got)
	}
	if _, err := svc.ValidArticle(ctx, "old-rule"); !errors.Is(err, kb.ErrInvalid) {
		t.Fatalf("expired article: %v", err)
	}
	if _, err := svc.ValidArticle(ctx, "nope"); !errors.Is(err, kb.ErrInvalid) {
		t.Fatalf("unknown article: %v", err)
	}
	if _, err := svc.Article(ctx, "nope"); !errors.Is(err, kb.ErrNotFound) {
		t.Fatalf("unknown article: %v", err)
	}
	// A seed adds what is missing and leaves an edited article alone.
	if err := kb.AddMissing(ctx, db, &kb.Article{Code: "social-card", Title: "种子", Body: "种子", Source: "种子", ValidFrom: date("2026-01-01"), Active: true}); err != nil {
		t.Fatal(err)
	}
	if a, err := svc.Article(ctx, "social-card"); err != nil || a.Title != "社保卡补办" {
		t.Fatalf("seed overwrote an article: %+v %v", a, err)
	}
}

func TestSaveRefusesBadArticles(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	before := date("2025-12-31")
	good := kb.Article{Code: "ok", Title: "t", Body: "b", Source: "s", ValidFrom: date("2026-01-01")}
	for field, mutate := range map[string]func(a *kb.Article){
		"code":        func(a *kb.Article) { a.Code = "Bad Code" },
		"title":       func(a *kb.Article) { a.Title = " " },
		"body":        func(a *kb.Article) { a.Body = "" },
		"source":      func(a *kb.Article) { a.Source = "" },
		"valid_from":  func(a *kb.Article) { a.ValidFrom = time.Time{} },
		"valid_until": func(a *kb.Article) { a.ValidUntil = &before },
	} {
		a := good
		mutate(&a)
		var fe *kb.FieldError
		if err := kb.Save(context.Background(), db, &a); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
