package routing

import (
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/demo"
)

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

func TestDemoRulesValid(t *testing.T) {
	if ps := ValidateRules(DemoRules(), DemoCatalogue()); len(ps) > 0 {
		t.Fatalf("demo rules: %v", ps)
	}
}

// TestDemoEveryLeafDispatched checks that an ordinary daytime ticket of
// every leaf category is dispatched to the category's department with its
// deadline profile.
func TestDemoEveryLeafDispatched(t *testing.T) {
	e := mustEngine(t, DemoRules()...)
	leaves := 0
	for _, c := range demo.Categories {
		if c.Parent == "" {
			continue
		}
		leaves++
		in := Input{Type: c.Type, Channel: ChannelPhone, CategoryPath: demoPath(c.Code),
			Description: "市民来电反映相关问题，希望尽快处理。", At: at("10:00"), DayType: DayWorkday}
		d := e.Decide(in)
		if !d.Dispatched() || d.Action.Lead != c.Department || d.Action.Profile != c.Profile {
			t.Errorf("%s: %+v, want dispatch to %s with profile %s", c.Code, d, c.Department, c.Profile)
		}
	}
	if leaves < 30 {
		t.Errorf("only %d leaf categories", leaves)
	}
	for code, want := range map[string]string{"wage-arrears": "hrss", "food-safety": "market"} {
		d := e.Decide(Input{CategoryPath: demoPath(code), Description: "来电反映问题"})
		if d.Action.Lead != want || !d.Dispatched() || len(d.Action.CoHandlers) != 0 {
			t.Errorf("%s: lead %q (%+v), want exactly %s", code, d.Action.Lead, d, want)
		}
	}
}

func TestDemoSpecificRules(t *testing.T) {
	e := mustEngine(t, DemoRules()...)
	tests := []struct {
		name      string
		in        Input
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
			in: Input{CategoryPath: demoPath("construction-noise"), Description: "工地半夜还在施工", At: at("23:30")}},
		{name: "early morning construction noise", lead: "environment", co: "housing",
			in: Input{CategoryPath: demoPath("construction-noise"), Description: "凌晨打桩", At: at("05:10")}},
		{name: "daytime construction noise", lead: "housing", profile: "standard",
			in: Input{CategoryPath: demoPath("construction-noise"), Description: "工地中午施工", At: at("12:30")}},
		{name: "site noise filed as noise at night", lead: "environment", co: "housing", why: "关键词 keyword: 工地",
			in: Input{CategoryPath: demoPath("noise"), Description: "旁边工地夜里还在干活", At: at("01:00")}},
		{name: "bar noise at night", lead: "environment",
			in: Input{CategoryPath: demoPath("noise"), Description: "酒吧音乐太吵", At: at("01:00")}},
		{name: "gas leak", lead: "gas", urgent: true, transfer: "119", profile: "urgent", why: "紧急词 urgent word: 煤气味",
			in: Input{CategoryPath: demoPath("property-management"), Description: "楼道里一股煤气味，很害怕"}},
		{name: "gas leak without category", lead: "gas", urgent: true, transfer: "119",
			in: Input{Description: "家里燃气泄漏了"}},
		{name: "fire", hold: true, urgent: true, transfer: "119",
			in: Input{Description: "对面楼着火了"}},
		{name: "violence", lead: "police", urgent: true, transfer: "110",
			in: Input{Description: "楼下有人持刀闹事"}},
		{name: "collapse", hold: true, urgent: true, transfer: "120",
			in: Input{Description: "公交车上有个老人晕倒了"}},
		{name: "repeat caller held", hold: true, why: "≥ 5",
			in: Input{CategoryPath: demoPath("garbage"), Description: "垃圾又没清", RecentByPhone: 5}},
		{name: "fewer calls dispatched", lead: "urban",
			in: Input{CategoryPath: demoPath("garbage"), Description: "垃圾又没清", RecentByPhone: 4}},
		{name: "wage arrears by keyword in another category", lead: "hrss", why: "关键词 keyword: 欠薪",
			in: Input{CategoryPath: demoPath("property-management"), Description: "物业公司欠薪，保安三个月没拿到钱"}},
		{name: "wage arrears by keyword without category", lead: "hrss",
			in: Input{Description: "包工头拖欠工资两万多"}},
		{name: "food poisoning", lead: "market", co: "health", urgent: true, profile: "urgent",
			in: Input{CategoryPath: demoPath("food-safety"), Description: "在饭馆吃完饭全家上吐下泻"}},
		{name: "holiday tourism complaint", lead: "culture", profile: "urgent", why: "日期类型 day type: holiday",
			in: Input{CategoryPath: demoPath("tourism-complaint"), Type: TypeComplaint, DayType: DayHoliday, Description: "导游强制购物"}},
		{name: "workday tourism complaint", lead: "culture", profile: "standard",
			in: Input{CategoryPath: demoPath("tourism-complaint"), Type: TypeComplaint, DayType: DayWorkday, Description: "导游强制购物"}},
		{name: "street vending in Andingmen", lead: "dongcheng-andingmen", co: "urban", why: "安定门（地址 address）",
			in: Input{CategoryPath: demoPath("street-vendors"), Address: "东城区安定门大街某号", Description: "地铁口摆摊"}},
		{name: "street vending elsewhere", lead: "urban",
			in: Input{CategoryPath: demoPath("street-vendors"), Address: "西城区新街口", Description: "地铁口摆摊"}},
		{name: "old community in Xicheng", lead: "xicheng", co: "housing",
			in: Input{CategoryPath: demoPath("old-community"), District: "西城区", Description: "加装电梯"}},
		{name: "major class only", wantQueue: true,
			in: Input{CategoryPath: demoPath("utilities"), Description: "想咨询一下"}},
		{name: "nothing known", wantQueue: true, in: Input{Description: "咨询公积金"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
	e := mustEngine(t, DemoRules()...)
	other := 0
	for _, l := range loadCorpus(t) {
		d := e.Decide(Input{CategoryPath: demoPath(l.Category), Description: l.Text, At: at("10:00"), DayType: DayWorkday})
		checkInvariant(t, d)
		if d.Queue {
			t.Errorf("%s %q queued", l.Category, l.Text)
		}
		if d.Action.Lead != l.Department {
			other++
			// Only an emergency or the wage-arrears keywords may override
			// the category; anything else is a keyword misfiring.
			if !d.Urgent && d.RuleID != 30 {
				t.Errorf("%s %q: sent to %q by %q", l.Category, l.Text, d.Action.Lead, d.RuleName)
			}
		}
	}
	t.Logf("demo rules send %d corpus texts elsewhere than their category's department", other)
}
