package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/textsearch"
	"github.com/hotline-city/hotline/tickets"
)

// ticketView is a ticket as the staff API and pages show it: the phone masked for roles that do
// not need it, the clock state, and what the viewer may do next.
type ticketView struct {
	*tickets.Ticket
	PhoneMasked bool `json:"phone_masked"`
	// Withheld says the contact details are kept from this reader (a confidential ticket).
	Withheld bool             `json:"contact_withheld,omitempty"`
	Clock    string           `json:"clock"`
	DueKind  string           `json:"due_kind,omitempty"`
	Due      *time.Time       `json:"due,omitempty"`
	Actions  []tickets.Action `json:"actions"`
	Events   []tickets.Event  `json:"events,omitempty"`
	// Attachments are the files departments sent with their results and feedback.
	Attachments []tickets.Attachment `json:"attachments,omitempty"`
	// Master is the number of the ticket this one is merged into (并单), when it is.
	Master string `json:"master,omitempty"`
}

// viewTicket prepares t for st.
func (s *Server) viewTicket(st *org.Staff, t *tickets.Ticket) *ticketView {
	c := *t
	v := &ticketView{Ticket: &c, Clock: clockState(t, s.Clock.Now())}
	v.DueKind, v.Due = dueOf(t)
	if !org.SeePhone.Has(st.Role) && c.CallerPhone != "" {
		c.CallerPhone, v.PhoneMasked = tickets.MaskPhone(c.CallerPhone), true
	}
	// A confidential ticket (保密) shows no contact details outside the centre, not even masked.
	if c.Confidential && !org.Centre.Has(st.Role) {
		c.CallerName, c.CallerPhone, c.CallerEmail, v.Withheld = "", "", "", true
	}
	v.Actions = actionsFor(st, t)
	return v
}

// actionsFor is what st may do to t now: the status machine's answer, narrowed to what a
// co-handling department may do when st's department is not the lead.
func actionsFor(st *org.Staff, t *tickets.Ticket) []tickets.Action {
	acts := tickets.Allowed(t.Status, org.Role(st.Role))
	if t.Merged() {
		// A merged ticket (并单) follows its master: notes only, until it is unmerged.
		acts = slices.DeleteFunc(acts, func(a tickets.Action) bool { return a != tickets.ActNote })
	}
	if !org.DepartmentStaff.Has(st.Role) {
		return acts
	}
	lead := t.DepartmentID != nil && *t.DepartmentID == st.DepartmentID
	co := false
	for _, c := range t.CoHandlers {
		co = co || c.DepartmentID == st.DepartmentID
	}
	var out []tickets.Action
	for _, a := range acts {
		switch {
		case a == tickets.ActCoReply && co:
			out = append(out, a)
		case a == tickets.ActNote && (lead || co):
			out = append(out, a)
		case lead && a != tickets.ActCoReply:
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	d, _ := s.Org.DepartmentByID(r.Context(), st.DepartmentID)
	writeJSON(w, http.StatusOK, map[string]any{"staff": st, "department": d})
}

func (s *Server) getTokens(w http.ResponseWriter, r *http.Request) {
	rows, err := s.Accounts.Tokens(r.Context(), staffFrom(r.Context()).ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": rows})
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "id: must be a whole number", "field": "id"})
		return
	}
	st := staffFrom(r.Context())
	owner := st.ID // an administrator may revoke anyone's token
	if st.Role == org.RoleAdmin {
		owner = 0
	}
	if err := s.Accounts.RevokeToken(r.Context(), nil, owner, id); err != nil {
		s.apiError(w, r, err)
		return
	}
	s.auditAfter(r.Context(), st, "token_revoked", "api_token", fmt.Sprint(id), nil)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": id})
}

// phoneQuery is a phone number to look tickets up by: the full number, or its last four digits.
var phoneQuery = regexp.MustCompile(`^\+?[0-9]{4,20}$`)

