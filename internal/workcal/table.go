package workcal

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Reason says what is wrong with a line of a year's table, so that the web can say it in the
// reader's language.
type Reason string

// Reasons of a LineError.
const (
	ReasonSyntax    Reason = "syntax"    // the line is not a readable CSV record
	ReasonFields    Reason = "fields"    // not three columns
	ReasonDate      Reason = "date"      // not a real date written YYYY-MM-DD
	ReasonKind      Reason = "kind"      // neither a holiday nor a working day
	ReasonYear      Reason = "year"      // a date outside the year being entered
	ReasonDuplicate Reason = "duplicate" // a date given twice
	ReasonEmpty     Reason = "empty"     // no line at all
)

// LineError is one bad line of a year's table. Value is the offending text and First, for a
// duplicate, the line the date was first given on.
type LineError struct {
	Line   int
	Reason Reason
	Value  string
	First  int
}

// Error returns the line and the reason, in English, for logs and the API.
func (e *LineError) Error() string {
	switch e.Reason {
	case ReasonDuplicate:
		return fmt.Sprintf("line %d: duplicate date %s, first given on line %d", e.Line, e.Value, e.First)
	case ReasonEmpty:
		return "the table has no days"
	}
	return fmt.Sprintf("line %d: %s %q", e.Line, e.Reason, e.Value)
}

// TableErrors are all the bad lines of a year's table, in line order.
type TableErrors []*LineError

func (es TableErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// tableKinds are the spellings of a kind accepted in a year's table: the machine names and
// the words of the State Council's notices and of wall calendars (放假/休, 上班/班).
var tableKinds = map[string]Kind{
	"holiday": Holiday, "放假": Holiday, "休": Holiday, "休息": Holiday,
	"workday": Workday, "上班": Workday, "班": Workday, "调休上班": Workday,
}

// ParseTable reads one year's statutory holidays and adjusted working days as an
// administrator pastes them from a spreadsheet or uploads them as a CSV file: records of
// date, kind, name separated by commas or, as a spreadsheet copies them, by tabs. Kinds are
// holiday or workday, or in Chinese 放假/休 and 上班/班. Blank lines, lines starting with # and
// a first line of column headings are skipped. Every line is checked, and all bad lines are
// returned as TableErrors (bad date, unknown kind, a date outside year, a date given twice),
// so that nothing is saved until the whole table is right. The days are sorted by date.
func ParseTable(r io.Reader, year int) ([]Day, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("workcal: read table: %w", err)
	}
	b = bytes.TrimPrefix(b, utf8BOM)
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comma = separator(b)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true

	var (
		days  []Day
		errs  TableErrors
		seen  = make(map[Date]int)
		first = true
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// encoding/csv cannot go on reliably after a broken quote.
				errs = append(errs, &LineError{Line: pe.Line, Reason: ReasonSyntax, Value: pe.Err.Error()})
				break
			}
			return nil, fmt.Errorf("workcal: read table: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first {
			first = false
			if isTableHeader(rec) {
				continue
			}
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if len(rec) != len(csvHeader) {
			errs = append(errs, &LineError{Line: line, Reason: ReasonFields, Value: strings.Join(rec, string(cr.Comma))})
			continue
		}
		date, err := ParseDate(rec[0])
		if err != nil {
			errs = append(errs, &LineError{Line: line, Reason: ReasonDate, Value: rec[0]})
			continue
		}
		kind, ok := tableKinds[strings.ToLower(rec[1])]
		if !ok {
			errs = append(errs, &LineError{Line: line, Reason: ReasonKind, Value: rec[1]})
			continue
		}
		if year != 0 && date.Year != year {
			errs = append(errs, &LineError{Line: line, Reason: ReasonYear, Value: rec[0]})
			continue
		}
		if prev, ok := seen[date]; ok {
			errs = append(errs, &LineError{Line: line, Reason: ReasonDuplicate, Value: date.String(), First: prev})
			continue
		}
		seen[date] = line
		days = append(days, Day{Date: date, Kind: kind, Name: rec[2]})
	}
	if len(errs) == 0 && len(days) == 0 {
		errs = append(errs, &LineError{Reason: ReasonEmpty})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	slices.SortFunc(days, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return days, nil
}

// separator is a tab when the first line that is not a comment has one (a table copied from
// a spreadsheet), else a comma.
func separator(b []byte) rune {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.Contains(l, "\t") {
			return '\t'
		}
		break
	}
	return ','
}

// isTableHeader reports whether rec is a line of column headings, in English or Chinese.
func isTableHeader(rec []string) bool {
	return len(rec) > 0 && (strings.EqualFold(rec[0], "date") || rec[0] == "日期")
}

// FormatTable writes days as the CSV a ParseTable reads back, header first.
func FormatTable(days []Day) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(csvHeader)
	for _, d := range days {
		_ = w.Write([]string{d.Date.String(), string(d.Kind), d.Name})
	}
	w.Flush()
	return b.String()
}

