package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Bell reports whether the layout shows the notification bell: for signed-in staff.
func (p *page) Bell() bool { return p.Staff != nil }

// escForm is the state of the escalation forms on a page: what was just done, or a refused
// form shown again with the reason and what was typed in it. For names the form: ask:<ticket>,
// reply:<notice>, decide:<extension id> or issue.
type escForm struct {
	Done  string
	Error string
	For   string
	Form  url.Values
}

// Typed is what was typed in field of form, when that form is the one shown again.
func (e *escForm) Typed(form, field string) string {
	if e == nil || e.For != form {
		return ""
	}
	return e.Form.Get(field)
}

// askCell is one ticket's extension state for its department: the request waiting for a
// decision, or, when one may be asked for now, the earliest date that may be proposed.
type askCell struct {
	Number  string
	Pending *escalation.Extension
	MinDate string
	Late    bool // the resolution deadline has passed while the ticket is being handled
}

// noticeRow is a supervision notice with its department and whether its reply is late.
type noticeRow struct {
	escalation.Notice
	Dept     *org.Department
	Overdue  bool
	CanReply bool // the viewer's department is the one addressed, and it is still open
}

// extensionRow is an extension request with its ticket's department.
type extensionRow struct {
	escalation.Extension
	Dept *org.Department
}

// workbenchEscalation is what the workbench shows of extensions and notices: each queued
// ticket's ask cell and the department's open notices.
type workbenchEscalation struct {
	escForm
	Cells   map[string]*askCell
	Notices []noticeRow
}

// boardEscalation is what the supervisor board shows of escalation.
type boardEscalation struct {
	escForm
	Matrix    *escalationMatrix
	Escalated []escalatedRow
	Pending   []extensionRow
	Open      []noticeRow
	Replied   []noticeRow
	Decide    bool // the viewer may approve and refuse
	Issue     bool // the viewer may issue notices
}

// escalatedRow is an escalated clock with its department.
type escalatedRow struct {
	escalation.Escalation
	Dept *org.Department
}

// escalationMatrix counts escalated clocks by department (rows) and level (columns).
type escalationMatrix struct {
	Levels []int
	Rows   []matrixRow
}

type matrixRow struct {
	Dept  *org.Department
	Cells []int
	Total int
}

// ticketEscalation is a ticket's extension requests and notices, and what the viewer may do.
type ticketEscalation struct {
	escForm
	Extensions []escalation.Extension
	Notices    []noticeRow
	Ask        *askCell // nil: the viewer's department does not lead the ticket
	Decide     bool
	Issue      bool
}

// Pending is the ticket's extension request waiting for a decision, if any.
func (e *ticketEscalation) Pending() *escalation.Extension {
	for i := range e.Extensions {
		if e.Extensions[i].Status == "pending" {
			return &e.Extensions[i]
		}
	}
	return nil
}

// askCell says whether st may ask for an extension of t now, as RequestExtension will judge
// it: the lead department's staff, on a ticket being handled, before its resolution deadline,
// with nothing waiting.
func (s *Server) askCell(st *org.Staff, t *tickets.Ticket, pending *escalation.Extension) *askCell {
	if !org.DepartmentStaff.Has(st.Role) || t.DepartmentID == nil || *t.DepartmentID != st.DepartmentID {
		return nil
	}
	c := &askCell{Number: t.Number, Pending: pending}
	handled := t.Status == tickets.StatusDispatched || t.Status == tickets.StatusAccepted
	if pending != nil || !handled || t.ResolveDue == nil {
		return c
	}
	if !s.Clock.Now().Before(*t.ResolveDue) {
		c.Late = true
		return c
	}
	// A date means the end of that working day (parseDue): the deadline's own day when that is
	// still later, else the next.
	day := t.ResolveDue.In(s.location())
	if end, err := s.parseDue("new_due", day.Format("2006-01-02")); err != nil || !end.After(*t.ResolveDue) {
		day = day.AddDate(0, 0, 1)
	}
	c.MinDate = day.Format("2006-01-02")
	return c
}

func (s *Server) departmentsByID(ctx context.Context) (map[int64]*org.Department, error) {
	ds, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*org.Department, len(ds))
	for i := range ds {
		out[ds[i].ID] = &ds[i]
	}
	return out, nil
}

func deptOf(depts map[int64]*org.Department, id *int64) *org.Department {
	if id == nil {
		return nil
	}
	return depts[*id]
}

