package database_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/testdb"
)

// hotline's connections run without JIT compilation and with 32 MB of work memory, unless the
// URL sets either, which then wins.
func TestOpenSetsQueryDefaultsTheURLMayOverride(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw := testdb.NewURL(t)
	show := func(rawURL string) (jit, workMem string) {
		t.Helper()
		db, err := database.Open(ctx, rawURL, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, "SELECT current_setting('jit'), current_setting('work_mem')").Scan(&jit, &workMem); err != nil {
			t.Fatal(err)
		}
		return jit, workMem
	}
	if jit, mem := show(raw); jit != "off" || mem != "32MB" {
		t.Fatalf("jit %s, work_mem %s; want off and 32MB", jit, mem)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("jit", "on")
	q.Set("work_mem", "8MB")
	u.RawQuery = q.Encode()
	if jit, mem := show(u.String()); jit != "on" || mem != "8MB" {
		t.Fatalf("with the URL's settings: jit %s, work_mem %s; want on and 8MB", jit, mem)
	}
}
