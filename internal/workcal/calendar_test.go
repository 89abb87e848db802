package workcal

import (
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files

	"github.com/google/go-cmp/cmp"
)

var shanghai = mustLoadLocation("Asia/Shanghai")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns a wall-clock time in Shanghai.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, shanghai)
}

func seedCalendar(t testing.TB) *Calendar {
	t.Helper()
	days, err := Seed()
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return New(days, shanghai, DefaultHours)
}

func TestAddWorkdays(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	tests := []struct {
		name string
		t    time.Time
		n    int
		want time.Time
	}{
		// National Day and Mid-Autumn 2025: Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked.
		{"eve of National Day", at(2025, 9, 30, 10, 0), 1, at(2025, 10, 9, 17, 0)},
		{"eve of National Day, 2 days", at(2025, 9, 30, 10, 0), 2, at(2025, 10, 10, 17, 0)},
		{"eve of National Day, 3 days reaches the worked Saturday", at(2025, 9, 30, 10, 0), 3, at(2025, 10, 11, 17, 0)},
		{"registered during the holiday", at(2025, 10, 3, 11, 0), 1, at(2025, 10, 9, 17, 0)},
		{"Friday before a worked Sunday", at(2025, 9, 26, 15, 0), 1, at(2025, 9, 28, 17, 0)},
		{"Friday evening before a worked Saturday", at(2025, 10, 10, 18, 0), 1, at(2025, 10, 11, 17, 0)},
		{"registered on the worked Saturday", at(2025, 10, 11, 9, 30), 1, at(2025, 10, 13, 17, 0)},
		// Spring Festival 2026: Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked.
		{"Spring Festival 2026, Friday", at(2026, 2, 13, 15, 0), 1, at(2026, 2, 14, 17, 0)},
		{"Spring Festival 2026, across the holiday", at(2026, 2, 13, 15, 0), 2, at(2026, 2, 24, 17, 0)},
		{"Spring Festival 2026, from the worked Saturday", at(2026, 2, 14, 10, 0), 1, at(2026, 2, 24, 17, 0)},
		{"Spring Festival 2026, 5 days from Thursday", at(2026, 2, 12, 9, 0), 5, at(2026, 2, 26, 17, 0)},
		{"Friday before the worked Saturday Feb 28", at(2026, 2, 27, 16, 0), 1, at(2026, 2, 28, 17, 0)},
		{"Spring Festival 2025", at(2025, 1, 27, 12, 0), 1, at(2025, 2, 5, 17, 0)},
		{"New Year 2026 with a worked Sunday", at(2025, 12, 31, 12, 0), 1, at(2026, 1, 4, 17, 0)},
		// Ordinary weeks.
		{"Friday evening", at(2025, 11, 14, 20, 0), 1, at(2025, 11, 17, 17, 0)},
		{"Friday morning counts from the next day too", at(2025, 11, 14, 8, 0), 1, at(2025, 11, 17, 17, 0)},
		{"Friday plus a working week", at(2025, 11, 14, 8, 0), 5, at(2025, 11, 21, 17, 0)},
		{"Sunday", at(2025, 11, 16, 23, 59), 1, at(2025, 11, 17, 17, 0)},
		{"fifteen working days", at(2025, 11, 3, 10, 0), 15, at(2025, 11, 24, 17, 0)},
		// The day is read in the calendar's zone: 16:30 UTC on Oct 10 is
		// 00:30 on Saturday Oct 11 in Shanghai, a worked day that is not counted.
		{"instant in another zone", time.Date(2025, 10, 10, 16, 30, 0, 0, time.UTC), 1, at(2025, 10, 13, 17, 0)},
		// Without data the normal week applies; this is why Covers exists.
		{"uncovered year follows the normal week", at(2026, 12, 31, 10, 0), 1, at(2027, 1, 1, 17, 0)},
		{"zero", at(2025, 9, 30, 10, 0), 0, at(2025, 9, 30, 10, 0)},
		{"negative", at(2025, 9, 30, 10, 0), -3, at(2025, 9, 30, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cal.AddWorkdays(tt.t, tt.n)
			if !got.Equal(tt.want) {
				t.Errorf("AddWorkdays(%v, %d) = %v, want %v", tt.t, tt.n, got, tt.want)
			}
			if tt.n > 0 && got.Location() != shanghai {
				t.Errorf("result in zone %v, want %v", got.Location(), shanghai)
			}
		})
	}
}

