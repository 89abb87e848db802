// Package tickets is the ticket core: numbering, the status machine of the closed loop
// (受理 → 派单 → 签收 → 反馈 → 办结 → 回访 → 结案) and the service whose every action writes the
// ticket's change and its timeline event in one transaction.
package tickets

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hotline-city/hotline/internal/org"
)

// Status is where a ticket stands.
type Status string

// Statuses, as the contract names them.
const (
	StatusNone       Status = ""           // before registration
	StatusRegistered Status = "registered" // 受理, not yet dispatched
	StatusDispatched Status = "dispatched" // 已派单
	StatusAccepted   Status = "accepted"   // 已签收
	StatusReturned   Status = "returned"   // 已退单, waiting for the centre's review
	StatusResolved   Status = "resolved"   // 已办结
	StatusClosed     Status = "closed"     // 已结案
)

// Statuses lists every status in the loop's order.
var Statuses = []Status{StatusRegistered, StatusDispatched, StatusAccepted, StatusReturned, StatusResolved, StatusClosed}

// Action is something a person or the system does to a ticket.
type Action string

// Actions.
const (
	ActRegister Action = "register" // 受理
	ActDispatch Action = "dispatch" // 派单 (or 改派 from returned)
	ActAccept   Action = "accept"   // 签收
	ActReturn   Action = "return"   // 退单
	ActFeedback Action = "feedback" // 首次反馈: the department contacted the citizen
	ActNote     Action = "note"     // an internal note
	ActCoReply  Action = "co_reply" // a co-handling department's (协办) reply
	ActResolve  Action = "resolve"  // 办结
	ActClose    Action = "close"    // 结案
	ActReopen   Action = "reopen"   // 重办
	ActAnswer   Action = "answer"   // 直接答复: a consultation answered at once
	// ActVisit (回访) records that the return visit of the current resolution was done: the
	// citizen rated it online, or the centre reached them. It is not a button of its own (not
	// in Actions): the rating and the visit records take it.
	ActVisit Action = "visit"
)

// Actions lists every action.
var Actions = []Action{ActRegister, ActDispatch, ActAccept, ActReturn, ActFeedback, ActNote, ActCoReply, ActResolve, ActClose, ActReopen, ActAnswer}

// Errors of the ticket domain; the edges map them to HTTP statuses, SIP codes and exit codes.
var (
	ErrNotFound   = errors.New("ticket not found")
	ErrTransition = errors.New("action not allowed in this status")
	ErrForbidden  = errors.New("not allowed for this role")
	ErrConflict   = errors.New("ticket was changed by someone else")
	ErrInvalid    = errors.New("invalid input")
	// ErrMerged refuses an action on a ticket merged into another (并单); it is a transition
	// error, so the edges answer it as one.
	ErrMerged = fmt.Errorf("ticket is merged into another: %w", ErrTransition)
)

type rule struct {
	from  []Status
	to    Status // StatusNone: the status stays
	roles org.RoleSet
	// public actions appear on the citizen's timeline; internal ones only for staff.
	public bool
}

var (
	centre   = org.Centre
	dept     = org.DepartmentStaff
	allStaff = org.StaffRoles
	open     = []Status{StatusRegistered, StatusDispatched, StatusAccepted, StatusReturned, StatusResolved, StatusClosed}
)

// machine is the whole status machine as a table: action → rule.
var machine = map[Action]rule{
	ActRegister: {[]Status{StatusNone}, StatusRegistered, append(slices.Clone(centre), org.RoleCitizen, org.RoleSystem), true},
	ActAnswer:   {[]Status{StatusRegistered}, StatusClosed, org.CallTakers, true},
	ActDispatch: {[]Status{StatusRegistered, StatusReturned}, StatusDispatched, append(slices.Clone(centre), org.RoleSystem), true},
	ActAccept:   {[]Status{StatusDispatched}, StatusAccepted, dept, true},
	ActReturn:   {[]Status{StatusDispatched, StatusAccepted}, StatusReturned, dept, false},
	ActFeedback: {[]Status{StatusAccepted}, StatusNone, dept, true},
	ActNote:     {open, StatusNone, allStaff, false},
	ActCoReply:  {[]Status{StatusDispatched, StatusAccepted}, StatusNone, dept, false},
	ActResolve:  {[]Status{StatusAccepted}, StatusResolved, dept, true},
	ActClose:    {[]Status{StatusResolved}, StatusClosed, append(slices.Clone(centre), org.RoleSystem), true},
	ActReopen:   {[]Status{StatusResolved, StatusClosed}, StatusDispatched, append(slices.Clone(centre), org.RoleCitizen, org.RoleSystem), true},
	ActVisit:    {[]Status{StatusResolved, StatusClosed}, StatusNone, append(slices.Clone(centre), org.RoleCitizen, org.RoleSystem), false},
}

// Next returns the status after action a by role r from status s. Role is checked first, so
// a role that may never take an action learns so whatever the status.
func Next(s Status, a Action, r org.Role) (Status, error) {
	rl, ok := machine[a]
	if !ok {
		return s, fmt.Errorf("unknown action %q: %w", a, ErrTransition)
	}
	if !slices.Contains(rl.roles, r) {
		return s, fmt.Errorf("%s may not %s: %w", r, a, ErrForbidden)
	}
	if !slices.Contains(rl.from, s) {
		return s, fmt.Errorf("cannot %s a ticket that is %s: %w", a, statusName(s), ErrTransition)
	}
	if rl.to == StatusNone {
		return s, nil
	}
	return rl.to, nil
}

// Public reports whether action a's event is shown to the citizen.
func Public(a Action) bool { return machine[a].public }

// Allowed lists the actions role r may take on a ticket in status s, for showing buttons.
func Allowed(s Status, r org.Role) []Action {
	var out []Action
	for _, a := range Actions {
		if _, err := Next(s, a, r); err == nil {
			out = append(out, a)
		}
	}
	return out
}

func statusName(s Status) string {
	if s == StatusNone {
		return "not registered"
	}
	return string(s)
}

// StatusZh is the Chinese name of a status, as the UI shows it.
func StatusZh(s Status) string {
	switch s {
	case StatusRegistered:
		return "已受理"
	case StatusDispatched:
		return "已派单"
	case StatusAccepted:
		return "已签收"
	case StatusReturned:
		return "已退单"
	case StatusResolved:
		return "已办结"
	case StatusClosed:
		return "已结案"
	}
	return string(s)
}
