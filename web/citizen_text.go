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

// citizenBodies are the public events whose text is written for the citizen: what they were
// told, the result, the reason of an extension and their own rating. Other public events show
// only what happened: their text is staff's (a dispatcher's note, a visit note, a reason to
// reopen) and may name other people.
var citizenBodies = map[string]bool{
	string(tickets.ActFeedback): true, string(tickets.ActResolve): true, string(tickets.ActAnswer): true,
	string(tickets.ActExtend): true, "rated": true,
}

// intakeEventHead is what a public timeline entry says happened, as the citizen reads it; the
// department a dispatch went to (eventDept) and what staff wrote for the citizen (eventBody)
// follow it on the page as they were written.
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
	case tickets.ActCalendar:
		return pick("办结时限已按国家法定节假日安排调整", "The resolution deadline was adjusted to the official holidays")
	case "rated":
		return pick("市民评价", "Your rating")
	case tickets.KindMerge:
		// In the citizen's own terms: the other ticket and its citizen are never named.
		return tr(lang, "track.event.merge")
	case tickets.KindFollowMaster:
		return tr(lang, "track.event.followed")
	case tickets.KindUnmerge:
		return tr(lang, "track.event.unmerge")
	}
	return intakeStatus(lang, tickets.Status(ev.ToStatus))
}

// intakeEventBody is what staff wrote on a public timeline entry, when it was written for the
// citizen (citizenBodies); "" otherwise.
func intakeEventBody(ev tickets.Event) string {
	if citizenBodies[ev.Kind] {
		return ev.Body
	}
	return ""
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
