// Package workcal is the working-day calendar (工作日历) used to compute
// deadlines of the hotline.
//
// Chinese administrative deadlines count working days of the official
// calendar: Monday to Friday are worked and the weekend is off, except
// statutory holidays (a weekday off) and adjusted working days (调休, a
// weekend day that is worked). The State Council publishes the next year's
// holidays each November; the package embeds the years known when it was
// built (see Seed) and a Store keeps the administrators' copy in PostgreSQL.
package workcal

import (
	"fmt"
	"slices"
	"time"
)

// Day types returned by Calendar.DayType.
const (
	TypeWorkday = "workday"
	TypeWeekend = "weekend"
	TypeHoliday = "holiday"
)

// WorkingHours is the daily window of working time, as offsets from local
// midnight. A zero WorkingHours stands for DefaultHours.
type WorkingHours struct {
	Start time.Duration
	End   time.Duration
}

// DefaultHours is the usual office day of a hotline back office, 09:00 to
// 17:00.
var DefaultHours = WorkingHours{Start: 9 * time.Hour, End: 17 * time.Hour}

// Validate reports whether h is a non-empty window within one day.
func (h WorkingHours) Validate() error {
	if h.Start < 0 || h.End > 24*time.Hour || h.Start >= h.End {
		return fmt.Errorf("workcal: invalid working hours %s-%s: want 0 <= start < end <= 24h", h.Start, h.End)
	}
	return nil
}

// Length returns the working time of one working day.
func (h WorkingHours) Length() time.Duration {
	return h.End - h.Start
}

// Calendar answers working-day questions for one zone and one daily window.
// It is immutable after New and safe for concurrent use; to change the
// calendar, build a new one and swap it in.
type Calendar struct {
	days  map[Date]Day
	years map[int]bool
	loc   *time.Location
	hours WorkingHours
}

// New returns a calendar of the given entries, interpreted in loc (for
// China, Asia/Shanghai) with the daily window hours. If two entries have the
// same date the later one wins, so that local overrides can be appended to
// the national list. A zero hours means DefaultHours. New panics if loc is
// nil, hours is invalid or an entry has an invalid date or kind: these are
// programming errors, since ParseCSV and Store.Load return only valid entries
// and configured hours can be checked with WorkingHours.Validate first.
func New(days []Day, loc *time.Location, hours WorkingHours) *Calendar {
	if loc == nil {
		panic("workcal: New with nil location")
	}
	if hours == (WorkingHours{}) {
		hours = DefaultHours
	}
	if err := hours.Validate(); err != nil {
		panic(err.Error())
	}
	c := &Calendar{
		days:  make(map[Date]Day, len(days)),
		years: make(map[int]bool),
		loc:   loc,
		hours: hours,
	}
	for _, d := range days {
		if !d.Date.IsValid() || !d.Kind.Valid() {
			panic(fmt.Sprintf("workcal: New with invalid entry %s %q", d.Date, d.Kind))
		}
		c.days[d.Date] = d
		c.years[d.Date.Year] = true
	}
	return c
}

// Location returns the zone in which the calendar reads instants.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours returns the daily working window.
func (c *Calendar) Hours() WorkingHours { return c.hours }

// Days returns a copy of the calendar's entries sorted by date.
func (c *Calendar) Days() []Day {
	out := make([]Day, 0, len(c.days))
	for _, d := range c.days {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return out
}

// Covers reports whether the calendar has any entry in year. Every year has
// statutory holidays, so a year without entries means its notice has not
// been loaded and deadlines in it would ignore the holidays.
func (c *Calendar) Covers(year int) bool {
	return c.years[year]
}

// IsWorkday reports whether the day of t, in the calendar's zone, is a
// working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWorkday(c.dateOf(t))
}

// DayType returns TypeWorkday, TypeWeekend or TypeHoliday for the day of t in
// the calendar's zone. An adjusted working day (调休) is a TypeWorkday and a
// holiday that falls on a weekend is a TypeHoliday.
func (c *Calendar) DayType(t time.Time) string {
	d := c.dateOf(t)
	if e, ok := c.days[d]; ok {
		if e.Kind == Holiday {
			return TypeHoliday
		}
		return TypeWorkday
	}
	if isWeekend(d) {
		return TypeWeekend
	}
	return TypeWorkday
}

// HolidayName returns the name of the statutory holiday on the day of t in
// the calendar's zone, such as 春节, or "" if that day is not a holiday.
func (c *Calendar) HolidayName(t time.Time) string {
	if e, ok := c.days[c.dateOf(t)]; ok && e.Kind == Holiday {
		return e.Name
	}
	return ""
}

// AddWorkdays returns the deadline of n working days after t: the end of
// working hours on the n-th working day after the day of t, in the
// calendar's zone. The day of t itself never counts, whatever the time, as
// the rules count "within n working days" from the day after registration.
// If n <= 0 it returns t.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	d := c.dateOf(t)
	for n > 0 {
		d = d.AddDays(1)
		if c.isWorkday(d) {
			n--
		}
	}
	_, end := c.window(d)
	return end
}

// AddWorkingHours returns the instant at which d of working time has
// elapsed after t, counting only time within working hours on working days.
// Time outside the window does not count: from before the window the count
// starts at the window, from after it at the next working day's window. A
// result that lands exactly on the end of a window stays there rather than
// moving to the next morning. The result is in the calendar's zone; if
// d <= 0 it returns t.
func (c *Calendar) AddWorkingHours(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	cur := t.In(c.loc)
	for day := DateOf(cur); ; day = day.AddDays(1) {
		if !c.isWorkday(day) {
			continue
		}
		start, end := c.window(day)
		if cur.Before(start) {
			cur = start
		}
		if !cur.Before(end) {
			continue
		}
		left := end.Sub(cur)
		if d <= left {
			return cur.Add(d)
		}
		d -= left
	}
}

// WorkingDuration returns the working time between from and to: the part of
// [from, to) inside working hours on working days. It is the inverse of
// AddWorkingHours, so WorkingDuration(t, AddWorkingHours(t, d)) == d, and it
// measures how much of a clock has run. If to is before from the result is
// negative.
func (c *Calendar) WorkingDuration(from, to time.Time) time.Duration {
	if to.Before(from) {
		return -c.WorkingDuration(to, from)
	}
	var total time.Duration
	last := c.dateOf(to)
	for day := c.dateOf(from); !day.After(last); day = day.AddDays(1) {
		if !c.isWorkday(day) {
			continue
		}
		start, end := c.window(day)
		if from.After(start) {
			start = from
		}
		if to.Before(end) {
			end = to
		}
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}

func (c *Calendar) dateOf(t time.Time) Date {
	return DateOf(t.In(c.loc))
}

func (c *Calendar) isWorkday(d Date) bool {
	if e, ok := c.days[d]; ok {
		return e.Kind == Workday
	}
	return !isWeekend(d)
}

// window returns the start and end of working hours on d. The offsets are
// added as wall-clock time through time.Date, so that a zone with daylight
// saving still opens at 09:00 on the day the clocks change.
func (c *Calendar) window(d Date) (start, end time.Time) {
	start = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, int(c.hours.Start), c.loc)
	end = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, int(c.hours.End), c.loc)
	return start, end
}

func isWeekend(d Date) bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}