func TestAddWorkdaysCustomHours(t *testing.T) {
	t.Parallel()
	cal := New(nil, shanghai, WorkingHours{Start: 8*time.Hour + 30*time.Minute, End: 12 * time.Hour})
	if got, want := cal.AddWorkdays(at(2025, 11, 14, 10, 0), 1), at(2025, 11, 17, 12, 0); !got.Equal(want) {
		t.Errorf("AddWorkdays = %v, want %v", got, want)
	}
}

// TestAddWorkdaysProperty checks every day of the covered years: the result
// of one working day is a working day, and every day skipped is not.
func TestAddWorkdaysProperty(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	for d := (Date{2025, time.January, 1}); d.Year < 2027; d = d.AddDays(1) {
		got := cal.AddWorkdays(d.In(shanghai).Add(13*time.Hour), 1)
		gd := DateOf(got)
		if !cal.IsWorkday(got) {
			t.Errorf("AddWorkdays(%s, 1) = %s, not a working day", d, gd)
		}
		for s := d.AddDays(1); s.Before(gd); s = s.AddDays(1) {
			if cal.IsWorkday(s.In(shanghai)) {
				t.Errorf("AddWorkdays(%s, 1) = %s skipped working day %s", d, gd, s)
			}
		}
	}
}

func TestAddWorkingHours(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	tests := []struct {
		name string
		t    time.Time
		d    time.Duration
		want time.Time
	}{
		{"inside the window", at(2025, 11, 12, 10, 0), 2 * time.Hour, at(2025, 11, 12, 12, 0)},
		{"before the window", at(2025, 11, 12, 7, 30), time.Hour, at(2025, 11, 12, 10, 0)},
		{"after the window", at(2025, 11, 12, 18, 0), time.Hour, at(2025, 11, 13, 10, 0)},
		{"spills into the next day", at(2025, 11, 12, 16, 0), 2 * time.Hour, at(2025, 11, 13, 10, 0)},
		{"ends exactly at closing", at(2025, 11, 12, 16, 0), time.Hour, at(2025, 11, 12, 17, 0)},
		{"from closing time", at(2025, 11, 12, 17, 0), time.Minute, at(2025, 11, 13, 9, 1)},
		{"Friday afternoon across a weekend", at(2025, 11, 14, 16, 0), 2 * time.Hour, at(2025, 11, 17, 10, 0)},
		{"from a Saturday", at(2025, 11, 15, 12, 0), time.Hour, at(2025, 11, 17, 10, 0)},
		{"one working week", at(2025, 11, 10, 9, 0), 40 * time.Hour, at(2025, 11, 14, 17, 0)},
		{"one working week and an hour", at(2025, 11, 10, 9, 0), 41 * time.Hour, at(2025, 11, 17, 10, 0)},
		{"across National Day", at(2025, 9, 30, 16, 30), time.Hour, at(2025, 10, 9, 9, 30)},
		{"onto the worked Saturday", at(2025, 10, 10, 16, 0), 3 * time.Hour, at(2025, 10, 11, 11, 0)},
		{"from the worked Sunday", at(2025, 9, 28, 8, 0), 4 * time.Hour, at(2025, 9, 28, 13, 0)},
		{"across Spring Festival 2026", at(2026, 2, 14, 16, 0), 2 * time.Hour, at(2026, 2, 24, 10, 0)},
		{"instant in another zone", time.Date(2025, 11, 12, 1, 0, 0, 0, time.UTC), 30 * time.Minute, at(2025, 11, 12, 9, 30)},
		{"zero", at(2025, 11, 15, 12, 0), 0, at(2025, 11, 15, 12, 0)},
		{"negative", at(2025, 11, 15, 12, 0), -time.Hour, at(2025, 11, 15, 12, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cal.AddWorkingHours(tt.t, tt.d)
			if !got.Equal(tt.want) {
				t.Errorf("AddWorkingHours(%v, %v) = %v, want %v", tt.t, tt.d, got, tt.want)
			}
		})
	}
}

