package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// routesPages lists the staff pages: the agent console, the handler workbench, the supervisor
// board, ticket search and the ticket page.
func (s *Server) routesPages() {
	s.addNav("/console", "受理台", "Agent console", 10, rolesCentre...)
	s.addNav("/workbench", "承办工作台", "Workbench", 20, rolesDept...)
	s.addNav("/board", "督办看板", "Supervisor board", 30, rolesBoard...)
	s.addNav("/tickets", "工单查询", "Tickets", 50)
	s.addNav("/admin", "系统管理", "Administration", 90, rolesAdmin...)

	s.handleStaff("GET /console", rolesCentre, s.getConsole)
	s.handleStaff("POST /console/tickets", rolesCentre, s.postConsoleTicket)
	s.handleStaff("GET /console/side", rolesCentre, s.getConsoleSide)
	s.handleStaff("GET /console/kb", rolesCentre, s.getConsoleKB)
	s.handleStaff("GET /workbench", rolesDept, s.getWorkbench)
	s.handleStaff("GET /board", rolesBoard, s.getBoard)
	s.handleStaff("GET /board/counts", rolesBoard, s.getBoardCounts)
	s.handleStaff("GET /board/events", rolesBoard, s.getLiveEvents)
	s.handleStaff("GET /tickets", nil, s.getTicketsPage)
	s.handleStaff("GET /tickets/{number}", nil, s.getTicketPage)
	s.handleStaff("POST /tickets/{number}/reveal-phone", nil, s.postTicketReveal)
	s.handleStaff("POST /tickets/{number}/{action}", nil, s.postTicketPageAction)
	s.handleStaff("GET /export/{list}", nil, s.getExport)
}

// consolePage is the agent console: the form being filled in, and what goes beside it.
type consolePage struct {
	Form        url.Values
	Error       string
	ErrorField  string
	Categories  []org.Category
	Departments []org.Department
	Types       []string
	Recent      []tickets.Ticket
}

func (s *Server) consoleData(ctx context.Context, form url.Values) (*consolePage, error) {
	cats, err := s.Org.Categories(ctx)
	if err != nil {
		return nil, err
	}
	deps, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	recent, err := s.Tickets.List(ctx, actorFrom(ctx), tickets.Filter{Limit: 8})
	if err != nil {
		return nil, err
	}
	if form == nil {
		form = url.Values{}
	}
	return &consolePage{Form: form, Categories: cats, Departments: activeDepartments(deps), Types: tickets.Types, Recent: recent}, nil
}

func activeDepartments(ds []org.Department) []org.Department {
	out := ds[:0:0]
	for _, d := range ds {
		if d.Active && d.Kind != "centre" && d.Kind != "leadership" {
			out = append(out, d)
		}
	}
	return out
}

func (s *Server) getConsole(w http.ResponseWriter, r *http.Request) {
	form := url.Values{}
	// A screen pop (calls area) opens the console with the caller's number filled in.
	for _, k := range []string{"caller_phone", "caller_name", "call_id"} {
		if v := r.URL.Query().Get(k); v != "" {
			form.Set(k, v)
		}
	}
	data, err := s.consoleData(r.Context(), form)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderStaff(w, r, "staff/console.html", data)
}

