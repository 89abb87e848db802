package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Ticket search (工单查询): the /tickets page's form, its sortable columns and the saved
// searches (常用查询) of each person, on the page and in the API. The filter itself is read by
// ticketFilter, the same for the page and GET /api/v1/tickets.

// searchParams are the parameters of a search, as the list's URL carries them and a saved
// search keeps them; paging (after, offset, limit) is not part of a search.
var searchParams = []string{"q", "phone", "department", "category", "type", "channel", "status", "clock", "from", "to", "handler", "order"}

// searchForm is what the page's search form shows.
type searchForm struct {
	Values      url.Values
	Departments []org.Department
	Categories  []org.Category
	Types       []string
	Channels    []string
	Statuses    []tickets.Status
	SeePhone    bool
	Saved       []tickets.SavedFilter
	// Sort holds each sortable column's link (its order, or turned around when the list is in
	// it already) and its aria-sort state.
	Sort  map[string]sortLink
	Query string // the search's own query string, for saving
	Error string
	Done  string
}

type sortLink struct {
	URL   string
	State string // "ascending", "descending" or "none"
}

// Has reports whether the repeated parameter k holds v (the status choices).
func (f *searchForm) Has(k, v string) bool {
	for _, x := range f.Values[k] {
		for _, p := range strings.Split(x, ",") {
			if strings.TrimSpace(p) == v {
				return true
			}
		}
	}
	return false
}

func (s *Server) searchFormFor(ctx context.Context, r *http.Request, st *org.Staff) (*searchForm, error) {
	f := &searchForm{Values: r.URL.Query(), Types: tickets.Types, Channels: tickets.Channels, Statuses: tickets.Statuses,
		SeePhone: org.SeePhone.Has(st.Role), Query: canonicalSearch(r.URL.Query()), Done: r.URL.Query().Get("done")}
	var err error
	if f.Departments, err = s.Org.Departments(ctx); err != nil {
		return nil, err
	}
	if f.Categories, err = s.Org.Categories(ctx); err != nil {
		return nil, err
	}
	if f.Saved, err = s.Tickets.SavedFilters(ctx, actorFrom(ctx)); err != nil {
		return nil, err
	}
	f.Sort = map[string]sortLink{}
	cur := r.URL.Query().Get("order")
	for _, col := range []string{"number", "created", "due"} {
		q := searchValues(r.URL.Query())
		l := sortLink{State: "none"}
		switch cur {
		case col:
			q.Set("order", "-"+col)
			l.State = "ascending"
		case "-" + col:
			q.Set("order", col)
			l.State = "descending"
		default:
			q.Set("order", col)
		}
		l.URL = pageURL("/tickets", q)
		f.Sort[col] = l
	}
	return f, nil
}

// searchValues keeps of q the parameters of a search, non-empty.
func searchValues(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range searchParams {
		for _, v := range q[k] {
			if v = strings.TrimSpace(v); v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

// canonicalSearch is q's search as a query string, in a stable order.
func canonicalSearch(q url.Values) string { return searchValues(q).Encode() }

// sortedText says a list's order in lang, with %d for the tickets on the page; "" for the
// orders the pager names itself (newest first, nearest deadline first).
func sortedText(lang string, f tickets.Filter) string {
	if f.OrderBy == "" || (f.OrderBy == "due" && !f.Desc) {
		return ""
	}
	key := "search.sorted." + f.OrderBy
	if f.Desc {
		key += ".desc"
	}
	return tr(lang, key)
}

// savedSearch reads a search to save: its name and query string, checked as a list's filter.
func (s *Server) savedSearch(ctx context.Context, st *org.Staff, f fields) (name, query string, err error) {
	raw := strings.TrimPrefix(f.get("query"), "?")
	q, perr := url.ParseQuery(raw)
	if perr != nil {
		return "", "", &badField{"query", "not a query string of the ticket list"}
	}
	if _, err := s.ticketFilter(ctx, st, fields(q)); err != nil {
		return "", "", err
	}
	query = canonicalSearch(q)
	if query == "" {
		return "", "", &badField{"query", "is required"}
	}
	return f.get("name"), query, nil
}

// savedFilterView is a saved search as the API shows it, with the list's URL.
type savedFilterView struct {
	tickets.SavedFilter
	URL string `json:"url"`
}

func viewSaved(f tickets.SavedFilter) savedFilterView {
	return savedFilterView{SavedFilter: f, URL: "/api/v1/tickets?" + f.Query}
}

func (s *Server) getSavedFilters(w http.ResponseWriter, r *http.Request) {
	fs, err := s.Tickets.SavedFilters(r.Context(), actorFrom(r.Context()))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := make([]savedFilterView, len(fs))
	for i, f := range fs {
		out[i] = viewSaved(f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"filters": out})
}

func (s *Server) postSavedFilter(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	name, query, err := s.savedSearch(ctx, staffFrom(ctx), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	sf, err := s.Tickets.SaveFilter(ctx, actorFrom(ctx), name, query)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewSaved(*sf))
}

// savedID reads the path's id; a malformed one is a filter that does not exist.
func savedID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("saved filter %q: %w", r.PathValue("id"), tickets.ErrNotFound)
	}
	return id, nil
}

func (s *Server) getSavedFilter(w http.ResponseWriter, r *http.Request) {
	id, err := savedID(r)
	if err == nil {
		var sf *tickets.SavedFilter
		if sf, err = s.Tickets.SavedFilter(r.Context(), actorFrom(r.Context()), id); err == nil {
			writeJSON(w, http.StatusOK, viewSaved(*sf))
			return
		}
	}
	s.apiError(w, r, err)
}

func (s *Server) deleteSavedFilter(w http.ResponseWriter, r *http.Request) {
	id, err := savedID(r)
	if err == nil {
		if err = s.Tickets.DeleteSavedFilter(r.Context(), actorFrom(r.Context()), id); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
			return
		}
	}
	s.apiError(w, r, err)
}

// postSavedFilterForm saves the page's current search and shows the list with it.
func (s *Server) postSavedFilterForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	name, query, err := s.savedSearch(ctx, staffFrom(ctx), f)
	if err == nil {
		_, err = s.Tickets.SaveFilter(ctx, actorFrom(ctx), name, query)
	}
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.renderError(w, r, status, errorText(pageLang(r), err))
		return
	}
	http.Redirect(w, r, "/tickets?"+query+"&done=saved", http.StatusSeeOther)
}

// postSavedFilterDeleteForm deletes one of the reader's saved searches.
func (s *Server) postSavedFilterDeleteForm(w http.ResponseWriter, r *http.Request) {
	id, err := savedID(r)
	if err == nil {
		err = s.Tickets.DeleteSavedFilter(r.Context(), actorFrom(r.Context()), id)
	}
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.serverError(w, r, err)
			return
		}
		s.renderError(w, r, status, errorText(pageLang(r), err))
		return
	}
	http.Redirect(w, r, "/tickets?done=deleted", http.StatusSeeOther)
}
