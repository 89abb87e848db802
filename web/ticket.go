package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// ticketsPage is the ticket search.
type ticketsPage struct {
	Tickets []*ticketView
	Status  string
	Query   string
	Pager   *pager
	Search  *searchForm // the search form and saved searches (ticket_search.go)
	// Centre says the reader dispatches (batch.go): the batch bar offers dispatch, else accept.
	Centre bool
}

func (s *Server) getTicketsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	q := fields(r.URL.Query())
	if n := q.get("number"); n != "" {
		http.Redirect(w, r, "/tickets/"+url.PathEscape(n), http.StatusSeeOther)
		return
	}
	form, err := s.searchFormFor(ctx, r, st)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	data := ticketsPage{Status: q.get("status"), Query: r.URL.RawQuery, Search: form, Centre: org.Centre.Has(st.Role)}
	f, err := s.ticketFilter(ctx, st, q)
	var p *tickets.Page
	if err == nil {
		if f.Limit == 0 || f.Limit > pageSize {
			f.Limit = pageSize
		}
		p, err = s.Tickets.ListPage(ctx, actorFrom(ctx), f)
	}
	if err != nil {
		status, _ := errorStatus(err)
		if isOutage(err) || status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		if status != http.StatusBadRequest {
			s.refuseErr(w, r, status, err)
			return
		}
		// Bad input: the form again, saying what to mend in the reader's language.
		form.Error = errorText(pageLang(r), err)
		s.renderStaffStatus(w, r, status, "staff/tickets.html", data)
		return
	}
	data.Pager = newPager(r.URL, p, f.OrderBy == "due" && !f.Desc)
	data.Pager.Sorted = sortedText(pageLang(r), f)
	for i := range p.Tickets {
		data.Tickets = append(data.Tickets, s.viewTicket(st, &p.Tickets[i]))
	}
	s.renderStaff(w, r, "staff/tickets.html", data)
}

// ticketPage is everything about one ticket.
type ticketPage struct {
	T           *ticketView
	Events      []tickets.Event
	Deadlines   []deadlineChange
	Departments []org.Department
	Profiles    []org.Profile
	Error       string
	Done        string
	Revealed    string
	// Photos are the pictures the citizen sent with the request (intake), served at
	// /tickets/{number}/photos/{id}.
	Photos []intake.PhotoMeta
	// Routing is what routing recorded on the timeline, by event id.
	Routing map[int64]*routingNote
	// Esc is the ticket's extension requests and supervision notices (escalation_pages.go).
	Esc *ticketEscalation
	// Master is the number of the ticket this one is merged into (并单), Merged the tickets
	// merged into this one; CanUnmerge offers undoing the merge.
	Master     string
	Merged     []tickets.Ticket
	CanUnmerge bool
	// Recordings are the recordings of the calls linked to the ticket that the reader may
	// hear (recordings.go).
	Recordings []ticketRecording
	// CanCall offers the handler the "call the citizen" button (outcall.go).
	CanCall bool
}

// ResultTypes are the resolve form's choices.
func (p *ticketPage) ResultTypes() []string { return tickets.ResultTypes }

// ContactMethods are the resolve form's choices of how the citizen was reached.
func (p *ticketPage) ContactMethods() []string { return tickets.ContactMethods }

