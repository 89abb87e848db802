package routing

import (
	"cmp"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
)

// Input is what the engine knows of a ticket when dispatching it.
type Input struct {
	Type    string // ticket type (TypeComplaint…); empty if not yet known
	Channel string // intake channel (ChannelPhone…)
	// CategoryPath is the ticket category's code followed by its ancestors'
	// codes up to the root, e.g. {"wage-arrears", "labour-social-security"}.
	CategoryPath []string
	Description  string // the citizen's request as registered
	Address      string // free-text address, e.g. 东城区安定门大街某号
	District     string // district name (区), if the agent filled it in
	Street       string // street or subdistrict name (街道), if filled in
	Point        *orb.Point
	// At is the registration time in the centre's local time zone; the
	// zero time satisfies no time window.
	At time.Time
	// DayType is the day type (DayWorkday…) of At from the working calendar.
	DayType string
	// RecentByPhone is how many tickets the caller's phone made in the last
	// 30 days; with RecentAtLeast, counting stopped there (see RecentByPhoneCap).
	RecentByPhone int
	RecentAtLeast bool
}

// Decision is the outcome of dispatching one ticket: either a rule's action
// (dispatch to Action.Lead, or Action.Hold for manual dispatch) or, when no
// rule matched, Queue for the centre's dispatch queue.
type Decision struct {
	RuleID      int64  `json:"rule_id,omitempty"`
	RuleVersion int    `json:"rule_version,omitempty"`
	RuleName    string `json:"rule_name,omitempty"`
	// Action is the matched rule's action. Its Priority is the effective
	// one: PriorityUrgent when the decision is urgent, else PriorityNormal.
	Action Action `json:"action"`
	// Queue says that no rule matched and the ticket waits in the centre's
	// dispatch queue.
	Queue bool `json:"queue,omitempty"`
	// Urgent says the ticket is urgent, through an urgent word or the
	// action's priority.
	Urgent bool `json:"urgent,omitempty"`
	// Prompt is shown to the agent for an urgent decision, e.g. to transfer
	// the caller to 119.
	Prompt string `json:"prompt,omitempty"`
	// Why lists the reasons in Chinese with English glosses: the rule and
	// each condition that held.
	Why []string `json:"why"`
}

// Dispatched reports whether the decision sends the ticket to a lead unit
// straight away, rather than holding or queueing it.
func (d Decision) Dispatched() bool { return !d.Queue && !d.Action.Hold && d.Action.Lead != "" }

// Explanation is a dry run of every rule against one input, for the rule
// administrators.
type Explanation struct {
	Decision Decision    `json:"decision"`
	Rules    []RuleTrace `json:"rules"`
}

// RuleTrace says whether one rule matched an input and why or why not.
type RuleTrace struct {
	RuleID   int64    `json:"rule_id"`
	Version  int      `json:"version"`
	Name     string   `json:"name"`
	Priority int      `json:"priority"`
	Enabled  bool     `json:"enabled"`
	Matched  bool     `json:"matched"`
	Chosen   bool     `json:"chosen"` // the first match, which decided
	Why      []string `json:"why,omitempty"`
	WhyNot   []string `json:"why_not,omitempty"`
}

// Engine dispatches tickets by a fixed, compiled rule set. It is immutable
// and safe for concurrent use; build a new Engine when the rules change.
type Engine struct {
	rules  []compiledRule // in precedence order
	text   *automaton     // keywords and urgent words, over the description
	places *automaton     // district and street names

	catIDs map[string]int32
	// Each enabled rule is filed under one condition it cannot match
	// without, so that Decide only evaluates rules that might match: by
	// category, by keyword or urgent word, by district or street name, or
	// in always when it has none of these.
	byCategory [][]int32
	byText     [][]int32
	byDistrict [][]int32
	byStreet   [][]int32
	always     bitset
	// repeatCap is the largest repeat-caller count an enabled rule asks for (0: none asks);
	// registration counts a caller's earlier tickets only up to it.
	repeatCap int

	pool sync.Pool // *scratch
}

type compiledRule struct {
	rule      Rule
	cats      []int32
	types     uint8
	channels  uint8
	days      uint8
	keywords  []int32
	urgent    []int32
	districts []int32
	streets   []int32
	res       []*regexp.Regexp
	areas     []compiledArea
	window    bool
	from, to  int
	catchAll  bool // no conditions at all
}

