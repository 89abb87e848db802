package workcal

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/pgnotify"
	"github.com/hotline-city/hotline/internal/testdb"
)

// 2027-03-01 is a Monday without any entry in the shipped calendar.
var liveMonday = time.Date(2027, 3, 1, 10, 0, 0, 0, shanghai)

func TestLiveReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	store := NewStore(db)
	loc := shanghai
	hours := WorkingHours{Start: 8 * time.Hour, End: 17 * time.Hour}
	live := NewLive(New(nil, loc, hours))
	if !live.IsWorkday(liveMonday) {
		t.Fatal("an ordinary Monday is no working day")
	}
	// An empty table counts on the shipped national calendar, as at start-up.
	if err := live.Reload(ctx, store); err != nil {
		t.Fatal(err)
	}
	if !live.Get().Covers(2026) || live.Get().Hours() != hours || live.Get().Location() != loc {
		t.Fatalf("reload of an empty table: covers 2026 %v, hours %v", live.Get().Covers(2026), live.Get().Hours())
	}
	if err := store.Put(ctx, Day{Date: NewDate(2027, 3, 1), Kind: Holiday, Name: "测试假日"}, "admin"); err != nil {
		t.Fatal(err)
	}
	held := live.Get()
	if !live.IsWorkday(liveMonday) {
		t.Fatal("the edit reached the calendar before a reload")
	}
	if err := live.Reload(ctx, store); err != nil {
		t.Fatal(err)
	}
	if live.IsWorkday(liveMonday) || live.DayType(liveMonday) != TypeHoliday || live.Loads() != 2 {
		t.Fatalf("after reload: workday %v, type %s, loads %d", live.IsWorkday(liveMonday), live.DayType(liveMonday), live.Loads())
	}
	// A calendar already handed out never changes under its holder.
	if !held.IsWorkday(liveMonday) {
		t.Fatal("a reload changed an earlier calendar")
	}
	// Deadlines move with it: one working day from the Friday before is now Tuesday.
	friday := time.Date(2027, 2, 26, 10, 0, 0, 0, loc)
	if got := live.AddWorkdays(friday, 1); got.Day() != 2 || got.Month() != time.March {
		t.Fatalf("one working day after Friday: %v", got)
	}
}

// TestLiveRunFollowsNotifications edits the calendar through another connection and waits
// for the running listener to see it; the periodic reload is an hour away, so only the
// notification can bring it.
func TestLiveRunFollowsNotifications(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	url := testdb.NewURL(t)
	db, err := database.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	listener, err := pgnotify.New(url, log)
	if err != nil {
		t.Fatal(err)
	}
	live := NewLive(New(nil, shanghai, DefaultHours))
	done := make(chan error, 2)
	go func() { done <- listener.Run(ctx) }()
	go func() { done <- live.Run(ctx, db, listener, time.Hour, log) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	})
	// The first load happens once the listener is up.
	for live.Loads() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewStore(tx).Put(ctx, Day{Date: NewDate(2027, 3, 1), Kind: Holiday, Name: "测试假日"}, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for live.IsWorkday(liveMonday) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := NewStore(db).Delete(ctx, NewDate(2027, 3, 1)); err != nil {
		t.Fatal(err)
	}
	for !live.IsWorkday(liveMonday) {
		time.Sleep(10 * time.Millisecond)
	}
}
