// Package routing decides where a ticket (工单) goes: the dispatch rules
// (派单规则) that send it to a lead unit (主办) with optional co-handling
// units (协办), and a naive Bayes classifier that suggests a department when
// no rule matches.
//
// The package is pure: rules are plain data (stored as jsonb by the caller),
// an Engine compiles a rule set once and then decides tickets without I/O,
// and a Classifier is trained from labelled examples and serialised as JSON.
package routing

import (
	"fmt"
	"strconv"
	"strings"
)

// Ticket types (诉求类型) a rule may require; the values of Input.Type.
const (
	TypeConsultation = "consultation" // 咨询
	TypeHelp         = "help"         // 求助
	TypeComplaint    = "complaint"    // 投诉
	TypeReport       = "report"       // 举报
	TypeSuggestion   = "suggestion"   // 建议
	TypePraise       = "praise"       // 表扬
)

// Channels (受理渠道) a ticket may arrive by; the values of Input.Channel.
const (
	ChannelPhone   = "phone"
	ChannelWeb     = "web"
	ChannelOpen311 = "open311"
	ChannelApp     = "app"
)

// Day types of the moment a ticket was registered; the values of
// Input.DayType. The caller derives them from the working calendar, where an
// adjusted working weekend day (调休) counts as a workday.
const (
	DayWorkday = "workday"
	DayWeekend = "weekend"
	DayHoliday = "holiday"
)

// Priorities of a dispatched ticket; the values of Action.Priority.
const (
	PriorityNormal = "normal"
	PriorityUrgent = "urgent"
)

// Emergency numbers an urgent rule may ask the agent to transfer the caller
// to (一键转接): police, fire and ambulance.
const (
	TransferPolice    = "110"
	TransferFire      = "119"
	TransferAmbulance = "120"
)

var (
	ticketTypes = []string{TypeConsultation, TypeHelp, TypeComplaint, TypeReport, TypeSuggestion, TypePraise}
	channels    = []string{ChannelPhone, ChannelWeb, ChannelOpen311, ChannelApp}
	dayTypes    = []string{DayWorkday, DayWeekend, DayHoliday}
)

// Rule is one dispatch rule (派单规则) of the dispatch catalogue.
//
// Rules are tried in ascending Priority: a lower number is tried first, and
// rules of equal Priority are tried in ascending ID. The first enabled rule
// whose conditions all hold decides the ticket.
type Rule struct {
	ID         int64      `json:"id"`
	Version    int        `json:"version"`
	Name       string     `json:"name"`
	Priority   int        `json:"priority"`
	Enabled    bool       `json:"enabled"`
	Conditions Conditions `json:"conditions"`
	Action     Action     `json:"action"`
}

// Conditions are what a ticket must satisfy for a rule to match. Every field
// is optional; an empty field imposes nothing. The non-empty fields are
// combined with AND, and the entries of one list with OR. A rule without any
// condition matches every ticket.
type Conditions struct {
	// Categories are category codes; a code matches itself and its whole
	// subtree, because the input carries the category's path to the root.
	Categories []string `json:"categories,omitempty"`
	// Types are ticket types (TypeConsultation…).
	Types []string `json:"types,omitempty"`
	// Channels are intake channels (ChannelPhone…).
	Channels []string `json:"channels,omitempty"`
	// Keywords match as substrings of the description; Latin letters match
	// regardless of case and of full or half width.
	Keywords []string `json:"keywords,omitempty"`
	// Regexps are Go (RE2) regular expressions matched against the
	// description as written.
	Regexps []string `json:"regexps,omitempty"`
	// Districts are district names (区), matched when the ticket's district
	// field contains one or the address text does.
	Districts []string `json:"districts,omitempty"`
	// Streets are street or subdistrict names (街道), matched when the
	// ticket's street field contains one or the address text does.
	Streets []string `json:"streets,omitempty"`
	// Areas are polygons the ticket's point must lie inside.
	Areas []Area `json:"areas,omitempty"`
	// TimeWindow limits the local time of day of the ticket.
	TimeWindow *TimeWindow `json:"time_window,omitempty"`
	// DayTypes limit the day type (DayWorkday…) of the ticket's time.
	DayTypes []string `json:"day_types,omitempty"`
	// MinRecentByPhone, when positive, requires the caller's phone to have
	// made at least that many tickets in the last 30 days.
	MinRecentByPhone int `json:"min_recent_by_phone,omitempty"`
	// UrgentWords match like Keywords; a rule matched through them marks
	// the decision urgent and prompts the agent to transfer the caller to
	// the rule's Action.Transfer number.
	UrgentWords []string `json:"urgent_words,omitempty"`
}

// TimeWindow is a half-open window [From, To) of local time of day written
// "HH:MM". A window whose To is not after From crosses midnight, so
// {"22:00", "06:00"} holds from 22:00 in the evening until 05:59 the next
// morning. To may be "24:00".
type TimeWindow struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Action is what a matching rule does with the ticket.
type Action struct {
	// Lead is the code of the lead unit (主办单位); required unless Hold.
	Lead string `json:"lead,omitempty"`
	// CoHandlers are codes of co-handling units (协办单位).
	CoHandlers []string `json:"co_handlers,omitempty"`
	// Priority is PriorityNormal (the default when empty) or PriorityUrgent.
	Priority string `json:"priority,omitempty"`
	// Profile is the code of the deadline profile (时限方案); empty means
	// the category's own profile.
	Profile string `json:"profile,omitempty"`
	// Hold keeps the ticket at the centre for manual dispatch by a
	// dispatcher. Lead, if also given, is shown as a suggestion.
	Hold bool `json:"hold,omitempty"`
	// Transfer is the emergency number ("110", "119" or "120") the agent is
	// prompted to transfer the caller to.
	Transfer string `json:"transfer,omitempty"`
	// Prompt replaces the generated prompt shown to the agent when the
	// decision is urgent.
	Prompt string `json:"prompt,omitempty"`
}

// minutes returns the window's bounds in minutes after midnight.
func (w TimeWindow) minutes() (from, to int, err error) {
	if from, err = parseClock(w.From, false); err != nil {
		return 0, 0, fmt.Errorf("from: %w", err)
	}
	if to, err = parseClock(w.To, true); err != nil {
		return 0, 0, fmt.Errorf("to: %w", err)
	}
	if from == to {
		return 0, 0, fmt.Errorf("empty window %s", w)
	}
	return from, to, nil
}

// windowContains reports whether minute m of the day lies inside [from, to).
func windowContains(from, to, m int) bool {
	if from < to {
		return from <= m && m < to
	}
	return m >= from || m < to
}

func parseClock(s string, allow24 bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if hh == 24 && mm == 0 && allow24 {
		return 24 * 60, nil
	}
	if hh > 23 {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return hh*60 + mm, nil
}

// String returns the window as "HH:MM–HH:MM".
func (w TimeWindow) String() string { return w.From + "–" + w.To }
