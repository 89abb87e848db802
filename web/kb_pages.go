package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/textsearch"
	"github.com/hotline-city/hotline/kb"
)

// The knowledge base's pages (知识库): every staff member searches it, Chinese-aware, and
// reads an article with its source, validity, owner and versions; a department's staff
// propose new articles and updates of their own department's; the centre's reviewers approve
// or refuse them (with a reason) before anything is published. Article contents are Chinese
// only; the pages around them speak both languages.

// kbArticleView is an article as the pages show it: its state today, owner and category by
// name, and the query's words marked in its title and an excerpt of its text.
type kbArticleView struct {
	kb.Article
	State       string // valid, pending (not yet valid), expired, withdrawn, draft, review
	Dept        *org.Department
	Cat         *org.Category
	TitleHTML   template.HTML
	SnippetHTML template.HTML
}

type kbSearchPage struct {
	Q, Category, Department string
	Articles                []kbArticleView
	Categories              []org.Category
	Departments             []org.Department
	Error                   string
	CanPropose, CanReview   bool
	InReview                int
}

type kbArticlePage struct {
	Article     kbArticleView
	Versions    []kb.Version
	CanPropose  bool
	CanWithdraw bool
	Done        string
}

type kbProposePage struct {
	Form       url.Values
	Existing   bool // an update of an article, whose code stays
	Categories []org.Category
	Proposals  []kb.Proposal
	Error      string
	Field      string
	Done       string
}

type kbReviewPage struct {
	Proposals []kbProposalView
	Done      string
	Error     string
}

type kbProposalView struct {
	kb.Proposal
	Dept *org.Department
	New  bool // the article was never published
}

// kbDirectory is the departments and categories, by id and code, for naming them.
type kbDirectory struct {
	deps []org.Department
	cats []org.Category
}

func (s *Server) kbDirectory(ctx context.Context) (*kbDirectory, error) {
	deps, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	cats, err := s.Org.Categories(ctx)
	if err != nil {
		return nil, err
	}
	return &kbDirectory{deps, cats}, nil
}

func (d *kbDirectory) dept(id *int64) *org.Department {
	if id == nil {
		return nil
	}
	for i := range d.deps {
		if d.deps[i].ID == *id {
			return &d.deps[i]
		}
	}
	return nil
}

func (d *kbDirectory) cat(code string) *org.Category {
	for i := range d.cats {
		if d.cats[i].Code == code {
			return &d.cats[i]
		}
	}
	return nil
}

// articleState is where an article stands today, as the pages name it.
func articleState(a *kb.Article, today string) string {
	switch {
	case a.Status != kb.StatusPublished:
		return string(a.Status)
	case !a.Active:
		return string(kb.StatusWithdrawn)
	case a.ExpiredOn(today):
		return "expired"
	case a.ValidFrom.Format(time.DateOnly) > today:
		return "pending"
	}
	return "valid"
}

func (s *Server) viewArticle(dir *kbDirectory, a kb.Article, q textsearch.Query) kbArticleView {
	return kbArticleView{Article: a, State: articleState(&a, s.KB.Today()), Dept: dir.dept(a.DepartmentID), Cat: dir.cat(a.CategoryCode),
		TitleHTML: textsearch.Highlight(a.Title, q), SnippetHTML: textsearch.Snippet(a.Body, q, 120)}
}

// kbEditor is who acts on the knowledge base: a department's staff propose for their
// department; everyone else proposes for none.
func kbEditor(st *org.Staff) kb.Editor {
	ed := kb.Editor{Name: st.Username}
	if org.DepartmentStaff.Has(st.Role) {
		ed.DepartmentID = st.DepartmentID
	}
	return ed
}

// kbErrorText is what the knowledge pages say about err in lang: a field of the knowledge
// base named in the catalogue's words, else the site's errorText.
func kbErrorText(lang string, err error) string {
	var fe *kb.FieldError
	if errors.As(err, &fe) {
		label := trOr(lang, "kb.field."+fe.Field, fe.Field)
		msg := fieldMsg(lang, fe.Msg)
		if key, ok := kbFieldMsgKeys[fe.Msg]; ok {
			msg = tr(lang, key)
		}
		return label + tr(lang, "colon") + msg
	}
	return errorText(lang, err)
}

// kbFieldMsgKeys are the catalogue's words for the knowledge base's field errors.
var kbFieldMsgKeys = map[string]string{
	"type a word to search for":         "kb.error.q_empty",
	"at most 64 characters and 8 words": "kb.error.q_long",
	"a refusal needs a reason":          "kb.error.reason",
	"must be a date like 2027-01-01":    "kb.error.date",
	"must not be before valid_from":     "kb.error.valid_until",
	"is required":                       "kb.error.required",
	"no department with that code":      "kb.error.department",
	"no category with that code":        "kb.error.category",
	"lower-case letters, digits and dashes, starting with a letter or digit": "kb.error.code",
}

