package workcal

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// dateLayout is the ISO 8601 calendar date used in the data file, in the
// database and in JSON.
const dateLayout = "2006-01-02"

// Date is a civil calendar date with no time of day and no zone. The official
// calendar is a list of dates, not instants: 2025-10-01 is a holiday wherever
// the clock is read, so the calendar keys its data by Date and converts
// instants to dates in its own zone. The zero Date is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location. Call t.In(loc) first to
// get the date in another zone.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// NewDate returns the date y-m-d, normalised the way time.Date normalises
// (2025-02-30 becomes 2025-03-02).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// ParseDate parses a date in the form 2006-01-02. Unlike NewDate it rejects
// out-of-range fields, because a typo in an administrator's data must not be
// silently moved to another day.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q, want YYYY-MM-DD: %w", s, err)
	}
	return DateOf(t), nil
}

// String returns the date in the form 2006-01-02.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool {
	return d == Date{}
}

// IsValid reports whether d names a real day of the Gregorian calendar.
func (d Date) IsValid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 && NewDate(d.Year, d.Month, d.Day) == d
}

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days after d (before it if n is negative).
func (d Date) AddDays(n int) Date {
	return NewDate(d.Year, d.Month, d.Day+n)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return d.In(time.UTC).Weekday()
}

// Compare returns -1 if d is before e, 0 if they are equal and +1 if d is
// after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

// MarshalText implements encoding.TextMarshaler, so that JSON carries the
// date as "2006-01-02".
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value implements driver.Valuer, writing the date as an ISO literal so that
// PostgreSQL stores the same day whatever the session time zone.
func (d Date) Value() (driver.Value, error) {
	if !d.IsValid() {
		return nil, fmt.Errorf("workcal: invalid date %s", d)
	}
	return d.String(), nil
}

// Scan implements sql.Scanner. Drivers return a date column either as text
// or as a time.Time at midnight UTC; the date is read from the time's own
// fields, never converted to another zone, which would shift it by a day.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = DateOf(v)
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("workcal: cannot scan %T into Date", src)
	}
}

func (d *Date) scanText(s string) error {
	// Some drivers render a date column like a timestamp; keep the date part.
	if len(s) > len(dateLayout) {
		s = s[:len(dateLayout)]
	}
	v, err := ParseDate(s)
	if err != nil {
		return fmt.Errorf("workcal: scan date: %w", err)
	}
	*d = v
	return nil
}
