package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-city/hotline/internal/database"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/tickets"
)

var adminTabs = []struct{ Name, Path, Zh string }{
	{"departments", "", "部门"}, {"staff", "/staff", "人员"}, {"catalogue", "/catalogue", "分类与时限"},
	{"calendar", "/calendar", "工作日历"}, {"tokens", "/tokens", "API 密钥"}, {"kb", "/kb", "知识库"}, {"audit", "/audit", "审计日志"},
}

// adminPage is what the administration template sees.
type adminPage struct {
	Tab         string
	Tabs        any
	Error       string
	Saved       string
	Departments []org.Department
	Staff       []org.Staff
	Categories  []org.Category
	Profiles    []org.Profile
	Days        []workcal.Day
	Tokens      []account.Token
	Articles    []kb.Article
	Audit       []account.Entry
	Roles       org.RoleSet
	Types       []string
	// Cal is the calendar tab's year view, table and preview (admin_calendar.go).
	Cal *calendarView
	// MissingYear is next year when, from 1 November, the calendar has no entry in it yet.
	MissingYear int
	// Edit is the row whose edit button was pressed: the tab's form shows its values.
	Edit *adminEdit
}

// adminEdit is a row loaded into its tab's form for editing: one of the pointers is set, with
// the codes its selects need.
type adminEdit struct {
	Dept     *org.Department
	Staff    *org.Staff
	Category *org.Category
	Profile  *org.Profile
	// Parent is the code of the department's or category's parent, DeptCode the staff
	// account's department.
	Parent, DeptCode string
}

// loadEdit loads the row named by the query's edit (edit_profile for a deadline profile) on
// tab; a row that does not exist is a 404.
func (s *Server) loadEdit(ctx context.Context, tab string, q url.Values) (*adminEdit, error) {
	code := q.Get("edit")
	e := &adminEdit{}
	var err error
	switch {
	case tab == "departments" && code != "":
		if e.Dept, err = s.Org.Department(ctx, code); err == nil && e.Dept.ParentID != nil {
			e.Parent, err = s.deptCode(ctx, *e.Dept.ParentID)
		}
	case tab == "staff" && code != "":
		if e.Staff, err = s.Org.Staff(ctx, code); err == nil {
			e.DeptCode, err = s.deptCode(ctx, e.Staff.DepartmentID)
		}
	case tab == "catalogue" && code != "":
		if e.Category, err = s.Org.Category(ctx, code); err == nil && e.Category.ParentID != nil {
			var c *org.Category
			if c, err = s.Org.CategoryByID(ctx, *e.Category.ParentID); err == nil {
				e.Parent = c.Code
			}
		}
	case tab == "catalogue" && q.Get("edit_profile") != "":
		e.Profile, err = s.Org.Profile(ctx, q.Get("edit_profile"))
	}
	return e, err
}

func (s *Server) deptCode(ctx context.Context, id int64) (string, error) {
	d, err := s.Org.DepartmentByID(ctx, id)
	if err != nil {
		return "", err
	}
	return d.Code, nil
}

func (s *Server) adminData(ctx context.Context, tab string) (*adminPage, error) {
	p := &adminPage{Tab: tab, Tabs: adminTabs, Types: tickets.Types,
		Roles: org.StaffRoles, Edit: &adminEdit{}}
	var err error
	if p.Departments, err = s.Org.Departments(ctx); err != nil {
		return nil, err
	}
	if p.MissingYear, err = s.missingYear(ctx); err != nil {
		return nil, err
	}
	switch tab {
	case "staff":
		p.Staff, err = s.Org.AllStaff(ctx)
	case "catalogue":
		if p.Categories, err = s.Org.Categories(ctx); err == nil {
			p.Profiles, err = s.Org.Profiles(ctx)
		}
	case "calendar":
		if p.Days, err = workcal.NewStore(s.db).Load(ctx); err == nil {
			p.Cal, err = s.calendarView(ctx, 0)
		}
	case "tokens":
		p.Tokens, err = s.Accounts.Tokens(ctx, 0)
	case "kb":
		p.Articles, err = s.KB.All(ctx)
	case "audit":
		p.Audit, err = s.Accounts.Entries(ctx, 200)
	}
	return p, err
}

