package tickets_test

import (
	"context"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// A ticket with an address and no district is placed by the city's gazetteer: the longest
// place the address names gives the district and street, a district named alone gives the
// district, an address the gazetteer does not know stays unplaced, and what the agent filled in
// is kept. A place added later is read at once.
func TestRegistrationPlacesTheAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	reg := func(address, district, street string) *tickets.Ticket {
		t.Helper()
		tk, err := f.svc.Register(ctx, f.agent, tickets.RegisterInput{Channel: "web", Category: "noise",
			Description: "夜间施工噪音", Address: address, District: district, Street: street, CallerPhone: "13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	for _, c := range []struct {
		address, district, street string
		wantD, wantS              string
	}{
		{"东城区安定门内大街12号院3号楼", "", "", "东城区", "安定门街道"},
		{"金融大街甲9号", "", "", "西城区", "金融街街道"},
		{"西城区某小区", "", "", "西城区", ""},
		{"朝阳区某路1号", "", "", "", ""},
		{"安定门内大街1号", "西城区", "新街口街道", "西城区", "新街口街道"},
	} {
		tk := reg(c.address, c.district, c.street)
		if tk.District != c.wantD || tk.Street != c.wantS {
			t.Errorf("%s: placed in %q %q, want %q %q", c.address, tk.District, tk.Street, c.wantD, c.wantS)
		}
		got, err := f.svc.Get(ctx, tk.Number)
		if err != nil || got.District != c.wantD || got.Street != c.wantS {
			t.Errorf("%s: stored %q %q", c.address, got.District, got.Street)
		}
	}
	if err := f.svc.SavePlaces(ctx, f.db, []tickets.Place{{Place: "朝阳区某路", District: "朝阳区", Street: "某街道"}}); err != nil {
		t.Fatal(err)
	}
	if tk := reg("朝阳区某路1号", "", ""); tk.District != "朝阳区" || tk.Street != "某街道" {
		t.Errorf("a place added later: %q %q", tk.District, tk.Street)
	}
	if d, s, err := f.svc.Locate(ctx, "景山前街4号"); err != nil || d != "东城区" || s != "景山街道" {
		t.Errorf("Locate: %q %q %v", d, s, err)
	}
}

// A confidential ticket (保密) keeps the citizen's contact details with the centre: a
// department's handler cannot reveal the number, the centre can. A reply not wanted is kept.
func TestConfidentialTicketKeepsContactWithTheCentre(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tk, err := f.svc.Register(ctx, f.agent, tickets.RegisterInput{Channel: "phone", Category: "wage-arrears",
		Description: "举报某公司拖欠工资", CallerPhone: "13800138000", CallerName: "李四", Confidential: true, NoReply: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tk.Confidential || tk.ReplyWanted {
		t.Fatalf("registered: confidential %v, reply wanted %v", tk.Confidential, tk.ReplyWanted)
	}
	if _, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RevealPhone(ctx, f.handler, tk.Number, "需要联系市民核实"); err == nil {
		t.Fatal("a department revealed a confidential citizen's number")
	}
	sup := f.agent
	sup.Role = org.RoleSupervisor
	if phone, err := f.svc.RevealPhone(ctx, sup, tk.Number, "核实"); err != nil || phone != "13800138000" {
		t.Fatalf("the centre's reveal: %q %v", phone, err)
	}
}