func (s *Server) postConsoleTicket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if f.get("mode") != "answer" {
		delete(f, "article")
		delete(f, "answer")
	}
	if f.get("mode") != "dispatch" {
		delete(f, "department")
	}
	master := f.get("merge_into")
	if master != "" && f.get("mode") == "answer" {
		err = &badField{"merge_into", "a consultation answered at once is closed and cannot be merged into another ticket"}
	}
	var t *tickets.Ticket
	if err == nil {
		t, err = s.registerTicket(ctx, staffFrom(ctx), f)
	}
	if err != nil {
		status, body := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		// Everything typed stays in the form: nothing the caller said is lost.
		data, derr := s.consoleData(ctx, url.Values(f))
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		data.Error, data.ErrorField = body["error"], body["field"]
		s.renderStaffStatus(w, r, status, "staff/console.html", data)
		return
	}
	s.staff().live.publish("tickets")
	if master != "" {
		// The agent picked a duplicate candidate: the new ticket is merged (并单) into it through
		// the same service call as POST /api/v1/tickets/{number}/merge. The ticket is registered
		// whatever happens here, so a refused merge is shown on its page, not lost in the form.
		if _, err := s.Tickets.Merge(ctx, actorFrom(ctx), t.Number, master, "受理时并单 merged at registration"); err != nil {
			status, body := errorStatus(err)
			if status == http.StatusInternalServerError {
				s.serverError(w, r, err)
				return
			}
			p, perr := s.ticketPageData(ctx, t.Number)
			if perr != nil {
				s.pageError(w, r, perr)
				return
			}
			p.Error = "工单已受理，但未能并入 " + master + "：" + body["error"]
			s.renderStaffStatus(w, r, status, "staff/ticket.html", p)
			return
		}
	}
	http.Redirect(w, r, "/tickets/"+t.Number+"?done=register", http.StatusSeeOther)
}

// consoleSide is what the console shows beside the form: the caller's earlier tickets, tickets
// that may be the same matter (each can be chosen to merge the new ticket into), and the
// classifier's departments for the text, shown next to manual dispatch.
type consoleSide struct {
	History     []tickets.Ticket
	Duplicates  []routing.Candidate
	Suggestions []deptSuggestion
	MergeInto   string
	Phone       string
}

// deptSuggestion is one of the classifier's departments with its name for the page.
type deptSuggestion struct {
	routing.Suggestion
	Dept *org.Department
}

// Percent is the confidence as a percentage, for the page.
func (d deptSuggestion) Percent() float64 { return d.Confidence * 100 }

func (s *Server) getConsoleSide(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := fields(r.URL.Query())
	hist, err := s.callerTickets(ctx, q.get("caller_phone"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	dups, err := s.consoleDuplicates(ctx, q)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sugs, err := s.consoleSuggestions(ctx, q.get("description"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/console_side.html", "content", consoleSide{History: hist, Duplicates: dups,
		Suggestions: sugs, MergeInto: q.get("merge_into"), Phone: q.get("caller_phone")})
}

// consoleSuggestions are the classifier's three most likely departments for text, named;
// none without text or without routing.
func (s *Server) consoleSuggestions(ctx context.Context, text string) ([]deptSuggestion, error) {
	if s.Routing.Service == nil || text == "" {
		return nil, nil
	}
	sugs := s.Routing.Service.Suggest(text, 3)
	if len(sugs) == 0 {
		return nil, nil
	}
	deps, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]deptSuggestion, 0, len(sugs))
	for _, g := range sugs {
		ds := deptSuggestion{Suggestion: g}
		for i := range deps {
			if deps[i].Code == g.Department {
				ds.Dept = &deps[i]
			}
		}
		out = append(out, ds)
	}
	return out, nil
}

func (s *Server) getConsoleKB(w http.ResponseWriter, r *http.Request) {
	as, err := s.KB.Search(r.Context(), r.URL.Query().Get("q"), "")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/console_kb.html", "content", as)
}

// workbenchPage is a department's queue, nearest deadline first.
type workbenchPage struct {
	Queue      []*ticketView
	Department *org.Department
	// Esc is what the escalation area adds (escalation_pages.go): extensions and notices.
	Esc *workbenchEscalation
}

