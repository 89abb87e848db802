package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// consolePage is the agent console: the form being filled in, and what goes beside it.
type consolePage struct {
	Form        url.Values
	Error       string
	ErrorField  string
	Categories  []org.Category
	Departments []org.Department
	Types       []string
	Recent      []tickets.Ticket
	// Desk is the agent's status in the call queue, shown in the console's header (desk.go).
	Desk *deskStatus
	// RecentCats are the agent's recent categories, put first; Cats every category, each with
	// the words the picker finds it by (console_categories.go).
	RecentCats, Cats []catChoice
	// Districts and Streets are the gazetteer's, offered while typing.
	Districts, Streets []string
	// Registered is the number of the ticket just registered: the form is blank again, with
	// the focus in its first field (Focus).
	Registered string
	Focus      bool
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
	places, err := s.Tickets.Gazetteer(ctx)
	if err != nil {
		return nil, err
	}
	p := &consolePage{Form: form, Categories: cats, Departments: activeDepartments(deps), Types: tickets.Types, Recent: recent,
		Desk: s.deskStatusFor(staffFrom(ctx))}
	if p.RecentCats, p.Cats, err = s.categoryChoices(ctx, staffFrom(ctx), cats); err != nil {
		return nil, err
	}
	for _, pl := range places {
		if !slices.Contains(p.Districts, pl.District) {
			p.Districts = append(p.Districts, pl.District)
		}
		if pl.Street != "" && !slices.Contains(p.Streets, pl.Street) {
			p.Streets = append(p.Streets, pl.Street)
		}
	}
	return p, nil
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
	// After a registration the form is blank again, ready for the next caller.
	if n := r.URL.Query().Get("registered"); tickets.ValidNumber(n) {
		data.Registered, data.Focus = n, true
	}
	s.renderStaff(w, r, "staff/console.html", data)
}

func (s *Server) postConsoleTicket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
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
		data.Error, data.ErrorField = errorText(langOf(r), err), body["field"]
		s.renderStaffStatus(w, r, status, "staff/console.html", data)
		return
	}
	s.publishLive(r.Context(), "tickets")
	if master != "" {
		// The agent picked a duplicate candidate: the new ticket is merged (并单) into it through
		// the same service call as POST /api/v1/tickets/{number}/merge. The ticket is registered
		// whatever happens here, so a refused merge is shown on its page, not lost in the form.
		if _, err := s.Tickets.Merge(ctx, actorFrom(ctx), t.Number, master, "受理时并单 merged at registration"); err != nil {
			status, _ := errorStatus(err)
			if status == http.StatusInternalServerError {
				s.serverError(w, r, err)
				return
			}
			p, perr := s.ticketPageData(ctx, t.Number)
			if perr != nil {
				s.pageError(w, r, perr)
				return
			}
			p.Error = fmt.Sprintf(tr(langOf(r), "console.merge_failed"), master, errorText(langOf(r), err))
			s.renderStaffStatus(w, r, status, "staff/ticket.html", p)
			return
		}
	}
	http.Redirect(w, r, "/console?registered="+url.QueryEscape(t.Number), http.StatusSeeOther)
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
	// District and Street are where the gazetteer places the address typed.
	District, Street string
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
	q, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
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
	side := consoleSide{History: hist, Duplicates: dups, Suggestions: sugs, MergeInto: q.get("merge_into"), Phone: q.get("caller_phone")}
	if side.District, side.Street, err = s.Tickets.Locate(ctx, q.get("address")); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/console_side.html", "content", side)
}

// consoleSuggestions are the classifier's three most likely departments for text, named;
// none without text.
func (s *Server) consoleSuggestions(ctx context.Context, text string) ([]deptSuggestion, error) {
	if text == "" {
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
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		// The agent cleared the box: nothing to offer, no error.
		s.renderTemplate(w, r, http.StatusOK, "staff/console_kb.html", "content", []kb.Article{})
		return
	}
	as, err := s.KB.Search(r.Context(), q, "")
	if err != nil {
		s.kbRefuse(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/console_kb.html", "content", as)
}
