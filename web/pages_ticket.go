package web

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// deadlineChange is one deadline set by one timeline event: the history of a ticket's clocks
// (dispatch sets them, a reopening or an extension moves them).
type deadlineChange struct {
	At    time.Time
	Kind  string // accept, feedback, resolve, callback
	Due   time.Time
	From  *time.Time // the deadline an extension moved
	Event string
	Actor string
}

// deadlineKinds are the ticket's clocks, whose "<kind>_due" an event records when it sets
// them; other "_due" keys (the deadline an extension request proposes) set nothing.
var deadlineKinds = []string{"accept", "feedback", "resolve", "callback"}

// deadlineHistory reads every "<kind>_due" an event recorded, oldest first.
func deadlineHistory(evs []tickets.Event) []deadlineChange {
	var out []deadlineChange
	for _, ev := range evs {
		var data map[string]any
		if json.Unmarshal(ev.Data, &data) != nil {
			continue
		}
		var keys []string
		for k := range data {
			if kind, ok := strings.CutSuffix(k, "_due"); ok && slices.Contains(deadlineKinds, kind) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			due, ok := timeField(data, k)
			if !ok {
				continue
			}
			c := deadlineChange{At: ev.At, Kind: strings.TrimSuffix(k, "_due"), Due: due, Event: ev.Kind, Actor: ev.ActorName}
			if from, ok := timeField(data, "extended_from"); ok && k == "resolve_due" {
				c.From = &from
			}
			out = append(out, c)
		}
	}
	return out
}

// timeField reads an RFC 3339 time an event's data holds under k.
func timeField(data map[string]any, k string) (time.Time, bool) {
	v, ok := data[k].(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// routingNote is what routing recorded on a timeline event, made readable: the rule that
// dispatched the ticket (name and version), its reasons, and, for a ticket left in the
// centre's queue, the classifier's suggested departments.
type routingNote struct {
	RuleID      int64
	RuleVersion int
	RuleName    string
	Why         []string
	Queue       bool
	Suggestions []deptSuggestion
	ModelID     int64
}

// routingEventData is the union of the fields routing writes on a dispatch event (rule_*,
// why) and on a routing event (decision, suggestions, model_id).
type routingEventData struct {
	RuleID      int64                `json:"rule_id"`
	RuleVersion int                  `json:"rule_version"`
	RuleName    string               `json:"rule_name"`
	Why         []string             `json:"why"`
	Decision    json.RawMessage      `json:"decision"`
	Suggestions []routing.Suggestion `json:"suggestions"`
	ModelID     int64                `json:"model_id"`
}

// routingNotes reads routing's data from the events, keyed by event id; events without any
// have no entry. depts names the suggested departments.
func routingNotes(evs []tickets.Event, depts []org.Department) map[int64]*routingNote {
	out := map[int64]*routingNote{}
	for _, ev := range evs {
		if len(ev.Data) == 0 || (ev.Kind != routing.KindRouting && ev.Kind != string(tickets.ActDispatch)) {
			continue
		}
		var d routingEventData
		if json.Unmarshal(ev.Data, &d) != nil {
			continue
		}
		n := &routingNote{RuleID: d.RuleID, RuleVersion: d.RuleVersion, RuleName: d.RuleName, Why: d.Why, ModelID: d.ModelID}
		// The decision is an object on routing events and a sentence on dispatch events.
		var dec routing.Decision
		if len(d.Decision) > 0 && d.Decision[0] == '{' && json.Unmarshal(d.Decision, &dec) == nil {
			n.RuleID, n.RuleVersion, n.RuleName, n.Why, n.Queue = dec.RuleID, dec.RuleVersion, dec.RuleName, dec.Why, dec.Queue
		}
		for _, g := range d.Suggestions {
			ds := deptSuggestion{Suggestion: g}
			for i := range depts {
				if depts[i].Code == g.Department {
					ds.Dept = &depts[i]
				}
			}
			n.Suggestions = append(n.Suggestions, ds)
		}
		if n.RuleID == 0 && n.RuleName == "" && len(n.Suggestions) == 0 && !n.Queue {
			continue // a person's dispatch: nothing from routing
		}
		out[ev.ID] = n
	}
	return out
}