// noticeRows prepares notices for st to see.
func (s *Server) noticeRows(st *org.Staff, ns []escalation.Notice, depts map[int64]*org.Department) []noticeRow {
	now := s.Clock.Now()
	out := make([]noticeRow, 0, len(ns))
	for _, n := range ns {
		open := n.Status == "open"
		out = append(out, noticeRow{Notice: n, Dept: depts[n.DepartmentID], Overdue: open && now.After(n.Due),
			CanReply: open && org.DepartmentStaff.Has(st.Role) && n.DepartmentID == st.DepartmentID})
	}
	return out
}

// workbenchEscalation reads the department's waiting extension requests and open notices; nil
// when this server runs without escalation.
func (s *Server) workbenchEscalation(ctx context.Context, queue []*ticketView) (*workbenchEscalation, error) {
	esc := s.Escalation.Service
	st, actor := staffFrom(ctx), actorFrom(ctx)
	pending, err := esc.Extensions(ctx, actor, "pending", 500)
	if err != nil {
		return nil, err
	}
	waiting := map[string]*escalation.Extension{}
	for i := range pending {
		waiting[pending[i].TicketNumber] = &pending[i]
	}
	out := &workbenchEscalation{Cells: map[string]*askCell{}}
	for _, v := range queue {
		if c := s.askCell(st, v.Ticket, waiting[v.Number]); c != nil {
			out.Cells[v.Number] = c
		}
	}
	ns, err := esc.Notices(ctx, actor, "open", 100)
	if err != nil {
		return nil, err
	}
	out.Notices = s.noticeRows(st, ns, nil)
	return out, nil
}

// boardEscalation reads the board's escalation part; nil when this server runs without
// escalation. A department head sees their own department's.
func (s *Server) boardEscalation(ctx context.Context) (*boardEscalation, error) {
	esc := s.Escalation.Service
	st, actor := staffFrom(ctx), actorFrom(ctx)
	depts, err := s.departmentsByID(ctx)
	if err != nil {
		return nil, err
	}
	out := &boardEscalation{Decide: slices.Contains(org.Deciders, st.Role), Issue: slices.Contains(org.Supervisors, st.Role)}
	if out.Matrix, err = s.escalationMatrix(ctx, depts); err != nil {
		return nil, err
	}
	es, err := esc.Escalated(ctx, actor, 100)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		out.Escalated = append(out.Escalated, escalatedRow{Escalation: e, Dept: deptOf(depts, e.DepartmentID)})
	}
	xs, err := esc.Extensions(ctx, actor, "pending", 100)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		out.Pending = append(out.Pending, extensionRow{Extension: x, Dept: deptOf(depts, x.DepartmentID)})
	}
	open, err := esc.Notices(ctx, actor, "open", 100)
	if err != nil {
		return nil, err
	}
	replied, err := esc.Notices(ctx, actor, "replied", 20)
	if err != nil {
		return nil, err
	}
	out.Open, out.Replied = s.noticeRows(st, open, depts), s.noticeRows(st, replied, depts)
	return out, nil
}