func (s *Server) getAdmin(tab string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.adminData(r.Context(), tab)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		q := r.URL.Query()
		p.Saved = q.Get("saved")
		if y, err := strconv.Atoi(q.Get("year")); err == nil && tab == "calendar" && y >= 2000 && y <= 2100 {
			if p.Cal, err = s.calendarView(r.Context(), y); err != nil {
				s.serverError(w, r, err)
				return
			}
		}
		if p.Cal != nil {
			p.Cal.Moved = q.Get("moved")
		}
		if p.Edit, err = s.loadEdit(r.Context(), tab, q); err != nil {
			s.pageError(w, r, err)
			return
		}
		s.renderStaff(w, r, "staff/admin.html", p)
	}
}

// adminChange is one administrative change: it runs in tx and returns what the audit trail
// records about it (action, object type, key, detail).
type adminChange func(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error)

type auditRecord struct {
	action, objType, key string
	detail               any
}

// applyAdminChange writes one administrative change and its entry on the audit trail in one
// transaction. It is the one code path of the administration pages and of /api/v1/admin, so
// both check input and record the change alike. A calendar edit is swapped into this process
// once committed.
func (s *Server) applyAdminChange(ctx context.Context, tab string, f fields, r *http.Request, change adminChange) (auditRecord, error) {
	by := staffFrom(ctx)
	var rec auditRecord
	_, err := s.Accounts.Audited(ctx, by, func(ctx context.Context, tx bun.Tx) (account.Change, error) {
		var err error
		rec, err = change(ctx, tx, by, f, r)
		return account.Change{Action: rec.action, ObjectType: rec.objType, ObjectKey: rec.key, Detail: rec.detail}, err
	})
	if err != nil {
		return auditRecord{}, err
	}
	switch tab {
	case "calendar":
		s.reloadCalendar(ctx)
	case "catalogue":
		// The complaint form offers a new category and asks its questions at once.
		s.Intake.Service.ForgetCatalogue()
	}
	return rec, nil
}

// adminPost is the page handler of a change: bad input re-renders the tab with the error and a
// 400, success redirects to the tab.
func (s *Server) adminPost(tab string, change adminChange) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f, err := readFields(w, r)
		if err == nil {
			_, err = s.applyAdminChange(ctx, tab, f, r, change)
		}
		if err != nil {
			var bf *badField
			if !errors.As(err, &bf) && !errors.Is(err, org.ErrNotFound) && !errors.Is(err, kb.ErrInvalid) {
				s.serverError(w, r, err)
				return
			}
			p, derr := s.adminData(ctx, tab)
			if derr != nil {
				s.serverError(w, r, derr)
				return
			}
			p.Error = errorText(langOf(r), err)
			s.renderStaffStatus(w, r, http.StatusBadRequest, "staff/admin.html", p)
			return
		}
		path := "/admin"
		for _, t := range adminTabs {
			if t.Name == tab {
				path += t.Path
			}
		}
		http.Redirect(w, r, path+"?saved=1", http.StatusSeeOther)
	}
}

// reloadCalendar swaps the edited calendar into this process. The edit is committed either
// way: a failure is logged, and the periodic reload catches up.
func (s *Server) reloadCalendar(ctx context.Context) {
	if s.LiveCalendar == nil {
		return
	}
	if err := s.LiveCalendar.Reload(ctx, workcal.NewStore(s.db)); err != nil {
		s.log.ErrorContext(ctx, "reload working-day calendar", "err", err)
	}
}

var codeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func needCode(f fields, k string) (string, error) {
	v := strings.ToLower(f.get(k))
	if !codeRe.MatchString(v) {
		return "", &badField{k, "lower-case letters, digits and dashes, starting with a letter or digit"}
	}
	return v, nil
}

