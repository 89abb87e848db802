package routing

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

func mustEngine(t testing.TB, rules ...Rule) *Engine {
	t.Helper()
	e, err := NewEngine(rules)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testRule(id int64, c Conditions) Rule {
	return Rule{ID: id, Version: 3, Name: fmt.Sprintf("rule %d", id), Priority: 10, Enabled: true,
		Conditions: c, Action: Action{Lead: "urban", Profile: "standard"}}
}

// at returns a local time on 2026-11-23 (a Monday).
func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 "+hhmm, time.Local)
	if err != nil {
		panic(err)
	}
	return t
}

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func pt(x, y float64) *orb.Point { return &orb.Point{x, y} }

// TestConditions checks every condition kind alone, matching and not.
func TestConditions(t *testing.T) {
	t.Parallel()
	type probe struct {
		in    Input
		match bool
		why   string // a substring of the decision's reasons when it matches
	}
	donut := orb.Polygon{square(116.0, 39.0, 117.0, 40.0), square(116.4, 39.4, 116.6, 39.6)}
	tests := []struct {
		name   string
		cond   Conditions
		probes []probe
	}{
		{"category leaf", Conditions{Categories: []string{"wage-arrears"}}, []probe{
			{Input{CategoryPath: []string{"wage-arrears", "labour-social-security"}}, true, "分类 category: wage-arrears"},
			{Input{CategoryPath: []string{"labour-contract", "labour-social-security"}}, false, ""},
			{Input{CategoryPath: []string{"labour-social-security"}}, false, ""},
			{Input{}, false, ""},
		}},
		{"category subtree", Conditions{Categories: []string{"labour-social-security", "utilities"}}, []probe{
			{Input{CategoryPath: []string{"wage-arrears", "labour-social-security"}}, true, "labour-social-security（下级 subtree: wage-arrears）"},
			{Input{CategoryPath: []string{"labour-social-security"}}, true, "分类 category: labour-social-security"},
			{Input{CategoryPath: []string{"gas-supply", "utilities"}}, true, "utilities"},
			{Input{CategoryPath: []string{"food-safety", "market-supervision"}}, false, ""},
		}},
		{"type", Conditions{Types: []string{TypeComplaint, TypeReport}}, []probe{
			{Input{Type: TypeReport}, true, "类型 type: report"},
			{Input{Type: TypeConsultation}, false, ""},
			{Input{}, false, ""},
		}},
		{"channel", Conditions{Channels: []string{ChannelOpen311}}, []probe{
			{Input{Channel: ChannelOpen311}, true, "渠道 channel: open311"},
			{Input{Channel: ChannelPhone}, false, ""},
		}},
		{"keyword", Conditions{Keywords: []string{"欠薪", "WiFi"}}, []probe{
			{Input{Description: "老板欠薪三个月了"}, true, "关键词 keyword: 欠薪"},
			{Input{Description: "小区的wifi信号很差"}, true, "关键词 keyword: wifi"},
			{Input{Description: "小区的ＷＩＦＩ信号很差"}, true, "wifi"},
			{Input{Description: "老板拖欠工资"}, false, ""},
			{Input{Description: "欠", Address: "欠薪路"}, false, ""},
		}},
		{"regexp", Conditions{Regexps: []string{`拖欠.{0,6}工资`, `(?i)\bktv\b`}}, []probe{
			{Input{Description: "公司拖欠我们三个月工资"}, true, "⇒ “拖欠我们三个月工资”"},
			{Input{Description: "楼下KTV太吵"}, true, `(?i)\bktv\b`},
			{Input{Description: "工资拖欠"}, false, ""},
		}},
		{"district", Conditions{Districts: []string{"东城区", "西城"}}, []probe{
			{Input{District: "东城区"}, true, "东城区（区字段 district field）"},
			{Input{District: "西城区"}, true, "西城（区字段 district field）"},
			{Input{Address: "东城区安定门大街某号"}, true, "东城区（地址 address）"},
			{Input{District: "朝阳区", Address: "朝阳区某路"}, false, ""},
			{Input{Description: "东城区"}, false, ""},
		}},
		{"street", Conditions{Streets: []string{"安定门"}}, []probe{
			{Input{Street: "安定门街道"}, true, "街道 street: 安定门（街道字段 street field）"},
			{Input{Address: "东城区安定门外大街1号"}, true, "安定门（地址 address）"},
			{Input{Street: "景山街道", Address: "景山前街"}, false, ""},
			{Input{District: "安定门"}, false, ""},
		}},
		{"polygon", Conditions{Areas: []Area{{Name: "grid-1", Geometry: PolygonGeometry(donut)}}}, []probe{
			{Input{Point: pt(116.2, 39.2)}, true, "区域 area: grid-1 包含 contains (116.2, 39.2)"},
			{Input{Point: pt(116.5, 39.5)}, false, ""}, // in the hole
			{Input{Point: pt(118, 39.5)}, false, ""},
			{Input{}, false, ""},
		}},
		{"multipolygon", Conditions{Areas: []Area{{Geometry: MultiPolygonGeometry(orb.MultiPolygon{
			{square(0, 0, 1, 1)}, {square(10, 10, 11, 11)},
		})}}}, []probe{
			{Input{Point: pt(10.5, 10.5)}, true, "区域 area: #0"},
			{Input{Point: pt(0.5, 0.5)}, true, ""},
			{Input{Point: pt(5, 5)}, false, ""}, // inside the bounds of both, in neither
		}},
		{"day window", Conditions{TimeWindow: &TimeWindow{"09:00", "17:00"}}, []probe{
			{Input{At: at("09:00")}, true, "时段 time window: 09:00 在 within 09:00–17:00"},
			{Input{At: at("16:59")}, true, ""},
			{Input{At: at("17:00")}, false, ""},
			{Input{At: at("08:59")}, false, ""},
			{Input{}, false, ""},
		}},
		{"midnight window", Conditions{TimeWindow: &TimeWindow{"22:00", "06:00"}}, []probe{
			{Input{At: at("22:00")}, true, "22:00 在 within 22:00–06:00"},
			{Input{At: at("23:59")}, true, ""},
			{Input{At: at("00:00")}, true, ""},
			{Input{At: at("05:59")}, true, ""},
			{Input{At: at("06:00")}, false, ""},
			{Input{At: at("12:00")}, false, ""},
			{Input{At: at("21:59")}, false, ""},
			{Input{}, false, ""},
		}},
		{"window to 24:00", Conditions{TimeWindow: &TimeWindow{"18:00", "24:00"}}, []probe{
			{Input{At: at("23:59")}, true, ""},
			{Input{At: at("00:00")}, false, ""},
		}},
		{"day type", Conditions{DayTypes: []string{DayWeekend, DayHoliday}}, []probe{
			{Input{DayType: DayHoliday}, true, "日期类型 day type: holiday"},
			{Input{DayType: DayWorkday}, false, ""},
			{Input{}, false, ""},
		}},
		{"repeat caller", Conditions{MinRecentByPhone: 5}, []probe{
			{Input{RecentByPhone: 5}, true, "重复来电 repeat caller: 30天内 5 次 calls in 30 days ≥ 5"},
			{Input{RecentByPhone: 40}, true, ""},
			{Input{RecentByPhone: 4}, false, ""},
		}},
		{"urgent words", Conditions{UrgentWords: []string{"燃气泄漏", "煤气味"}}, []probe{
			{Input{Description: "厨房里有很大的煤气味"}, true, "紧急词 urgent word: 煤气味"},
			{Input{Description: "燃气费太贵"}, false, ""},
		}},
		{"no conditions", Conditions{}, []probe{
			{Input{}, true, "兜底规则 catch-all rule"},
		}},
		{"all combined", Conditions{
			Categories: []string{"noise"}, Types: []string{TypeComplaint}, Channels: []string{ChannelPhone},
			Keywords: []string{"工地"}, Districts: []string{"东城区"}, TimeWindow: &TimeWindow{"22:00", "06:00"},
			DayTypes: []string{DayWorkday},
		}, []probe{
			{Input{CategoryPath: []string{"noise", "eco-environment"}, Type: TypeComplaint, Channel: ChannelPhone,
				Description: "工地半夜施工", District: "东城区", At: at("23:00"), DayType: DayWorkday}, true, "关键词 keyword: 工地"},
			{Input{CategoryPath: []string{"noise", "eco-environment"}, Type: TypeComplaint, Channel: ChannelPhone,
				Description: "工地半夜施工", District: "东城区", At: at("21:00"), DayType: DayWorkday}, false, ""},
			{Input{CategoryPath: []string{"noise", "eco-environment"}, Type: TypeComplaint, Channel: ChannelWeb,
				Description: "工地半夜施工", District: "东城区", At: at("23:00"), DayType: DayWorkday}, false, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustEngine(t, testRule(7, tt.cond))
			for i, p := range tt.probes {
				d := e.Decide(p.in)
				if d.Queue == p.match {
					t.Errorf("probe %d %+v: queue=%v, want match=%v; why %q", i, p.in, d.Queue, p.match, d.Why)
					continue
				}
				x := e.Explain(p.in)
				if diff := cmp.Diff(d, x.Decision); diff != "" {
					t.Errorf("probe %d: Explain's decision differs from Decide's (-decide +explain):\n%s", i, diff)
				}
				if p.match {
					if d.RuleID != 7 || d.RuleVersion != 3 || d.RuleName != "rule 7" || d.Action.Lead != "urban" {
						t.Errorf("probe %d: decision %+v", i, d)
					}
					if !strings.HasPrefix(d.Why[0], "规则 rule: #7 rule 7 v3") {
						t.Errorf("probe %d: first reason %q", i, d.Why[0])
					}
					if p.why != "" && !strings.Contains(strings.Join(d.Why, "\n"), p.why) {
						t.Errorf("probe %d: reasons %q lack %q", i, d.Why, p.why)
					}
				} else if len(x.Rules) != 1 || len(x.Rules[0].WhyNot) == 0 || x.Rules[0].Matched {
					t.Errorf("probe %d: explanation %+v gives no reason for the miss", i, x.Rules)
				}
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	kw := Conditions{Keywords: []string{"噪音"}}
	r := func(id int64, prio int, lead string, enabled bool) Rule {
		return Rule{ID: id, Version: 1, Name: lead, Priority: prio, Enabled: enabled, Conditions: kw, Action: Action{Lead: lead}}
	}
	in := Input{Description: "楼下噪音很大"}
	tests := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"lower priority number first", []Rule{r(1, 50, "housing", true), r(2, 5, "environment", true)}, "environment"},
		{"ties by id", []Rule{r(9, 5, "housing", true), r(3, 5, "environment", true)}, "environment"},
		{"disabled skipped", []Rule{r(1, 1, "housing", false), r(2, 5, "environment", true)}, "environment"},
		{"first match wins over a more specific later rule", []Rule{
			r(1, 1, "environment", true),
			{ID: 2, Name: "specific", Priority: 2, Enabled: true, Action: Action{Lead: "housing"},
				Conditions: Conditions{Keywords: []string{"噪音"}, Categories: []string{"noise"}}},
		}, "environment"},
		{"non-matching earlier rule passed over", []Rule{
			{ID: 1, Name: "other", Priority: 1, Enabled: true, Action: Action{Lead: "gas"}, Conditions: Conditions{Keywords: []string{"燃气"}}},
			r(2, 2, "environment", true),
		}, "environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustEngine(t, tt.rules...)
			if d := e.Decide(in); d.Action.Lead != tt.want {
				t.Errorf("lead %q, want %q (%q)", d.Action.Lead, tt.want, d.Why)
			}
			x := e.Explain(in)
			chosen := 0
			for _, rt := range x.Rules {
				if rt.Chosen {
					chosen++
				}
			}
			if chosen != 1 {
				t.Errorf("%d rules chosen in the explanation, want 1", chosen)
			}
		})
	}
	e := mustEngine(t, r(1, 50, "housing", true), r(2, 5, "environment", true))
	if got := e.Rules(); got[0].ID != 2 || got[1].ID != 1 {
		t.Errorf("Rules() order %d, %d; want 2, 1", got[0].ID, got[1].ID)
	}
}

func TestNoMatchQueues(t *testing.T) {
	t.Parallel()
	for _, e := range []*Engine{
		mustEngine(t),
		mustEngine(t, testRule(1, Conditions{Keywords: []string{"停电"}})),
	} {
		d := e.Decide(Input{Description: "咨询公积金提取"})
		if !d.Queue || d.Dispatched() || d.RuleID != 0 || len(d.Why) == 0 {
			t.Errorf("decision %+v, want Queue with a reason", d)
		}
		if x := e.Explain(Input{Description: "咨询公积金提取"}); !x.Decision.Queue {
			t.Errorf("explanation decision %+v, want Queue", x.Decision)
		}
	}
}

func TestRecentByPhoneCap(t *testing.T) {
	t.Parallel()
	repeat := testRule(2, Conditions{MinRecentByPhone: 5})
	higher := testRule(3, Conditions{MinRecentByPhone: 8, Keywords: []string{"噪音"}})
	off := testRule(4, Conditions{MinRecentByPhone: 20})
	off.Enabled = false
	for _, c := range []struct {
		name  string
		rules []Rule
		want  int
	}{
		{"no rules", nil, 0},
		{"no repeat condition", []Rule{testRule(1, Conditions{Keywords: []string{"停电"}})}, 0},
		{"an enabled repeat rule", []Rule{testRule(1, Conditions{Keywords: []string{"停电"}}), repeat}, 5},
		{"the largest of two", []Rule{repeat, higher}, 8},
		{"a disabled repeat rule", []Rule{off}, 0},
		{"a disabled rule asks for more", []Rule{repeat, off}, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := mustEngine(t, c.rules...).RecentByPhoneCap(); got != c.want {
				t.Errorf("RecentByPhoneCap = %d, want %d", got, c.want)
			}
		})
	}
}

func TestDecisionActions(t *testing.T) {
	t.Parallel()
	rules := []Rule{
		{ID: 1, Version: 2, Name: "gas leak", Priority: 1, Enabled: true,
			Conditions: Conditions{UrgentWords: []string{"燃气泄漏"}},
			Action:     Action{Lead: "gas", Profile: "urgent", Transfer: TransferFire}},
		{ID: 2, Name: "fire", Priority: 2, Enabled: true,
			Conditions: Conditions{UrgentWords: []string{"着火"}},
			Action:     Action{Hold: true, Transfer: TransferFire, Prompt: "请立即转接119"}},
		{ID: 3, Name: "night noise", Priority: 3, Enabled: true,
			Conditions: Conditions{Keywords: []string{"工地"}},
			Action:     Action{Lead: "environment", CoHandlers: []string{"housing"}, Priority: PriorityUrgent}},
		{ID: 4, Name: "repeat", Priority: 4, Enabled: true,
			Conditions: Conditions{MinRecentByPhone: 5},
			Action:     Action{Hold: true, Lead: "urban"}},
		{ID: 5, Name: "plain", Priority: 5, Enabled: true, Action: Action{Lead: "urban"}},
	}
	e := mustEngine(t, rules...)

	d := e.Decide(Input{Description: "楼道里好像燃气泄漏了，味道很大"})
	if !d.Urgent || d.Action.Priority != PriorityUrgent || d.Action.Lead != "gas" || !d.Dispatched() ||
		!strings.Contains(d.Prompt, "119") || !strings.Contains(d.Prompt, "燃气泄漏") {
		t.Errorf("gas leak: %+v", d)
	}
	d = e.Decide(Input{Description: "对面楼着火了"})
	if !d.Urgent || !d.Action.Hold || d.Dispatched() || d.Prompt != "请立即转接119" {
		t.Errorf("fire: %+v", d)
	}
	d = e.Decide(Input{Description: "工地吵"})
	if !d.Urgent || d.Action.CoHandlers[0] != "housing" || !strings.Contains(d.Prompt, "night noise") || strings.Contains(d.Prompt, "转接") {
		t.Errorf("urgent by action: %+v", d)
	}
	d.Action.CoHandlers[0] = "mutated"
	if again := e.Decide(Input{Description: "工地吵"}); again.Action.CoHandlers[0] != "housing" {
		t.Error("a decision shares its co-handlers with the engine")
	}
	d = e.Decide(Input{RecentByPhone: 9})
	if !d.Action.Hold || d.Dispatched() || d.Urgent || d.Prompt != "" || !strings.Contains(strings.Join(d.Why, " "), "hold for manual dispatch") {
		t.Errorf("repeat caller: %+v", d)
	}
	d = e.Decide(Input{})
	if d.Urgent || d.Action.Priority != PriorityNormal || !d.Dispatched() {
		t.Errorf("plain: %+v", d)
	}
}

func TestNewEngineRejectsInvalidRules(t *testing.T) {
	t.Parallel()
	bad := testRule(4, Conditions{Regexps: []string{"("}})
	bad.Action.Lead = ""
	_, err := NewEngine([]Rule{testRule(1, Conditions{}), bad})
	ve, ok := err.(*ValidationError)
	if !ok {
		t.Fatalf("error %v (%T), want *ValidationError", err, err)
	}
	if len(ve.Problems) != 2 {
		t.Errorf("problems %v, want 2", ve.Problems)
	}
	if msg := err.Error(); !strings.Contains(msg, `rule 4 "rule 4": conditions.regexps[0]`) || !strings.Contains(msg, "action.lead") {
		t.Errorf("error text %q", msg)
	}
}

func TestRuleJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := Rule{ID: 12, Version: 4, Name: "全部条件 everything", Priority: 7, Enabled: true,
		Conditions: Conditions{
			Categories: []string{"noise"}, Types: []string{TypeComplaint}, Channels: []string{ChannelApp},
			Keywords: []string{"工地"}, Regexps: []string{`夜间.*施工`}, Districts: []string{"东城区"},
			Streets: []string{"安定门"}, Areas: []Area{{Name: "a", Geometry: PolygonGeometry(orb.Polygon{square(1, 1, 2, 2)})}},
			TimeWindow: &TimeWindow{"22:00", "06:00"}, DayTypes: []string{DayHoliday}, MinRecentByPhone: 3,
			UrgentWords: []string{"煤气味"},
		},
		Action: Action{Lead: "environment", CoHandlers: []string{"housing"}, Priority: PriorityUrgent,
			Profile: "standard", Transfer: TransferFire, Prompt: "p"},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Rule
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2],[1,1]]]}`) {
		t.Errorf("geometry not stored as GeoJSON: %s", b)
	}
	if _, err := NewEngine([]Rule{back}); err != nil {
		t.Error(err)
	}
}

// TestDecisionInvariant is a property test: for random valid rule sets and
// random inputs, every decision dispatches to a lead unit, holds, or
// queues, and the indexed Decide agrees with Explain's full scan.
func TestDecisionInvariant(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 40; round++ {
		g := newGenerator(rng, 20)
		rules := g.rules(1 + rng.IntN(60))
		e := mustEngine(t, rules...)
		for i := 0; i < 200; i++ {
			var in Input
			target := rules[rng.IntN(len(rules))]
			if i%2 == 0 {
				in = g.matching(target)
			} else {
				in = g.input()
			}
			d := e.Decide(in)
			checkInvariant(t, d)
			x := e.Explain(in)
			if !cmp.Equal(d, x.Decision) {
				t.Fatalf("round %d: Decide and Explain disagree on %+v:\n%s", round, in, cmp.Diff(d, x.Decision))
			}
			if i%2 == 0 && target.Enabled {
				for _, rt := range x.Rules {
					if rt.RuleID == target.ID && !rt.Matched {
						t.Fatalf("round %d: rule %+v does not match the input made for it %+v: %q", round, target, in, rt.WhyNot)
					}
				}
			}
		}
	}
}

func checkInvariant(t testing.TB, d Decision) {
	t.Helper()
	n := 0
	if d.Queue {
		n++
	}
	if d.Action.Hold {
		n++
	}
	if !d.Queue && !d.Action.Hold && d.Action.Lead != "" {
		n++
	}
	if n != 1 || len(d.Why) == 0 {
		t.Fatalf("decision %+v is not exactly one of dispatched, held or queued, with reasons", d)
	}
	if d.Queue && (d.RuleID != 0 || d.Urgent) {
		t.Fatalf("queued decision carries a rule: %+v", d)
	}
}

// TestConcurrentDecide runs one engine from many goroutines; run it with
// -race.
func TestConcurrentDecide(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	g := newGenerator(rng, 10)
	rules := g.rules(300)
	e := mustEngine(t, rules...)
	inputs := make([]Input, 200)
	want := make([]Decision, len(inputs))
	for i := range inputs {
		inputs[i] = g.matching(rules[rng.IntN(len(rules))])
		want[i] = e.Decide(inputs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				for i := range inputs {
					j := (i + w*25) % len(inputs)
					if d := e.Decide(inputs[j]); !cmp.Equal(d, want[j]) {
						errs <- cmp.Diff(want[j], d)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for diff := range errs {
		t.Errorf("concurrent decision differs:\n%s", diff)
	}
}