// Change is what saving a year's table does to one date: Old is the entry before (nil when
// the date is added), New the one after (nil when removed).
type Change struct {
	Date Date
	Old  *Day
	New  *Day
}

// Op is "added", "removed" or "changed".
func (c Change) Op() string {
	switch {
	case c.Old == nil:
		return "added"
	case c.New == nil:
		return "removed"
	}
	return "changed"
}

// DiffYear returns the changes that replacing the entries of year in current by table makes,
// by date. Entries of other years are not touched; entries of the year absent from table are
// removed, as the table is the whole of the year's notice.
func DiffYear(current []Day, year int, table []Day) []Change {
	old := make(map[Date]Day)
	for _, d := range current {
		if d.Date.Year == year {
			old[d.Date] = d
		}
	}
	var out []Change
	for _, d := range table {
		if o, ok := old[d.Date]; !ok {
			out = append(out, Change{Date: d.Date, New: &d})
		} else if o != d {
			out = append(out, Change{Date: d.Date, Old: &o, New: &d})
		}
		delete(old, d.Date)
	}
	for _, o := range old {
		out = append(out, Change{Date: o.Date, Old: &o})
	}
	slices.SortFunc(out, func(a, b Change) int { return a.Date.Compare(b.Date) })
	return out
}

// ReplaceYear returns current with the entries of year replaced by table.
func ReplaceYear(current []Day, year int, table []Day) []Day {
	out := make([]Day, 0, len(current)+len(table))
	for _, d := range current {
		if d.Date.Year != year {
			out = append(out, d)
		}
	}
	out = append(out, table...)
	slices.SortFunc(out, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return out
}

// MoveDeadline returns where a deadline due, counted on old, falls on cur when the calendar
// changes at now: the deadline keeps the working days it had left after today, and its time
// of day. Changes to days already past move nothing, and a deadline already reached (due not
// after now) stays where it is: it has been enforced.
func MoveDeadline(old, cur *Calendar, now, due time.Time) time.Time {
	if !due.After(now) {
		return due
	}
	today := old.dateOf(now)
	dueDay := old.dateOf(due)
	// left is the working days after today up to the deadline's day on the old calendar,
	// last the last of them (today when none).
	left, last := 0, today
	for d := today.AddDays(1); !d.After(dueDay); d = d.AddDays(1) {
		if old.isWorkday(d) {
			left, last = left+1, d
		}
	}
	day := today
	for n := left; n > 0; {
		day = day.AddDays(1)
		if cur.isWorkday(day) {
			n--
		}
	}
	// Nothing changed in between: the deadline stays, even on a day off. A deadline on a day
	// off that does move lands on the working day its last one moved to.
	if day == last {
		return due
	}
	local := due.In(old.loc)
	return time.Date(day.Year, day.Month, day.Day, local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), old.loc)
}

// MissingYear returns the coming year and true when, from 1 November (the State Council
// publishes the next year's notice in November), c has no entry in that year yet: deadlines
// reaching into it would count no holidays.
func MissingYear(c *Calendar, now time.Time) (int, bool) {
	local := now.In(c.loc)
	next := local.Year() + 1
	return next, local.Month() >= time.November && !c.Covers(next)
}

// YearMonth is one month of a year view: its weeks, Monday first, days outside the month
// zero.
type YearMonth struct {
	Month time.Month
	Weeks [][7]YearDay
}

// YearDay is one day of a year view. Type is TypeWorkday, TypeWeekend or TypeHoliday;
// Adjusted marks a weekend day worked (调休).
type YearDay struct {
	Date     Date
	Type     string
	Adjusted bool
	Name     string
}

// Year returns the twelve months of year as week rows for a calendar grid.
func (c *Calendar) Year(year int) []YearMonth {
	months := make([]YearMonth, 0, 12)
	for m := time.January; m <= time.December; m++ {
		ym := YearMonth{Month: m}
		var week [7]YearDay
		for d := NewDate(year, m, 1); d.Month == m; d = d.AddDays(1) {
			col := (int(d.Weekday()) + 6) % 7 // Monday first
			yd := YearDay{Date: d, Type: c.DayType(d.In(c.loc))}
			if e, ok := c.days[d]; ok {
				yd.Name = e.Name
				yd.Adjusted = e.Kind == Workday && isWeekend(d)
			}
			week[col] = yd
			if col == 6 {
				ym.Weeks = append(ym.Weeks, week)
				week = [7]YearDay{}
			}
		}
		if week != ([7]YearDay{}) {
			ym.Weeks = append(ym.Weeks, week)
		}
		months = append(months, ym)
	}
	return months
}
