package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// templateFS holds the templates of every area and the static files.
//
// Templates: each area drops its files into templates/<area>/ and they are all parsed at
// start-up, so a broken one fails the boot rather than a user's click. A file whose name
// starts with "_" or is layout.html is shared: it is parsed into every page, so its {{define}}
// names must be unique across areas (prefix them with the area). Every other file is a page,
// named "<area>/<file>.html", parsed on top of the shared files; a staff page defines "title"
// and "content" (and optionally "head" and "scripts") and is rendered inside the staff layout
// with s.renderStaff(w, r, "<area>/<file>.html", data). In the page, .Data is data, .Staff the
// signed-in account, .T "key" a translated string (i18n.go), .Lang "zh" or "en".
// A page with a layout of its own defines a template of its own name and is rendered with
// s.renderTemplate(w, r, status, "<area>/<file>.html", "<entry>", data). templates/public/
// (the citizens' pages) have a layout of their own, layout.html, and are rendered by
// renderIntake; every page is parsed here, with the same functions and catalogue.
//
//go:embed all:templates static
var templateFS embed.FS

// pageTemplate is one page parsed on top of the shared templates, once per language: the
// functions that name things (statusName, clockName, T) are bound to the language, so a shared
// part shows the page's language without being handed it.
type pageTemplate struct {
	zh, en *template.Template
}

// in is the page parsed for lang.
func (pt *pageTemplate) in(lang string) *template.Template {
	if lang == "en" {
		return pt.en
	}
	return pt.zh
}

// navEntry is a link of the staff navigation bar.
type navEntry struct {
	Path   string
	Zh, En string
	Roles  org.RoleSet // nil: every staff role
	Order  int
}

// addNav adds a link to the staff navigation bar, shown to roles (nil: every staff role);
// entries are sorted by order, then as added. staffPages' table (routes.go) calls it:
//
//	s.addNav("/calls", "通话记录", "Calls", 40, org.CallTakers)
func (s *Server) addNav(path, zh, en string, order int, roles org.RoleSet) {
	st := s.staff()
	st.nav = append(st.nav, navEntry{Path: path, Zh: zh, En: en, Roles: roles, Order: order})
	slices.SortStableFunc(st.nav, func(a, b navEntry) int { return a.Order - b.Order })
}

// page is what every staff template sees.
type page struct {
	Data  any
	Staff *org.Staff
	Lang  string
	Nav   []navLink
	Path  string
	Now   time.Time
	srv   *Server
}

type navLink struct {
	Path, Label string
	Active      bool
}

// T translates key into the page's language.
func (p *page) T(key string) string { return tr(p.Lang, key) }

// Role is the signed-in role's name in the page's language.
func (p *page) Role() string {
	if p.Staff == nil {
		return ""
	}
	return tr(p.Lang, "role."+string(p.Staff.Role))
}

