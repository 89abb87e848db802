package web

import (
	"net"
	"net/http"
	"time"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/tickets"
)

// IntakeDeps are what the intake area needs: the Open311 API, the public complaint form and
// citizens' tracking.
type IntakeDeps struct {
	Service *intake.Service
}

func intakeStaticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// clientAddr is the address limits count against: the connection's peer. A proxy in front
// should be trusted explicitly before its X-Forwarded-For is believed, so it is not read here.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// intakeLang is the citizen's language: ?lang=en or ?lang=zh switches it and remembers the
// choice in the same "lang" cookie the staff pages use; Chinese otherwise.
func intakeLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		setLangCookie(w, l)
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

// intakePage is what every public page gets.
type intakePage struct {
	Lang     string
	Path     string
	Loc      *time.Location
	Errors   map[string]string
	Message  string
	Values   map[string]string
	Groups   [][]*intake.ServiceInfo
	Token    string
	Number   string
	View     *intake.TrackView
	Ratings  []string
	Solved   []string // the answers to "is it solved?" of the rating form
	Status   int
	MaxPhoto int
	// The chosen category's questions and whether it needs an address (the complaint form).
	Attrs            []complainAttr
	LocationRequired bool
}

func (p *intakePage) Err(field string) string { return p.Errors[field] }

func (s *Server) newIntakePage(w http.ResponseWriter, r *http.Request) *intakePage {
	path := r.URL.Path
	if path == "/track/rate" {
		path = "/track" // the language switch is a GET, which only the look-up page answers
	}
	return &intakePage{Lang: intakeLang(w, r), Path: path, Loc: s.Intake.Service.Location(),
		Errors: map[string]string{}, Values: map[string]string{}, Ratings: intake.Ratings, Solved: tickets.VisitSolved, MaxPhoto: intake.MaxPhotos}
}

// intakeCSP is the citizens' pages' content policy: their own scripts and styles only.
const intakeCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) renderIntake(w http.ResponseWriter, r *http.Request, name string, status int, p *intakePage) {
	w.Header().Set("Content-Security-Policy", intakeCSP)
	s.execute(w, r, status, "public/"+name+".html", "layout.html", p)
}
