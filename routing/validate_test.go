package routing

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := testRule(5, Conditions{})
	if ps := valid.Validate(); ps != nil {
		t.Fatalf("valid rule: %v", ps)
	}
	openRing := Geometry{Type: "Polygon", Coordinates: []byte(`[[[0,0],[1,0],[1,1],[0,1]]]`)}
	tests := []struct {
		name   string
		edit   func(r *Rule)
		fields []string // the fields of the problems, in order
		msg    string   // a substring of the first problem's message
	}{
		{"empty name", func(r *Rule) { r.Name = " " }, []string{"name"}, "empty name"},
		{"negative version", func(r *Rule) { r.Version = -1 }, []string{"version"}, "negative"},
		{"empty lead", func(r *Rule) { r.Action.Lead = "" }, []string{"action.lead"}, "empty lead unit"},
		{"hold without lead is fine", func(r *Rule) { r.Action = Action{Hold: true} }, nil, ""},
		{"malformed lead", func(r *Rule) { r.Action.Lead = "Urban Bureau" }, []string{"action.lead"}, "malformed"},
		{"lead also co-handler", func(r *Rule) { r.Action.CoHandlers = []string{"housing", "urban"} }, []string{"action.co_handlers"}, "also a co-handler"},
		{"duplicate co-handler", func(r *Rule) { r.Action.CoHandlers = []string{"housing", "housing"} }, []string{"action.co_handlers[1]"}, "duplicate"},
		{"bad priority", func(r *Rule) { r.Action.Priority = "high" }, []string{"action.priority"}, `unknown priority "high"`},
		{"bad profile", func(r *Rule) { r.Action.Profile = "Fast!" }, []string{"action.profile"}, "malformed"},
		{"bad transfer", func(r *Rule) { r.Action.Transfer = "122" }, []string{"action.transfer"}, "110, 119 or 120"},
		{"unknown type", func(r *Rule) { r.Conditions.Types = []string{"complaint", "moan"} }, []string{"conditions.types[1]"}, `unknown ticket type "moan"`},
		{"unknown channel", func(r *Rule) { r.Conditions.Channels = []string{"fax"} }, []string{"conditions.channels[0]"}, "unknown channel"},
		{"unknown day type", func(r *Rule) { r.Conditions.DayTypes = []string{"friday"} }, []string{"conditions.day_types[0]"}, "unknown day type"},
		{"malformed category", func(r *Rule) { r.Conditions.Categories = []string{"噪声"} }, []string{"conditions.categories[0]"}, "malformed category"},
		{"blank keyword", func(r *Rule) { r.Conditions.Keywords = []string{"欠薪", " "} }, []string{"conditions.keywords[1]"}, "blank"},
		{"blank urgent word", func(r *Rule) { r.Conditions.UrgentWords = []string{""} }, []string{"conditions.urgent_words[0]"}, "blank"},
		{"blank district", func(r *Rule) { r.Conditions.Districts = []string{""} }, []string{"conditions.districts[0]"}, "blank"},
		{"blank street", func(r *Rule) { r.Conditions.Streets = []string{"\t"} }, []string{"conditions.streets[0]"}, "blank"},
		{"bad regexp", func(r *Rule) { r.Conditions.Regexps = []string{`ok`, `拖欠(工资`} }, []string{"conditions.regexps[1]"}, "missing closing )"},
		{"empty regexp", func(r *Rule) { r.Conditions.Regexps = []string{""} }, []string{"conditions.regexps[0]"}, "empty"},
		{"open ring", func(r *Rule) { r.Conditions.Areas = []Area{{Geometry: openRing}} }, []string{"conditions.areas[0]"}, "not closed"},
		{"short ring", func(r *Rule) {
			r.Conditions.Areas = []Area{{Geometry: PolygonGeometry(orb.Polygon{{{0, 0}, {1, 1}, {0, 0}}})}}
		}, []string{"conditions.areas[0]"}, "at least 4"},
		{"flat ring", func(r *Rule) {
			r.Conditions.Areas = []Area{{Geometry: PolygonGeometry(orb.Polygon{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}})}}
		}, []string{"conditions.areas[0]"}, "zero area"},
		{"out of range", func(r *Rule) {
			r.Conditions.Areas = []Area{{Geometry: PolygonGeometry(orb.Polygon{square(116, 39, 200, 40)})}}
		}, []string{"conditions.areas[0]"}, "outside longitude/latitude"},
		{"point geometry", func(r *Rule) {
			r.Conditions.Areas = []Area{{Geometry: Geometry{Type: "Point", Coordinates: []byte(`[1,2]`)}}}
		}, []string{"conditions.areas[0]"}, "want Polygon or MultiPolygon"},
		{"garbled coordinates", func(r *Rule) {
			r.Conditions.Areas = []Area{{Geometry: Geometry{Type: "MultiPolygon", Coordinates: []byte(`[[1,2]]`)}}}
		}, []string{"conditions.areas[0]"}, "coordinates"},
		{"empty multipolygon", func(r *Rule) {
			r.Conditions.Areas = []Area{{Geometry: MultiPolygonGeometry(orb.MultiPolygon{})}}
		}, []string{"conditions.areas[0]"}, "without polygons"},
		{"missing coordinates", func(r *Rule) { r.Conditions.Areas = []Area{{Geometry: Geometry{Type: "Polygon"}}} }, []string{"conditions.areas[0]"}, "no coordinates"},
		{"window format", func(r *Rule) { r.Conditions.TimeWindow = &TimeWindow{"22", "06:00"} }, []string{"conditions.time_window"}, "not HH:MM"},
		{"window hour", func(r *Rule) { r.Conditions.TimeWindow = &TimeWindow{"25:00", "06:00"} }, []string{"conditions.time_window"}, "not a time of day"},
		{"window 24:00 as start", func(r *Rule) { r.Conditions.TimeWindow = &TimeWindow{"24:00", "06:00"} }, []string{"conditions.time_window"}, "not a time of day"},
		{"window minutes", func(r *Rule) { r.Conditions.TimeWindow = &TimeWindow{"22:00", "06:60"} }, []string{"conditions.time_window"}, "not HH:MM"},
		{"empty window", func(r *Rule) { r.Conditions.TimeWindow = &TimeWindow{"08:00", "08:00"} }, []string{"conditions.time_window"}, "empty window"},
		{"negative repeat", func(r *Rule) { r.Conditions.MinRecentByPhone = -2 }, []string{"conditions.min_recent_by_phone"}, "negative"},
		{"many at once", func(r *Rule) {
			r.Action.Lead = ""
			r.Conditions.Regexps = []string{"("}
			r.Conditions.Types = []string{"x"}
			r.Conditions.TimeWindow = &TimeWindow{"x", "y"}
		}, []string{"conditions.types[0]", "conditions.regexps[0]", "conditions.time_window", "action.lead"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := testRule(5, Conditions{})
			tt.edit(&r)
			ps := r.Validate()
			var fields []string
			for _, p := range ps {
				fields = append(fields, p.Field)
				if p.RuleID != 5 || p.Rule != r.Name {
					t.Errorf("problem %+v does not name the rule", p)
				}
			}
			if strings.Join(fields, " ") != strings.Join(tt.fields, " ") {
				t.Fatalf("fields %q, want %q (%v)", fields, tt.fields, ps)
			}
			if tt.msg != "" && !strings.Contains(ps[0].Message, tt.msg) {
				t.Errorf("message %q lacks %q", ps[0].Message, tt.msg)
			}
			if len(ps) > 0 {
				if _, err := NewEngine([]Rule{r}); err == nil {
					t.Error("NewEngine accepted the invalid rule")
				}
			}
		})
	}
}