// ticketFilter reads a list's filter from the query (the search of GET /api/v1/tickets and
// of the /tickets page; README's Ticket search lists the parameters). Every parameter is
// checked, and bad input names its field. Department staff never filter beyond their own
// department: the tickets service adds that to the query whatever is asked.
func (s *Server) ticketFilter(ctx context.Context, st *org.Staff, q fields) (tickets.Filter, error) {
	var f tickets.Filter
	for _, v := range q.list("status") {
		if !slices.Contains(tickets.Statuses, tickets.Status(v)) {
			return f, &badField{"status", fmt.Sprintf("unknown status %q", v)}
		}
		f.Statuses = append(f.Statuses, tickets.Status(v))
	}
	if code := q.get("department"); code != "" {
		d, err := s.Org.Department(ctx, code)
		if err != nil {
			if isOutage(err) {
				return f, err
			}
			return f, &badField{"department", "no such department"}
		}
		f.DepartmentID = d.ID
	}
	if code := q.get("category"); code != "" {
		c, err := s.Org.Category(ctx, code)
		if err != nil {
			if isOutage(err) {
				return f, err
			}
			return f, &badField{"category", "no such category"}
		}
		f.CategoryID = c.ID
	}
	if v := q.get("type"); v != "" {
		if !slices.Contains(tickets.Types, v) {
			return f, &badField{"type", "not a type of ticket"}
		}
		f.Type = v
	}
	if v := q.get("channel"); v != "" {
		if !slices.Contains(tickets.Channels, v) {
			return f, &badField{"channel", "not a channel"}
		}
		f.Channel = v
	}
	switch v := q.get("clock"); v {
	case "", tickets.ClockOverdue, tickets.ClockDueSoon:
		f.Clock = v
	default:
		return f, &badField{"clock", "must be overdue or due-soon"}
	}
	if words := q.get("q"); words != "" {
		if _, err := textsearch.Parse(words); errors.Is(err, textsearch.ErrTooLong) {
			return f, &badField{"q", msgQTooLong}
		} else if err != nil {
			return f, &badField{"q", msgQEmpty}
		}
		f.Words = strings.Fields(words)
	}
	if p := q.get("phone"); p != "" {
		// Looking tickets up by phone number is for the roles that see numbers anyway.
		if !org.SeePhone.Has(st.Role) {
			return f, fmt.Errorf("searching by phone number: %w", tickets.ErrForbidden)
		}
		p = strings.NewReplacer(" ", "", "-", "").Replace(p)
		if !phoneQuery.MatchString(p) {
			return f, &badField{"phone", "a full phone number or its last four digits"}
		}
		f.Phone = p
	}
	if v := q.get("handler"); v != "" {
		h, err := s.Org.Staff(ctx, v)
		if err != nil {
			if isOutage(err) {
				return f, err
			}
			return f, &badField{"handler", "no such staff member"}
		}
		f.HandlerID = h.ID
	}
	var err error
	if f.From, err = s.dateParam(q, "from"); err != nil {
		return f, err
	}
	if f.To, err = s.dateParam(q, "to"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // to is the last day, inclusive
		if !f.From.IsZero() && !f.From.Before(f.To) {
			return f, &badField{"to", "must not be before from"}
		}
	}
	if f.Limit, err = q.int("limit"); err != nil {
		return f, err
	}
	if f.Offset, err = q.int("offset"); err != nil {
		return f, err
	}
	f.After = q.get("after")
	if f.Limit < 0 || f.Offset < 0 {
		return f, &badField{"limit", "must not be negative"}
	}
	o := q.get("order")
	f.Desc = strings.HasPrefix(o, "-")
	switch strings.TrimPrefix(o, "-") {
	case "new":
		if f.Desc {
			return f, &badField{"order", msgOrder}
		}
	case "":
		f.Desc = false
	case "due", "created", "number":
		f.OrderBy = strings.TrimPrefix(o, "-")
	default:
		return f, &badField{"order", msgOrder}
	}
	return f, nil
}

// The search's field errors that the catalogue words in both languages (i18n_search.go).
var (
	msgQTooLong = fmt.Sprintf("at most %d characters and %d words", textsearch.MaxQueryRunes, textsearch.MaxWords)
	msgQEmpty   = "no words to look for: Chinese characters, letters or digits"
	msgOrder    = "must be due, created or number, each with - for descending, or new"
)

// dateParam reads the date k (YYYY-MM-DD, the start of that day in the centre's zone), or the
// zero time when absent.
func (s *Server) dateParam(q fields, k string) (time.Time, error) {
	v := q.get(k)
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, s.location())
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return time.Time{}, &badField{k, "must be a date like 2027-01-01"}
	}
	return d, nil
}

func (s *Server) getTickets(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	q, err := queryOrBody(w, r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f, err := s.ticketFilter(ctx, st, q)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	p, err := s.Tickets.ListPage(ctx, actorFrom(ctx), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := make([]*ticketView, len(p.Tickets))
	for i := range p.Tickets {
		out[i] = s.viewTicket(st, &p.Tickets[i])
	}
	// next is the cursor of the next page (pass it as after); total_at_least says total is a
	// lower bound, for a filter matching more than tickets.CountCap that the counters cannot count.
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out, "total": p.Total, "next": p.Next, "total_at_least": p.TotalAtLeast})
}

