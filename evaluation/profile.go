package evaluation

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// A Profile (考评方案) is what a centre evaluates its departments by, as data: the indicators
// with their formulas and scoring, the settings their formulas name (the weight of a "basically
// satisfied"), and the groups (分档分类) departments are ranked in, each with its own weights.
// Profiles are versioned; a new version is adopted only after a dry run over past months.
type Profile struct {
	Version    int                `json:"version"`
	NameZh     string             `json:"name_zh"`
	NameEn     string             `json:"name_en"`
	Settings   map[string]float64 `json:"settings"`
	Indicators []Indicator        `json:"indicators"`
	Groups     []Group            `json:"groups"`
}

// An Indicator is one figure: a rate (numerator / denominator, each a sum of measures over the
// tickets, visits or calls its filter keeps) or a composite (a weighted sum of other
// indicators, such as 综合). Scope says whom it measures: each department, or the centre.
type Indicator struct {
	Code        string   `json:"code"`
	NameZh      string   `json:"name_zh"`
	NameEn      string   `json:"name_en"`
	Scope       string   `json:"scope"` // "department" or "centre"
	Numerator   []Term   `json:"numerator,omitempty"`
	Denominator []Term   `json:"denominator,omitempty"`
	Parts       []Part   `json:"parts,omitempty"` // a composite's
	Filter      Filter   `json:"filter,omitzero"`
	Scoring     *Scoring `json:"scoring,omitempty"`
}

// A Term is a measure counted factor times; Setting, when named, takes the factor from the
// profile's settings (the 0.9 of 基本满意).
type Term struct {
	Measure string  `json:"measure"`
	Factor  float64 `json:"factor,omitempty"` // 1 when zero and no setting
	Setting string  `json:"setting,omitempty"`
}

// A Part of a composite: another indicator's value times a weight (or a setting's).
type Part struct {
	Indicator string  `json:"indicator"`
	Weight    float64 `json:"weight,omitempty"`
	Setting   string  `json:"setting,omitempty"`
}