func (s *Server) getKBPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	dir, err := s.kbDirectory(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	q := r.URL.Query()
	p := &kbSearchPage{Q: q.Get("q"), Category: q.Get("category"), Department: q.Get("department"), Departments: dir.deps, Categories: dir.cats,
		CanPropose: org.DepartmentStaff.Has(st.Role), CanReview: org.Reviewers.Has(st.Role)}
	f := kb.Filter{Query: p.Q, Category: p.Category, Published: true, Limit: 100}
	status := http.StatusOK
	err = nil
	if p.Department != "" {
		if d := slices.IndexFunc(dir.deps, func(d org.Department) bool { return d.Code == p.Department }); d >= 0 {
			f.DepartmentID = dir.deps[d].ID
		} else {
			err = &kb.FieldError{Field: "department", Msg: "no department with that code"}
		}
	}
	if err == nil && p.Category != "" && dir.cat(p.Category) == nil {
		err = &kb.FieldError{Field: "category", Msg: "no category with that code"}
	}
	var hits []kb.Hit
	var pq textsearch.Query
	if err == nil {
		hits, pq, err = s.KB.Find(ctx, f)
	}
	if err != nil {
		if status, _ = errorStatus(err); status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		p.Error = kbErrorText(pageLang(r), err)
	}
	for _, h := range hits {
		p.Articles = append(p.Articles, s.viewArticle(dir, h.Article, pq))
	}
	if p.CanReview {
		ps, err := s.KB.Proposals(ctx, kb.ProposalReview, 0)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		p.InReview = len(ps)
	}
	s.renderStaffStatus(w, r, status, "staff/kb.html", p)
}

func (s *Server) getKBArticle(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	a, err := s.KB.Article(ctx, r.PathValue("code"))
	if err != nil {
		s.kbRefuse(w, r, err)
		return
	}
	dir, err := s.kbDirectory(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	vs, err := s.KB.Versions(ctx, a.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p := &kbArticlePage{Article: s.viewArticle(dir, *a, textsearch.Query{}), Versions: vs, Done: r.URL.Query().Get("done"),
		CanPropose:  org.DepartmentStaff.Has(st.Role) && a.DepartmentID != nil && *a.DepartmentID == st.DepartmentID,
		CanWithdraw: org.Reviewers.Has(st.Role) && a.Status == kb.StatusPublished && a.Active}
	s.renderStaff(w, r, "staff/kb_article.html", p)
}

// kbRefuse answers a refused knowledge base action: the API's JSON, or a page in the
// reader's language.
func (s *Server) kbRefuse(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	if isAPI(r) {
		s.apiError(w, r, err)
		return
	}
	s.renderError(w, r, status, kbErrorText(pageLang(r), err))
}

func (s *Server) getKBPropose(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := &kbProposePage{Form: url.Values{}, Done: r.URL.Query().Get("done")}
	if code := r.URL.Query().Get("code"); code != "" {
		a, err := s.KB.Article(ctx, code)
		if err != nil {
			s.kbRefuse(w, r, err)
			return
		}
		st := staffFrom(ctx)
		if a.DepartmentID == nil || *a.DepartmentID != st.DepartmentID {
			s.kbRefuse(w, r, kb.ErrForbidden)
			return
		}
		p.Existing = true
		p.Form = url.Values{"code": {a.Code}, "title": {a.Title}, "body": {a.Body}, "keywords": {a.Keywords}, "category": {a.CategoryCode},
			"source": {a.Source}, "valid_from": {a.ValidFrom.Format(time.DateOnly)}}
		if a.ValidUntil != nil {
			p.Form.Set("valid_until", a.ValidUntil.Format(time.DateOnly))
		}
	}
	s.renderKBPropose(w, r, http.StatusOK, p)
}

func (s *Server) renderKBPropose(w http.ResponseWriter, r *http.Request, status int, p *kbProposePage) {
	ctx := r.Context()
	cats, err := s.Org.Categories(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ps, err := s.KB.Proposals(ctx, "", staffFrom(ctx).DepartmentID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	slices.Reverse(ps)
	p.Categories, p.Proposals = cats, ps
	s.renderStaffStatus(w, r, status, "staff/kb_propose.html", p)
}

// kbDraft reads a proposal's fields; a date that is not one is a FieldError on its field.
func kbDraft(f fields) (kb.Draft, error) {
	d := kb.Draft{Code: f.get("code"), Title: f.get("title"), Body: f.get("body"), Keywords: f.get("keywords"), Category: f.get("category"),
		Source: f.get("source"), Note: f.get("note"), Submit: f.get("submit") == "1" || f.get("submit") == "true"}
	if v := f.get("valid_from"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return d, &kb.FieldError{Field: "valid_from", Msg: "must be a date like 2027-01-01"}
		}
		d.ValidFrom = t
	}
	if v := f.get("valid_until"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return d, &kb.FieldError{Field: "valid_until", Msg: "must be a date like 2027-01-01"}
		}
		d.ValidUntil = &t
	}
	return d, nil
}

// propose keeps a proposal from fields, checking its category against the directory.
func (s *Server) propose(ctx context.Context, st *org.Staff, f fields) (*kb.Proposal, error) {
	d, err := kbDraft(f)
	if err != nil {
		return nil, err
	}
	if d.Category != "" {
		if _, err := s.Org.Category(ctx, d.Category); errors.Is(err, org.ErrNotFound) {
			return nil, &kb.FieldError{Field: "category", Msg: "no category with that code"}
		} else if err != nil {
			return nil, err
		}
	}
	return s.KB.Propose(ctx, kbEditor(st), d)
}

func (s *Server) postKBPropose(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p, err := s.propose(ctx, staffFrom(ctx), f)
	if err != nil {
		status, _ := errorStatus(err)
		var fe *kb.FieldError
		if !errors.As(err, &fe) {
			s.kbRefuse(w, r, err)
			return
		}
		page := &kbProposePage{Form: url.Values(f), Existing: f.get("existing") == "1", Error: kbErrorText(pageLang(r), err), Field: fe.Field}
		s.renderKBPropose(w, r, status, page)
		return
	}
	http.Redirect(w, r, "/kb/propose?done="+url.QueryEscape(string(p.Status)), http.StatusSeeOther)
}

func (s *Server) getKBReview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ps, err := s.KB.Proposals(ctx, kb.ProposalReview, 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	dir, err := s.kbDirectory(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p := &kbReviewPage{Done: r.URL.Query().Get("done")}
	for _, x := range ps {
		id := x.DepartmentID
		p.Proposals = append(p.Proposals, kbProposalView{Proposal: x, Dept: dir.dept(&id), New: x.Article != nil && x.Article.Version == 0})
	}
	s.renderStaff(w, r, "staff/kb_review.html", p)
}

// reviewProposal approves (reason empty) or refuses the proposal in the path.
func (s *Server) reviewProposal(ctx context.Context, st *org.Staff, idText string, approve bool, reason string) (*kb.Proposal, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, kb.ErrNotFound
	}
	if approve {
		return s.KB.Approve(ctx, kbEditor(st), id)
	}
	return s.KB.Refuse(ctx, kbEditor(st), id, reason)
}

func (s *Server) postKBReview(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f, err := readFields(w, r)
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, err.Error())
			return
		}
		p, err := s.reviewProposal(ctx, staffFrom(ctx), r.PathValue("id"), approve, f.get("reason"))
		if err != nil {
			s.kbRefuse(w, r, err)
			return
		}
		http.Redirect(w, r, "/kb/review?done="+url.QueryEscape(string(p.Status)), http.StatusSeeOther)
	}
}