// registerInput reads a new ticket from fields.
func registerInput(f fields) (tickets.RegisterInput, error) {
	in := tickets.RegisterInput{
		Type: f.get("type"), Channel: f.get("channel"), Category: f.get("category"), Title: f.get("title"),
		Description: f.get("description"), Address: f.get("address"), District: f.get("district"), Street: f.get("street"),
		CallerName: f.get("caller_name"), CallerPhone: f.get("caller_phone"), CallerEmail: f.get("caller_email"),
		Priority: f.get("priority"),
		// 保密 and 匿名: an anonymous caller gives no name, and is kept confidential.
		Confidential: checked(f, "confidential") || checked(f, "anonymous"),
		NoReply:      f.get("reply_wanted") == "false" || f.get("reply_wanted") == "0",
	}
	if checked(f, "anonymous") {
		in.CallerName = ""
	}
	if in.Channel == "" {
		in.Channel = "phone"
	}
	// The call the ticket was registered during (screen pop), kept on its first timeline entry.
	if id := f.get("call_id"); id != "" {
		in.Data = map[string]any{"call_id": id}
	}
	var err error
	if in.Lat, err = f.float("lat"); err != nil {
		return in, err
	}
	if in.Lon, err = f.float("lon"); err != nil {
		return in, err
	}
	return in, nil
}