// templateFuncs are the templates' functions for pages in lang.
func (s *Server) templateFuncs(lang string) template.FuncMap {
	loc := s.location()
	return template.FuncMap{
		// T translates a key into the page's language; L is that language.
		"T": func(key string) string { return tr(lang, key) },
		"L": func() string { return lang },
		// statusName and clockName name a ticket's status and clock state in the page's
		// language; statusZh, the older name, does the same.
		"statusName":  func(v any) string { return statusName(lang, v) },
		"statusZh":    func(v any) string { return statusName(lang, v) },
		"clockName":   func(state string) string { return tr(lang, "clock."+state) },
		"statusTitle": func(status int) string { return statusText(lang, status) },
		// actorName names who acted on a timeline event: the system and anonymous citizens in
		// the page's language, people by their names.
		"actorName": func(ev tickets.Event) string { return actorName(lang, ev.ActorName, ev.ActorRole) },
		// confidence is a classifier's confidence (in percent) with what it means.
		"confidence": func(pct float64) string { return confidenceText(lang, pct) },
		// similarity is a duplicate's text similarity (0..1) with what it means.
		"similarity": func(v float64) string { return similarityText(lang, v) },
		// notifyText words an escalation notification from its action, in the page's language.
		"notifyText": func(g escalation.NotificationGroup) string { return notifyText(lang, loc, g) },
		// routingText shows routing's doubled labels in the page's language.
		"routingText": func(s string) string { return routingText(lang, s) },
		// percent shows a rate (0..1) as a percentage, "—" when there is none.
		"percent": percent,
		// The phone desk's figures (desk.go): seconds from milliseconds, a wait as m:ss, a
		// time of day, the wallboard's agent states in order.
		"seconds": func(ms int64) string { return strconv.FormatInt((ms+500)/1000, 10) },
		"add64":   func(a, b int64) int64 { return a + b },
		"duration": func(d time.Duration) string {
			d = d.Round(time.Second)
			return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
		},
		"clock":        func(t time.Time) string { return t.In(loc).Format("15:04:05") },
		"agentStates":  func() []string { return agentStates },
		"monitorModes": func() []string { return []string{"listen", "whisper", "barge"} },
		"batchSummary": batchSummary,
		// maskPhone shows a phone number as 138****8000, where the page needs no more.
		"maskPhone": tickets.MaskPhone,
		"score":     score,
		"time": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return ""
				}
				return v.In(loc).Format("2006-01-02 15:04")
			case *time.Time:
				if v == nil {
					return ""
				}
				return v.In(loc).Format("2006-01-02 15:04")
			}
			return ""
		},
		"isoTime": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.Format(time.RFC3339)
		},
		"statusTr":   func(lang string, st tickets.Status) string { return tr(lang, "status."+string(st)) },
		"typeTr":     func(lang, typ string) string { return tr(lang, "type."+typ) },
		"actionTr":   func(lang, a string) string { return tr(lang, "action."+a) },
		"tr":         tr,
		"mask":       tickets.MaskPhone,
		"hasRole":    func(st *org.Staff, roles ...string) bool { return st != nil && slices.Contains(roles, string(st.Role)) },
		"join":       strings.Join,
		"add":        func(a, b int) int { return a + b },
		"mul100":     func(v float64) float64 { return v * 100 },
		"deptName":   deptName,
		"catName":    catName,
		"clockOf":    func(t *tickets.Ticket) string { return clockState(t, s.Clock.Now()) },
		"dueKind":    func(t *tickets.Ticket) string { k, _ := dueOf(t); return k },
		"dueAt":      func(t *tickets.Ticket) *time.Time { _, d := dueOf(t); return d },
		"eventKind":  func(lang, kind string) string { return trOr(lang, "event."+kind, trOr(lang, "action."+kind, kind)) },
		"escNote":    escalationNote,
		"overdueFor": overdueFor,
		"list":       func(v ...string) []string { return v },
		"monthName":  monthName,
		"dict3":      func(a, b, c, d any) struct{ A, B, C, D any } { return struct{ A, B, C, D any }{a, b, c, d} },
		"contains":   func(list []tickets.Action, a string) bool { return slices.Contains(list, tickets.Action(a)) },
		// The citizens' pages: statuses and events as a citizen reads them, times in a zone.
		"citizenStatus": func(lang string, s tickets.Status) string { return intakeStatus(lang, s) },
		"ratingName": func(lang, r string) string {
			if lang == "en" {
				return trOr(lang, "rating."+r, strings.ReplaceAll(r, "_", " "))
			}
			return intake.RatingZh(r)
		},
		"whenIn": func(loc *time.Location, t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"atIn":      func(loc *time.Location, t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") },
		"eventHead": intakeEventHead,
		"eventDept": intakeEventDept,
		"eventBody": intakeEventBody,
	}
}

func (s *Server) location() *time.Location {
	if s.Config != nil && s.Config.Location != nil {
		return s.Config.Location
	}
	if s.Calendar != nil {
		return s.Calendar.Location()
	}
	return time.Local
}

// parseTemplates parses every template at start-up; a template that does not parse stops the
// server from being built at all.
func (s *Server) parseTemplates() {
	st := s.staff()
	files, err := fs.Glob(templateFS, "templates/*/*.html")
	if err != nil {
		panic(err)
	}
	st.pages = map[string]*pageTemplate{}
	for _, lang := range []string{"zh", "en"} {
		for name, t := range s.parsePages(files, s.templateFuncs(lang)) {
			pt := st.pages[name]
			if pt == nil {
				pt = &pageTemplate{}
				st.pages[name] = pt
			}
			if lang == "en" {
				pt.en = t
			} else {
				pt.zh = t
			}
		}
	}
}