func (s *Server) ticketPageData(ctx context.Context, number string) (*ticketPage, error) {
	t, err := s.loadTicket(ctx, number)
	if err != nil {
		return nil, err
	}
	st := staffFrom(ctx)
	p := &ticketPage{T: s.viewTicket(st, t)}
	if p.Events, err = s.Tickets.Events(ctx, t.ID, true); err != nil {
		return nil, err
	}
	p.Deadlines = deadlineHistory(p.Events)
	if p.Master, err = s.Tickets.MasterNumber(ctx, t); err != nil {
		return nil, err
	}
	p.CanUnmerge = p.Master != "" && canUnmerge(st)
	if p.Merged, err = s.Tickets.Merged(ctx, t.ID); err != nil {
		return nil, err
	}
	if p.T.Attachments, err = s.Tickets.Attachments(ctx, t.ID); err != nil {
		return nil, err
	}
	if p.Photos, err = s.Intake.Service.Photos(ctx, t.ID); err != nil {
		return nil, err
	}
	deps, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	p.Routing = routingNotes(p.Events, deps)
	if p.Recordings, err = s.ticketRecordings(ctx, t.ID); err != nil {
		return nil, err
	}
	calls, err := s.ticketCallRecordings(ctx, t)
	if err != nil {
		return nil, err
	}
	p.Recordings, p.CanCall = append(p.Recordings, calls...), s.canCallCitizen(st, t)
	if p.Esc, err = s.ticketEscalation(ctx, t); err != nil {
		return nil, err
	}
	if slices.Contains(p.T.Actions, tickets.ActDispatch) || slices.Contains(p.T.Actions, tickets.ActReopen) {
		p.Departments = activeDepartments(deps)
		if p.Profiles, err = s.Org.Profiles(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Server) getTicketPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.ticketPageData(r.Context(), r.PathValue("number"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p.Done = r.URL.Query().Get("done")
	s.renderStaff(w, r, "staff/ticket.html", p)
}

// pageError shows a ticket error as a page with the matching status.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	s.refuseErr(w, r, status, err)
}

// pageActions are the actions the ticket page's forms post, by the last part of their path.
var pageActions = map[string]tickets.Action{
	"dispatch": tickets.ActDispatch, "accept": tickets.ActAccept, "return": tickets.ActReturn,
	"feedback": tickets.ActFeedback, "notes": tickets.ActNote, "co-reply": tickets.ActCoReply,
	"resolve": tickets.ActResolve, "close": tickets.ActClose, "reopen": tickets.ActReopen, "answer": tickets.ActAnswer,
}

func (s *Server) postTicketPageAction(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := r.PathValue("number")
	a, ok := pageActions[r.PathValue("action")]
	if !ok {
		s.refuse(w, r, http.StatusNotFound, "no such action")
		return
	}
	// A file refused is shown on the ticket page like any other bad input.
	f, files, err := readActionFields(w, r, a)
	if f == nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	if _, err := s.loadTicket(ctx, number); err != nil {
		s.pageError(w, r, err)
		return
	}
	if err == nil {
		_, err = s.doActionFiles(ctx, a, number, f, files)
	}
	if err != nil {
		s.ticketRefused(w, r, number, err)
		return
	}
	s.publishLive(r.Context(), "tickets")
	http.Redirect(w, r, "/tickets/"+url.PathEscape(number)+"?done="+string(a), http.StatusSeeOther)
}

// ticketRefused shows the ticket's page again with why an action on it was refused, in the
// reader's language and with the refusal's status; a failure that is no refusal is a 500/503.
func (s *Server) ticketRefused(w http.ResponseWriter, r *http.Request, number string, err error) {
	status, _ := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	p, perr := s.ticketPageData(r.Context(), number)
	if perr != nil {
		s.pageError(w, r, perr)
		return
	}
	p.Error = errorText(langOf(r), err)
	s.renderStaffStatus(w, r, status, "staff/ticket.html", p)
}

func (s *Server) postTicketReveal(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := r.PathValue("number")
	phone, err := s.revealPhone(ctx, number, r.PostFormValue("reason"))
	var bf *badField
	if err != nil && !errors.As(err, &bf) {
		s.pageError(w, r, err)
		return
	}
	p, perr := s.ticketPageData(ctx, number)
	if perr != nil {
		s.pageError(w, r, perr)
		return
	}
	if err != nil {
		p.Error = errorText(langOf(r), err)
		s.renderStaffStatus(w, r, http.StatusBadRequest, "staff/ticket.html", p)
		return
	}
	p.Revealed = phone
	s.renderStaff(w, r, "staff/ticket.html", p)
}

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