func needText(f fields, k string) (string, error) {
	v := f.get(k)
	if v == "" {
		return "", &badField{k, "is required"}
	}
	return v, nil
}

// checked reads a check box or a JSON boolean: absent, empty, "0", "false", "off" and "no" are
// unchecked, so a script's {"active": false} means what it says.
func checked(f fields, k string) bool {
	switch strings.ToLower(f.get(k)) {
	case "", "0", "false", "off", "no":
		return false
	}
	return true
}

func positive(f fields, k string) (int, error) {
	n, err := f.int(k)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, &badField{k, "must be more than 0"}
	}
	return n, nil
}

func (s *Server) saveDepartment(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	code, err := needCode(f, "code")
	if err != nil {
		return auditRecord{}, err
	}
	name, err := needText(f, "name_zh")
	if err != nil {
		return auditRecord{}, err
	}
	kind := f.get("kind")
	if !slices.Contains([]string{"centre", "leadership", "bureau", "enterprise", "district", "street"}, kind) {
		return auditRecord{}, &badField{"kind", fmt.Sprintf("unknown kind %q", kind)}
	}
	d := &org.Department{Code: code, NameZh: name, NameEn: f.get("name_en"), Kind: kind, Active: checked(f, "active")}
	if p := f.get("parent"); p != "" {
		pd, err := org.NewStore(tx).Department(ctx, p)
		if err != nil {
			return auditRecord{}, &badField{"parent", fmt.Sprintf("unknown department %q", p)}
		}
		d.ParentID = &pd.ID
	}
	if err := org.NewStore(tx).UpsertDepartment(ctx, d); err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"department_saved", "department", code, d}, nil
}

