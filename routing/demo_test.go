package routing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/routing"
)

// The demo city's rules, tested here rather than in package demo because the corpus they are
// checked against is routing's.

func demoPath(code string) []string {
	var path []string
	parent := map[string]string{}
	for _, c := range demo.Categories {
		parent[c.Code] = c.Parent
	}
	for c := code; c != ""; c = parent[c] {
		path = append(path, c)
	}
	return path
}

func demoEngine(t testing.TB) *routing.Engine {
	t.Helper()
	e, err := routing.NewEngine(demo.Rules())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// at returns a local time on 2026-11-23 (a Monday).
func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 "+hhmm, time.Local)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDemoRulesValid(t *testing.T) {
	t.Parallel()
	if ps := routing.ValidateRules(demo.Rules(), demo.Catalogue()); len(ps) > 0 {
		t.Fatalf("demo rules: %v", ps)
	}
}

// TestDemoEveryLeafDispatched checks that an ordinary daytime ticket of
// every leaf category is dispatched to the category's department with its
// deadline profile.
func TestDemoEveryLeafDispatched(t *testing.T) {
	t.Parallel()
	e := demoEngine(t)
	leaves := 0
	for _, c := range demo.Categories {
		if c.Parent == "" {
			continue
		}
		leaves++
		in := routing.Input{Type: c.Type, Channel: routing.ChannelPhone, CategoryPath: demoPath(c.Code),
			Description: "市民来电反映相关问题，希望尽快处理。", At: at("10:00"), DayType: routing.DayWorkday}
		d := e.Decide(in)
		if !d.Dispatched() || d.Action.Lead != c.Department || d.Action.Profile != c.Profile {
			t.Errorf("%s: %+v, want dispatch to %s with profile %s", c.Code, d, c.Department, c.Profile)
		}
	}
	if leaves < 30 {
		t.Errorf("only %d leaf categories", leaves)
	}
	for code, want := range map[string]string{"wage-arrears": "hrss", "food-safety": "market"} {
		d := e.Decide(routing.Input{CategoryPath: demoPath(code), Description: "来电反映问题"})
		if d.Action.Lead != want || !d.Dispatched() || len(d.Action.CoHandlers) != 0 {
			t.Errorf("%s: lead %q (%+v), want exactly %s", code, d.Action.Lead, d, want)
		}
	}
}

func TestDemoSpecificRules(t *testing.T) {
	t.Parallel()
	e := demoEngine(t)
	tests := []struct {
		name      string
		in        routing.Input
		lead      string
		co        string
		hold      bool
		urgent    bool
		transfer  string
		profile   string
		why       string
		wantQueue bool
	}{
		{name: "night construction noise", lead: "environment", co: "housing", profile: "standard", why: "23:30 在 within 22:00–06:00",
			in: routing.Input{CategoryPath: demoPath("construction-noise"), Description: "工地半夜还在施工", At: at("23:30")}},
		{name: "early morning construction noise", lead: "environment", co: "housing",
			in: routing.Input{CategoryPath: demoPath("construction-noise"), Description: "凌晨打桩", At: at("05:10")}},
		{name: "daytime construction noise", lead: "housing", profile: "standard",
			in: routing.Input{CategoryPath: demoPath("construction-noise"), Description: "工地中午施工", At: at("12:30")}},
		{name: "site noise filed as noise at night", lead: "environment", co: "housing", why: "关键词 keyword: 工地",
			in: routing.Input{CategoryPath: demoPath("noise"), Description: "旁边工地夜里还在干活", At: at("01:00")}},
		{name: "bar noise at night", lead: "environment",
			in: routing.Input{CategoryPath: demoPath("noise"), Description: "酒吧音乐太吵", At: at("01:00")}},
		{name: "gas leak", lead: "gas", urgent: true, transfer: "119", profile: "urgent", why: "紧急词 urgent word: 煤气味",
			in: routing.Input{CategoryPath: demoPath("property-management"), Description: "楼道里一股煤气味，很害怕"}},
		{name: "gas leak without category", lead: "gas", urgent: true, transfer: "119",
			in: routing.Input{Description: "家里燃气泄漏了"}},
		{name: "fire", hold: true, urgent: true, transfer: "119",
			in: routing.Input{Description: "对面楼着火了"}},
		{name: "violence", lead: "police", urgent: true, transfer: "110",
			in: routing.Input{Description: "楼下有人持刀闹事"}},
		{name: "collapse", hold: true, urgent: true, transfer: "120",
			in: routing.Input{Description: "公交车上有个老人晕倒了"}},
		{name: "repeat caller held", hold: true, why: "≥ 5",
			in: routing.Input{CategoryPath: demoPath("garbage"), Description: "垃圾又没清", RecentByPhone: 5}},
		{name: "fewer calls dispatched", lead: "urban",
			in: routing.Input{CategoryPath: demoPath("garbage"), Description: "垃圾又没清", RecentByPhone: 4}},
		{name: "wage arrears by keyword in another category", lead: "hrss", why: "关键词 keyword: 欠薪",
			in: routing.Input{CategoryPath: demoPath("property-management"), Description: "物业公司欠薪，保安三个月没拿到钱"}},
		{name: "wage arrears by keyword without category", lead: "hrss",
			in: routing.Input{Description: "包工头拖欠工资两万多"}},
		{name: "food poisoning", lead: "market", co: "health", urgent: true, profile: "urgent",
			in: routing.Input{CategoryPath: demoPath("food-safety"), Description: "在饭馆吃完饭全家上吐下泻"}},
		{name: "holiday tourism complaint", lead: "culture", profile: "urgent", why: "日期类型 day type: holiday",
			in: routing.Input{CategoryPath: demoPath("tourism-complaint"), Type: routing.TypeComplaint, DayType: routing.DayHoliday, Description: "导游强制购物"}},
		{name: "workday tourism complaint", lead: "culture", profile: "standard",
			in: routing.Input{CategoryPath: demoPath("tourism-complaint"), Type: routing.TypeComplaint, DayType: routing.DayWorkday, Description: "导游强制购物"}},
		{name: "street vending in Andingmen", lead: "dongcheng-andingmen", co: "urban", why: "安定门（地址 address）",
			in: routing.Input{CategoryPath: demoPath("street-vendors"), Address: "东城区安定门大街某号", Description: "地铁口摆摊"}},
		{name: "street vending elsewhere", lead: "urban",
			in: routing.Input{CategoryPath: demoPath("street-vendors"), Address: "西城区新街口", Description: "地铁口摆摊"}},
		{name: "old community in Xicheng", lead: "xicheng", co: "housing",
			in: routing.Input{CategoryPath: demoPath("old-community"), District: "西城区", Description: "加装电梯"}},
		{name: "major class only", wantQueue: true,
			in: routing.Input{CategoryPath: demoPath("utilities"), Description: "想咨询一下"}},
		{name: "nothing known", wantQueue: true, in: routing.Input{Description: "咨询公积金"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := e.Decide(tt.in)
			co := strings.Join(d.Action.CoHandlers, ",")
			switch {
			case d.Queue != tt.wantQueue,
				d.Action.Lead != tt.lead, co != tt.co, d.Action.Hold != tt.hold,
				d.Urgent != tt.urgent, d.Action.Transfer != tt.transfer,
				tt.profile != "" && d.Action.Profile != tt.profile:
				t.Errorf("decision %+v", d)
			}
			if tt.transfer != "" && !strings.Contains(d.Prompt, tt.transfer) {
				t.Errorf("prompt %q does not mention %s", d.Prompt, tt.transfer)
			}
			if tt.why != "" && !strings.Contains(strings.Join(d.Why, "\n"), tt.why) {
				t.Errorf("reasons %q lack %q", d.Why, tt.why)
			}
		})
	}
}

