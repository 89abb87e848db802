package workcal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/internal/testdb"
)

func TestParseTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Day
	}{
		{
			name: "csv with header, machine kinds",
			in:   "date,kind,name\n2027-02-20,workday,春节\n2027-01-01,holiday,元旦\n",
			want: []Day{{Date: NewDate(2027, 1, 1), Kind: Holiday, Name: "元旦"}, {Date: NewDate(2027, 2, 20), Kind: Workday, Name: "春节"}},
		},
		{
			name: "pasted from a spreadsheet: tabs, Chinese headings and kinds",
			in:   "日期\t类型\t名称\r\n2027-01-01\t放假\t元旦\r\n2027-02-06\t休\t春节\r\n\r\n2027-02-20\t班\t春节\r\n2027-02-21\t上班\t春节\r\n",
			want: []Day{
				{Date: NewDate(2027, 1, 1), Kind: Holiday, Name: "元旦"}, {Date: NewDate(2027, 2, 6), Kind: Holiday, Name: "春节"},
				{Date: NewDate(2027, 2, 20), Kind: Workday, Name: "春节"}, {Date: NewDate(2027, 2, 21), Kind: Workday, Name: "春节"},
			},
		},
		{
			name: "byte order mark, comments, English kinds in capitals",
			in:   "\uFEFF# notice\n2027-10-01,Holiday,国庆节\n",
			want: []Day{{Date: NewDate(2027, 10, 1), Kind: Holiday, Name: "国庆节"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTable(strings.NewReader(tt.in), 2027)
			if err != nil {
				t.Fatalf("ParseTable: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseTable (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTableErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want TableErrors
	}{
		{"bad date", "2027-01-01,holiday,元旦\n2027-02-30,holiday,x\n2027/03/01,holiday,x\n",
			TableErrors{{Line: 2, Reason: ReasonDate, Value: "2027-02-30"}, {Line: 3, Reason: ReasonDate, Value: "2027/03/01"}}},
		{"unknown kind", "2027-01-01,调休,元旦\n", TableErrors{{Line: 1, Reason: ReasonKind, Value: "调休"}}},
		{"date outside the year", "2027-01-01,holiday,元旦\n2026-12-31,holiday,元旦\n", TableErrors{{Line: 2, Reason: ReasonYear, Value: "2026-12-31"}}},
		{"duplicate", "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-01,workday,元旦\n",
			TableErrors{{Line: 3, Reason: ReasonDuplicate, Value: "2027-01-01", First: 2}}},
		{"wrong number of columns", "2027-01-01,holiday\n", TableErrors{{Line: 1, Reason: ReasonFields, Value: "2027-01-01,holiday"}}},
		{"empty", "# nothing\n\n", TableErrors{{Reason: ReasonEmpty}}},
		{"every bad line, not the first only", "2027-13-01,holiday,x\n2027-01-02,festival,x\n2028-01-01,holiday,x\n",
			TableErrors{{Line: 1, Reason: ReasonDate, Value: "2027-13-01"}, {Line: 2, Reason: ReasonKind, Value: "festival"}, {Line: 3, Reason: ReasonYear, Value: "2028-01-01"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			days, err := ParseTable(strings.NewReader(tt.in), 2027)
			var got TableErrors
			if !errors.As(err, &got) {
				t.Fatalf("ParseTable = %v, %v; want TableErrors", days, err)
			}
			if days != nil {
				t.Errorf("ParseTable returned days %v with errors", days)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTableReadsItsOwnFormat(t *testing.T) {
	t.Parallel()
	days := []Day{{Date: NewDate(2027, 1, 1), Kind: Holiday, Name: "元旦"}, {Date: NewDate(2027, 2, 20), Kind: Workday, Name: "春节,补班"}}
	got, err := ParseTable(strings.NewReader(FormatTable(days)), 2027)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(days, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDiffAndReplaceYear(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day int, k Kind, name string) Day {
		return Day{Date: NewDate(y, m, day), Kind: k, Name: name}
	}
	current := []Day{d(2026, 10, 1, Holiday, "国庆节"), d(2027, 1, 1, Holiday, "元旦"), d(2027, 1, 2, Holiday, "元旦"), d(2027, 2, 6, Holiday, "春节")}
	table := []Day{d(2027, 1, 1, Holiday, "元旦"), d(2027, 2, 6, Workday, "春节"), d(2027, 2, 7, Holiday, "春节")}
	got := DiffYear(current, 2027, table)
	var ops []string
	for _, c := range got {
		ops = append(ops, c.Date.String()+" "+c.Op())
	}
	if diff := cmp.Diff([]string{"2027-01-02 removed", "2027-02-06 changed", "2027-02-07 added"}, ops); diff != "" {
		t.Errorf("DiffYear (-want +got):\n%s", diff)
	}
	want := []Day{d(2026, 10, 1, Holiday, "国庆节"), d(2027, 1, 1, Holiday, "元旦"), d(2027, 2, 6, Workday, "春节"), d(2027, 2, 7, Holiday, "春节")}
	if diff := cmp.Diff(want, ReplaceYear(current, 2027, table)); diff != "" {
		t.Errorf("ReplaceYear (-want +got):\n%s", diff)
	}
}

func TestMoveDeadline(t *testing.T) {
	t.Parallel()
	old := New(nil, shanghai, DefaultHours)
	// 2027-01-01 (Friday) off; Saturday 2027-01-09 worked.
	cur := New([]Day{{Date: NewDate(2027, 1, 1), Kind: Holiday}, {Date: NewDate(2027, 1, 9), Kind: Workday}}, shanghai, DefaultHours)
	now := at(2026, 12, 28, 10, 0) // a Monday
	tests := []struct {
		name      string
		due, want time.Time
	}{
		{"before the changed days: stays", at(2026, 12, 31, 17, 0), at(2026, 12, 31, 17, 0)},
		{"across the new holiday: a working day later", at(2027, 1, 5, 17, 0), at(2027, 1, 6, 17, 0)},
		{"across the holiday and the worked Saturday: back where it was", at(2027, 1, 12, 17, 0), at(2027, 1, 12, 17, 0)},
		{"after the holiday, before the worked Saturday: the Saturday", at(2027, 1, 8, 17, 0), at(2027, 1, 9, 17, 0)},
		{"time of day kept", at(2027, 1, 4, 12, 30), at(2027, 1, 5, 12, 30)},
		{"already reached: stays", at(2026, 12, 28, 9, 0), at(2026, 12, 28, 9, 0)},
		{"on a day off, moved: on the working day its last one moved to", at(2027, 1, 3, 17, 0), at(2027, 1, 4, 17, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MoveDeadline(old, cur, now, tt.due); !got.Equal(tt.want) {
				t.Errorf("MoveDeadline(%v) = %v, want %v", tt.due, got, tt.want)
			}
		})
	}
	// A deadline on a day off with no change before it stays there.
	onlySaturday := New([]Day{{Date: NewDate(2027, 1, 9), Kind: Workday}}, shanghai, DefaultHours)
	if due := at(2027, 1, 3, 17, 0); !MoveDeadline(old, onlySaturday, now, due).Equal(due) {
		t.Errorf("a Sunday deadline moved without a change before it: %v", MoveDeadline(old, onlySaturday, now, due))
	}
	// Entering a year after its holidays began moves nothing for the days already past.
	late := at(2027, 1, 4, 10, 0)
	if due := at(2027, 1, 7, 17, 0); !MoveDeadline(old, cur, late, due).Equal(due) {
		t.Errorf("a past holiday moved a deadline: %v", MoveDeadline(old, cur, late, due))
	}
}

func TestMissingYear(t *testing.T) {
	t.Parallel()
	cal := seedCalendar(t) // 2025 and 2026
	tests := []struct {
		now         time.Time
		wantMissing bool
	}{
		{at(2026, 10, 31, 23, 59), false},
		{at(2026, 11, 1, 0, 0), true},
		{at(2026, 12, 31, 23, 0), true},
		{at(2025, 11, 15, 10, 0), false}, // 2026 is there
		// 31 October 17:00 UTC is already 1 November in Shanghai.
		{time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		y, missing := MissingYear(cal, tt.now)
		if missing != tt.wantMissing || y != tt.now.In(shanghai).Year()+1 {
			t.Errorf("MissingYear at %v = %d, %v; want missing %v", tt.now, y, missing, tt.wantMissing)
		}
	}
	withNext := New(append(cal.Days(), Day{Date: NewDate(2027, 1, 1), Kind: Holiday, Name: "元旦"}), shanghai, DefaultHours)
	if _, missing := MissingYear(withNext, at(2026, 11, 20, 10, 0)); missing {
		t.Error("the warning stays once next year has entries")
	}
}

func TestYearView(t *testing.T) {
	t.Parallel()
	months := seedCalendar(t).Year(2026)
	if len(months) != 12 {
		t.Fatalf("%d months", len(months))
	}
	// February 2026 starts on a Sunday: the first row has six blanks, then the 1st.
	feb := months[1]
	if feb.Month != time.February || feb.Weeks[0][6].Date != NewDate(2026, 2, 1) || !feb.Weeks[0][5].Date.IsZero() {
		t.Fatalf("February's first week: %+v", feb.Weeks[0])
	}
	find := func(d Date) YearDay {
		for _, w := range months[d.Month-1].Weeks {
			for _, yd := range w {
				if yd.Date == d {
					return yd
				}
			}
		}
		t.Fatalf("%s not in the view", d)
		return YearDay{}
	}
	for _, tt := range []struct {
		d    Date
		want YearDay
	}{
		{NewDate(2026, 2, 14), YearDay{Date: NewDate(2026, 2, 14), Type: TypeWorkday, Adjusted: true, Name: "春节"}},
		{NewDate(2026, 2, 16), YearDay{Date: NewDate(2026, 2, 16), Type: TypeHoliday, Name: "春节"}},
		{NewDate(2026, 3, 7), YearDay{Date: NewDate(2026, 3, 7), Type: TypeWeekend}},
		{NewDate(2026, 3, 9), YearDay{Date: NewDate(2026, 3, 9), Type: TypeWorkday}},
	} {
		if diff := cmp.Diff(tt.want, find(tt.d)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.d, diff)
		}
	}
	days := 0
	for _, m := range months {
		for _, w := range m.Weeks {
			for _, yd := range w {
				if !yd.Date.IsZero() {
					days++
				}
			}
		}
	}
	if days != 365 {
		t.Errorf("the view holds %d days, want 365", days)
	}
}

func TestStoreApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewStore(testdb.New(t))
	if _, err := s.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	cal, err := s.Calendar(ctx, shanghai, DefaultHours)
	if err != nil {
		t.Fatal(err)
	}
	table := []Day{{Date: NewDate(2027, 1, 1), Kind: Holiday, Name: "元旦"}, {Date: NewDate(2026, 10, 1), Kind: Holiday, Name: "x"}}
	// 2026's table without its other days removes them; 2027 is only added.
	if err := s.Apply(ctx, DiffYear(cal.Days(), 2027, table[:1]), "admin"); err != nil {
		t.Fatal(err)
	}
	after, err := s.Calendar(ctx, shanghai, DefaultHours)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Covers(2027) || !after.Covers(2026) || len(after.Days()) != len(cal.Days())+1 {
		t.Fatalf("after adding 2027: covers 2027 %v, 2026 %v, %d days", after.Covers(2027), after.Covers(2026), len(after.Days()))
	}
	if err := s.Apply(ctx, DiffYear(after.Days(), 2026, table[1:]), "admin"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var y2026 []Day
	for _, d := range got {
		if d.Date.Year == 2026 {
			y2026 = append(y2026, d)
		}
	}
	if diff := cmp.Diff(table[1:], y2026); diff != "" {
		t.Errorf("2026 after replacing it (-want +got):\n%s", diff)
	}
}
