package kb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Proposal (知识条目提报) is a department's new article or new text of one of its own
// articles, kept as a draft or sent to the centre for review; approved, it is published as the
// article's next version, refused, it keeps the centre's reason.
type Proposal struct {
	bun.BaseModel `bun:"table:kb_proposals,alias:p"`

	ID           int64          `bun:"id,pk,autoincrement" json:"id"`
	ArticleID    int64          `bun:"article_id" json:"-"`
	Article      *Article       `bun:"rel:belongs-to,join:article_id=id" json:"article,omitempty"`
	DepartmentID int64          `bun:"department_id" json:"department_id"`
	Title        string         `bun:"title" json:"title"`
	Body         string         `bun:"body" json:"body"`
	Keywords     string         `bun:"keywords" json:"keywords"`
	CategoryCode string         `bun:"category_code" json:"category"`
	Source       string         `bun:"source" json:"source"`
	ValidFrom    time.Time      `bun:"valid_from,type:date" json:"valid_from"`
	ValidUntil   *time.Time     `bun:"valid_until,type:date" json:"valid_until,omitempty"`
	Note         string         `bun:"note" json:"note"`
	Status       ProposalStatus `bun:"status" json:"status"`
	ProposedBy   string         `bun:"proposed_by" json:"proposed_by"`
	ProposedAt   time.Time      `bun:"proposed_at" json:"proposed_at"`
	ReviewedBy   string         `bun:"reviewed_by" json:"reviewed_by,omitempty"`
	ReviewedAt   *time.Time     `bun:"reviewed_at" json:"reviewed_at,omitempty"`
	Reason       string         `bun:"reason" json:"reason,omitempty"`
}

// ProposalStatus is where a proposal stands.
type ProposalStatus string

// Statuses of a proposal.
const (
	ProposalDraft    ProposalStatus = "draft"
	ProposalReview   ProposalStatus = "review"
	ProposalApproved ProposalStatus = "approved"
	ProposalRefused  ProposalStatus = "refused"
)

// Editor is who proposes or reviews: a name for the record and, for a department's staff,
// their department.
type Editor struct {
	Name         string
	DepartmentID int64 // 0: not a department's staff
}

// Draft is the text of a proposal.
type Draft struct {
	Code, Title, Body, Keywords, Category, Source, Note string
	ValidFrom                                           time.Time
	ValidUntil                                          *time.Time
	Submit                                              bool // send for review, not only keep as a draft
}

// Propose keeps a department's proposal for the article with d.Code: a new article owned by
// ed's department when no article has the code, else a new text of one of its own articles
// (another department's article is ErrForbidden). An open proposal of the article is
// updated rather than a second one started.
func (s *Service) Propose(ctx context.Context, ed Editor, d Draft) (*Proposal, error) {
	if ed.DepartmentID == 0 {
		return nil, fmt.Errorf("only a department proposes knowledge articles: %w", ErrForbidden)
	}
	a := &Article{Code: strings.ToLower(strings.TrimSpace(d.Code)), Title: strings.TrimSpace(d.Title), Body: strings.TrimSpace(d.Body),
		Keywords: strings.TrimSpace(d.Keywords), CategoryCode: d.Category, Source: strings.TrimSpace(d.Source),
		ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil}
	if err := check(a); err != nil {
		return nil, err
	}
	status, articleStatus := ProposalDraft, StatusDraft
	if d.Submit {
		status, articleStatus = ProposalReview, StatusReview
	}
	now := s.clock.Now()
	p := &Proposal{DepartmentID: ed.DepartmentID, Title: a.Title, Body: a.Body, Keywords: a.Keywords, CategoryCode: a.CategoryCode,
		Source: a.Source, ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, Note: strings.TrimSpace(d.Note), Status: status,
		ProposedBy: ed.Name, ProposedAt: now}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		cur := new(Article)
		err := tx.NewSelect().Model(cur).Where("kb.code = ?", a.Code).For("UPDATE").Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// A new article: held, unpublished, with the proposal's text until it is approved.
			dep := ed.DepartmentID
			a.DepartmentID, a.Status, a.Version, a.Active, a.UpdatedAt, a.UpdatedBy = &dep, articleStatus, 0, true, now, ed.Name
			if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
				return fmt.Errorf("add knowledge article %s: %w", a.Code, err)
			}
			cur = a
		case err != nil:
			return fmt.Errorf("knowledge article %s: %w", a.Code, err)
		case cur.DepartmentID == nil || *cur.DepartmentID != ed.DepartmentID:
			return fmt.Errorf("knowledge article %s belongs to another department: %w", a.Code, ErrForbidden)
		case cur.Version == 0:
			// Never published: the article shows the latest proposal's text.
			if _, err := tx.NewUpdate().Model(cur).Set("title = ?, body = ?, keywords = ?, category_code = ?, source = ?, valid_from = ?, valid_until = ?, status = ?, updated_at = ?, updated_by = ?",
				a.Title, a.Body, a.Keywords, a.CategoryCode, a.Source, a.ValidFrom, a.ValidUntil, articleStatus, now, ed.Name).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("update knowledge article %s: %w", a.Code, err)
			}
		}
		p.ArticleID = cur.ID
		open := new(Proposal)
		err = tx.NewSelect().Model(open).Where("p.article_id = ? AND p.status IN (?, ?)", cur.ID, ProposalDraft, ProposalReview).For("UPDATE").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
				return fmt.Errorf("add proposal for %s: %w", a.Code, err)
			}
			return nil
		} else if err != nil {
			return fmt.Errorf("open proposal for %s: %w", a.Code, err)
		}
		p.ID = open.ID
		if _, err := tx.NewUpdate().Model(p).ExcludeColumn("id", "reviewed_by", "reviewed_at", "reason").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update proposal %d: %w", p.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Approve publishes the proposal with id, in review, as its article's next version.
