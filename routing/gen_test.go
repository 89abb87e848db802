package routing

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// generator makes varied random rules and inputs for the property test and
// the benchmark. scale sizes its vocabularies.
type generator struct {
	rng       *rand.Rand
	leaves    []string
	parent    map[string]string
	keywords  []string
	districts []string
	streets   []string
}

const genChars = "噪音施工工地油烟垃圾路灯停水停电燃气暖气物业欠薪工资社保医保食品价格假冒出租公交房屋小区治安违停户口入学培训医院疫苗养老低保旅游场馆漏水破损清运占道夜间扰民投诉举报咨询建议老人孩子邻居商家老板楼下楼上街道社区门口马路大街胡同"

var genDistricts = []string{"东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "顺义区",
	"昌平区", "大兴区", "房山区", "门头沟区", "平谷区", "怀柔区", "密云区", "延庆区"}

func newGenerator(rng *rand.Rand, scale int) *generator {
	g := &generator{rng: rng, parent: map[string]string{}, districts: genDistricts}
	for p := 0; p < scale; p++ {
		for c := 0; c < 10; c++ {
			leaf := fmt.Sprintf("c%03d-%02d", p, c)
			g.leaves = append(g.leaves, leaf)
			g.parent[leaf] = fmt.Sprintf("p%03d", p)
		}
	}
	seen := map[string]bool{}
	for len(g.keywords) < scale*40 {
		w := g.word(2 + rng.IntN(3))
		if !seen[w] {
			seen[w] = true
			g.keywords = append(g.keywords, w)
		}
	}
	for len(g.streets) < scale*4 {
		w := g.word(2) + "街道"
		if !seen[w] {
			seen[w] = true
			g.streets = append(g.streets, w)
		}
	}
	return g
}

func (g *generator) word(n int) string {
	chars := []rune(genChars)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(chars[g.rng.IntN(len(chars))])
	}
	return b.String()
}