// parsePages parses every page of files with funcs, each on top of its shared templates.
func (s *Server) parsePages(files []string, funcs template.FuncMap) map[string]*template.Template {
	base := template.New("").Funcs(funcs)
	// The citizens' pages have a layout of their own, without the staff's parts.
	public := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/public/layout.html"))
	var pages []string
	for _, f := range files {
		name := path.Base(f)
		if strings.HasPrefix(f, "templates/public/") {
			if name != "layout.html" {
				pages = append(pages, f)
			}
			continue
		}
		if strings.HasPrefix(name, "_") || name == "layout.html" {
			if _, err := base.ParseFS(templateFS, f); err != nil {
				panic(fmt.Sprintf("web: template %s: %v", f, err))
			}
			continue
		}
		pages = append(pages, f)
	}
	out := map[string]*template.Template{}
	for _, f := range pages {
		t := template.Must(base.Clone())
		if strings.HasPrefix(f, "templates/public/") {
			t = template.Must(public.Clone())
		}
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			panic(err)
		}
		name := strings.TrimPrefix(f, "templates/")
		if _, err := t.New(name).Parse(string(b)); err != nil {
			panic(fmt.Sprintf("web: template %s: %v", f, err))
		}
		out[name] = t
	}
	return out
}

// renderStaff renders the page template name ("<area>/<file>.html") inside the staff layout
// with status 200; see templateFS for what the template sees.
func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, name string, data any) {
	s.renderStaffStatus(w, r, http.StatusOK, name, data)
}

// renderStaffStatus is renderStaff with another status.
func (s *Server) renderStaffStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	entry := "staff-layout"
	// htmx asks for a fragment: the page's content only, no layout.
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Boosted") == "" {
		entry = "content"
	}
	s.renderTemplate(w, r, status, name, entry, data)
}

// renderTemplate executes template entry of page name with the page data around data. It
// renders into a buffer first, so a failing template gives a clean 500, not half a page.
func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, entry string, data any) {
	s.execute(w, r, status, name, entry, s.newPage(r, data))
}

