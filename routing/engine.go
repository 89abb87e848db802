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
			if e.eval(&e.rules[rank], &c, nil) {
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
			rt.Matched = e.eval(r, &c, &t)
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
	e.eval(r, c, &t)
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

// trace collects the reasons of one rule's evaluation. A nil *trace makes
// eval stop at the first failing condition and build no strings.
type trace struct {
	why        []string
	whyNot     []string
	urgentWord string
}

// eval reports whether all of r's conditions hold for the input. With a
// trace it evaluates every condition and records why each held or not.
func (e *Engine) eval(r *compiledRule, c *evalCtx, t *trace) bool {
	ok := true
	in := c.in
	if len(r.cats) > 0 {
		pos := -1
	path:
		for i, id := range c.sc.cats {
			for _, want := range r.cats {
				if id == want {
					pos = c.sc.catPos[i]
					break path
				}
			}
		}
		if pos < 0 {
			if t == nil {
				return false
			}
			ok = false
			t.not("分类 category: " + orNone(in.CategoryPath) + " 不属于 not under " + strings.Join(r.rule.Conditions.Categories, ", "))
		} else if t != nil {
			if pos == 0 {
				t.yes("分类 category: " + in.CategoryPath[0])
			} else {
				t.yes("分类 category: " + in.CategoryPath[pos] + "（下级 subtree: " + in.CategoryPath[0] + "）")
			}
		}
	}
	if r.types != 0 {
		if r.types&c.typ == 0 {
			if t == nil {
				return false
			}
			ok = false
			t.not("类型 type: " + orBlank(in.Type) + " 不在 not in " + strings.Join(r.rule.Conditions.Types, ", "))
		} else if t != nil {
			t.yes("类型 type: " + in.Type)
		}
	}
	if r.channels != 0 {
		if r.channels&c.channel == 0 {
			if t == nil {
				return false
			}
			ok = false
			t.not("渠道 channel: " + orBlank(in.Channel) + " 不在 not in " + strings.Join(r.rule.Conditions.Channels, ", "))
		} else if t != nil {
			t.yes("渠道 channel: " + in.Channel)
		}
	}
	if len(r.keywords) > 0 {
		if !anyHit(r.keywords, c.sc.text) {
			if t == nil {
				return false
			}
			ok = false
			t.not("关键词 keyword: 无命中 none of " + strings.Join(r.rule.Conditions.Keywords, ", "))
		} else if t != nil {
			t.yes("关键词 keyword: " + e.hits(e.text, r.keywords, c.sc.text))
		}
	}
	if len(r.urgent) > 0 {
		if !anyHit(r.urgent, c.sc.text) {
			if t == nil {
				return false
			}
			ok = false
			t.not("紧急词 urgent word: 无命中 none of " + strings.Join(r.rule.Conditions.UrgentWords, ", "))
		} else if t != nil {
			w := e.hits(e.text, r.urgent, c.sc.text)
			t.urgentWord = w
			t.yes("紧急词 urgent word: " + w)
		}
	}
	if len(r.res) > 0 {
		found := -1
		for i, re := range r.res {
			if re.MatchString(in.Description) {
				found = i
				break
			}
		}
		if found < 0 {
			if t == nil {
				return false
			}
			ok = false
			t.not("正则 regexp: 无命中 none of " + strings.Join(r.rule.Conditions.Regexps, ", "))
		} else if t != nil {
			t.yes("正则 regexp: " + r.rule.Conditions.Regexps[found] + " ⇒ “" + r.res[found].FindString(in.Description) + "”")
		}
	}
	if len(r.districts) > 0 {
		if !anyHit(r.districts, c.sc.district) {
			if t == nil {
				return false
			}
			ok = false
			t.not("区 district: " + orBlank(in.District) + "／地址 address " + orBlank(in.Address) + " 不含 lacks " + strings.Join(r.rule.Conditions.Districts, ", "))
		} else if t != nil {
			t.yes("区 district: " + e.placeHit(r.districts, c.sc.district, in.District, "区字段 district field"))
		}
	}
	if len(r.streets) > 0 {
		if !anyHit(r.streets, c.sc.street) {
			if t == nil {
				return false
			}
			ok = false
			t.not("街道 street: " + orBlank(in.Street) + "／地址 address " + orBlank(in.Address) + " 不含 lacks " + strings.Join(r.rule.Conditions.Streets, ", "))
		} else if t != nil {
			t.yes("街道 street: " + e.placeHit(r.streets, c.sc.street, in.Street, "街道字段 street field"))
		}
	}
	if len(r.areas) > 0 {
		found := -1
		if in.Point != nil {
			for i := range r.areas {
				if r.areas[i].contains(*in.Point) {
					found = i
					break
				}
			}
		}
		switch {
		case found >= 0:
			if t != nil {
				t.yes(fmt.Sprintf("区域 area: %s 包含 contains (%g, %g)", areaName(r, found), in.Point[0], in.Point[1]))
			}
		case t == nil:
			return false
		case in.Point == nil:
			ok = false
			t.not("区域 area: 工单无坐标 ticket has no point")
		default:
			ok = false
			t.not(fmt.Sprintf("区域 area: (%g, %g) 不在任何区域内 outside every area", in.Point[0], in.Point[1]))
		}
	}
	if r.window {
		switch inside := c.hasTime && windowContains(r.from, r.to, c.minute); {
		case inside:
			if t != nil {
				t.yes("时段 time window: " + clock(c.minute) + " 在 within " + r.rule.Conditions.TimeWindow.String())
			}
		case t == nil:
			return false
		case !c.hasTime:
			ok = false
			t.not("时段 time window: 工单无时间 ticket has no time")
		default:
			ok = false
			t.not("时段 time window: " + clock(c.minute) + " 不在 outside " + r.rule.Conditions.TimeWindow.String())
		}
	}
	if r.days != 0 {
		if r.days&c.day == 0 {
			if t == nil {
				return false
			}
			ok = false
			t.not("日期类型 day type: " + orBlank(in.DayType) + " 不在 not in " + strings.Join(r.rule.Conditions.DayTypes, ", "))
		} else if t != nil {
			t.yes("日期类型 day type: " + in.DayType)
		}
	}
	if n := r.rule.Conditions.MinRecentByPhone; n > 0 {
		if in.RecentByPhone < n {
			if t == nil {
				return false
			}
			ok = false
			t.not(repeatReason(in) + " < " + strconv.Itoa(n))
		} else if t != nil {
			t.yes(repeatReason(in) + " ≥ " + strconv.Itoa(n))
		}
	}
	if t != nil && r.catchAll {
		t.yes("无条件 no conditions: 兜底规则 catch-all rule")
	}
	return ok
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