func TestWorkingDuration(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	tests := []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"same instant", at(2025, 11, 12, 10, 0), at(2025, 11, 12, 10, 0), 0},
		{"inside one window", at(2025, 11, 12, 10, 0), at(2025, 11, 12, 12, 15), 2*time.Hour + 15*time.Minute},
		{"evening only", at(2025, 11, 12, 18, 0), at(2025, 11, 12, 23, 0), 0},
		{"overnight", at(2025, 11, 12, 16, 0), at(2025, 11, 13, 10, 0), 2 * time.Hour},
		{"whole day from midnight to midnight", at(2025, 11, 12, 0, 0), at(2025, 11, 13, 0, 0), 8 * time.Hour},
		{"across a weekend", at(2025, 11, 14, 16, 0), at(2025, 11, 17, 10, 0), 2 * time.Hour},
		{"weekend only", at(2025, 11, 15, 0, 0), at(2025, 11, 17, 0, 0), 0},
		{"National Day: only Sep 30 counts", at(2025, 9, 30, 0, 0), at(2025, 10, 9, 0, 0), 8 * time.Hour},
		{"weekend with a worked Sunday", at(2025, 9, 26, 0, 0), at(2025, 9, 29, 0, 0), 16 * time.Hour},
		{"Spring Festival 2026", at(2026, 2, 13, 0, 0), at(2026, 2, 25, 0, 0), 3 * 8 * time.Hour},
		{"reversed is negative", at(2025, 11, 13, 10, 0), at(2025, 11, 12, 16, 0), -2 * time.Hour},
		{"mixed zones", time.Date(2025, 11, 12, 1, 0, 0, 0, time.UTC), at(2025, 11, 12, 12, 0), 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cal.WorkingDuration(tt.from, tt.to); got != tt.want {
				t.Errorf("WorkingDuration(%v, %v) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// TestWorkingHoursProperty checks that WorkingDuration inverts
// AddWorkingHours and that AddWorkingHours returns the earliest such instant
// (one inside a working window), over instants around National Day 2025 and
// Spring Festival 2026 and durations from a nanosecond to weeks.
func TestWorkingHoursProperty(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	durations := []time.Duration{
		time.Nanosecond, time.Minute, 59 * time.Minute, time.Hour,
		2*time.Hour + 30*time.Minute, 8*time.Hour - time.Second, 8 * time.Hour,
		8*time.Hour + time.Minute, 16 * time.Hour, 40 * time.Hour, 100 * time.Hour,
	}
	ranges := []struct{ from, to time.Time }{
		{at(2025, 9, 20, 0, 0), at(2025, 10, 20, 0, 0)},
		{at(2026, 2, 6, 0, 0), at(2026, 3, 3, 0, 0)},
	}
	// A step prime to the hour visits many different minutes of the day,
	// including the edges of the window.
	const step = 37*time.Minute + 11*time.Second
	checked := 0
	for _, r := range ranges {
		for start := r.from; start.Before(r.to); start = start.Add(step) {
			for _, d := range durations {
				end := cal.AddWorkingHours(start, d)
				checked++
				if got := cal.WorkingDuration(start, end); got != d {
					t.Fatalf("WorkingDuration(%v, AddWorkingHours(%v, %v) = %v) = %v", start, start, d, end, got)
				}
				if !end.After(start) {
					t.Fatalf("AddWorkingHours(%v, %v) = %v, not after the start", start, d, end)
				}
				open, closing := cal.window(DateOf(end))
				if !cal.IsWorkday(end) || !end.After(open) || end.After(closing) {
					t.Fatalf("AddWorkingHours(%v, %v) = %v, outside working hours", start, d, end)
				}
			}
		}
	}
	if checked < 10000 {
		t.Errorf("only %d cases checked", checked)
	}
}

func TestDayType(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	tests := []struct {
		t           time.Time
		wantType    string
		wantWorkday bool
		wantName    string
	}{
		{at(2025, 10, 1, 12, 0), TypeHoliday, false, "国庆节、中秋节"},
		{at(2025, 10, 4, 12, 0), TypeHoliday, false, "国庆节、中秋节"}, // a holiday on a Saturday
		{at(2025, 10, 9, 12, 0), TypeWorkday, true, ""},
		{at(2025, 10, 11, 12, 0), TypeWorkday, true, ""}, // 调休 Saturday
		{at(2025, 10, 12, 12, 0), TypeWeekend, false, ""},
		{at(2025, 9, 28, 12, 0), TypeWorkday, true, ""}, // 调休 Sunday
		{at(2026, 2, 17, 12, 0), TypeHoliday, false, "春节"},
		{at(2026, 2, 28, 12, 0), TypeWorkday, true, ""},
		{at(2026, 6, 19, 12, 0), TypeHoliday, false, "端午节"},
		{at(2027, 1, 1, 12, 0), TypeWorkday, true, ""}, // not yet published
		// Midnight in Shanghai is 16:00 UTC the day before.
		{time.Date(2025, 9, 30, 15, 59, 0, 0, time.UTC), TypeWorkday, true, ""},
		{time.Date(2025, 9, 30, 16, 0, 0, 0, time.UTC), TypeHoliday, false, "国庆节、中秋节"},
	}
	for _, tt := range tests {
		t.Run(tt.t.Format(time.RFC3339), func(t *testing.T) {
			t.Parallel()
			if got := cal.DayType(tt.t); got != tt.wantType {
				t.Errorf("DayType = %q, want %q", got, tt.wantType)
			}
			if got := cal.IsWorkday(tt.t); got != tt.wantWorkday {
				t.Errorf("IsWorkday = %v, want %v", got, tt.wantWorkday)
			}
			if got := cal.HolidayName(tt.t); got != tt.wantName {
				t.Errorf("HolidayName = %q, want %q", got, tt.wantName)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	for year, want := range map[int]bool{2024: false, 2025: true, 2026: true, 2027: false} {
		if got := cal.Covers(year); got != want {
			t.Errorf("Covers(%d) = %v, want %v", year, got, want)
		}
	}
	if New(nil, shanghai, DefaultHours).Covers(2026) {
		t.Error("empty calendar covers 2026")
	}
}

func TestDays(t *testing.T) {
	t.Parallel()
	in := []Day{
		{Date: Date{2026, time.January, 4}, Kind: Workday, Name: "元旦"},
		{Date: Date{2026, time.January, 1}, Kind: Holiday, Name: "元旦"},
		{Date: Date{2026, time.January, 4}, Kind: Holiday, Name: "local override"},
	}
	cal := New(in, shanghai, DefaultHours)
	want := []Day{
		{Date: Date{2026, time.January, 1}, Kind: Holiday, Name: "元旦"},
		{Date: Date{2026, time.January, 4}, Kind: Holiday, Name: "local override"},
	}
	got := cal.Days()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Days (-want +got):\n%s", diff)
	}
	got[0].Kind = Workday
	in[1].Kind = Workday
	if cal.IsWorkday(at(2026, 1, 1, 12, 0)) {
		t.Error("changing the input or the copy changed the calendar")
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	if got := New(nil, shanghai, WorkingHours{}).Hours(); got != DefaultHours {
		t.Errorf("zero hours: Hours() = %v, want DefaultHours", got)
	}
	if got := New(nil, shanghai, DefaultHours).Location(); got != shanghai {
		t.Errorf("Location() = %v", got)
	}
	panics := []struct {
		name  string
		days  []Day
		loc   *time.Location
		hours WorkingHours
	}{
		{"nil location", nil, nil, DefaultHours},
		{"empty window", nil, shanghai, WorkingHours{Start: 9 * time.Hour, End: 9 * time.Hour}},
		{"bad kind", []Day{{Date: Date{2026, 1, 1}, Kind: "weekend"}}, shanghai, DefaultHours},
		{"bad date", []Day{{Date: Date{2026, 2, 30}, Kind: Holiday}}, shanghai, DefaultHours},
	}
	for _, tt := range panics {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			New(tt.days, tt.loc, tt.hours)
		})
	}
}

func TestWorkingHoursValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h     WorkingHours
		valid bool
	}{
		{DefaultHours, true},
		{WorkingHours{Start: 0, End: 24 * time.Hour}, true},
		{WorkingHours{Start: 8*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute}, true},
		{WorkingHours{Start: 17 * time.Hour, End: 9 * time.Hour}, false},
		{WorkingHours{Start: -time.Hour, End: 9 * time.Hour}, false},
		{WorkingHours{Start: 9 * time.Hour, End: 25 * time.Hour}, false},
		{WorkingHours{}, false},
	}
	for _, tt := range tests {
		if err := tt.h.Validate(); (err == nil) != tt.valid {
			t.Errorf("%v.Validate() = %v, want valid=%v", tt.h, err, tt.valid)
		}
	}
	if got := DefaultHours.Length(); got != 8*time.Hour {
		t.Errorf("DefaultHours.Length() = %v", got)
	}
}

// TestConcurrentUse is meant for go test -race: a Calendar is shared by all
// request handlers.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			start := at(2025, 9, 25, 8, 0).Add(time.Duration(i) * time.Hour)
			for j := range 200 {
				tt := start.Add(time.Duration(j) * 17 * time.Minute)
				end := cal.AddWorkingHours(tt, 5*time.Hour)
				_ = cal.WorkingDuration(tt, end)
				_ = cal.AddWorkdays(tt, 3)
				_ = cal.DayType(tt)
				_ = cal.HolidayName(tt)
				_ = cal.Days()
				_ = cal.Covers(2026)
			}
		})
	}
	wg.Wait()
}