// execute runs template entry of page name on data, the one way every page of the site is
// rendered. It renders into a buffer first, so a failing template gives a clean 500, not half
// a page.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, status int, name, entry string, data any) {
	pt, ok := s.staff().pages[name]
	if !ok {
		s.log.ErrorContext(r.Context(), "no such template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	lang := langOf(r)
	switch d := data.(type) {
	case *page:
		lang = d.Lang
	case *intakePage:
		lang = d.Lang
	case *statsPage:
		lang = d.Lang
	}
	var buf bytes.Buffer
	if err := pt.in(lang).ExecuteTemplate(&buf, entry, data); err != nil {
		s.log.ErrorContext(r.Context(), "render template", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" { // pages are private unless one says otherwise (/stats)
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) newPage(r *http.Request, data any) *page {
	st := staffFrom(r.Context())
	p := &page{Data: data, Staff: st, Lang: langOf(r), Path: r.URL.Path, Now: s.Clock.Now(), srv: s}
	if st != nil {
		for _, n := range s.staff().nav {
			if n.Roles != nil && !slices.Contains(n.Roles, st.Role) {
				continue
			}
			label := n.Zh
			if p.Lang == "en" && n.En != "" {
				label = n.En
			}
			p.Nav = append(p.Nav, navLink{Path: n.Path, Label: label,
				Active: r.URL.Path == n.Path || strings.HasPrefix(r.URL.Path, n.Path+"/")})
		}
	}
	return p
}

// errorPage is what the error pages show: the status, its heading and what went wrong.
type errorPage struct {
	Status  int
	Title   string
	Message string
}

// renderError renders an error page in the site's layout, in the reader's language: the staff
// layout with its navigation for signed-in staff, the citizens' layout for everyone else. msg
// is already in the reader's language (refuse, errorText); empty, the status's own sentence.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	lang := pageLang(r)
	title := statusText(lang, status)
	if msg == "" || msg == title {
		msg = tr(lang, fmt.Sprintf("error.%d.hint", status))
		if _, ok := messages[fmt.Sprintf("error.%d.hint", status)]; !ok {
			msg = ""
		}
	}
	st := staffFrom(r.Context())
	if st == nil && !strings.HasPrefix(r.URL.Path, "/complain") && !strings.HasPrefix(r.URL.Path, "/track") && r.Context().Value(noSessionKey{}) == nil {
		// Routes outside requireStaff (an unknown path, a refused cross-site post) look the
		// session up themselves.
		st, _, _ = s.authenticate(r)
	}
	if st != nil {
		ctx := context.WithValue(r.Context(), staffCtxKey{}, st)
		s.renderStaffStatus(w, r.WithContext(ctx), status, "staff/error.html", errorPage{Status: status, Title: title, Message: msg})
		return
	}
	p := &intakePage{Lang: lang, Path: r.URL.Path, Loc: s.location(), Status: status, Message: msg}
	s.execute(w, r, status, "public/public_error.html", "layout.html", p)
}

// staticHandler serves the embedded static files; vendored files carry their version in their
// name, so they may be cached for long.
func staticHandler() http.Handler {
	sub, err := fs.Sub(templateFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/vendor/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// actorName is the name of who acted, in lang when it is a role's stand-in ("system",
// "citizen") rather than a person's name.
func actorName(lang, name, role string) string {
	if name == role || name == "" {
		return trOr(lang, "role."+role, name)
	}
	return name
}

// confidenceText is a classifier's confidence in percent with its meaning, in lang:
// "置信度 82%（较有把握）".
func confidenceText(lang string, pct float64) string {
	key := "confidence.low"
	switch {
	case pct >= 80:
		key = "confidence.high"
	case pct >= 50:
		key = "confidence.medium"
	}
	return fmt.Sprintf(tr(lang, "confidence.figure"), pct, tr(lang, key))
}

// similarityText is a duplicate candidate's text similarity (0..1) as a percentage with its
// meaning, in lang: "相似度 82%（很可能重复）".
func similarityText(lang string, v float64) string {
	key := "similarity.low"
	switch {
	case v >= 0.8:
		key = "similarity.high"
	case v >= 0.5:
		key = "similarity.medium"
	}
	return fmt.Sprintf(tr(lang, "similarity.figure"), v*100, tr(lang, key))
}

// getFavicon serves the site's icon, the SVG both layouts link, where browsers look for it
// by themselves.
func getFavicon(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(templateFS, "static/favicon.svg")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b)
}

// deptName is a department's name in lang, or "" for none.
func deptName(lang string, d *org.Department) string {
	if d == nil {
		return ""
	}
	if lang == "en" && d.NameEn != "" {
		return d.NameEn
	}
	return d.NameZh
}

// catName is a category's name in lang, or "" for none.
func catName(lang string, c *org.Category) string {
	if c == nil {
		return ""
	}
	if lang == "en" && c.NameEn != "" {
		return c.NameEn
	}
	return c.NameZh
}

// Clock states of a ticket's nearest open deadline, as the workbench colours them.
const (
	clockNone    = "none"    // nothing is due
	clockGreen   = "green"   // more than a quarter of the time is left
	clockYellow  = "yellow"  // less than a quarter left
	clockRed     = "red"     // less than four hours left
	clockOverdue = "overdue" // past the deadline
)

// dueOf is the ticket's nearest open deadline and which one it is.
func dueOf(t *tickets.Ticket) (string, *time.Time) {
	switch t.Status {
	case tickets.StatusDispatched:
		if t.AcceptDue != nil {
			return "accept", t.AcceptDue
		}
	case tickets.StatusAccepted:
		if t.FeedbackAt == nil && t.FeedbackDue != nil && (t.ResolveDue == nil || t.FeedbackDue.Before(*t.ResolveDue)) {
			return "feedback", t.FeedbackDue
		}
		return "resolve", t.ResolveDue
	case tickets.StatusRegistered, tickets.StatusReturned:
		return "feedback", t.FeedbackDue
	case tickets.StatusResolved:
		return "callback", t.CallbackDue
	}
	return "", nil
}

// clockState colours a ticket's nearest deadline against now: overdue when past, red inside
// four hours, yellow inside the last quarter of the time from dispatch (or registration).
func clockState(t *tickets.Ticket, now time.Time) string {
	_, due := dueOf(t)
	if due == nil {
		return clockNone
	}
	left := due.Sub(now)
	if left <= 0 {
		return clockOverdue
	}
	if left < 4*time.Hour {
		return clockRed
	}
	start := t.CreatedAt
	if t.DispatchedAt != nil {
		start = *t.DispatchedAt
	}
	if total := due.Sub(start); total > 0 && left*4 < total {
		return clockYellow
	}
	return clockGreen
}

// statusName names a status in lang, whether it comes as a Status or as an event's string.
func statusName(lang string, v any) string {
	var st string
	switch x := v.(type) {
	case tickets.Status:
		st = string(x)
	case string:
		st = x
	default:
		st = fmt.Sprint(v)
	}
	return trOr(lang, "status."+st, st)
}
