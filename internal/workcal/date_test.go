package workcal

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{in: "2025-10-01", want: Date{2025, time.October, 1}},
		{in: "2024-02-29", want: Date{2024, time.February, 29}},
		{in: "2025-02-29", wantErr: true},
		{in: "2025-1-01", wantErr: true},
		{in: "2025-01-01T00:00:00Z", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	d := Date{2025, time.December, 31}
	if got, want := d.AddDays(1), (Date{2026, time.January, 1}); got != want {
		t.Errorf("AddDays(1) = %v, want %v", got, want)
	}
	if got, want := d.AddDays(-365), (Date{2024, time.December, 31}); got != want {
		t.Errorf("AddDays(-365) = %v, want %v", got, want)
	}
	if got := (Date{2025, time.October, 11}).Weekday(); got != time.Saturday {
		t.Errorf("2025-10-11 is a %v, want Saturday", got)
	}
	a, b := Date{2025, time.October, 9}, Date{2025, time.November, 1}
	if !a.Before(b) || a.After(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("comparison of %v and %v is wrong", a, b)
	}
	if (Date{}).IsValid() || (Date{2025, time.February, 29}).IsValid() || !(Date{2024, time.February, 29}).IsValid() {
		t.Error("IsValid is wrong")
	}
	if got := NewDate(2025, time.February, 29); got != (Date{2025, time.March, 1}) {
		t.Errorf("NewDate(2025, 2, 29) = %v, want 2025-03-01", got)
	}
}

func TestDateOfUsesOwnZone(t *testing.T) {
	t.Parallel()
	shanghai := time.FixedZone("CST", 8*3600)
	instant := time.Date(2025, time.September, 30, 16, 30, 0, 0, time.UTC)
	if got := DateOf(instant); got != (Date{2025, time.September, 30}) {
		t.Errorf("DateOf(UTC) = %v", got)
	}
	if got := DateOf(instant.In(shanghai)); got != (Date{2025, time.October, 1}) {
		t.Errorf("DateOf(Shanghai) = %v", got)
	}
}

func TestDateScanValue(t *testing.T) {
	t.Parallel()
	want := Date{2026, time.February, 14}
	tests := []struct {
		name string
		src  any
	}{
		{"time at UTC midnight", time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC)},
		// A driver that returns dates in a zone east of UTC must not move
		// them to the previous day.
		{"time at local midnight", time.Date(2026, 2, 14, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))},
		{"string", "2026-02-14"},
		{"bytes", []byte("2026-02-14")},
		{"timestamp text", "2026-02-14 00:00:00+08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Date
			if err := got.Scan(tt.src); err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if got != want {
				t.Errorf("Scan = %v, want %v", got, want)
			}
		})
	}
	for _, bad := range []any{nil, 42, "14/02/2026"} {
		var d Date
		if err := d.Scan(bad); err == nil {
			t.Errorf("Scan(%#v) = %v, want error", bad, d)
		}
	}

	v, err := want.Value()
	if err != nil || v != "2026-02-14" {
		t.Errorf("Value = %v, %v", v, err)
	}
	if _, err := (Date{}).Value(); err == nil {
		t.Error("Value of zero Date: want error")
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	in := Day{Date: Date{2025, time.October, 11}, Kind: Workday, Name: "国庆节"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"Date":"2025-10-11","Kind":"workday","Name":"国庆节"}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var out Day
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("Unmarshal = %v, %v; want %v", out, err, in)
	}
	if err := json.Unmarshal([]byte(`{"Date":"2025-13-01"}`), &out); err == nil {
		t.Error("Unmarshal of a bad date: want error")
	}
}