func TestValidateWithCatalogue(t *testing.T) {
	t.Parallel()
	cat := &Catalogue{
		Categories:  map[string]bool{"noise": true, "road-damage": true},
		Departments: map[string]bool{"housing": true, "urban": true},
		Profiles:    map[string]bool{"standard": true, "urgent": true},
	}
	r := testRule(1, Conditions{Categories: []string{"noise", "no-such-category"}})
	r.Action = Action{Lead: "nobody", CoHandlers: []string{"housing", "ghost"}, Profile: "slow"}
	var fields []string
	for _, p := range r.ValidateWith(cat) {
		fields = append(fields, p.Field+": "+p.Message)
	}
	want := []string{
		`conditions.categories[1]: unknown category "no-such-category"`,
		`action.lead: unknown department "nobody"`,
		`action.co_handlers[1]: unknown department "ghost"`,
		`action.profile: unknown deadline profile "slow"`,
	}
	if strings.Join(fields, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(fields, "\n"), strings.Join(want, "\n"))
	}
	if ps := r.Validate(); ps != nil {
		t.Errorf("without a catalogue: %v", ps)
	}
	dup := ValidateRules([]Rule{testRule(1, Conditions{}), testRule(1, Conditions{})}, nil)
	if len(dup) != 1 || dup[0].Field != "id" {
		t.Errorf("duplicate ids: %v", dup)
	}
}