func (s *Server) postKBWithdraw(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code := r.PathValue("code")
	if err := s.KB.Withdraw(ctx, kbEditor(staffFrom(ctx)), code); err != nil {
		s.kbRefuse(w, r, err)
		return
	}
	http.Redirect(w, r, "/kb/"+url.PathEscape(code)+"?done=withdrawn", http.StatusSeeOther)
}

// The API's side of the workflow.

func (s *Server) postKBProposalAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p, err := s.propose(ctx, staffFrom(ctx), f)
	if err != nil {
		s.kbRefuse(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) getKBProposalsAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	dep := int64(0)
	if org.DepartmentStaff.Has(st.Role) {
		dep = st.DepartmentID // a department sees its own proposals
	}
	status := kb.ProposalStatus(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains([]kb.ProposalStatus{kb.ProposalDraft, kb.ProposalReview, kb.ProposalApproved, kb.ProposalRefused}, status) {
		s.apiError(w, r, &kb.FieldError{Field: "status", Msg: "draft, review, approved or refused"})
		return
	}
	ps, err := s.KB.Proposals(ctx, status, dep)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"proposals": ps})
}

func (s *Server) postKBReviewAPI(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f, err := readFields(w, r)
		if err != nil {
			s.refuse(w, r, http.StatusBadRequest, err.Error())
			return
		}
		p, err := s.reviewProposal(ctx, staffFrom(ctx), r.PathValue("id"), approve, f.get("reason"))
		if err != nil {
			s.kbRefuse(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	}
}

func (s *Server) getKBArticleAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.KB.Article(ctx, r.PathValue("code"))
	if err != nil {
		s.kbRefuse(w, r, err)
		return
	}
	vs, err := s.KB.Versions(ctx, a.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"article": a, "state": articleState(a, s.KB.Today()), "versions": vs})
}