// scratch is the per-decision working memory, pooled so that a decision
// allocates only its result.
type scratch struct {
	cand       bitset
	text       bitset
	district   bitset
	street     bitset
	textList   []int32
	distList   []int32
	streetList []int32
	cats       []int32 // ids of the input's category path present in rules
	catPos     []int   // their positions in the path
}

type evalCtx struct {
	in      *Input
	sc      *scratch
	typ     uint8
	channel uint8
	day     uint8
	minute  int
	hasTime bool
}

// NewEngine validates and compiles rules. It returns a *ValidationError
// listing every problem if any rule is invalid. Disabled rules are kept for
// Explain but never match.
func NewEngine(rules []Rule) (*Engine, error) {
	if ps := ValidateRules(rules, nil); len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.ID, b.ID))
	})
	e := &Engine{rules: make([]compiledRule, len(sorted)), catIDs: map[string]int32{}}
	var text, places patternSet
	for i := range sorted {
		r := &e.rules[i]
		r.rule = sorted[i]
		r.rule.Action.CoHandlers = slices.Clone(r.rule.Action.CoHandlers)
		if !r.rule.Enabled {
			continue
		}
		c := r.rule.Conditions
		for _, code := range c.Categories {
			id, ok := e.catIDs[code]
			if !ok {
				id = int32(len(e.catIDs))
				e.catIDs[code] = id
			}
			r.cats = append(r.cats, id)
		}
		r.types = mask(c.Types, ticketTypes)
		r.channels = mask(c.Channels, channels)
		r.days = mask(c.DayTypes, dayTypes)
		for _, k := range c.Keywords {
			r.keywords = appendUnique(r.keywords, text.add(k))
		}
		for _, k := range c.UrgentWords {
			r.urgent = appendUnique(r.urgent, text.add(k))
		}
		for _, d := range c.Districts {
			r.districts = appendUnique(r.districts, places.add(d))
		}
		for _, s := range c.Streets {
			r.streets = appendUnique(r.streets, places.add(s))
		}
		for _, p := range c.Regexps {
			r.res = append(r.res, regexp.MustCompile(p)) // validated above
		}
		for _, a := range c.Areas {
			ca, err := compileArea(a)
			if err != nil { // validated above
				return nil, err
			}
			r.areas = append(r.areas, ca)
		}
		if c.TimeWindow != nil {
			r.window = true
			r.from, r.to, _ = c.TimeWindow.minutes()
		}
		if r.rule.Enabled {
			e.repeatCap = max(e.repeatCap, c.MinRecentByPhone)
		}
		r.catchAll = len(r.cats) == 0 && r.types == 0 && r.channels == 0 && r.days == 0 &&
			len(r.keywords) == 0 && len(r.urgent) == 0 && len(r.districts) == 0 && len(r.streets) == 0 &&
			len(r.res) == 0 && len(r.areas) == 0 && !r.window && c.MinRecentByPhone <= 0
	}
	e.text = buildAutomaton(text.patterns)
	e.places = buildAutomaton(places.patterns)
	e.byCategory = make([][]int32, len(e.catIDs))
	e.byText = make([][]int32, len(text.patterns))
	e.byDistrict = make([][]int32, len(places.patterns))
	e.byStreet = make([][]int32, len(places.patterns))
	e.always = newBitset(len(e.rules))
	for i := range e.rules {
		r, rank := &e.rules[i], int32(i)
		switch {
		case !r.rule.Enabled:
		case len(r.cats) > 0:
			for _, id := range r.cats {
				e.byCategory[id] = append(e.byCategory[id], rank)
			}
		case len(r.keywords) > 0:
			for _, id := range r.keywords {
				e.byText[id] = append(e.byText[id], rank)
			}
		case len(r.urgent) > 0:
			for _, id := range r.urgent {
				e.byText[id] = append(e.byText[id], rank)
			}
		case len(r.districts) > 0:
			for _, id := range r.districts {
				e.byDistrict[id] = append(e.byDistrict[id], rank)
			}
		case len(r.streets) > 0:
			for _, id := range r.streets {
				e.byStreet[id] = append(e.byStreet[id], rank)
			}
		default:
			e.always.set(rank)
		}
	}
	nRules, nText, nPlaces := len(e.rules), len(text.patterns), len(places.patterns)
	e.pool.New = func() any {
		return &scratch{
			cand:     newBitset(nRules),
			text:     newBitset(nText),
			district: newBitset(nPlaces),
			street:   newBitset(nPlaces),
		}
	}
	return e, nil
}

