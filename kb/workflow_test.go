package kb_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/kb"
)

func department(t *testing.T, db *bun.DB, code string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRowContext(context.Background(), "INSERT INTO departments (code, name_zh) VALUES (?, ?) RETURNING id", code, code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestProposalReviewPublish follows an article through the workflow: a department proposes
// it, it is not offered until the centre approves it, a refused update keeps the published
// text and the reason, an approved one becomes version 2, and another department may not
// touch it.
func TestProposalReviewPublish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	svc := kb.NewService(db, clock.NewFixed(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)), loc)
	hrss, market := department(t, db, "hrss"), department(t, db, "market")
	ed := kb.Editor{Name: "handler-hrss", DepartmentID: hrss}
	centre := kb.Editor{Name: "supervisor"}
	d := kb.Draft{Code: "unemployment-claim", Title: "失业保险金申领", Body: "在线申领失业保险金。", Source: "市人社局政策问答",
		ValidFrom: date("2026-01-01"), Submit: false}

	p, err := svc.Propose(ctx, ed, d)
	if err != nil || p.Status != kb.ProposalDraft {
		t.Fatalf("draft: %+v %v", p, err)
	}
	if _, err := svc.Approve(ctx, centre, p.ID); !errors.Is(err, kb.ErrConflict) {
		t.Fatalf("approving a draft: %v", err)
	}
	d.Submit = true
	if p, err = svc.Propose(ctx, ed, d); err != nil || p.Status != kb.ProposalReview {
		t.Fatalf("submit: %+v %v", p, err)
	}
	if got, _ := svc.Search(ctx, "失业", ""); len(got) != 0 {
		t.Fatalf("an article in review is offered: %+v", got)
	}
	if _, err := svc.Approve(ctx, centre, p.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Search(ctx, "失业", ""); len(got) != 1 || got[0].Version != 1 {
		t.Fatalf("approved article not offered: %+v", got)
	}

	// An update, refused: the published text stays, the reason is kept.
	d.Body = "错误的新文本。"
	p, err = svc.Propose(ctx, ed, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Refuse(ctx, centre, p.ID, " "); !errors.Is(err, kb.ErrInvalid) {
		t.Fatalf("a refusal without reason: %v", err)
	}
	if p, err = svc.Refuse(ctx, centre, p.ID, "来源未更新"); err != nil || p.Reason != "来源未更新" {
		t.Fatalf("refuse: %+v %v", p, err)
	}
	if a, _ := svc.Article(ctx, "unemployment-claim"); a.Body != "在线申领失业保险金。" || a.Status != kb.StatusPublished {
		t.Fatalf("a refused update changed the article: %+v", a)
	}
	// Another, approved: version 2, both versions in the history.
	d.Body = "通过网上办事大厅或社保经办机构申领失业保险金。"
	if p, err = svc.Propose(ctx, ed, d); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, centre, p.ID); err != nil {
		t.Fatal(err)
	}
	a, _ := svc.Article(ctx, "unemployment-claim")
	vs, err := svc.Versions(ctx, a.ID)
	if err != nil || a.Version != 2 || len(vs) != 2 || vs[0].Body != d.Body || vs[1].Body != "在线申领失业保险金。" {
		t.Fatalf("history: %+v %+v %v", a, vs, err)
	}

	// Another department's article, or a proposal of the centre's staff: refused.
	if _, err := svc.Propose(ctx, kb.Editor{Name: "handler-market", DepartmentID: market}, d); !errors.Is(err, kb.ErrForbidden) {
		t.Fatalf("another department's article: %v", err)
	}
	if _, err := svc.Propose(ctx, centre, d); !errors.Is(err, kb.ErrForbidden) {
		t.Fatalf("a proposal from the centre: %v", err)
	}
	// A validity that ends before it starts is bad input.
	bad := d
	until := date("2025-12-31")
	bad.ValidUntil = &until
	var fe *kb.FieldError
	if _, err := svc.Propose(ctx, ed, bad); !errors.As(err, &fe) || fe.Field != "valid_until" {
		t.Fatalf("validity backwards: %v", err)
	}
	if err := svc.Withdraw(ctx, centre, "unemployment-claim"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Search(ctx, "失业", ""); len(got) != 0 {
		t.Fatalf("a withdrawn article is offered: %+v", got)
	}
}

// TestFindRanksAndMarksExpired checks the staff's search: bigrams find two-character words,
// titles rank above texts, and expired articles are found (to be shown as expired) but not
// offered.
func TestFindRanksAndMarksExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	svc := kb.NewService(db, clock.NewFixed(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)), loc)
	until := date("2026-06-30")
	for _, a := range []*kb.Article{
		{Code: "body-only", Title: "劳动合同解除", Body: "单位拖欠工资的，劳动者可以解除合同。", Source: "s", ValidFrom: date("2026-01-01"), Active: true},
		{Code: "title", Title: "拖欠工资怎么办", Body: "向劳动保障监察投诉。", Source: "s", ValidFrom: date("2026-01-01"), Active: true},
		{Code: "expired", Title: "拖欠工资旧规定", Body: "旧。", Source: "s", ValidFrom: date("2025-01-01"), ValidUntil: &until, Active: true},
	} {
		if err := kb.Save(ctx, db, a); err != nil {
			t.Fatal(err)
		}
	}
	hits, _, err := svc.Find(ctx, kb.Filter{Query: "拖欠 工资"})
	if err != nil || len(hits) != 3 || hits[2].Code != "body-only" {
		t.Fatalf("find: %+v %v", hits, err)
	}
	if !hits[0].ExpiredOn(svc.Today()) && !hits[1].ExpiredOn(svc.Today()) {
		t.Fatalf("the expired article is not told: %+v", hits)
	}
	offered, err := svc.Search(ctx, "拖欠 工资", "")
	if err != nil || len(offered) != 2 {
		t.Fatalf("offered: %+v %v", offered, err)
	}
	for _, a := range offered {
		if a.Code == "expired" {
			t.Fatal("an expired article is offered")
		}
	}
	for _, q := range []string{"！？", strings.Repeat("工资", 40)} {
		var fe *kb.FieldError
		if _, _, err := svc.Find(ctx, kb.Filter{Query: q}); !errors.As(err, &fe) || fe.Field != "q" {
			t.Errorf("query %q: %v", q, err)
		}
	}
}
