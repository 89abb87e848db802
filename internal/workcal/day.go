package workcal

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind says how an entry of the official calendar departs from the normal
// week.
type Kind string

const (
	// Holiday is a statutory day off, even if it falls on a weekday.
	Holiday Kind = "holiday"
	// Workday is an adjusted working day (调休): a weekend day that is worked
	// to make a holiday longer.
	Workday Kind = "workday"
)

// ParseKind returns the Kind spelled s, which must be "holiday" or "workday".
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case Holiday, Workday:
		return k, nil
	default:
		return "", fmt.Errorf("unknown kind %q, want %q or %q", s, Holiday, Workday)
	}
}

// Valid reports whether k is Holiday or Workday.
func (k Kind) Valid() bool {
	return k == Holiday || k == Workday
}

// Day is one entry of the official calendar. Days that have no entry follow
// the normal week: Monday to Friday work, Saturday and Sunday off.
type Day struct {
	Date Date
	Kind Kind
	// Name is the festival the entry belongs to, such as 春节; for a Workday
	// it names the holiday the worked day makes up for.
	Name string
}

// ParseError reports a malformed line of a calendar CSV file.
type ParseError struct {
	Line int // 1-based line number in the input
	Err  error
}

// Error returns the message with the line number first, so that an
// administrator who uploaded the file can find the line. It carries no
// package prefix because it is meant to be shown to that administrator.
func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// csvHeader is the optional first record of a calendar file.
var csvHeader = []string{"date", "kind", "name"}

// utf8BOM is written at the start of CSV files saved by spreadsheet programs,
// which is how administrators are likely to edit the calendar.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseCSV reads a calendar in the form of cn.csv: records of date,kind,name
// with dates as YYYY-MM-DD and kinds "holiday" or "workday". Lines starting
// with # are comments and blank lines are skipped; a first record equal to
// the header date,kind,name is skipped too. A bad date, an unknown kind, a
// date given twice or a record without exactly three fields is an error of
// type *ParseError naming the line. The days are returned in file order.
func ParseCSV(r io.Reader) ([]Day, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}

	cr := csv.NewReader(br)
	cr.Comment = '#'
	// The field count is checked below so that the error can say what is
	// expected; encoding/csv would only compare with the first record.
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true

	var (
		days  []Day
		seen  = make(map[Date]int) // date -> line it was first given on
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
				return nil, &ParseError{Line: pe.Line, Err: pe.Err}
			}
			return nil, fmt.Errorf("workcal: read calendar csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}

		if first {
			first = false
			if isHeader(rec) {
				continue
			}
		}
		if len(rec) != len(csvHeader) {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("got %d fields, want 3 (date,kind,name)", len(rec))}
		}

		date, err := ParseDate(rec[0])
		if err != nil {
			return nil, &ParseError{Line: line, Err: err}
		}
		kind, err := ParseKind(rec[1])
		if err != nil {
			return nil, &ParseError{Line: line, Err: err}
		}
		if prev, ok := seen[date]; ok {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("duplicate date %s, first given on line %d", date, prev)}
		}
		seen[date] = line
		days = append(days, Day{Date: date, Kind: kind, Name: rec[2]})
	}
	return days, nil
}

func isHeader(rec []string) bool {
	if len(rec) != len(csvHeader) {
		return false
	}
	for i, f := range rec {
		if !strings.EqualFold(f, csvHeader[i]) {
			return false
		}
	}
	return true
}

// seedCSV is China's official calendar for the years published so far. It
// is embedded so that a fresh installation computes correct deadlines before
// an administrator has looked at the calendar.
//
//go:embed cn.csv
var seedCSV []byte

// Seed returns the embedded Chinese calendar (statutory holidays and adjusted
// working days from the State Council's notices). Each November the State
// Council publishes the next year's notice; until the embedded file is
// updated, administrators add that year through the Store.
func Seed() ([]Day, error) {
	days, err := ParseCSV(bytes.NewReader(seedCSV))
	if err != nil {
		return nil, fmt.Errorf("workcal: embedded calendar: %w", err)
	}
	return days, nil
}
