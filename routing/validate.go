package routing

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Problem is one thing wrong with a rule, naming the rule and the field.
type Problem struct {
	RuleID  int64  `json:"rule_id"`
	Rule    string `json:"rule"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error formats the problem as `rule 12 "name": field: message`.
func (p Problem) Error() string {
	return fmt.Sprintf("rule %d %q: %s: %s", p.RuleID, p.Rule, p.Field, p.Message)
}

// ValidationError is returned by NewEngine for a rule set with problems.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem, one per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "routing: %d problem(s) in rules", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Catalogue lists the codes a rule may refer to, so that ValidateWith can
// reject unknown categories, departments and deadline profiles. A nil map
// skips that check.
type Catalogue struct {
	Categories  map[string]bool
	Departments map[string]bool
	Profiles    map[string]bool
}

// Validate returns every problem of the rule on its own: a missing name or
// lead unit, unknown ticket types, channels, day types, priorities or
// transfer numbers, malformed codes, blank keywords, regular expressions that
// do not compile, bad polygons and bad time windows. It returns nil for a
// valid rule.
func (r Rule) Validate() []Problem { return r.ValidateWith(nil) }

// ValidateWith is Validate that also checks the codes the rule refers to
// against cat, when cat is not nil.
func (r Rule) ValidateWith(cat *Catalogue) []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{RuleID: r.ID, Rule: r.Name, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Name) == "" {
		add("name", "empty name")
	}
	if r.Version < 0 {
		add("version", "negative version %d", r.Version)
	}
	c := r.Conditions
	checkCodes := func(field string, codes []string, known map[string]bool, what string) {
		seen := map[string]bool{}
		for i, code := range codes {
			f := fmt.Sprintf("%s[%d]", field, i)
			switch {
			case !validCode(code):
				add(f, "malformed %s code %q", what, code)
			case cat != nil && known != nil && !known[code]:
				add(f, "unknown %s %q", what, code)
			case seen[code]:
				add(f, "duplicate %s %q", what, code)
			}
			seen[code] = true
		}
	}
	var catCategories, catDepartments, catProfiles map[string]bool
	if cat != nil {
		catCategories, catDepartments, catProfiles = cat.Categories, cat.Departments, cat.Profiles
	}
	checkCodes("conditions.categories", c.Categories, catCategories, "category")
	checkEnum := func(field string, vals, allowed []string, what string) {
		for i, v := range vals {
			if !slices.Contains(allowed, v) {
				add(fmt.Sprintf("%s[%d]", field, i), "unknown %s %q, want one of %s", what, v, strings.Join(allowed, ", "))
			}
		}
	}
	checkEnum("conditions.types", c.Types, ticketTypes, "ticket type")
	checkEnum("conditions.channels", c.Channels, channels, "channel")
	checkEnum("conditions.day_types", c.DayTypes, dayTypes, "day type")
	checkWords := func(field string, words []string) {
		for i, w := range words {
			if strings.TrimSpace(w) == "" {
				add(fmt.Sprintf("%s[%d]", field, i), "blank entry")
			}
		}
	}
	checkWords("conditions.keywords", c.Keywords)
	checkWords("conditions.urgent_words", c.UrgentWords)
	checkWords("conditions.districts", c.Districts)
	checkWords("conditions.streets", c.Streets)
	for i, re := range c.Regexps {
		f := fmt.Sprintf("conditions.regexps[%d]", i)
		if re == "" {
			add(f, "empty regular expression")
		} else if _, err := regexp.Compile(re); err != nil {
			add(f, "%v", err)
		}
	}
	for i, a := range c.Areas {
		if _, err := a.Geometry.Orb(); err != nil {
			add(fmt.Sprintf("conditions.areas[%d]", i), "%v", err)
		}
	}
	if c.TimeWindow != nil {
		if _, _, err := c.TimeWindow.minutes(); err != nil {
			add("conditions.time_window", "%v", err)
		}
	}
	if c.MinRecentByPhone < 0 {
		add("conditions.min_recent_by_phone", "negative count %d", c.MinRecentByPhone)
	}

	a := r.Action
	switch {
	case a.Lead == "" && !a.Hold:
		add("action.lead", "empty lead unit and not held for manual dispatch")
	case a.Lead != "" && !validCode(a.Lead):
		add("action.lead", "malformed department code %q", a.Lead)
	case a.Lead != "" && cat != nil && catDepartments != nil && !catDepartments[a.Lead]:
		add("action.lead", "unknown department %q", a.Lead)
	}
	checkCodes("action.co_handlers", a.CoHandlers, catDepartments, "department")
	if a.Lead != "" && slices.Contains(a.CoHandlers, a.Lead) {
		add("action.co_handlers", "lead unit %q is also a co-handler", a.Lead)
	}
	if a.Priority != "" && a.Priority != PriorityNormal && a.Priority != PriorityUrgent {
		add("action.priority", "unknown priority %q, want %s or %s", a.Priority, PriorityNormal, PriorityUrgent)
	}
	if a.Profile != "" {
		switch {
		case !validCode(a.Profile):
			add("action.profile", "malformed profile code %q", a.Profile)
		case cat != nil && catProfiles != nil && !catProfiles[a.Profile]:
			add("action.profile", "unknown deadline profile %q", a.Profile)
		}
	}
	switch a.Transfer {
	case "", TransferPolice, TransferFire, TransferAmbulance:
	default:
		add("action.transfer", "unknown emergency number %q, want 110, 119 or 120", a.Transfer)
	}
	return ps
}

// ValidateRules validates every rule with ValidateWith and also reports
// rule IDs used more than once.
func ValidateRules(rules []Rule, cat *Catalogue) []Problem {
	var ps []Problem
	seen := map[int64]bool{}
	for _, r := range rules {
		ps = append(ps, r.ValidateWith(cat)...)
		if r.ID != 0 && seen[r.ID] {
			ps = append(ps, Problem{RuleID: r.ID, Rule: r.Name, Field: "id", Message: fmt.Sprintf("duplicate rule id %d", r.ID)})
		}
		seen[r.ID] = true
	}
	return ps
}

// validCode reports whether s looks like a catalogue code: lower-case ASCII
// letters, digits, '-' and '_', starting with a letter or digit.
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}