// registerTicket registers a ticket from fields. With an article (or an answer) it answers the
// consultation in the same transaction (直接答复); with a department it dispatches by hand.
func (s *Server) registerTicket(ctx context.Context, st *org.Staff, f fields) (*tickets.Ticket, error) {
	in, err := registerInput(f)
	if err != nil {
		return nil, err
	}
	actor := tickets.ActorFor(st)
	var answer *tickets.ActInput
	if code, text := f.get("article"), f.get("answer"); code != "" || text != "" {
		a, err := s.answerInput(ctx, code, text)
		if err != nil {
			return nil, err
		}
		answer = &a
	}
	dept := f.get("department")
	if answer != nil && dept != "" {
		return nil, &badField{"department", "a ticket answered at once is not dispatched"}
	}
	// An agent who answers the ticket or picks its department settles it: no rule routes it.
	in.Unrouted = answer != nil || dept != ""
	t, err := s.Tickets.RegisterTx(ctx, actor, in, func(ctx context.Context, tx bun.Tx, t *tickets.Ticket) error {
		var err error
		switch {
		case answer != nil:
			_, err = s.Tickets.AnswerTx(ctx, tx, actor, t.Number, *answer)
		case dept != "":
			_, err = s.Tickets.DispatchTx(ctx, tx, actor, t.Number, tickets.DispatchInput{Department: dept, CoHandlers: f.list("co_handlers")})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Tickets.Get(ctx, t.Number)
}

func (s *Server) postTicket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	st := staffFrom(ctx)
	t, err := s.registerTicket(ctx, st, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.publishLive(r.Context(), "tickets")
	writeJSON(w, http.StatusCreated, s.viewTicket(st, t))
}

// loadTicket reads a ticket the signed-in account may see.
func (s *Server) loadTicket(ctx context.Context, number string) (*tickets.Ticket, error) {
	return s.Tickets.GetFor(ctx, actorFrom(ctx), number)
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.loadTicket(ctx, r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	v := s.viewTicket(staffFrom(ctx), t)
	if v.Events, err = s.Tickets.Events(ctx, t.ID, true); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Attachments, err = s.Tickets.Attachments(ctx, t.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Master, err = s.Tickets.MasterNumber(ctx, t); err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// actInput reads the common part of an action. The text may come as text, or under the name
// the action gives it (reason, result, answer, reply, note).
func actInput(f fields) (tickets.ActInput, error) {
	var in tickets.ActInput
	var err error
	if in.Version, err = f.int("version"); err != nil {
		return in, err
	}
	in.ResultType, in.ContactMethod = f.get("result_type"), f.get("contact_method")
	for _, k := range []string{"text", "reason", "result", "answer", "reply", "note"} {
		if v := f.get(k); v != "" {
			in.Text = v
			break
		}
	}
	// Attachments are files, sent as multipart/form-data; a list of names would record files
	// nobody can open. (A browser sends an empty value when no file was chosen.)
	if len(f.list("attachments")) > 0 {
		return in, &badField{"attachments", "send the files themselves as multipart/form-data"}
	}
	return in, nil
}

// doActionFiles is doAction with the files sent with a resolve or a feedback.
func (s *Server) doActionFiles(ctx context.Context, a tickets.Action, number string, f fields, files []tickets.File) (*tickets.Ticket, error) {
	in, err := actInput(f)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 && !tickets.Attachable(a) {
		return nil, &badField{"attachments", fmt.Sprintf("%s takes no files", a)}
	}
	in.Files = files
	actor := actorFrom(ctx)
	svc := s.Tickets
	switch a {
	case tickets.ActDispatch:
		if f.get("department") == "" {
			return nil, &badField{"department", "is required"}
		}
		return svc.Dispatch(ctx, actor, number, tickets.DispatchInput{ActInput: in, Department: f.get("department"),
			CoHandlers: f.list("co_handlers"), Profile: f.get("profile"), Priority: f.get("priority")})
	case tickets.ActAccept:
		return svc.Accept(ctx, actor, number, in)
	case tickets.ActReturn:
		return svc.Return(ctx, actor, number, in)
	case tickets.ActFeedback:
		return svc.Feedback(ctx, actor, number, in)
	case tickets.ActNote:
		return svc.Note(ctx, actor, number, in)
	case tickets.ActCoReply:
		return svc.CoReply(ctx, actor, number, in)
	case tickets.ActResolve:
		return svc.Resolve(ctx, actor, number, in)
	case tickets.ActClose:
		return svc.Close(ctx, actor, number, in)
	case tickets.ActReopen:
		return svc.Reopen(ctx, actor, number, in)
	case tickets.ActAnswer:
		ans, err := s.answerInput(ctx, f.get("article"), in.Text)
		if err != nil {
			return nil, err
		}
		ans.Version = in.Version
		return svc.Answer(ctx, actor, number, ans)
	}
	return nil, fmt.Errorf("unknown action %q: %w", a, tickets.ErrTransition)
}

// ticketAction is the API handler of one action on a ticket.
func (s *Server) ticketAction(a tickets.Action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f, files, err := readActionFields(w, r, a)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		number := r.PathValue("number")
		// Department staff learn nothing about another department's ticket, not even its status.
		if _, err := s.loadTicket(ctx, number); err != nil {
			s.apiError(w, r, err)
			return
		}
		if _, err := s.doActionFiles(ctx, a, number, f, files); err != nil {
			s.apiError(w, r, err)
			return
		}
		s.publishLive(r.Context(), "tickets")
		t, err := s.Tickets.Get(ctx, number)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.viewTicket(staffFrom(ctx), t))
	}
}

// readActionFields reads an action's fields and, for resolve and feedback, the files sent with
// it (multipart field "attachments").
func readActionFields(w http.ResponseWriter, r *http.Request, a tickets.Action) (fields, []tickets.File, error) {
	limit := int64(maxBody)
	if tickets.Attachable(a) {
		limit = maxAttachBody
	}
	f, err := readFieldsLimit(w, r, limit)
	if err != nil {
		if tickets.Attachable(a) {
			return nil, nil, &badField{"attachments", err.Error()}
		}
		return nil, nil, &badField{"body", err.Error()}
	}
	files, err := readUploads(r)
	return f, files, err
}

// revealPhone shows st the caller's full number of ticket number and writes why on the
// ticket's internal timeline, in one transaction: no number is shown without its entry.
func (s *Server) revealPhone(ctx context.Context, number, reason string) (string, error) {
	st := staffFrom(ctx)
	phone, err := s.Tickets.RevealPhone(ctx, tickets.ActorFor(st), number, reason)
	if err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "phone number revealed", "ticket_no", number, "username", st.Username)
	return phone, nil
}

func (s *Server) postRevealPhone(w http.ResponseWriter, r *http.Request) {
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	reason := f.get("reason")
	if reason == "" {
		reason = f.get("text")
	}
	phone, err := s.revealPhone(r.Context(), r.PathValue("number"), reason)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"caller_phone": phone})
}

func (s *Server) getCallerTickets(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.apiError(w, r, &badField{"phone", err.Error()})
		return
	}
	if f.get("phone") == "" {
		s.apiError(w, r, &badField{"phone", "is required"})
		return
	}
	ts, err := s.callerTickets(ctx, f.get("phone"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	st := staffFrom(ctx)
	out := make([]*ticketView, len(ts))
	for i := range ts {
		out[i] = s.viewTicket(st, &ts[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": out})
}

// callerTickets are the caller's earlier tickets, newest first.
func (s *Server) callerTickets(ctx context.Context, phone string) ([]tickets.Ticket, error) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return nil, nil
	}
	return s.Tickets.List(ctx, actorFrom(ctx), tickets.Filter{Phone: phone, Limit: 20})
}

func (s *Server) getDepartments(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Org.Departments(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": ds})
}

func (s *Server) getCategories(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Org.Categories(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": cs})
}

func (s *Server) getKB(w http.ResponseWriter, r *http.Request) {
	// An empty or too long query is bad input (400), named by its field.
	as, err := s.KB.Search(r.Context(), r.URL.Query().Get("q"), r.URL.Query().Get("category"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"articles": as})
}

func (s *Server) getDeptStats(w http.ResponseWriter, r *http.Request) {
	rows, err := s.Tickets.DepartmentCounts(r.Context(), actorFrom(r.Context()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": rows, "at": s.Clock.Now()})
}