func (s *Server) workbenchData(ctx context.Context) (*workbenchPage, error) {
	st := staffFrom(ctx)
	ts, err := s.Tickets.List(ctx, actorFrom(ctx), tickets.Filter{
		Statuses: []tickets.Status{tickets.StatusDispatched, tickets.StatusAccepted}, OrderBy: "due", Limit: 500})
	if err != nil {
		return nil, err
	}
	data := &workbenchPage{}
	data.Department, _ = s.Org.DepartmentByID(ctx, st.DepartmentID)
	for i := range ts {
		data.Queue = append(data.Queue, s.viewTicket(st, &ts[i]))
	}
	if data.Esc, err = s.workbenchEscalation(ctx, data.Queue); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) getWorkbench(w http.ResponseWriter, r *http.Request) {
	data, err := s.workbenchData(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if data.Esc != nil {
		data.Esc.Done = r.URL.Query().Get("done")
	}
	s.renderStaff(w, r, "staff/workbench.html", data)
}

// boardPage is the supervisor board.
type boardPage struct {
	Stats    []tickets.DepartmentCount
	Overdue  []tickets.Ticket
	DueSoon  []tickets.Ticket
	Returned []tickets.Ticket
	Lists    []tickets.BoardList
	// Esc is what the escalation area adds (escalation_pages.go): escalations, extension
	// approvals and supervision notices.
	Esc *boardEscalation
}

func (s *Server) boardData(ctx context.Context) (*boardPage, error) {
	st := staffFrom(ctx)
	data := &boardPage{}
	var err error
	if data.Stats, err = s.Tickets.DepartmentCounts(ctx, tickets.ActorFor(st)); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		list tickets.BoardList
		dst  *[]tickets.Ticket
	}{{tickets.ListOverdue, &data.Overdue}, {tickets.ListDueSoon, &data.DueSoon}, {tickets.ListReturned, &data.Returned}} {
		if *l.dst, err = s.Tickets.Board(ctx, tickets.ActorFor(st), l.list, 50); err != nil {
			return nil, err
		}
	}
	data.Lists = tickets.BoardLists
	if data.Esc, err = s.boardEscalation(ctx); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) getBoard(w http.ResponseWriter, r *http.Request) {
	data, err := s.boardData(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if data.Esc != nil {
		data.Esc.Done = r.URL.Query().Get("done")
	}
	s.renderStaff(w, r, "staff/board.html", data)
}

func (s *Server) getBoardCounts(w http.ResponseWriter, r *http.Request) {
	stats, err := s.Tickets.DepartmentCounts(r.Context(), actorFrom(r.Context()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/board_counts.html", "content", boardPage{Stats: stats})
}

// ticketsPage is the ticket search.
type ticketsPage struct {
	Tickets []*ticketView
	Status  string
	Query   string
}

func (s *Server) getTicketsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := staffFrom(ctx)
	q := fields(r.URL.Query())
	if n := q.get("number"); n != "" {
		http.Redirect(w, r, "/tickets/"+url.PathEscape(n), http.StatusSeeOther)
		return
	}
	f, err := s.ticketFilter(ctx, st, q)
	if err != nil {
		status, body := errorStatus(err)
		s.refuse(w, r, status, body["error"])
		return
	}
	ts, err := s.Tickets.List(ctx, actorFrom(ctx), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	data := ticketsPage{Status: q.get("status"), Query: r.URL.RawQuery}
	for i := range ts {
		data.Tickets = append(data.Tickets, s.viewTicket(st, &ts[i]))
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
}

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
	if p.T.Attachments, err = s.Tickets.Attachments(ctx, t.ID); err != nil {
		return nil, err
	}
	if s.Intake.Service != nil {
		if p.Photos, err = s.Intake.Service.Photos(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	deps, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	p.Routing = routingNotes(p.Events, deps)
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
	status, body := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	s.renderError(w, r, status, body["error"])
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
		s.renderError(w, r, http.StatusNotFound, "no such action")
		return
	}
	// A file refused is shown on the ticket page like any other bad input.
	f, files, err := readActionFields(w, r, a)
	if f == nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
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
		status, body := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		p, perr := s.ticketPageData(ctx, number)
		if perr != nil {
			s.pageError(w, r, perr)
			return
		}
		p.Error = body["error"]
		s.renderStaffStatus(w, r, status, "staff/ticket.html", p)
		return
	}
	s.staff().live.publish("tickets")
	http.Redirect(w, r, "/tickets/"+url.PathEscape(number)+"?done="+string(a), http.StatusSeeOther)
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
		p.Error = err.Error()
		s.renderStaffStatus(w, r, http.StatusBadRequest, "staff/ticket.html", p)
		return
	}
	p.Revealed = phone
	s.renderStaff(w, r, "staff/ticket.html", p)
}
