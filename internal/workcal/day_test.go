package workcal

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	days, err := Seed()
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if got, want := len(days), 72; got != want {
		t.Errorf("Seed returned %d days, want %d", got, want)
	}

	byDate := make(map[Date]Day, len(days))
	for i, d := range days {
		byDate[d.Date] = d
		if i > 0 && !days[i-1].Date.Before(d.Date) {
			t.Errorf("Seed not in date order at %s after %s", d.Date, days[i-1].Date)
		}
		if d.Name == "" {
			t.Errorf("%s has no name", d.Date)
		}
		// An adjusted working day exists only to work a weekend day; one on
		// a weekday would mean a typo in the data.
		if d.Kind == Workday && !isWeekend(d.Date) {
			t.Errorf("%s is a workday entry on a %s", d.Date, d.Date.Weekday())
		}
	}

	for _, want := range []Day{
		{Date: Date{2025, time.January, 1}, Kind: Holiday, Name: "元旦"},
		{Date: Date{2025, time.September, 28}, Kind: Workday, Name: "国庆节、中秋节"},
		{Date: Date{2025, time.October, 8}, Kind: Holiday, Name: "国庆节、中秋节"},
		{Date: Date{2025, time.October, 11}, Kind: Workday, Name: "国庆节、中秋节"},
		{Date: Date{2026, time.February, 14}, Kind: Workday, Name: "春节"},
		{Date: Date{2026, time.February, 23}, Kind: Holiday, Name: "春节"},
		{Date: Date{2026, time.October, 10}, Kind: Workday, Name: "国庆节"},
	} {
		if diff := cmp.Diff(want, byDate[want.Date]); diff != "" {
			t.Errorf("entry %s (-want +got):\n%s", want.Date, diff)
		}
	}
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Day
	}{
		{
			name: "empty",
			in:   "",
			want: nil,
		},
		{
			name: "header comments and blank lines",
			in: "# comment\n" +
				"date,kind,name\n" +
				"\n" +
				"2025-01-01,holiday,元旦\n" +
				"# another comment\n" +
				"2025-01-26,workday,春节\n",
			want: []Day{
				{Date: Date{2025, time.January, 1}, Kind: Holiday, Name: "元旦"},
				{Date: Date{2025, time.January, 26}, Kind: Workday, Name: "春节"},
			},
		},
		{
			name: "no header, spaces and empty name",
			in:   " 2026-05-09 , workday ,\n2026-05-01,holiday, 劳动节 \n",
			want: []Day{
				{Date: Date{2026, time.May, 9}, Kind: Workday, Name: ""},
				{Date: Date{2026, time.May, 1}, Kind: Holiday, Name: "劳动节"},
			},
		},
		{
			name: "header in capitals",
			in:   "Date,Kind,Name\n2025-05-31,holiday,端午节\n",
			want: []Day{{Date: Date{2025, time.May, 31}, Kind: Holiday, Name: "端午节"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCSV(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseCSV: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCSV (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCSVSpreadsheetExport(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/spreadsheet.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseCSV(f)
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	want := []Day{
		{Date: Date{2025, time.October, 1}, Kind: Holiday, Name: "国庆节"},
		{Date: Date{2025, time.October, 11}, Kind: Workday, Name: "国庆节,中秋节"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseCSV (-want +got):\n%s", diff)
	}
}

func TestParseCSVErrors(t *testing.T) {
	t.Parallel()
	const head = "# calendar\ndate,kind,name\n2025-01-01,holiday,元旦\n"
	tests := []struct {
		name     string
		in       string
		wantLine int
		wantMsg  string
	}{
		{"bad date format", head + "2025/01/02,holiday,元旦\n", 4, `invalid date "2025/01/02"`},
		{"month out of range", head + "2025-13-01,holiday,x\n", 4, `invalid date "2025-13-01"`},
		{"day out of range", head + "2025-02-29,holiday,x\n", 4, `invalid date "2025-02-29"`},
		{"empty date", head + ",holiday,x\n", 4, `invalid date ""`},
		{"unknown kind", head + "2025-01-02,festival,x\n", 4, `unknown kind "festival"`},
		{"kind is case sensitive", head + "2025-01-02,Holiday,x\n", 4, `unknown kind "Holiday"`},
		{"duplicate date", head + "2025-01-02,holiday,x\n2025-01-01,workday,y\n", 5, "duplicate date 2025-01-01, first given on line 3"},
		{"too few fields", head + "2025-01-02,holiday\n", 4, "got 2 fields, want 3"},
		{"too many fields", head + "2025-01-02,holiday,x,y\n", 4, "got 4 fields, want 3"},
		{"header not first", head + "date,kind,name\n", 4, `invalid date "date"`},
		{"first line bad", "2025-01-0x,holiday,x\n", 1, `invalid date "2025-01-0x"`},
		{"bad quoting", head + "2025-01-02,holiday,\"x\n", 4, "extraneous or missing \" in quoted-field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			days, err := ParseCSV(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ParseCSV = %v, want error", days)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseCSV error %v (%T) is not a *ParseError", err, err)
			}
			if pe.Line != tt.wantLine {
				t.Errorf("Line = %d, want %d (error %q)", pe.Line, tt.wantLine, err)
			}
			msg := err.Error()
			if prefix := "line " + strconv.Itoa(tt.wantLine) + ": "; !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q does not contain %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestParseKind(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"holiday", "workday"} {
		if k, err := ParseKind(s); err != nil || string(k) != s {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "weekend", "HOLIDAY"} {
		if k, err := ParseKind(s); err == nil {
			t.Errorf("ParseKind(%q) = %q, want error", s, k)
		}
	}
}
