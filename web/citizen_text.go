package web

import (
	"encoding/json"

	"github.com/hotline-city/hotline/tickets"
)

func intakeStatus(lang string, st tickets.Status) string {
	if lang == "en" {
		switch st {
		case tickets.StatusRegistered:
			return "registered"
		case tickets.StatusDispatched:
			return "dispatched"
		case tickets.StatusAccepted:
			return "accepted by the department"
		case tickets.StatusReturned:
			return "under review"
		case tickets.StatusResolved:
			return "resolved"
		case tickets.StatusClosed:
			return "closed"
		}
		return string(st)
	}
	if st == tickets.StatusReturned {
		// A return (退单) is the centre's internal review; the citizen sees it is being re-routed.
		return "重新派单中"
	}
	return tickets.StatusZh(st)
}

// intakeEventHead is what a public timeline entry says happened, as the citizen reads it; the
// department a dispatch went to (eventDept) and what staff wrote (the event's body) follow it
// on the page as they were written.
func intakeEventHead(lang string, ev tickets.Event) string {
	zh := lang != "en"
	pick := func(z, e string) string {
		if zh {
			return z
		}
		return e
	}
	switch tickets.Action(ev.Kind) {
	case tickets.ActRegister:
		return pick("已受理", "Registered")
	case tickets.ActDispatch:
		if intakeEventDept(ev) != "" {
			return pick("已派单至", "Dispatched to")
		}
		return pick("已派单", "Dispatched")
	case tickets.ActAccept:
		return pick("承办单位已签收", "Accepted by the department")
	case tickets.ActFeedback:
		return pick("承办单位已联系您", "The department contacted you")
	case tickets.ActResolve:
		return pick("已办结", "Resolved")
	case tickets.ActClose:
		return pick("已结案", "Closed")
	case tickets.ActReopen:
		return pick("重办", "Reopened")
	case tickets.ActAnswer:
		return pick("已答复", "Answered")
	case "rated":
		return pick("市民评价", "Your rating")
	}
	return intakeStatus(lang, tickets.Status(ev.ToStatus))
}

// intakeEventDept is the name of the department a dispatch event sent the ticket to, as the
// event recorded it, or "".
func intakeEventDept(ev tickets.Event) string {
	if tickets.Action(ev.Kind) != tickets.ActDispatch {
		return ""
	}
	var d struct {
		Name string `json:"department_name"`
	}
	json.Unmarshal(ev.Data, &d)
	return d.Name
}