// escalationMatrix counts the escalated clocks the viewer may see by department and level,
// the departments with the most first.
func (s *Server) escalationMatrix(ctx context.Context, depts map[int64]*org.Department) (*escalationMatrix, error) {
	counts, err := s.Escalation.Service.EscalationCounts(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	m := &escalationMatrix{}
	top := 0
	for _, c := range counts {
		top = max(top, c.Level)
	}
	for l := 1; l <= top; l++ {
		m.Levels = append(m.Levels, l)
	}
	rows := map[int64]*matrixRow{}
	var order []int64
	for _, c := range counts {
		var id int64
		if c.DepartmentID != nil {
			id = *c.DepartmentID
		}
		r := rows[id]
		if r == nil {
			r = &matrixRow{Dept: deptOf(depts, c.DepartmentID), Cells: make([]int, top)}
			rows[id] = r
			order = append(order, id)
		}
		r.Cells[c.Level-1] += c.Count
		r.Total += c.Count
	}
	for _, id := range order {
		m.Rows = append(m.Rows, *rows[id])
	}
	slices.SortStableFunc(m.Rows, func(a, b matrixRow) int { return b.Total - a.Total })
	return m, nil
}

// ticketEscalation reads a ticket's extension requests and notices; nil when this server runs
// without escalation.
func (s *Server) ticketEscalation(ctx context.Context, t *tickets.Ticket) (*ticketEscalation, error) {
	esc := s.Escalation.Service
	st := staffFrom(ctx)
	out := &ticketEscalation{Decide: slices.Contains(org.Deciders, st.Role), Issue: slices.Contains(org.Supervisors, st.Role) && t.DepartmentID != nil}
	var err error
	if out.Extensions, err = esc.TicketExtensions(ctx, t.ID); err != nil {
		return nil, err
	}
	ns, err := esc.TicketNotices(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	depts, err := s.departmentsByID(ctx)
	if err != nil {
		return nil, err
	}
	out.Notices = s.noticeRows(st, ns, depts)
	out.Ask = s.askCell(st, t, out.Pending())
	return out, nil
}

func (s *Server) postExtensionForm(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	number := r.PathValue("number")
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	in := escalation.ExtensionInput{Reason: f.get("reason")}
	if in.NewDue, err = s.parseDue("new_due", f.get("new_due")); err == nil {
		_, err = esc.RequestExtension(r.Context(), actorFrom(r.Context()), number, in)
	}
	s.escalationFormDone(w, r, f, number, "extension_request", "ask:"+number, err)
}

func (s *Server) postDecideForm(approve bool) http.HandlerFunc {
	done := "extension_refuse"
	if approve {
		done = "extension_approve"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		esc := s.Escalation.Service
		f, err := readFields(w, r)
		if err != nil {
			s.refuseErr(w, r, http.StatusBadRequest, err)
			return
		}
		number := f.get("ticket")
		id, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if perr != nil {
			err = fmt.Errorf("extension request %q: %w", r.PathValue("id"), escalation.ErrNotFound)
		} else {
			var x *escalation.Extension
			if x, err = esc.DecideExtension(r.Context(), actorFrom(r.Context()), id, approve, f.get("text")); err == nil {
				number = x.TicketNumber
			}
		}
		s.escalationFormDone(w, r, f, number, done, "decide:"+r.PathValue("id"), err)
	}
}

func (s *Server) postNoticeForm(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	// The board's form names the ticket in a field; the ticket page's in the path.
	number := r.PathValue("number")
	if number == "" {
		number = f.get("ticket")
	}
	in := escalation.NoticeInput{Text: f.get("text")}
	if number == "" {
		err = &badField{"ticket", "give the number of the ticket to supervise"}
	} else if in.Workdays, err = f.int("workdays"); err == nil {
		if in.Due, err = s.parseDue("due", f.get("due")); err == nil {
			_, err = esc.IssueNotice(r.Context(), actorFrom(r.Context()), number, in)
		}
	}
	s.escalationFormDone(w, r, f, number, "supervision_issue", "issue", err)
}

func (s *Server) postNoticeReplyForm(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	notice := r.PathValue("number")
	number := f.get("ticket")
	n, err := esc.ReplyNotice(r.Context(), actorFrom(r.Context()), notice, f.get("text"))
	if err == nil {
		number = n.TicketNumber
	}
	s.escalationFormDone(w, r, f, number, "supervision_reply", "reply:"+notice, err)
}

// escalationFormDone ends an escalation form. Done, it tells open boards and goes back to the
// page the form was on (field "from": workbench, board, else the ticket's page) saying what
// was done. Refused by the domain, it shows that page again with the reason, what was typed,
// and the refusal's status (400 bad input, 403, 404, 409 a state that does not allow it).
func (s *Server) escalationFormDone(w http.ResponseWriter, r *http.Request, f fields, number, done, form string, err error) {
	ctx := r.Context()
	from := f.get("from")
	if err == nil {
		s.publishLive(r.Context(), "tickets")
		back := "/tickets/" + url.PathEscape(number) + "?done=" + done + "#escalation"
		switch from {
		case "workbench":
			back = "/workbench?done=" + done
		case "board":
			back = "/board?done=" + done + "#escalation"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	status, _ := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.serverError(w, r, err)
		return
	}
	again := escForm{Error: errorText(langOf(r), err), For: form, Form: url.Values(f)}
	switch {
	case from == "workbench" && org.DepartmentStaff.Has(staffFrom(ctx).Role):
		data, derr := s.workbenchData(ctx, &url.URL{Path: "/workbench"})
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		data.Esc.escForm = again
		s.renderStaffStatus(w, r, status, "staff/workbench.html", data)
	case from == "board" && slices.Contains(org.Board, staffFrom(ctx).Role):
		data, derr := s.boardData(ctx)
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		data.Esc.escForm = again
		s.renderStaffStatus(w, r, status, "staff/board.html", data)
	default:
		p, perr := s.ticketPageData(ctx, number)
		if perr != nil {
			// No ticket page to show the form on (an unknown ticket or notice): the reason alone.
			s.renderError(w, r, status, again.Error)
			return
		}
		p.Error = again.Error
		again.Error = ""
		p.Esc.escForm = again
		s.renderStaffStatus(w, r, status, "staff/ticket.html", p)
	}
}

func (s *Server) getBoardEscalations(w http.ResponseWriter, r *http.Request) {
	depts, err := s.departmentsByID(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	m, err := s.escalationMatrix(r.Context(), depts)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "escalation/board_counts.html", "content", m)
}

// notificationsPage is a staff member's latest notifications, grouped by ticket.
type notificationsPage struct {
	Items  []escalation.NotificationGroup
	Unread int
}

func (s *Server) getNotificationsPage(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	ctx := r.Context()
	id := staffFrom(ctx).ID
	var data notificationsPage
	var err error
	if data.Items, err = esc.Grouped(ctx, id, 100); err == nil {
		data.Unread, err = esc.Unread(ctx, id)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderStaff(w, r, "escalation/notifications.html", data)
}

// notificationBell is the bell's content: the unread count and the newest unread subject.
type notificationBell struct {
	Unread int
	Latest string
}

// getNotificationBell renders the bell's content. The layout asks for it when a page loads and
// whenever the notification stream says something new arrived.
func (s *Server) getNotificationBell(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	ctx := r.Context()
	id := staffFrom(ctx).ID
	var b notificationBell
	n, err := esc.Unread(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	b.Unread = n
	if n > 0 {
		latest, err := esc.Recent(ctx, id, 1)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if len(latest) == 1 && latest[0].ReadAt == nil {
			b.Latest = latest[0].Subject
		}
	}
	s.renderTemplate(w, r, http.StatusOK, "escalation/bell.html", "content", b)
}

func (s *Server) postNotificationReadForm(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		// The page lists a ticket's notifications as one: reading it reads them all.
		err = esc.MarkGroupRead(r.Context(), staffFrom(r.Context()).ID, id)
	} else {
		err = fmt.Errorf("notification %q: %w", r.PathValue("id"), escalation.ErrNotFound)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

func (s *Server) postNotificationsReadAll(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	if err := esc.MarkAllRead(r.Context(), staffFrom(r.Context()).ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// escalationNote words what an escalation event on the timeline did: a warning, or the level
// reached, and on which deadline ("第 2 级 · 办结时限").
func escalationNote(lang string, ev tickets.Event) string {
	var d struct {
		Clock  string `json:"clock"`
		Action string `json:"action"`
		Level  int    `json:"level"`
		Notice string `json:"notice"`
	}
	if ev.Kind != "escalation" || json.Unmarshal(ev.Data, &d) != nil || d.Clock == "" {
		return ""
	}
	what := tr(lang, "due."+d.Clock)
	if d.Notice != "" {
		what += " " + d.Notice
	}
	if d.Action == escalation.ActionWarned {
		return tr(lang, "esc.warned") + " · " + what
	}
	return fmt.Sprintf(tr(lang, "esc.level"), d.Level) + " · " + what
}

// overdueFor is how long ago due passed, in whole hours or days, for the board's lists.
func overdueFor(lang string, due, now time.Time) string {
	d := now.Sub(due)
	if d < 0 {
		return ""
	}
	if d < 48*time.Hour {
		return fmt.Sprintf(tr(lang, "esc.hours"), int(d.Hours()))
	}
	return fmt.Sprintf(tr(lang, "esc.days"), int(d.Hours()/24))
}

// notifyText is an escalation notification's line in lang, from the action it tells of: the
// ticket, which deadline, when it falls due or that it was missed and to which level. The
// stored subject is in the words of the moment it was written (Chinese), for e-mail and SMS.
func notifyText(lang string, loc *time.Location, g escalation.NotificationGroup) string {
	what := tr(lang, "due."+g.ActionClock)
	if g.ActionNotice != "" {
		what = fmt.Sprintf(tr(lang, "notify.notice_due"), g.ActionNotice)
	}
	due := ""
	if g.ActionDue != nil {
		due = g.ActionDue.In(loc).Format("2006-01-02 15:04")
	}
	if g.ActionLevel == 0 {
		return fmt.Sprintf(tr(lang, "notify.text.warned"), g.TicketNumber, what, due)
	}
	return fmt.Sprintf(tr(lang, "notify.text.escalated"), g.TicketNumber, what, due, g.ActionLevel)
}
