package org_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/testdb"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := org.HashPassword("demo-admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "demo-admin") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := org.HashPassword("demo-admin")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"demo-admin", true}, {"demo-admin ", false}, {"", false}, {"DEMO-ADMIN", false}} {
		ok, err := org.CheckPassword(context.Background(), h, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("CheckPassword(%q) = %v, %v", tc.pw, ok, err)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=1$!!$!!", "$bcrypt$x$y$z$w"} {
		if _, err := org.CheckPassword(context.Background(), bad, "x"); !errors.Is(err, org.ErrBadHash) {
			t.Errorf("CheckPassword on %q: %v", bad, err)
		}
	}
}

func TestDigestHA1(t *testing.T) {
	t.Parallel()
	// RFC 2617's example: Mufasa:testrealm@host.com:Circle Of Life.
	if got := org.DigestHA1("Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Fatalf("HA1 = %s", got)
	}
}

func TestStoreWithDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	if err := demo.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := org.NewStore(db)
	ds, _ := st.Departments(ctx)
	if len(ds) < 12 {
		t.Fatalf("%d departments", len(ds))
	}
	for code, name := range map[string]string{"environment": "生态环境局", "hrss": "人力资源和社会保障局", "market": "市场监管局",
		"urban": "城市管理局", "housing": "住房和城乡建设局", "police": "公安局"} {
		d, err := st.Department(ctx, code)
		if err != nil || d.NameZh != name {
			t.Errorf("department %s = %+v, %v", code, d, err)
		}
	}
	cats, _ := st.Categories(ctx)
	leaves := 0
	parents := map[int64]bool{}
	for _, c := range cats {
		if c.ParentID != nil {
			parents[*c.ParentID] = true
		}
	}
	for _, c := range cats {
		if !parents[c.ID] {
			leaves++
		}
	}
	if leaves < 30 {
		t.Fatalf("%d leaf categories", leaves)
	}
	for _, code := range []string{"noise", "wage-arrears", "food-safety", "road-damage"} {
		if _, err := st.Category(ctx, code); err != nil {
			t.Errorf("category %s: %v", code, err)
		}
	}
	noise, _ := st.Category(ctx, "noise")
	path, err := st.CategoryPath(ctx, noise.ID)
	if err != nil || strings.Join(path, "/") != "noise/eco-environment" {
		t.Fatalf("path = %v, %v", path, err)
	}
	for _, a := range []struct{ user, pw, role string }{
		{"admin", "demo-admin", "admin"}, {"supervisor", "demo-supervisor", "supervisor"},
		{"agent1", "demo-agent", "agent"}, {"agent2", "demo-agent", "agent"}, {"handler-hrss", "demo-handler", "handler"},
	} {
		u, err := st.Staff(ctx, a.user)
		if err != nil {
			t.Fatalf("%s: %v", a.user, err)
		}
		if ok, _ := org.CheckPassword(context.Background(), u.PasswordHash, a.pw); !ok || string(u.Role) != a.role {
			t.Errorf("%s: role %s, password ok %v", a.user, u.Role, ok)
		}
	}
	a1, err := st.StaffByExtension(ctx, "1001")
	if err != nil || a1.Username != "agent1" || a1.SIPHA1 != org.DigestHA1("1001", demo.SIPRealm, "demo-sip") {
		t.Fatalf("extension 1001: %+v %v", a1, err)
	}
	if _, err := st.Staff(ctx, "nobody"); !errors.Is(err, org.ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	for _, d := range ds {
		if d.Kind == "centre" || d.Kind == "leadership" {
			continue
		}
		if _, err := st.Staff(ctx, "handler-"+d.Code); err != nil {
			t.Errorf("no handler for %s", d.Code)
		}
	}
}
