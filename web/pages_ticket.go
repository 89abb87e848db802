package web

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/hotline-city/hotline/tickets"
)

// deadlineChange is one deadline set by one timeline event: the history of a ticket's clocks
// (dispatch sets them, a reopening or an extension moves them).
type deadlineChange struct {
	At    time.Time
	Kind  string // accept, feedback, resolve, callback
	Due   time.Time
	Event string
	Actor string
}

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
			if strings.HasSuffix(k, "_due") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, ok := data[k].(string)
			if !ok {
				continue
			}
			due, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				continue
			}
			out = append(out, deadlineChange{At: ev.At, Kind: strings.TrimSuffix(k, "_due"), Due: due, Event: ev.Kind, Actor: ev.ActorName})
		}
	}
	return out
}