func (s *Service) Approve(ctx context.Context, ed Editor, id int64) (*Proposal, error) {
	return s.review(ctx, ed, id, "")
}

// Refuse sends the proposal with id back to its department with a reason.
func (s *Service) Refuse(ctx context.Context, ed Editor, id int64, reason string) (*Proposal, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, &FieldError{"reason", "a refusal needs a reason"}
	}
	return s.review(ctx, ed, id, reason)
}

func (s *Service) review(ctx context.Context, ed Editor, id int64, reason string) (*Proposal, error) {
	p := new(Proposal)
	now := s.clock.Now()
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(p).Where("p.id = ?", id).For("UPDATE").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("proposal %d: %w", id, ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("proposal %d: %w", id, err)
		}
		if p.Status != ProposalReview {
			return fmt.Errorf("proposal %d is %s, not in review: %w", id, p.Status, ErrConflict)
		}
		a := new(Article)
		if err := tx.NewSelect().Model(a).Where("kb.id = ?", p.ArticleID).For("UPDATE").Scan(ctx); err != nil {
			return fmt.Errorf("article of proposal %d: %w", id, err)
		}
		p.ReviewedBy, p.ReviewedAt, p.Reason = ed.Name, &now, reason
		if reason != "" {
			p.Status = ProposalRefused
			if a.Version == 0 {
				a.Status = StatusDraft
			}
		} else {
			p.Status = ProposalApproved
			a.Title, a.Body, a.Keywords, a.CategoryCode, a.Source, a.ValidFrom, a.ValidUntil =
				p.Title, p.Body, p.Keywords, p.CategoryCode, p.Source, p.ValidFrom, p.ValidUntil
			a.Status, a.Active, a.Version, a.UpdatedAt, a.UpdatedBy = StatusPublished, true, a.Version+1, now, ed.Name
			if err := addVersion(ctx, tx, a, &p.ID); err != nil {
				return err
			}
		}
		if _, err := tx.NewUpdate().Model(a).Column("title", "body", "keywords", "category_code", "source", "valid_from", "valid_until", "status", "active", "version", "updated_at", "updated_by").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update knowledge article %s: %w", a.Code, err)
		}
		if _, err := tx.NewUpdate().Model(p).Column("status", "reviewed_by", "reviewed_at", "reason").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update proposal %d: %w", id, err)
		}
		p.Article = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Withdraw stops offering the published article with code; its department may propose it again.
func (s *Service) Withdraw(ctx context.Context, ed Editor, code string) error {
	res, err := s.db.NewUpdate().Model((*Article)(nil)).Set("status = ?, active = false, updated_at = ?, updated_by = ?", StatusWithdrawn, s.clock.Now(), ed.Name).
		Where("code = ? AND status = ?", code, StatusPublished).Exec(ctx)
	if err != nil {
		return fmt.Errorf("withdraw knowledge article %s: %w", code, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Article(ctx, code); err != nil {
			return err
		}
		return fmt.Errorf("knowledge article %s is not published: %w", code, ErrConflict)
	}
	return nil
}

// Proposals lists proposals, oldest first: those with status (any, when empty) of the
// department (any, when 0).
func (s *Service) Proposals(ctx context.Context, status ProposalStatus, departmentID int64) ([]Proposal, error) {
	ps := []Proposal{}
	q := s.db.NewSelect().Model(&ps).Relation("Article")
	if status != "" {
		q = q.Where("p.status = ?", status)
	}
	if departmentID != 0 {
		q = q.Where("p.department_id = ?", departmentID)
	}
	if err := q.Order("p.proposed_at", "p.id").Limit(500).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	return ps, nil
}

// Proposal returns the proposal with id.
func (s *Service) Proposal(ctx context.Context, id int64) (*Proposal, error) {
	p := new(Proposal)
	err := s.db.NewSelect().Model(p).Relation("Article").Where("p.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("proposal %d: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("proposal %d: %w", id, err)
	}
	return p, nil
}
