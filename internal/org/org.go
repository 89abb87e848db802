// Package org is the directory of the city: departments (部门), staff accounts, deadline profiles
// (时限方案) and the category tree (诉求分类). It owns those tables.
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ErrNotFound means no such department, account, profile or category.
var ErrNotFound = errors.New("not found")

// Department is one unit.
type Department struct {
	bun.BaseModel `bun:"table:departments"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	Code      string    `bun:"code" json:"code"`
	ParentID  *int64    `bun:"parent_id" json:"parent_id,omitempty"`
	Kind      string    `bun:"kind" json:"kind"`
	NameZh    string    `bun:"name_zh" json:"name_zh"`
	NameEn    string    `bun:"name_en" json:"name_en"`
	Active    bool      `bun:"active" json:"active"`
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()" json:"-"`
}

// Staff is one staff account.
type Staff struct {
	bun.BaseModel `bun:"table:staff"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	Username     string     `bun:"username" json:"username"`
	DisplayName  string     `bun:"display_name" json:"display_name"`
	Role         Role       `bun:"role" json:"role"`
	DepartmentID int64      `bun:"department_id" json:"department_id"`
	PasswordHash string     `bun:"password_hash" json:"-"`
	SIPExtension *string    `bun:"sip_extension" json:"sip_extension,omitempty"`
	SIPHA1       string     `bun:"sip_ha1" json:"-"`
	Email        string     `bun:"email" json:"email,omitempty"`
	Phone        string     `bun:"phone" json:"-"`
	Active       bool       `bun:"active" json:"active"`
	FailedLogins int        `bun:"failed_logins" json:"-"`
	LockedUntil  *time.Time `bun:"locked_until" json:"-"`
	CreatedAt    time.Time  `bun:"created_at,nullzero,default:now()" json:"-"`
	UpdatedAt    time.Time  `bun:"updated_at,nullzero,default:now()" json:"-"`
}

// Profile is a deadline profile.
type Profile struct {
	bun.BaseModel `bun:"table:deadline_profiles"`

	Code             string `bun:"code,pk" json:"code"`
	NameZh           string `bun:"name_zh" json:"name_zh"`
	AcceptHours      int    `bun:"accept_hours" json:"accept_hours"`
	FeedbackHours    int    `bun:"feedback_hours" json:"feedback_hours"`
	ResolveWorkdays  int    `bun:"resolve_workdays" json:"resolve_workdays"`
	CallbackWorkdays int    `bun:"callback_workdays" json:"callback_workdays"`
}

// Category is one node of the category tree.
type Category struct {
	bun.BaseModel `bun:"table:categories"`

	ID          int64  `bun:"id,pk,autoincrement" json:"id"`
	Code        string `bun:"code" json:"code"`
	ParentID    *int64 `bun:"parent_id" json:"parent_id,omitempty"`
	NameZh      string `bun:"name_zh" json:"name_zh"`
	NameEn      string `bun:"name_en" json:"name_en"`
	TicketType  string `bun:"ticket_type" json:"ticket_type"`
	ProfileCode string `bun:"profile_code" json:"profile_code"`
	Active      bool   `bun:"active" json:"active"`
}

// Store reads and writes the directory tables.
type Store struct {
	db bun.IDB
}

// NewStore returns a store on db (a pool or a transaction).
func NewStore(db bun.IDB) *Store { return &Store{db: db} }

func notFound(what, key string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, key, ErrNotFound)
	}
	return fmt.Errorf("%s %q: %w", what, key, err)
}

// Department returns the department with code.
func (s *Store) Department(ctx context.Context, code string) (*Department, error) {
	d := new(Department)
	if err := s.db.NewSelect().Model(d).Where("code = ?", code).Scan(ctx); err != nil {
		return nil, notFound("department", code, err)
	}
	return d, nil
}

// DepartmentByID returns the department with id.
func (s *Store) DepartmentByID(ctx context.Context, id int64) (*Department, error) {
	d := new(Department)
	if err := s.db.NewSelect().Model(d).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound("department", fmt.Sprint(id), err)
	}
	return d, nil
}

// Departments lists every department by code.
func (s *Store) Departments(ctx context.Context) ([]Department, error) {
	var ds []Department
	err := s.db.NewSelect().Model(&ds).Order("code").Scan(ctx)
	return ds, err
}

// UpsertDepartment inserts d or updates the department with d's code.
func (s *Store) UpsertDepartment(ctx context.Context, d *Department) error {
	_, err := s.db.NewInsert().Model(d).
		On("CONFLICT (code) DO UPDATE").
		Set("parent_id = EXCLUDED.parent_id, kind = EXCLUDED.kind, name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, active = EXCLUDED.active").
		Returning("id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save department %s: %w", d.Code, err)
	}
	return nil
}

// Staff returns the account with username.
func (s *Store) Staff(ctx context.Context, username string) (*Staff, error) {
	u := new(Staff)
	if err := s.db.NewSelect().Model(u).Where("username = ?", username).Scan(ctx); err != nil {
		return nil, notFound("account", username, err)
	}
	return u, nil
}

// AllStaff lists every account, active or not, by username: the administrators' view.
func (s *Store) AllStaff(ctx context.Context) ([]Staff, error) {
	var us []Staff
	if err := s.db.NewSelect().Model(&us).Order("username").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return us, nil
}

// StaffByID returns the account with id.
func (s *Store) StaffByID(ctx context.Context, id int64) (*Staff, error) {
	u := new(Staff)
	if err := s.db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound("account", fmt.Sprint(id), err)
	}
	return u, nil
}

// StaffByExtension returns the active account with SIP extension ext.
func (s *Store) StaffByExtension(ctx context.Context, ext string) (*Staff, error) {
	u := new(Staff)
	if err := s.db.NewSelect().Model(u).Where("sip_extension = ? AND active", ext).Scan(ctx); err != nil {
		return nil, notFound("extension", ext, err)
	}
	return u, nil
}

// StaffByRole lists the active accounts with one of roles in department (0: any department).
func (s *Store) StaffByRole(ctx context.Context, departmentID int64, roles ...Role) ([]Staff, error) {
	var us []Staff
	q := s.db.NewSelect().Model(&us).Where("active").Where("role IN (?)", bun.List(roles)).Order("username")
	if departmentID != 0 {
		q = q.Where("department_id = ?", departmentID)
	}
	err := q.Scan(ctx)
	return us, err
}

// UpsertStaff inserts u or updates the account with u's username; the password hash is kept
// when u carries none.
func (s *Store) UpsertStaff(ctx context.Context, u *Staff) error {
	set := "display_name = EXCLUDED.display_name, role = EXCLUDED.role, department_id = EXCLUDED.department_id, " +
		"sip_extension = EXCLUDED.sip_extension, email = EXCLUDED.email, phone = EXCLUDED.phone, active = EXCLUDED.active, updated_at = now()"
	if u.SIPHA1 != "" {
		set += ", sip_ha1 = EXCLUDED.sip_ha1"
	}
	if u.PasswordHash != "" {
		set += ", password_hash = EXCLUDED.password_hash"
	}
	_, err := s.db.NewInsert().Model(u).On("CONFLICT (username) DO UPDATE").Set(set).Returning("id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save account %s: %w", u.Username, err)
	}
	return nil
}

// SetMissingEmails gives every account of roles that has no e-mail address the address
// username@domain; accounts with an address keep it.
func (s *Store) SetMissingEmails(ctx context.Context, domain string, roles ...Role) error {
	_, err := s.db.NewRaw("UPDATE staff SET email = username || '@' || ? WHERE email = '' AND role IN (?)",
		domain, bun.List(roles)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set e-mail addresses @%s: %w", domain, err)
	}
	return nil
}

// Profile returns the deadline profile with code.
func (s *Store) Profile(ctx context.Context, code string) (*Profile, error) {
	p := new(Profile)
	if err := s.db.NewSelect().Model(p).Where("code = ?", code).Scan(ctx); err != nil {
		return nil, notFound("deadline profile", code, err)
	}
	return p, nil
}

// Profiles lists the deadline profiles.
func (s *Store) Profiles(ctx context.Context) ([]Profile, error) {
	var ps []Profile
	err := s.db.NewSelect().Model(&ps).Order("code").Scan(ctx)
	return ps, err
}

// UpsertProfile inserts or updates p.
func (s *Store) UpsertProfile(ctx context.Context, p *Profile) error {
	_, err := s.db.NewInsert().Model(p).On("CONFLICT (code) DO UPDATE").
		Set("name_zh = EXCLUDED.name_zh, accept_hours = EXCLUDED.accept_hours, feedback_hours = EXCLUDED.feedback_hours, resolve_workdays = EXCLUDED.resolve_workdays, callback_workdays = EXCLUDED.callback_workdays").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("save deadline profile %s: %w", p.Code, err)
	}
	return nil
}

// Category returns the category with code.
func (s *Store) Category(ctx context.Context, code string) (*Category, error) {
	c := new(Category)
	if err := s.db.NewSelect().Model(c).Where("code = ?", code).Scan(ctx); err != nil {
		return nil, notFound("category", code, err)
	}
	return c, nil
}

// CategoryByID returns the category with id.
func (s *Store) CategoryByID(ctx context.Context, id int64) (*Category, error) {
	c := new(Category)
	if err := s.db.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound("category", fmt.Sprint(id), err)
	}
	return c, nil
}

// Categories lists the whole tree, parents before children.
func (s *Store) Categories(ctx context.Context) ([]Category, error) {
	var cs []Category
	err := s.db.NewSelect().Model(&cs).OrderExpr("coalesce(parent_id, id), parent_id NULLS FIRST, id").Scan(ctx)
	return cs, err
}

// CategoryPath returns the codes from the category with id up to its root, self first.
func (s *Store) CategoryPath(ctx context.Context, id int64) ([]string, error) {
	var codes []string
	err := s.db.NewRaw(`WITH RECURSIVE up AS (
		SELECT id, parent_id, code, 0 AS depth FROM categories WHERE id = ?
		UNION ALL SELECT c.id, c.parent_id, c.code, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent_id)
		SELECT code FROM up ORDER BY depth`, id).Scan(ctx, &codes)
	return codes, err
}

// UpsertCategory inserts c or updates the category with c's code.
func (s *Store) UpsertCategory(ctx context.Context, c *Category) error {
	_, err := s.db.NewInsert().Model(c).On("CONFLICT (code) DO UPDATE").
		Set("parent_id = EXCLUDED.parent_id, name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, ticket_type = EXCLUDED.ticket_type, profile_code = EXCLUDED.profile_code, active = EXCLUDED.active").
		Returning("id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save category %s: %w", c.Code, err)
	}
	return nil
}