func (g *generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *generator) some(s []string, max int) []string {
	n := 1 + g.rng.IntN(max)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if v := g.pick(s); !containsString(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var genWindows = []TimeWindow{{"22:00", "06:00"}, {"08:00", "18:00"}, {"00:00", "08:00"}, {"12:00", "14:00"}, {"18:00", "24:00"}}

// rules returns n valid rules with IDs 1..n and random priorities.
func (g *generator) rules(n int) []Rule {
	rules := make([]Rule, n)
	for i := range rules {
		var c Conditions
		switch k := g.rng.IntN(100); {
		case k < 45: // category and keywords
			c.Categories = g.categories()
			c.Keywords = g.some(g.keywords, 3)
		case k < 60: // keywords only
			c.Keywords = g.some(g.keywords, 4)
		case k < 70: // category and place
			c.Categories = g.categories()
			if g.rng.IntN(2) == 0 {
				c.Districts = g.some(g.districts, 2)
			} else {
				c.Streets = g.some(g.streets, 2)
			}
		case k < 80: // category and time
			c.Categories = g.categories()
			w := genWindows[g.rng.IntN(len(genWindows))]
			c.TimeWindow = &w
			if g.rng.IntN(2) == 0 {
				c.DayTypes = g.some(dayTypes, 2)
			}
		case k < 86: // category and polygon
			c.Categories = g.categories()
			c.Areas = []Area{g.area()}
		case k < 88: // district only, narrowed by type, channel and day
			c.Districts = g.some(g.districts, 1)
			c.Types = []string{g.pick(ticketTypes)}
			c.Channels = []string{g.pick(channels)}
			c.DayTypes = []string{g.pick(dayTypes)}
		case k < 90: // street only
			c.Streets = g.some(g.streets, 2)
		case k < 93: // keywords and regexp
			a, b := g.pick(g.keywords), g.pick(g.keywords)
			c.Keywords = []string{a}
			c.Regexps = []string{a + ".{0,10}" + b}
		case k < 96: // urgent words
			c.UrgentWords = g.some(g.keywords, 2)
		case k < 98: // nothing indexable: type, channel, time and day
			c.Types = []string{g.pick(ticketTypes)}
			c.Channels = []string{g.pick(channels)}
			w := genWindows[g.rng.IntN(len(genWindows))]
			c.TimeWindow = &w
			c.DayTypes = []string{g.pick(dayTypes)}
		default: // repeat caller
			c.MinRecentByPhone = 5 + g.rng.IntN(10)
		}
		a := Action{Lead: fmt.Sprintf("dept-%02d", g.rng.IntN(30))}
		switch g.rng.IntN(10) {
		case 0:
			a = Action{Hold: true}
		case 1:
			a.CoHandlers = []string{"dept-co"}
			a.Priority = PriorityUrgent
			a.Transfer = TransferPolice
		}
		rules[i] = Rule{ID: int64(i + 1), Version: 1, Name: fmt.Sprintf("generated %d", i+1),
			Priority: g.rng.IntN(n * 2), Enabled: g.rng.IntN(20) != 0, Conditions: c, Action: a}
	}
	return rules
}

func (g *generator) categories() []string {
	if g.rng.IntN(5) == 0 { // a whole subtree
		return []string{g.parent[g.pick(g.leaves)]}
	}
	return g.some(g.leaves, 2)
}

func (g *generator) area() Area {
	x, y := 116+g.rng.Float64(), 39+g.rng.Float64()
	d := 0.01 + g.rng.Float64()*0.04
	return Area{Name: "grid", Geometry: PolygonGeometry(orb.Polygon{square(x-d, y-d, x+d, y+d)})}
}

// fillerChars are common characters outside genChars, so that filler text
// seldom contains a generated keyword by chance.
var fillerChars = func() []rune {
	var out []rune
	for _, r := range "的一是在不了有和这中为上个我以要他时来用们生到作于出就分对成会可主发年动同也能下过说产种面而方后多定行学法所得经十三之进着等度如化高自二理起现实加量都两体制机当使点从本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及特件长求头基资边流级少图山统接知较将组见计别她手角期根论运农指几九强放决西被干必战先回则任取据处府研志受局改" {
		if !strings.ContainsRune(genChars, r) {
			out = append(out, r)
		}
	}
	return out
}()

func (g *generator) filler(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(fillerChars[g.rng.IntN(len(fillerChars))])
		if i%17 == 16 {
			b.WriteString("，")
		}
	}
	b.WriteString("。")
	return b.String()
}

// input returns a random input that may or may not match any rule.
func (g *generator) input() (in Input) {
	leaf := g.pick(g.leaves)
	if g.rng.IntN(4) == 0 { // a category no rule names
		leaf = "c999-" + g.word(1)
	}
	defer func() {
		if p := g.parent[leaf]; p != "" {
			in.CategoryPath = append(in.CategoryPath, p)
		}
	}()
	in = Input{
		Type:          g.pick(ticketTypes),
		Channel:       g.pick(channels),
		CategoryPath:  []string{leaf},
		Description:   g.filler(20 + g.rng.IntN(60)),
		Address:       g.pick(g.districts) + string(fillerChars[g.rng.IntN(len(fillerChars))]) + "路" + fmt.Sprint(g.rng.IntN(200)) + "号",
		At:            time.Date(2026, 11, 23, g.rng.IntN(24), g.rng.IntN(60), 0, 0, time.Local),
		DayType:       g.pick(dayTypes),
		RecentByPhone: g.rng.IntN(4),
	}
	if g.rng.IntN(3) == 0 {
		in.Point = pt(116+g.rng.Float64(), 39+g.rng.Float64())
	}
	return in
}

// matching returns an input that satisfies r's conditions (an earlier rule
// may still decide it).
func (g *generator) matching(r Rule) Input {
	in := g.input()
	c := r.Conditions
	if len(c.Categories) > 0 {
		cat := g.pick(c.Categories)
		if strings.HasPrefix(cat, "p") {
			leaf := strings.Replace(cat, "p", "c", 1) + "-03"
			in.CategoryPath = []string{leaf, cat}
		} else {
			in.CategoryPath = []string{cat, g.parent[cat]}
		}
	}
	var text []string
	if len(c.Keywords) > 0 {
		text = append(text, g.pick(c.Keywords))
	}
	if len(c.UrgentWords) > 0 {
		text = append(text, g.pick(c.UrgentWords))
	}
	if len(c.Regexps) > 0 {
		// generated regexps are "a.{0,10}b" with a also the keyword
		a, b, _ := strings.Cut(c.Regexps[0], ".{0,10}")
		text = append(text, a+"的"+b)
	}
	if len(text) > 0 {
		in.Description = g.filler(10) + strings.Join(text, "，") + g.filler(20+g.rng.IntN(40))
	}
	if len(c.Districts) > 0 {
		if g.rng.IntN(2) == 0 {
			in.District = g.pick(c.Districts)
		} else {
			in.Address = g.pick(c.Districts) + g.word(2) + "大街8号"
		}
	}
	if len(c.Streets) > 0 {
		in.Address = g.pick(g.districts) + g.pick(c.Streets) + "某小区"
	}
	if len(c.Areas) > 0 {
		geom, _ := c.Areas[0].Geometry.Orb()
		ctr := geom.Bound().Center()
		in.Point = &ctr
	}
	if w := c.TimeWindow; w != nil {
		from, _, _ := w.minutes()
		in.At = time.Date(2026, 11, 23, from/60, from%60, 0, 0, time.Local)
	}
	if len(c.DayTypes) > 0 {
		in.DayType = g.pick(c.DayTypes)
	}
	if len(c.Types) > 0 {
		in.Type = g.pick(c.Types)
	}
	if len(c.Channels) > 0 {
		in.Channel = g.pick(c.Channels)
	}
	if c.MinRecentByPhone > 0 {
		in.RecentByPhone = c.MinRecentByPhone
	}
	return in
}
