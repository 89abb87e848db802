package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// The calendar tab of the administration: a year's notice of the State Council entered as a
// table, previewed, then saved with the deadlines it moves; a year view; and the warning,
// from 1 November, that next year's notice is still missing (also on the board).

// previewMoves is how many moved deadlines the preview lists; it counts them all.
const previewMoves = 50

// calendarView is what the calendar tab shows besides the list of entries.
type calendarView struct {
	Year    int
	Years   []int
	Months  []workcal.YearMonth
	Table   string   // the table as pasted, shown again when it has errors
	Errors  []string // its bad lines, in the reader's language
	Preview *calendarPlan
	Moved   string // how many deadlines the last save moved
}

// calendarPlan is what saving a year's table does: the changed days and the open tickets'
// moved resolution deadlines. The preview shows it; the save does it.
type calendarPlan struct {
	Year                    int
	Table                   string
	Changes                 []workcal.Change
	Added, Removed, Changed int
	Moves                   []tickets.DueMove
	MoveCount               int
	More                    int // moves counted but not listed
}

// calendarBase is the calendar deadlines are counted on now, for its zone and hours.
func (s *Server) calendarBase() *workcal.Calendar {
	if s.LiveCalendar != nil {
		return s.LiveCalendar.Get()
	}
	return s.Calendar
}

// storedCalendar is the calendar as the table holds it, which every process reloads.
func (s *Server) storedCalendar(ctx context.Context, db bun.IDB) (*workcal.Calendar, error) {
	base := s.calendarBase()
	return workcal.NewStore(db).Calendar(ctx, base.Location(), base.Hours())
}

// missingYear is the coming year when, from 1 November, the calendar has no entry in it;
// else 0.
func (s *Server) missingYear(ctx context.Context) (int, error) {
	cal, err := s.storedCalendar(ctx, s.db)
	if err != nil {
		return 0, err
	}
	if y, missing := workcal.MissingYear(cal, s.Clock.Now()); missing {
		return y, nil
	}
	return 0, nil
}

// calendarView builds the year view of year (this year when 0).
func (s *Server) calendarView(ctx context.Context, year int) (*calendarView, error) {
	cal, err := s.storedCalendar(ctx, s.db)
	if err != nil {
		return nil, err
	}
	this := s.Clock.Now().In(cal.Location()).Year()
	if year == 0 {
		year = this
	}
	first, last := this-1, this+1
	if days := cal.Days(); len(days) > 0 {
		first = min(first, days[0].Date.Year)
		last = max(last, days[len(days)-1].Date.Year)
	}
	first, last = min(first, year), max(last, year)
	v := &calendarView{Year: year, Months: cal.Year(year)}
	for y := first; y <= last; y++ {
		v.Years = append(v.Years, y)
	}
	return v, nil
}

// calendarYear reads a year field: a year the calendar can hold.
func calendarYear(f fields) (int, error) {
	y, err := strconv.Atoi(strings.TrimSpace(f.get("year")))
	if err != nil || y < 2000 || y > 2100 {
		return 0, &badField{"year", "must be a year from 2000 to 2100"}
	}
	return y, nil
}

// calendarTable reads the table of a year's notice: an uploaded file when one is given,
// else the pasted text.
func calendarTable(r *http.Request, f fields) (string, error) {
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 && fhs[0].Size > 0 {
			file, err := fhs[0].Open()
			if err != nil {
				return "", &badField{"file", "cannot be read"}
			}
			defer file.Close()
			b, err := io.ReadAll(file)
			if err != nil {
				return "", &badField{"file", "cannot be read"}
			}
			return string(b), nil
		}
	}
	return f.get("table"), nil
}

// planCalendarYear works out what replacing year's entries by days does, on db: inside the
// save's transaction the tickets are locked, so the plan is what is written.
func (s *Server) planCalendarYear(ctx context.Context, db bun.IDB, year int, days []workcal.Day, lock bool) (*calendarPlan, *workcal.Calendar, *workcal.Calendar, error) {
	old, err := s.storedCalendar(ctx, db)
	if err != nil {
		return nil, nil, nil, err
	}
	p := &calendarPlan{Year: year, Table: workcal.FormatTable(days), Changes: workcal.DiffYear(old.Days(), year, days)}
	for _, c := range p.Changes {
		switch c.Op() {
		case "added":
			p.Added++
		case "removed":
			p.Removed++
		default:
			p.Changed++
		}
	}
	cur := workcal.New(workcal.ReplaceYear(old.Days(), year, days), old.Location(), old.Hours())
	now := s.Clock.Now()
	if !lock {
		if p.Moves, err = tickets.PlanDueMoves(ctx, db, now, dueMover(old, cur, now), false); err != nil {
			return nil, nil, nil, err
		}
		p.MoveCount = len(p.Moves)
		if len(p.Moves) > previewMoves {
			p.Moves, p.More = p.Moves[:previewMoves], len(p.Moves)-previewMoves
		}
	}
	return p, old, cur, nil
}

func dueMover(old, cur *workcal.Calendar, now time.Time) func(time.Time) time.Time {
	return func(due time.Time) time.Time { return workcal.MoveDeadline(old, cur, now, due) }
}

