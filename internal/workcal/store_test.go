package workcal

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/internal/testdb"
)

func TestStoreSeedDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	s := NewStore(db)

	n, err := s.SeedDefaults(ctx)
	if err != nil {
		t.Fatalf("SeedDefaults: %v", err)
	}
	want, err := Seed()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("first SeedDefaults inserted %d rows, want %d", n, len(want))
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load after SeedDefaults (-want +got):\n%s", diff)
	}

	var authors []string
	if err := db.NewSelect().Table("workcal_days").Column("updated_by").Distinct().Scan(ctx, &authors); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{seedAuthor}, authors); diff != "" {
		t.Errorf("updated_by of seeded rows (-want +got):\n%s", diff)
	}

	// An administrator's correction must survive seeding again.
	fix := Day{Date: Date{2025, time.October, 8}, Kind: Workday, Name: "local correction"}
	if err := s.Put(ctx, fix, "admin"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	n, err = s.SeedDefaults(ctx)
	if err != nil {
		t.Fatalf("second SeedDefaults: %v", err)
	}
	if n != 0 {
		t.Errorf("second SeedDefaults inserted %d rows, want 0", n)
	}
	got, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(got) != len(want) {
		t.Errorf("Load returned %d days after reseeding, want %d", len(got), len(want))
	}
	cal := New(got, shanghai, DefaultHours)
	if !cal.IsWorkday(at(2025, 10, 8, 12, 0)) {
		t.Error("reseeding overwrote the correction of 2025-10-08")
	}
	if got, want := cal.AddWorkdays(at(2025, 9, 30, 10, 0), 1), at(2025, 10, 8, 17, 0); !got.Equal(want) {
		t.Errorf("AddWorkdays with the stored calendar = %v, want %v", got, want)
	}
}

func TestStorePutLoadDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	s := NewStore(db)

	got, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load of an empty table: %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("Load of an empty table = %v", got)
	}

	nationalDay := Day{Date: Date{2027, time.October, 1}, Kind: Holiday, Name: "国庆节"}
	newYear := Day{Date: Date{2027, time.January, 1}, Kind: Holiday, Name: "元旦"}
	for _, d := range []Day{nationalDay, newYear} {
		if err := s.Put(ctx, d, "alice"); err != nil {
			t.Fatalf("Put(%v): %v", d, err)
		}
	}
	got, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff([]Day{newYear, nationalDay}, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}

	// Put replaces an existing entry and records who changed it.
	var before time.Time
	if err := db.NewSelect().Table("workcal_days").Column("updated_at").Where("day = ?", newYear.Date).Scan(ctx, &before); err != nil {
		t.Fatal(err)
	}
	changed := Day{Date: newYear.Date, Kind: Workday, Name: "调休"}
	if err := s.Put(ctx, changed, "bob"); err != nil {
		t.Fatalf("Put over an existing day: %v", err)
	}
	got, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff([]Day{changed, nationalDay}, got); diff != "" {
		t.Errorf("Load after upsert (-want +got):\n%s", diff)
	}
	var row struct {
		UpdatedBy string    `bun:"updated_by"`
		UpdatedAt time.Time `bun:"updated_at"`
	}
	if err := db.NewSelect().Table("workcal_days").Column("updated_by", "updated_at").Where("day = ?", newYear.Date).Scan(ctx, &row); err != nil {
		t.Fatal(err)
	}
	if row.UpdatedBy != "bob" {
		t.Errorf("updated_by = %q, want bob", row.UpdatedBy)
	}
	if row.UpdatedAt.Before(before) {
		t.Errorf("updated_at went back from %v to %v", before, row.UpdatedAt)
	}

	if err := s.Delete(ctx, newYear.Date); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	got, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff([]Day{nationalDay}, got); diff != "" {
		t.Errorf("Load after Delete (-want +got):\n%s", diff)
	}
	if err := s.Delete(ctx, newYear.Date); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
}

func TestStoreRejectsInvalidDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	s := NewStore(db)

	for _, d := range []Day{
		{Date: Date{2027, time.January, 1}, Kind: "weekend"},
		{Date: Date{2027, time.February, 29}, Kind: Holiday},
		{Kind: Holiday},
	} {
		if err := s.Put(ctx, d, "alice"); err == nil {
			t.Errorf("Put(%v) succeeded, want error", d)
		}
	}
	if err := s.Delete(ctx, Date{}); err == nil {
		t.Error("Delete of the zero date succeeded")
	}
	// The table's own check is the last line of defence for other writers.
	if _, err := db.NewRaw("INSERT INTO workcal_days (day, kind) VALUES (?, ?)", "2027-01-02", "weekend").Exec(ctx); err == nil {
		t.Error("the table accepted kind 'weekend'")
	}
	if got, err := s.Load(ctx); err != nil || len(got) != 0 {
		t.Errorf("Load = %v, %v; want nothing stored", got, err)
	}
}

// TestStoreDatesIgnoreSessionZone guards against a date shifting by a day
// when the database session runs in a zone far from UTC.
func TestStoreDatesIgnoreSessionZone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	want := []Day{
		{Date: Date{2026, time.February, 14}, Kind: Workday, Name: "春节"},
		{Date: Date{2026, time.February, 15}, Kind: Holiday, Name: "春节"},
	}
	for _, zone := range []string{"Pacific/Kiritimati", "America/Los_Angeles", "Asia/Shanghai"} {
		// Serial: each case writes the same days in its own transaction, which would wait on the others'.
		t.Run(zone, func(t *testing.T) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, "SELECT set_config('TimeZone', ?, true)", zone); err != nil {
				t.Fatal(err)
			}
			s := NewStore(tx)
			for _, d := range want {
				if err := s.Put(ctx, d, "alice"); err != nil {
					t.Fatalf("Put: %v", err)
				}
			}
			got, err := s.Load(ctx)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
			var text []string
			if err := tx.NewSelect().Table("workcal_days").ColumnExpr("day::text").OrderExpr("day").Scan(ctx, &text); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"2026-02-14", "2026-02-15"}, text); diff != "" {
				t.Errorf("stored dates (-want +got):\n%s", diff)
			}
		})
	}
}