func mask(vals, all []string) uint8 {
	var m uint8
	for _, v := range vals {
		if i := slices.Index(all, v); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

func bit(v string, all []string) uint8 {
	for i, a := range all {
		if a == v {
			return 1 << i
		}
	}
	return 0
}

func appendUnique(s []int32, id int32) []int32 {
	if slices.Contains(s, id) {
		return s
	}
	return append(s, id)
}

// RecentByPhoneCap is the largest Input.RecentByPhone an enabled rule's repeat-caller
// condition asks for, 0 when no rule has one. Decide gives the same decision for every count
// at or above it, so a caller's earlier tickets need only be counted up to the cap.
func (e *Engine) RecentByPhoneCap() int { return e.repeatCap }

// Rules returns the engine's rules in precedence order.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, len(e.rules))
	for i := range e.rules {
		out[i] = e.rules[i].rule
		out[i].Action.CoHandlers = slices.Clone(out[i].Action.CoHandlers)
	}
	return out
}

// prepare scans the input once: keywords over the description, place names
// over the district, street and address fields, and the category path.
func (e *Engine) prepare(in *Input, sc *scratch) evalCtx {
	c := evalCtx{in: in, sc: sc,
		typ:     bit(in.Type, ticketTypes),
		channel: bit(in.Channel, channels),
		day:     bit(in.DayType, dayTypes),
	}
	if !in.At.IsZero() {
		h, m, _ := in.At.Clock()
		c.minute, c.hasTime = h*60+m, true
	}
	sc.textList = e.text.scan(in.Description, sc.text, sc.textList)
	sc.distList = e.places.scan(in.District, sc.district, sc.distList)
	sc.distList = e.places.scan(in.Address, sc.district, sc.distList)
	sc.streetList = e.places.scan(in.Street, sc.street, sc.streetList)
	sc.streetList = e.places.scan(in.Address, sc.street, sc.streetList)
	for i, code := range in.CategoryPath {
		if id, ok := e.catIDs[code]; ok {
			sc.cats = append(sc.cats, id)
			sc.catPos = append(sc.catPos, i)
		}
	}
	return c
}

func (e *Engine) getScratch() *scratch { return e.pool.Get().(*scratch) }

func (e *Engine) putScratch(sc *scratch) {
	for _, id := range sc.textList {
		sc.text[id>>6] = 0
	}
	for _, id := range sc.distList {
		sc.district[id>>6] = 0
	}
	for _, id := range sc.streetList {
		sc.street[id>>6] = 0
	}
	sc.textList, sc.distList, sc.streetList = sc.textList[:0], sc.distList[:0], sc.streetList[:0]
	sc.cats, sc.catPos = sc.cats[:0], sc.catPos[:0]
	e.pool.Put(sc)
}

// Decide dispatches one ticket: the first enabled rule in precedence order
// whose conditions all hold decides it; when none does, the decision is
// Queue. Every decision carries its reasons in Why.
func (e *Engine) Decide(in Input) Decision {
	sc := e.getScratch()
	defer e.putScratch(sc)
	c := e.prepare(&in, sc)
	cand := sc.cand
	copy(cand, e.always)
	for _, id := range sc.cats {
		for _, rank := range e.byCategory[id] {
			cand.set(rank)
		}
	}
	for _, id := range sc.textList {
		for _, rank := range e.byText[id] {
			cand.set(rank)
		}
	}
	for _, id := range sc.distList {
		for _, rank := range e.byDistrict[id] {
			cand.set(rank)
		}
	}
	for _, id := range sc.streetList {
		for _, rank := range e.byStreet[id] {
			cand.set(rank)
		}
	}
	for w, word := range cand {
		for word != 0 {
			rank := w<<6 + bits.TrailingZeros64(word)
			word &= word - 1
			if e.rules[rank].holds(&c) {
				return e.decision(&e.rules[rank], &c)
			}
		}
	}
	return queueDecision()
}

// Explain evaluates every rule against the input, reporting for each why it
// matched or did not, and the decision Decide makes.
func (e *Engine) Explain(in Input) Explanation {
	sc := e.getScratch()
	defer e.putScratch(sc)
	c := e.prepare(&in, sc)
	x := Explanation{Rules: make([]RuleTrace, len(e.rules))}
	decided := false
	for i := range e.rules {
		r := &e.rules[i]
		rt := RuleTrace{RuleID: r.rule.ID, Version: r.rule.Version, Name: r.rule.Name,
			Priority: r.rule.Priority, Enabled: r.rule.Enabled}
		if !r.rule.Enabled {
			rt.WhyNot = []string{"规则已停用 rule disabled"}
		} else {
			var t trace
			rt.Matched = e.explainRule(r, &c, &t)
			rt.Why, rt.WhyNot = t.why, t.whyNot
			if rt.Matched && !decided {
				decided, rt.Chosen = true, true
				x.Decision = e.decision(r, &c)
			}
		}
		x.Rules[i] = rt
	}
	if !decided {
		x.Decision = queueDecision()
	}
	return x
}

func queueDecision() Decision {
	return Decision{Queue: true, Why: []string{"未命中任何规则，进入中心派单队列 no rule matched: centre dispatch queue"}}
}

// decision builds the decision of a matched rule, re-evaluating it with a
// trace to collect the reasons.
func (e *Engine) decision(r *compiledRule, c *evalCtx) Decision {
	var t trace
	t.why = make([]string, 1, 8)
	e.explainRule(r, c, &t)
	a := r.rule.Action
	a.CoHandlers = slices.Clone(a.CoHandlers)
	t.why[0] = "规则 rule: #" + strconv.FormatInt(r.rule.ID, 10) + " " + r.rule.Name + " v" + strconv.Itoa(r.rule.Version)
	d := Decision{RuleID: r.rule.ID, RuleVersion: r.rule.Version, RuleName: r.rule.Name, Action: a, Why: t.why}
	d.Urgent = a.Priority == PriorityUrgent || t.urgentWord != ""
	if d.Urgent {
		d.Action.Priority = PriorityUrgent
		d.Prompt = a.Prompt
		if d.Prompt == "" {
			what := t.urgentWord
			if what == "" {
				what = r.rule.Name
			}
			if a.Transfer != "" {
				d.Prompt = "紧急诉求（" + what + "）：请提醒来电人注意安全，立即一键转接" + a.Transfer +
					" urgent (" + what + "): keep the caller safe and transfer the call to " + a.Transfer + " now"
			} else {
				d.Prompt = "紧急诉求（" + what + "）：请优先派单 urgent (" + what + "): dispatch first"
			}
		}
	} else {
		d.Action.Priority = PriorityNormal
	}
	if a.Hold {
		d.Why = append(d.Why, "人工派单 hold for manual dispatch by the centre")
	}
	return d
}

// trace collects the reasons of one rule's evaluation by explainRule; Decide
// tries its candidates with holds, which builds no strings.
type trace struct {
	why        []string
	whyNot     []string
	urgentWord string
}

// holds reports whether all of r's conditions hold, stopping at the first
// that does not and building no strings: the path of every candidate rule
// Decide tries. The conditions are tried in the order explainRule records them.
func (r *compiledRule) holds(c *evalCtx) bool {
	in := c.in
	return (len(r.cats) == 0 || r.categoryPos(c) >= 0) &&
		(r.types == 0 || r.types&c.typ != 0) &&
		(r.channels == 0 || r.channels&c.channel != 0) &&
		(len(r.keywords) == 0 || anyHit(r.keywords, c.sc.text)) &&
		(len(r.urgent) == 0 || anyHit(r.urgent, c.sc.text)) &&
		(len(r.res) == 0 || r.regexpHit(in.Description) >= 0) &&
		(len(r.districts) == 0 || anyHit(r.districts, c.sc.district)) &&
		(len(r.streets) == 0 || anyHit(r.streets, c.sc.street)) &&
		(len(r.areas) == 0 || r.areaHit(in.Point) >= 0) &&
		(!r.window || r.inWindow(c)) &&
		(r.days == 0 || r.days&c.day != 0) &&
		(r.rule.Conditions.MinRecentByPhone <= 0 || in.RecentByPhone >= r.rule.Conditions.MinRecentByPhone)
}

// categoryPos is the position in the input's category path of the first of
// r's categories found there: 0 for the ticket's own category, more for an
// ancestor; -1 when the ticket is under none of them.
func (r *compiledRule) categoryPos(c *evalCtx) int {
	for i, id := range c.sc.cats {
		for _, want := range r.cats {
			if id == want {
				return c.sc.catPos[i]
			}
		}
	}
	return -1
}

// regexpHit is the index of the first of r's regular expressions matching
// the description, or -1.
func (r *compiledRule) regexpHit(desc string) int {
	for i, re := range r.res {
		if re.MatchString(desc) {
			return i
		}
	}
	return -1
}

// areaHit is the index of the first of r's areas containing the point, or
// -1, also when the ticket has no point.
func (r *compiledRule) areaHit(p *orb.Point) int {
	if p == nil {
		return -1
	}
	for i := range r.areas {
		if r.areas[i].contains(*p) {
			return i
		}
	}
	return -1
}

// inWindow reports whether the input's time falls in r's time window; an
// input without a time is in none.
func (r *compiledRule) inWindow(c *evalCtx) bool {
	return c.hasTime && windowContains(r.from, r.to, c.minute)
}

// explainRule evaluates every one of r's conditions, recording in t why each
// held or not, and reports whether all held.
func (e *Engine) explainRule(r *compiledRule, c *evalCtx, t *trace) bool {
	in, conds := c.in, &r.rule.Conditions
	ok := true
	if len(r.cats) > 0 {
		ok = t.category(r, in, r.categoryPos(c)) && ok
	}
	if r.types != 0 {
		ok = t.member(r.types&c.typ != 0, "类型 type: ", in.Type, conds.Types) && ok
	}
	if r.channels != 0 {
		ok = t.member(r.channels&c.channel != 0, "渠道 channel: ", in.Channel, conds.Channels) && ok
	}
	if len(r.keywords) > 0 {
		_, held := e.words(t, r.keywords, c.sc.text, "关键词 keyword: ", conds.Keywords)
		ok = held && ok
	}
	if len(r.urgent) > 0 {
		w, held := e.words(t, r.urgent, c.sc.text, "紧急词 urgent word: ", conds.UrgentWords)
		if held {
			t.urgentWord = w
		}
		ok = held && ok
	}
	if len(r.res) > 0 {
		ok = t.regexp(r, in.Description) && ok
	}
	if len(r.districts) > 0 {
		ok = e.place(t, r.districts, c.sc.district, in, in.District, "区 district: ", "区字段 district field", conds.Districts) && ok
	}
	if len(r.streets) > 0 {
		ok = e.place(t, r.streets, c.sc.street, in, in.Street, "街道 street: ", "街道字段 street field", conds.Streets) && ok
	}
	if len(r.areas) > 0 {
		ok = t.area(r, in.Point) && ok
	}
	if r.window {
		ok = t.window(r, c) && ok
	}
	if r.days != 0 {
		ok = t.member(r.days&c.day != 0, "日期类型 day type: ", in.DayType, conds.DayTypes) && ok
	}
	if n := conds.MinRecentByPhone; n > 0 {
		ok = t.repeat(in, n) && ok
	}
	if r.catchAll {
		t.yes("无条件 no conditions: 兜底规则 catch-all rule")
	}
	return ok
}

// category records whether the ticket's category, found at pos in its path
// (see categoryPos), is under one of r's categories, and reports it.
func (t *trace) category(r *compiledRule, in *Input, pos int) bool {
	switch {
	case pos < 0:
		t.not("分类 category: " + orNone(in.CategoryPath) + " 不属于 not under " + strings.Join(r.rule.Conditions.Categories, ", "))
	case pos == 0:
		t.yes("分类 category: " + in.CategoryPath[0])
	default:
		t.yes("分类 category: " + in.CategoryPath[pos] + "（下级 subtree: " + in.CategoryPath[0] + "）")
	}
	return pos >= 0
}

// member records whether the input's value of a field (type, channel, day
// type) is one the condition allows; held says whether it is.
func (t *trace) member(held bool, label, value string, allowed []string) bool {
	if held {
		t.yes(label + value)
	} else {
		t.not(label + orBlank(value) + " 不在 not in " + strings.Join(allowed, ", "))
	}
	return held
}

// words records whether any of the words ids (keywords or urgent words) is
// in the description, and returns those found, joined.
func (e *Engine) words(t *trace, ids []int32, hits bitset, label string, words []string) (string, bool) {
	if !anyHit(ids, hits) {
		t.not(label + "无命中 none of " + strings.Join(words, ", "))
		return "", false
	}
	w := e.hits(e.text, ids, hits)
	t.yes(label + w)
	return w, true
}

// regexp records whether one of r's regular expressions matches the
// description, quoting what the first that does matched.
func (t *trace) regexp(r *compiledRule, desc string) bool {
	found := r.regexpHit(desc)
	if found < 0 {
		t.not("正则 regexp: 无命中 none of " + strings.Join(r.rule.Conditions.Regexps, ", "))
		return false
	}
	t.yes("正则 regexp: " + r.rule.Conditions.Regexps[found] + " ⇒ “" + r.res[found].FindString(desc) + "”")
	return true
}

// place records whether one of the place names ids (districts or streets)
// is in the field or the address, naming which held it.
func (e *Engine) place(t *trace, ids []int32, hits bitset, in *Input, field, label, fieldName string, names []string) bool {
	if !anyHit(ids, hits) {
		t.not(label + orBlank(field) + "／地址 address " + orBlank(in.Address) + " 不含 lacks " + strings.Join(names, ", "))
		return false
	}
	t.yes(label + e.placeHit(ids, hits, field, fieldName))
	return true
}

// area records whether one of r's areas contains the ticket's point.
func (t *trace) area(r *compiledRule, p *orb.Point) bool {
	found := r.areaHit(p)
	switch {
	case found >= 0:
		t.yes(fmt.Sprintf("区域 area: %s 包含 contains (%g, %g)", areaName(r, found), p[0], p[1]))
	case p == nil:
		t.not("区域 area: 工单无坐标 ticket has no point")
	default:
		t.not(fmt.Sprintf("区域 area: (%g, %g) 不在任何区域内 outside every area", p[0], p[1]))
	}
	return found >= 0
}

// window records whether the input's time falls in r's time window.
func (t *trace) window(r *compiledRule, c *evalCtx) bool {
	inside := r.inWindow(c)
	switch {
	case inside:
		t.yes("时段 time window: " + clock(c.minute) + " 在 within " + r.rule.Conditions.TimeWindow.String())
	case !c.hasTime:
		t.not("时段 time window: 工单无时间 ticket has no time")
	default:
		t.not("时段 time window: " + clock(c.minute) + " 不在 outside " + r.rule.Conditions.TimeWindow.String())
	}
	return inside
}

// repeat records whether the caller's phone made at least n tickets in the
// last 30 days.
func (t *trace) repeat(in *Input, n int) bool {
	if in.RecentByPhone < n {
		t.not(repeatReason(in) + " < " + strconv.Itoa(n))
		return false
	}
	t.yes(repeatReason(in) + " ≥ " + strconv.Itoa(n))
	return true
}

func repeatReason(in *Input) string {
	n := strconv.Itoa(in.RecentByPhone)
	if in.RecentAtLeast {
		return "重复来电 repeat caller: 30天内至少 " + n + " 次 at least " + n + " calls in 30 days"
	}
	return "重复来电 repeat caller: 30天内 " + n + " 次 calls in 30 days"
}

func (t *trace) yes(s string) { t.why = append(t.why, s) }
func (t *trace) not(s string) { t.whyNot = append(t.whyNot, s) }

func anyHit(ids []int32, hits bitset) bool {
	for _, id := range ids {
		if hits.has(id) {
			return true
		}
	}
	return false
}

// hits joins the patterns of ids found in the text.
func (e *Engine) hits(a *automaton, ids []int32, hits bitset) string {
	var found []string
	for _, id := range ids {
		if hits.has(id) {
			found = append(found, a.patterns[id])
		}
	}
	return strings.Join(found, ", ")
}

// placeHit names the matched places and whether the field or the address
// contained them.
func (e *Engine) placeHit(ids []int32, hits bitset, field, fieldName string) string {
	var found []string
	folded := foldString(field)
	for _, id := range ids {
		if hits.has(id) {
			name := e.places.patterns[id]
			if folded != "" && strings.Contains(folded, name) {
				found = append(found, name+"（"+fieldName+"）")
			} else {
				found = append(found, name+"（地址 address）")
			}
		}
	}
	return strings.Join(found, ", ")
}

func areaName(r *compiledRule, i int) string {
	if n := r.areas[i].name; n != "" {
		return n
	}
	return "#" + strconv.Itoa(i)
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func orBlank(s string) string {
	if s == "" {
		return "（空 blank）"
	}
	return s
}

func orNone(path []string) string {
	if len(path) == 0 {
		return "（无分类 none）"
	}
	return path[0]
}