func (s *Server) saveStaff(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	username := strings.ToLower(f.get("username"))
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`).MatchString(username) {
		return auditRecord{}, &badField{"username", "lower-case letters, digits, dots, dashes and underscores"}
	}
	name, err := needText(f, "display_name")
	if err != nil {
		return auditRecord{}, err
	}
	role := org.Role(f.get("role"))
	if !org.StaffRoles.Has(role) {
		return auditRecord{}, &badField{"role", fmt.Sprintf("unknown role %q", role)}
	}
	st := org.NewStore(tx)
	d, err := st.Department(ctx, f.get("department"))
	if err != nil {
		return auditRecord{}, &badField{"department", fmt.Sprintf("unknown department %q", f.get("department"))}
	}
	u := &org.Staff{Username: username, DisplayName: name, Role: role, DepartmentID: d.ID, Active: checked(f, "active"), Email: f.get("email")}
	existing, err := st.Staff(ctx, username)
	isNew := errors.Is(err, org.ErrNotFound)
	if err != nil && !isNew {
		return auditRecord{}, err
	}
	if !isNew {
		u.SIPExtension, u.Phone = existing.SIPExtension, existing.Phone
	}
	sip, err := s.staffSIP(f, existing, isNew)
	if err != nil {
		return auditRecord{}, err
	}
	if sip.set {
		u.SIPExtension, u.SIPHA1 = sip.ext, sip.ha1
	}
	pw := f.get("password")
	if isNew && pw == "" {
		return auditRecord{}, &badField{"password", "a new account needs a password"}
	}
	if pw != "" {
		if err := org.CheckPasswordPolicy(pw, username); err != nil {
			return auditRecord{}, &badField{"password", err.Error()}
		}
		if u.PasswordHash, err = org.HashPassword(pw); err != nil {
			return auditRecord{}, err
		}
	}
	if err := st.UpsertStaff(ctx, u); err != nil {
		if _, dup := database.UniqueViolation(err); dup {
			return auditRecord{}, &badField{"sip_extension", "belongs to another account"}
		}
		return auditRecord{}, err
	}
	if sip.set && sip.ext == nil {
		// No extension, no SIP credentials: the phone that used them can no longer register.
		if _, err := tx.NewUpdate().Table("staff").Set("sip_ha1 = ''").Where("id = ?", u.ID).Exec(ctx); err != nil {
			return auditRecord{}, err
		}
	}
	detail := map[string]any{"role": role, "department": d.Code, "active": u.Active, "password_changed": pw != "", "new": isNew}
	if sip.set {
		detail["sip_extension"] = ""
		if sip.ext != nil {
			detail["sip_extension"] = *sip.ext
		}
		detail["sip_password_changed"] = sip.ha1 != ""
	}
	// A disabled account or a new password ends every session of the account at once, and
	// revokes its scripts' tokens: whoever knew the old password may have made one.
	if !u.Active || pw != "" {
		if _, err := account.EndSessions(ctx, tx, u.ID); err != nil {
			return auditRecord{}, err
		}
		n, err := account.RevokeTokens(ctx, tx, u.ID, s.Clock.Now())
		if err != nil {
			return auditRecord{}, err
		}
		detail["tokens_revoked"] = n
	}
	return auditRecord{"staff_saved", "staff", username, detail}, nil
}

// staffSIP is a staff form's SIP settings: set says whether they change, ext is the
// extension (nil for none) and ha1 the digest credentials of a new SIP password.
type staffSIP struct {
	set bool
	ext *string
	ha1 string
}

// staffSIP reads the SIP extension and SIP password of a staff form. An absent sip_extension
// keeps the account's; an empty one removes it with its credentials. The digest credentials
// are bound to the extension, so a new or changed extension needs a SIP password with it.
func (s *Server) staffSIP(f fields, existing *org.Staff, isNew bool) (staffSIP, error) {
	_, present := f["sip_extension"]
	ext, pw := f.get("sip_extension"), f.get("sip_password")
	var old string
	if !isNew && existing.SIPExtension != nil {
		old = *existing.SIPExtension
	}
	if !present {
		ext = old
	}
	switch {
	case ext == "" && pw != "":
		return staffSIP{}, &badField{"sip_extension", "a SIP password needs an extension"}
	case ext == "":
		return staffSIP{set: present && old != ""}, nil
	case !regexp.MustCompile(`^[0-9]{3,8}$`).MatchString(ext):
		return staffSIP{}, &badField{"sip_extension", "3 to 8 digits"}
	case pw == "" && ext != old:
		return staffSIP{}, &badField{"sip_password", "a new extension needs a SIP password"}
	case pw == "":
		return staffSIP{}, nil
	case len(pw) < 8 || pw == ext:
		return staffSIP{}, &badField{"sip_password", "at least 8 characters, not the extension"}
	}
	realm := "hotline"
	if s.Config != nil && s.Config.SIPRealm != "" {
		realm = s.Config.SIPRealm
	}
	return staffSIP{set: true, ext: &ext, ha1: org.DigestHA1(ext, realm, pw)}, nil
}

func (s *Server) saveCategory(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	code, err := needCode(f, "code")
	if err != nil {
		return auditRecord{}, err
	}
	name, err := needText(f, "name_zh")
	if err != nil {
		return auditRecord{}, err
	}
	typ := f.get("ticket_type")
	if !slices.Contains(tickets.Types, typ) {
		return auditRecord{}, &badField{"ticket_type", fmt.Sprintf("unknown ticket type %q", typ)}
	}
	st := org.NewStore(tx)
	if _, err := st.Profile(ctx, f.get("profile")); err != nil {
		return auditRecord{}, &badField{"profile", fmt.Sprintf("unknown deadline profile %q", f.get("profile"))}
	}
	c := &org.Category{Code: code, NameZh: name, NameEn: f.get("name_en"), TicketType: typ, ProfileCode: f.get("profile"), Active: checked(f, "active")}
	if p := f.get("parent"); p != "" {
		pc, err := st.Category(ctx, p)
		if err != nil || pc.Code == code {
			return auditRecord{}, &badField{"parent", fmt.Sprintf("unknown parent category %q", p)}
		}
		c.ParentID = &pc.ID
	}
	if err := st.UpsertCategory(ctx, c); err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"category_saved", "category", code, c}, nil
}

func (s *Server) saveProfile(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	code, err := needCode(f, "code")
	if err != nil {
		return auditRecord{}, err
	}
	p := &org.Profile{Code: code}
	if p.NameZh, err = needText(f, "name_zh"); err != nil {
		return auditRecord{}, err
	}
	for _, x := range []struct {
		k   string
		dst *int
	}{{"accept_hours", &p.AcceptHours}, {"feedback_hours", &p.FeedbackHours}, {"resolve_workdays", &p.ResolveWorkdays}, {"callback_workdays", &p.CallbackWorkdays}} {
		if *x.dst, err = positive(f, x.k); err != nil {
			return auditRecord{}, err
		}
	}
	if err := org.NewStore(tx).UpsertProfile(ctx, p); err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"profile_saved", "deadline_profile", code, p}, nil
}

func (s *Server) saveCalendarDay(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	d, err := workcal.ParseDate(f.get("date"))
	if err != nil {
		return auditRecord{}, &badField{"date", "must be a date like 2027-01-01"}
	}
	k, err := workcal.ParseKind(f.get("kind"))
	if err != nil {
		return auditRecord{}, &badField{"kind", err.Error()}
	}
	day := workcal.Day{Date: d, Kind: k, Name: f.get("name")}
	if err := workcal.NewStore(tx).Put(ctx, day, by.Username); err != nil {
		return auditRecord{}, &badField{"date", err.Error()}
	}
	return auditRecord{"calendar_day_saved", "workcal_day", d.String(), map[string]any{"kind": k, "name": day.Name}}, nil
}

func (s *Server) deleteCalendarDay(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	d, err := workcal.ParseDate(f.get("date"))
	if err != nil {
		return auditRecord{}, &badField{"date", "must be a date like 2027-01-01"}
	}
	if err := workcal.NewStore(tx).Delete(ctx, d); errors.Is(err, workcal.ErrNotFound) {
		return auditRecord{}, &badField{"date", "no calendar entry for that date"}
	} else if err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"calendar_day_deleted", "workcal_day", d.String(), nil}, nil
}

func (s *Server) adminRevokeToken(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return auditRecord{}, &badField{"id", "must be a whole number"}
	}
	if err := s.Accounts.RevokeToken(ctx, tx, 0, id); errors.Is(err, account.ErrNotFound) {
		return auditRecord{}, &badField{"id", "no such active token"}
	} else if err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"token_revoked", "api_token", fmt.Sprint(id), nil}, nil
}

func (s *Server) saveArticle(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	a := &kb.Article{Code: strings.ToLower(f.get("code")), Title: f.get("title"), Body: f.get("body"), Source: f.get("source"),
		Keywords: f.get("keywords"), CategoryCode: f.get("category"), Active: checked(f, "active"),
		UpdatedAt: s.Clock.Now(), UpdatedBy: by.Username}
	// An unreadable valid_from stays zero, which kb refuses with the field named.
	a.ValidFrom, _ = time.Parse(time.DateOnly, f.get("valid_from"))
	if v := f.get("valid_until"); v != "" {
		u, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return auditRecord{}, &badField{"valid_until", "must be a date like 2027-01-01"}
		}
		a.ValidUntil = &u
	}
	// kb checks the rest: the code, the required texts and the order of the dates.
	if err := kb.Save(ctx, tx, a); err != nil {
		return auditRecord{}, err
	}
	return auditRecord{"article_saved", "kb_article", a.Code, map[string]any{"title": a.Title, "source": a.Source, "valid_from": f.get("valid_from"), "valid_until": f.get("valid_until")}}, nil
}

func (s *Server) getAuditAPI(w http.ResponseWriter, r *http.Request) {
	limit, err := fields(r.URL.Query()).int("limit")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	es, err := s.Accounts.Entries(r.Context(), limit)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}