// TestDemoCorpusInvariant sends every corpus text through the demo rules
// with its category: each is dispatched or held, never lost, and only an
// emergency or a wage-arrears keyword overrides the category's department.
func TestDemoCorpusInvariant(t *testing.T) {
	t.Parallel()
	e := demoEngine(t)
	other := 0
	for _, l := range readCorpus(t) {
		d := e.Decide(routing.Input{CategoryPath: demoPath(l.category), Description: l.text, At: at("10:00"), DayType: routing.DayWorkday})
		routing.CheckInvariant(t, d)
		if d.Queue {
			t.Errorf("%s %q queued", l.category, l.text)
		}
		if d.Action.Lead != l.department {
			other++
			// Only an emergency or the wage-arrears keywords may override
			// the category; anything else is a keyword misfiring.
			if !d.Urgent && d.RuleID != 30 {
				t.Errorf("%s %q: sent to %q by %q", l.category, l.text, d.Action.Lead, d.RuleName)
			}
		}
	}
	t.Logf("demo rules send %d corpus texts elsewhere than their category's department", other)
}

func TestCorpusShape(t *testing.T) {
	t.Parallel()
	lines := readCorpus(t)
	dept := map[string]string{}
	for _, c := range demo.Categories {
		if c.Parent != "" {
			dept[c.Code] = c.Department
		}
	}
	perCat := map[string]int{}
	seen := map[string]bool{}
	for _, l := range lines {
		want, ok := dept[l.category]
		if !ok {
			t.Errorf("%q: not a demo leaf category", l.category)
		} else if l.department != want {
			t.Errorf("%s: department %q, the demo sends it to %q", l.category, l.department, want)
		}
		if seen[l.text] {
			t.Errorf("duplicate text %q", l.text)
		}
		seen[l.text] = true
		perCat[l.category]++
	}
	t.Logf("corpus: %d examples over %d categories", len(lines), len(perCat))
	if len(lines) < 700 || len(perCat) < 30 {
		t.Errorf("corpus has %d examples over %d categories, want ≥700 over ≥30", len(lines), len(perCat))
	}
	for c, n := range perCat {
		if n < 20 {
			t.Errorf("category %s has %d examples, want ≥20", c, n)
		}
	}
}

// FuzzDecide checks the invariant of TestDecisionInvariant on the demo
// rules for arbitrary text.
func FuzzDecide(f *testing.F) {
	e := demoEngine(f)
	f.Add("noise", "夜间工地打桩", "东城区安定门大街1号", 23, 6)
	f.Add("", "闻到煤气味", "", 3, 0)
	f.Add("food-safety", "", "西城区", 12, 9)
	f.Add("x\xff", "\xff欠薪\x00", "\xe5", -1, -3)
	f.Fuzz(func(t *testing.T, cat, desc, addr string, hour, recent int) {
		in := routing.Input{CategoryPath: []string{cat}, Description: desc, Address: addr, Street: addr, District: addr,
			RecentByPhone: recent, Point: &orb.Point{float64(hour), float64(recent)}}
		if hour >= 0 {
			in.At = time.Date(2026, 1, 1, hour%24, 0, 0, 0, time.UTC)
		}
		d := e.Decide(in)
		routing.CheckInvariant(t, d)
		if x := e.Explain(in); !cmp.Equal(d, x.Decision) {
			t.Fatalf("Decide and Explain disagree:\n%s", cmp.Diff(d, x.Decision))
		}
	})
}