// postCalendarPreview checks a year's table and shows what saving it would do.
func (s *Server) postCalendarPreview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.calendarRefused(w, r, 0, "", &badField{"table", err.Error()})
		return
	}
	year, yerr := calendarYear(f)
	text, terr := calendarTable(r, f)
	if err = errors.Join(yerr, terr); err != nil {
		s.calendarRefused(w, r, year, text, err)
		return
	}
	days, err := workcal.ParseTable(strings.NewReader(text), year)
	if err != nil {
		s.calendarRefused(w, r, year, text, err)
		return
	}
	plan, _, _, err := s.planCalendarYear(ctx, s.db, year, days, false)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p, err := s.adminData(ctx, "calendar")
	if err == nil {
		p.Cal, err = s.calendarView(ctx, year)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Cal.Preview = plan
	s.renderStaff(w, r, "staff/admin.html", p)
}

// postCalendarYear saves a year's table as previewed, with the deadlines it moves and its
// audit entry in one transaction; the running processes reload the calendar.
func (s *Server) postCalendarYear(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readFields(w, r)
	if err != nil {
		s.calendarRefused(w, r, 0, "", &badField{"table", err.Error()})
		return
	}
	rec, err := s.applyAdminChange(ctx, "calendar", f, r, s.saveCalendarYear)
	if err != nil {
		y, _ := calendarYear(f)
		s.calendarRefused(w, r, y, f.get("table"), err)
		return
	}
	detail := rec.detail.(map[string]any)
	http.Redirect(w, r, fmt.Sprintf("/admin/calendar?year=%s&saved=1&moved=%d", rec.key, detail["tickets_moved"]), http.StatusSeeOther)
}

// saveCalendarYear replaces the entries of a year by a table and moves the resolution
// deadlines of open tickets with it (see workcal.MoveDeadline): a department keeps the
// working days it had left, since the deadline was counted before the notice was entered.
func (s *Server) saveCalendarYear(ctx context.Context, tx bun.Tx, by *org.Staff, f fields, r *http.Request) (auditRecord, error) {
	year, err := calendarYear(f)
	if err != nil {
		return auditRecord{}, err
	}
	days, err := workcal.ParseTable(strings.NewReader(f.get("table")), year)
	if err != nil {
		return auditRecord{}, err
	}
	store := workcal.NewStore(tx)
	// An empty table counts on the shipped calendar: it is written first, so the years it
	// holds stay when this one is added.
	if stored, err := store.Load(ctx); err != nil {
		return auditRecord{}, err
	} else if len(stored) == 0 {
		if _, err := store.SeedDefaults(ctx); err != nil {
			return auditRecord{}, err
		}
	}
	plan, old, cur, err := s.planCalendarYear(ctx, tx, year, days, true)
	if err != nil {
		return auditRecord{}, err
	}
	if err := store.Apply(ctx, plan.Changes, by.Username); err != nil {
		return auditRecord{}, err
	}
	now := s.Clock.Now()
	moves, err := s.Tickets.MoveDuesTx(ctx, tx, tickets.ActorFor(by), now, dueMover(old, cur, now), year)
	if err != nil {
		return auditRecord{}, err
	}
	numbers := make([]string, len(moves))
	for i, m := range moves {
		numbers[i] = m.Number
	}
	return auditRecord{"calendar_year_saved", "workcal_year", strconv.Itoa(year), map[string]any{
		"added": plan.Added, "removed": plan.Removed, "changed": plan.Changed, "tickets_moved": len(moves), "tickets": numbers}}, nil
}

// calendarRefused shows the calendar tab again with what is wrong: each bad line of the
// table in the reader's language, with a 400; anything else is the server's.
func (s *Server) calendarRefused(w http.ResponseWriter, r *http.Request, year int, text string, err error) {
	lang := langOf(r)
	var msgs []string
	var te workcal.TableErrors
	var bf *badField
	switch {
	case errors.As(err, &te):
		for _, e := range te {
			msgs = append(msgs, lineErrorText(lang, year, e))
		}
	case errors.As(err, &bf):
		for _, e := range unwrapAll(err) {
			if errors.As(e, &bf) {
				msgs = append(msgs, tr(lang, badFieldKeys[bf.field]))
			}
		}
	default:
		s.serverError(w, r, err)
		return
	}
	ctx := r.Context()
	p, err := s.adminData(ctx, "calendar")
	if err == nil {
		p.Cal, err = s.calendarView(ctx, year)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Cal.Table, p.Cal.Errors = text, msgs
	s.renderStaffStatus(w, r, http.StatusBadRequest, "staff/admin.html", p)
}

// badFieldKeys are the messages of the calendar forms' fields.
var badFieldKeys = map[string]string{"year": "cal.err.year_field", "file": "cal.err.file", "table": "cal.err.table"}

// unwrapAll lists the errors joined in err, or err alone.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// lineErrorText says what is wrong with a line of a year's table in lang.
func lineErrorText(lang string, year int, e *workcal.LineError) string {
	msg := tr(lang, "cal.err."+string(e.Reason))
	switch e.Reason {
	case workcal.ReasonEmpty:
		return msg
	case workcal.ReasonYear:
		return fmt.Sprintf(msg, e.Line, e.Value, year)
	case workcal.ReasonDuplicate:
		return fmt.Sprintf(msg, e.Line, e.Value, e.First)
	case workcal.ReasonFields:
		return fmt.Sprintf(msg, e.Line)
	}
	return fmt.Sprintf(msg, e.Line, e.Value)
}

// monthName is a month's name in lang.
func monthName(lang string, m time.Month) string {
	if lang == "en" {
		return m.String()
	}
	return fmt.Sprintf("%d 月", int(m))
}