// A Filter keeps the tickets of some types, channels or categories (codes); empty keeps all.
type Filter struct {
	Types      []string `json:"types,omitempty"`
	Channels   []string `json:"channels,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// Scoring turns a value (0–1) into points (0–Points):
//   - linear: 0 at or below Zero, Points at or above Full, a straight line between;
//   - thresholds: the points of the highest step whose Min the value reaches (0 below all);
//   - deduction: Points less Per for every Unit the value falls short of Full, never below 0,
//     and 0 at or below Zero.
type Scoring struct {
	Kind   string  `json:"kind"`
	Points float64 `json:"points"`
	Zero   float64 `json:"zero,omitempty"`
	Full   float64 `json:"full,omitempty"`
	Steps  []Step  `json:"steps,omitempty"`
	Per    float64 `json:"per,omitempty"`
	Unit   float64 `json:"unit,omitempty"`
}

// A Step of thresholds scoring.
type Step struct {
	Min    float64 `json:"min"`
	Points float64 `json:"points"`
}

// A Group (分档) ranks departments of some kinds (bureau, district, enterprise…) or named ones
// together, scored by its own weights of indicators' points. A department belongs to the first
// group that names it, else the first whose kinds include its kind.
type Group struct {
	Code        string             `json:"code"`
	NameZh      string             `json:"name_zh"`
	NameEn      string             `json:"name_en"`
	Kinds       []string           `json:"kinds,omitempty"`
	Departments []string           `json:"departments,omitempty"`
	Weights     map[string]float64 `json:"weights"`
}

// Scopes of an indicator.
const (
	ScopeDepartment = "department"
	ScopeCentre     = "centre"
)

// ErrProfile is a profile document that does not hold together.
var ErrProfile = errors.New("bad evaluation profile")

// ProfileError names the part of a profile that is wrong.
type ProfileError struct {
	Field string
	Msg   string
}

func (e *ProfileError) Error() string { return e.Field + ": " + e.Msg }
func (e *ProfileError) Unwrap() error { return ErrProfile }

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

var (
	ticketTypes    = []string{"consultation", "help", "complaint", "report", "suggestion", "praise"}
	ticketChannels = []string{"phone", "web", "open311", "app", "walk-in", "letter"}
	departmentKind = []string{"centre", "leadership", "bureau", "enterprise", "district", "street"}
)

// Validate checks a profile against the closed vocabulary: known measures and settings, codes
// unique, composites naming earlier indicators, scoring that makes sense, weights ≥ 0 naming
// known indicators. categoryKnown says whether a category code exists.
func (p *Profile) Validate(categoryKnown func(string) bool) error {
	bad := func(field, format string, args ...any) error {
		return &ProfileError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(p.NameZh) == "" {
		return bad("name_zh", "a profile needs a Chinese name")
	}
	for k, v := range p.Settings {
		if !codePattern.MatchString(k) || v < 0 || v > 100 {
			return bad("settings."+k, "a setting is a lowercase code with a value from 0 to 100")
		}
	}
	if len(p.Indicators) == 0 {
		return bad("indicators", "a profile needs at least one indicator")
	}
	seen := map[string]*Indicator{}
	terms := func(field string, ts []Term, scope string) error {
		if len(ts) == 0 {
			return bad(field, "needs at least one measure")
		}
		for i, t := range ts {
			m, ok := measureByCode[t.Measure]
			if !ok {
				return bad(fmt.Sprintf("%s[%d].measure", field, i), "unknown measure %q (known: %s)", t.Measure, strings.Join(MeasureCodes(), ", "))
			}
			if scope == ScopeDepartment && m.CentreOnly {
				return bad(fmt.Sprintf("%s[%d].measure", field, i), "%s is counted for the centre only", t.Measure)
			}
			if t.Setting != "" {
				if _, ok := p.Settings[t.Setting]; !ok {
					return bad(fmt.Sprintf("%s[%d].setting", field, i), "unknown setting %q", t.Setting)
				}
			}
			if t.Factor < 0 {
				return bad(fmt.Sprintf("%s[%d].factor", field, i), "a factor is not negative")
			}
		}
		return nil
	}
	for i := range p.Indicators {
		in := &p.Indicators[i]
		f := fmt.Sprintf("indicators[%d]", i)
		if !codePattern.MatchString(in.Code) {
			return bad(f+".code", "a code is lowercase letters, digits and _")
		}
		if seen[in.Code] != nil {
			return bad(f+".code", "%s is defined twice", in.Code)
		}
		if strings.TrimSpace(in.NameZh) == "" || strings.TrimSpace(in.NameEn) == "" {
			return bad(f+".name_zh", "an indicator needs its Chinese and English names")
		}
		if in.Scope != ScopeDepartment && in.Scope != ScopeCentre {
			return bad(f+".scope", "scope is department or centre")
		}
		if len(in.Parts) > 0 {
			if len(in.Numerator)+len(in.Denominator) > 0 {
				return bad(f, "an indicator is either a rate or a composite, not both")
			}
			for j, part := range in.Parts {
				ref := seen[part.Indicator]
				if ref == nil {
					return bad(fmt.Sprintf("%s.parts[%d].indicator", f, j), "%q is not an indicator defined before this one", part.Indicator)
				}
				if ref.Scope != in.Scope {
					return bad(fmt.Sprintf("%s.parts[%d].indicator", f, j), "%s measures the %s", part.Indicator, ref.Scope)
				}
				if part.Setting != "" {
					if _, ok := p.Settings[part.Setting]; !ok {
						return bad(fmt.Sprintf("%s.parts[%d].setting", f, j), "unknown setting %q", part.Setting)
					}
				} else if part.Weight <= 0 {
					return bad(fmt.Sprintf("%s.parts[%d].weight", f, j), "a part needs a positive weight or a setting")
				}
			}
		} else {
			if err := terms(f+".numerator", in.Numerator, in.Scope); err != nil {
				return err
			}
			if err := terms(f+".denominator", in.Denominator, in.Scope); err != nil {
				return err
			}
		}
		for _, v := range in.Filter.Types {
			if !slices.Contains(ticketTypes, v) {
				return bad(f+".filter.types", "unknown ticket type %q", v)
			}
		}
		for _, v := range in.Filter.Channels {
			if !slices.Contains(ticketChannels, v) {
				return bad(f+".filter.channels", "unknown channel %q", v)
			}
		}
		for _, v := range in.Filter.Categories {
			if categoryKnown != nil && !categoryKnown(v) {
				return bad(f+".filter.categories", "unknown category %q", v)
			}
		}
		if s := in.Scoring; s != nil {
			if s.Points <= 0 || s.Points > 1000 {
				return bad(f+".scoring.points", "points are more than 0 and at most 1000")
			}
			switch s.Kind {
			case "linear":
				if s.Full <= s.Zero || s.Zero < 0 || s.Full > 1 {
					return bad(f+".scoring", "linear scoring needs 0 ≤ zero < full ≤ 1")
				}
			case "thresholds":
				if len(s.Steps) == 0 {
					return bad(f+".scoring.steps", "thresholds scoring needs steps")
				}
				for j, st := range s.Steps {
					if st.Min < 0 || st.Min > 1 || st.Points < 0 || st.Points > s.Points {
						return bad(fmt.Sprintf("%s.scoring.steps[%d]", f, j), "a step's min is from 0 to 1, its points from 0 to the indicator's")
					}
				}
			case "deduction":
				if s.Per <= 0 || s.Unit <= 0 || s.Full <= 0 || s.Full > 1 || s.Zero < 0 || s.Zero >= s.Full {
					return bad(f+".scoring", "deduction scoring needs per > 0, unit > 0 and 0 ≤ zero < full ≤ 1")
				}
			default:
				return bad(f+".scoring.kind", "scoring is linear, thresholds or deduction")
			}
		}
		seen[in.Code] = in
	}
	if len(p.Groups) == 0 {
		return bad("groups", "a profile needs at least one group")
	}
	groupSeen := map[string]bool{}
	for i, g := range p.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		if !codePattern.MatchString(g.Code) || groupSeen[g.Code] {
			return bad(f+".code", "a group's code is a lowercase code, unique")
		}
		groupSeen[g.Code] = true
		if strings.TrimSpace(g.NameZh) == "" || strings.TrimSpace(g.NameEn) == "" {
			return bad(f+".name_zh", "a group needs its Chinese and English names")
		}
		for _, k := range g.Kinds {
			if !slices.Contains(departmentKind, k) {
				return bad(f+".kinds", "unknown department kind %q", k)
			}
		}
		if len(g.Weights) == 0 {
			return bad(f+".weights", "a group weighs at least one indicator")
		}
		for _, code := range slices.Sorted(maps.Keys(g.Weights)) {
			in := seen[code]
			switch {
			case in == nil:
				return bad(f+".weights."+code, "unknown indicator %q", code)
			case in.Scope != ScopeDepartment:
				return bad(f+".weights."+code, "%s measures the centre, not departments", code)
			case in.Scoring == nil:
				return bad(f+".weights."+code, "%s has no scoring to weigh", code)
			case g.Weights[code] < 0:
				return bad(f+".weights."+code, "a weight is not negative")
			}
		}
	}
	return nil
}

// Indicator returns the indicator of code.
func (p *Profile) Indicator(code string) (*Indicator, bool) {
	for i := range p.Indicators {
		if p.Indicators[i].Code == code {
			return &p.Indicators[i], true
		}
	}
	return nil, false
}

func (p *Profile) factor(factor float64, setting string) float64 {
	if setting != "" {
		return p.Settings[setting]
	}
	if factor == 0 {
		return 1
	}
	return factor
}

// Formula writes an indicator's formula in words of the language (zh or en), e.g.
// "(满意 + 0.9 × 基本满意) / 有效回访".
func (p *Profile) Formula(in *Indicator, lang string) string {
	name := func(zh, en string) string {
		if lang == "en" {
			return en
		}
		return zh
	}
	if len(in.Parts) > 0 {
		var parts []string
		for _, part := range in.Parts {
			ref, _ := p.Indicator(part.Indicator)
			parts = append(parts, fmt.Sprintf("%s × %s", trimFloat(p.factor(part.Weight, part.Setting)), name(ref.NameZh, ref.NameEn)))
		}
		return strings.Join(parts, " + ")
	}
	sum := func(ts []Term) string {
		var parts []string
		for _, t := range ts {
			m := measureByCode[t.Measure]
			s := name(m.NameZh, m.NameEn)
			if f := p.factor(t.Factor, t.Setting); f != 1 {
				s = trimFloat(f) + " × " + s
			}
			parts = append(parts, s)
		}
		if len(parts) > 1 {
			return "(" + strings.Join(parts, " + ") + ")"
		}
		return parts[0]
	}
	return sum(in.Numerator) + " / " + sum(in.Denominator)
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

// Default is the profile seeded as version 1: the indicators used in practice, Beijing's 三率
// weights (综合 = 0.1 × 响应 + 0.5 × 解决 + 0.4 × 满意, a 基本满意 counting 0.9), timeliness
// scored from 80% (0 points) to 100%, and departments, districts and enterprises (utilities)
// ranked in groups of their own, each by its 综合 score.
func Default() *Profile {
	rate := func(code, zh, en, scope string, num, den []Term, sc *Scoring) Indicator {
		return Indicator{Code: code, NameZh: zh, NameEn: en, Scope: scope, Numerator: num, Denominator: den, Scoring: sc}
	}
	m := func(codes ...string) []Term {
		var ts []Term
		for _, c := range codes {
			ts = append(ts, Term{Measure: c})
		}
		return ts
	}
	onTime := &Scoring{Kind: "linear", Points: 100, Zero: 0.8, Full: 1}
	linear := &Scoring{Kind: "linear", Points: 100, Zero: 0, Full: 1}
	dept, centre := ScopeDepartment, ScopeCentre
	weights := map[string]float64{Composite: 1}
	return &Profile{
		Version: 1, NameZh: "默认考评方案", NameEn: "Default evaluation profile",
		Settings: map[string]float64{"basically": 0.9, "response_weight": 0.1, "resolution_weight": 0.5, "satisfaction_weight": 0.4},
		Indicators: []Indicator{
			rate(OnTimeAcceptRate, "按时签收率", "On-time acceptance rate", dept, m("accepted_on_time"), m("accept_due"), onTime),
			rate(OnTimeFeedbackRate, "按时反馈率", "On-time feedback rate", dept, m("feedback_on_time"), m("feedback_due"), onTime),
			rate(OnTimeResolveRate, "按时办结率", "On-time resolution rate", dept, m("resolved_on_time"), m("resolve_due"), onTime),
			rate(CloseRate, "结案率", "Closing rate", dept, m("closed"), m("close_due"), linear),
			rate(ReturnRate, "退单率", "Return rate", dept, m("returns"), m("dispatches"), nil),
			rate(RedoRate, "重办率", "Redo rate", dept, m("reopens"), m("resolutions"), nil),
			rate(CoReplyRate, "协办答复率", "Co-handling reply rate", dept, m("co_replied"), m("co_assigned"), linear),
			rate(ResponseRate, "响应率", "Response rate", dept, m("contacted"), m("valid_visits"), linear),
			rate(ResolutionRate, "解决率", "Resolution rate", dept, m("solved"), m("valid_visits"), linear),
			rate(SatisfactionRate, "满意率", "Satisfaction rate", dept,
				[]Term{{Measure: "satisfied"}, {Measure: "basically", Setting: "basically"}}, m("valid_visits"), linear),
			{Code: Composite, NameZh: "综合", NameEn: "Composite", Scope: dept, Scoring: linear, Parts: []Part{
				{Indicator: ResponseRate, Setting: "response_weight"},
				{Indicator: ResolutionRate, Setting: "resolution_weight"},
				{Indicator: SatisfactionRate, Setting: "satisfaction_weight"},
			}},
			rate(DirectAnswerRate, "直接答复率", "Direct answer rate", centre, m("answered_directly"), m("registered"), nil),
			rate(AnswerRate, "接通率", "Answer rate", centre, m("calls_answered"), m("calls_offered"), &Scoring{Kind: "linear", Points: 100, Zero: 0.6, Full: 0.95}),
			rate(Answer15Rate, "15秒接通率", "Answered within 15 s", centre, m("calls_answered_15s"), m("calls_offered"), &Scoring{Kind: "linear", Points: 100, Zero: 0.5, Full: 0.8}),
		},
		Groups: []Group{
			{Code: "bureaus", NameZh: "市直部门", NameEn: "City bureaus", Kinds: []string{"bureau", "centre", "leadership"}, Weights: weights},
			{Code: "districts", NameZh: "区县街道", NameEn: "Districts and streets", Kinds: []string{"district", "street"}, Weights: weights},
			{Code: "utilities", NameZh: "公共服务企业", NameEn: "Utilities", Kinds: []string{"enterprise"}, Weights: weights},
		},
	}
}
