package main

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/pgnotify"
)

// wantOneListener waits until serve, running on the database at url, holds its listener
// connection, and checks that it is the only connection that LISTENs: the rule cache and the
// working-day calendar subscribe through it rather than listening on their own.
func wantOneListener(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var listeners, listening int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE application_name = ?),
			count(*) FILTER (WHERE application_name = ? OR query LIKE 'LISTEN%')
			FROM pg_stat_activity WHERE datname = current_database()`, pgnotify.AppName, pgnotify.AppName).Scan(&listeners, &listening)
		if err != nil {
			t.Fatal(err)
		}
		if listeners == 1 {
			break
		}
	}
	if listeners != 1 || listening != 1 {
		t.Fatalf("%d listener connections and %d connections that LISTEN, want one", listeners, listening)
	}
}
