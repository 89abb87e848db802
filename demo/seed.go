package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// SIPRealm is the digest realm the demo's SIP passwords are hashed for.
const SIPRealm = "hotline"

// SIPPassword is the demo agents' SIP password.
const SIPPassword = "demo-sip"

// SeedDirectory loads the demo's departments, deadline profiles, categories and working-day
// calendar. It is idempotent: it inserts what is missing and resets what the demo defines.
func SeedDirectory(ctx context.Context, db bun.IDB) error {
	st := org.NewStore(db)
	ids := map[string]int64{}
	for _, d := range Departments {
		row := &org.Department{Code: d.Code, Kind: d.Kind, NameZh: d.NameZh, NameEn: d.NameEn, Active: true}
		if d.Parent != "" {
			p := ids[d.Parent]
			row.ParentID = &p
		}
		if err := st.UpsertDepartment(ctx, row); err != nil {
			return err
		}
		ids[d.Code] = row.ID
	}
	for _, p := range Profiles {
		if err := st.UpsertProfile(ctx, &org.Profile{Code: p.Code, NameZh: p.NameZh, AcceptHours: p.AcceptHours,
			FeedbackHours: p.FeedbackHours, ResolveWorkdays: p.ResolveWorkdays, CallbackWorkdays: p.CallbackDays}); err != nil {
			return err
		}
	}
	cats := map[string]int64{}
	for _, c := range Categories {
		row := &org.Category{Code: c.Code, NameZh: c.NameZh, NameEn: c.NameEn, TicketType: c.Type, ProfileCode: c.Profile, Active: true}
		if c.Parent != "" {
			p := cats[c.Parent]
			row.ParentID = &p
		}
		if err := st.UpsertCategory(ctx, row); err != nil {
			return err
		}
		cats[c.Code] = row.ID
	}
	if _, err := workcal.NewStore(db).SeedDefaults(ctx); err != nil {
		return err
	}
	// The gazetteer: the roads and lanes of the demo's two districts, by street.
	var places []tickets.Place
	for _, p := range Places {
		places = append(places, tickets.Place{Place: p[0], District: p[1], Street: p[2]})
	}
	if _, err := db.NewInsert().Model(&places).On("CONFLICT (place, district, street) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("seed the gazetteer: %w", err)
	}
	return nil
}

// Account is one demo login.
type Account struct {
	Username, Password, Name string
	Role                     org.Role
	Department, Extension    string
}

// Accounts are the contract's demo logins: admin, supervisor, two agents with SIP phones, and a
// handler for every department (handler-<code>), plus a head for a few departments and the
// city leader at the top of escalation.
func Accounts() []Account {
	as := []Account{
		{"admin", "demo-admin", "系统管理员", org.RoleAdmin, "centre", ""},
		{"supervisor", "demo-supervisor", "督办员 周敏", org.RoleSupervisor, "centre", ""},
		{"dispatcher", "demo-dispatcher", "派单员 孙磊", org.RoleDispatcher, "centre", ""},
		{"agent1", "demo-agent", "话务员 李娜", org.RoleAgent, "centre", "1001"},
		{"agent2", "demo-agent", "话务员 王强", org.RoleAgent, "centre", "1002"},
		{"leader", "demo-leader", "市政府办公室 值班领导", org.RoleLeader, "leadership", ""},
	}
	for _, d := range Departments {
		if d.Kind == "centre" || d.Kind == "leadership" {
			continue
		}
		as = append(as, Account{"handler-" + d.Code, "demo-handler", d.NameZh + " 承办人", org.RoleHandler, d.Code, ""})
		as = append(as, Account{"head-" + d.Code, "demo-head", d.NameZh + " 负责人", org.RoleHead, d.Code, ""})
	}
	return as
}

// SeedStaff loads the demo accounts. Passwords are hashed anew only for accounts that do not
// exist yet, so a second run changes nothing.
func SeedStaff(ctx context.Context, db bun.IDB) error {
	return SeedAccounts(ctx, db, Accounts(), org.HashPassword)
}

// SeedAccounts loads accounts (demo ones, from Accounts) as SeedStaff does, hashing their
// passwords with hash: tests pass one that hashes each demo password once, since argon2id is
// slow on purpose. An account that exists in its department with its role is left alone.
func SeedAccounts(ctx context.Context, db bun.IDB, accounts []Account, hash func(password string) (string, error)) error {
	st := org.NewStore(db)
	for _, a := range accounts {
		d, err := st.Department(ctx, a.Department)
		if err != nil {
			return err
		}
		existing, err := st.Staff(ctx, a.Username)
		if err == nil && existing.DepartmentID == d.ID && existing.Role == a.Role {
			continue
		}
		u := &org.Staff{Username: a.Username, DisplayName: a.Name, Role: a.Role, DepartmentID: d.ID, Active: true}
		if err != nil {
			if u.PasswordHash, err = hash(a.Password); err != nil {
				return err
			}
		}
		if a.Extension != "" {
			ext := a.Extension
			u.SIPExtension = &ext
			u.SIPHA1 = org.DigestHA1(ext, SIPRealm, SIPPassword)
		}
		if err := st.UpsertStaff(ctx, u); err != nil {
			return fmt.Errorf("seed %s: %w", a.Username, err)
		}
	}
	return nil
}

// Seed loads the whole demo city: the directory, the accounts, then each domain's demo rows,
// each through that domain's own API, as of the moment it runs.
func Seed(ctx context.Context, db bun.IDB) error {
	now := time.Now()
	for _, step := range []func(context.Context, bun.IDB) error{
		SeedDirectory, SeedStaff,
		func(ctx context.Context, db bun.IDB) error { return SeedRouting(ctx, db, now) },
		SeedIntake, seedEscalation,
		func(ctx context.Context, db bun.IDB) error { return seedTelephony(ctx, db, now) },
		SeedStaffWeb,
	} {
		if err := step(ctx, db); err != nil {
			return err
		}
	}
	return nil
}
