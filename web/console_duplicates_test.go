package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/routing"
)

// withRouting wires routing into a staff environment as serve does: the demo rules, the
// cache loaded once, dispatch at registration.
func withRouting(e *staffEnv, d *Deps) {
	e.t.Helper()
	ctx := context.Background()
	if err := demo.SeedRouting(ctx, e.db, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	cache := routing.NewCache(e.db, nil, e.log)
	if err := cache.Load(ctx); err != nil {
		e.t.Fatal(err)
	}
	loc := testNow.Location()
	svc := routing.NewService(routing.Config{DB: e.db, Tickets: e.tickets, Calendar: d.Calendar, Clock: e.clock, Location: loc, Log: e.log, Cache: cache})
	e.tickets.Route(svc)
	d.Routing = RoutingDeps{Service: svc}
}

func TestConsoleDuplicatesAndSuggestions(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, withRouting)
	first := e.register("建筑工地夜间施工噪音扰民，凌晨两点还在打桩<b>", "noise", "13600001234", "")
	agent := e.token("agent1")
	side := e.do(nil, "POST", "/console/side", url.Values{"caller_phone": {"13600001234"}, "category": {"noise"},
		"description": {"工地夜间施工噪音很大，凌晨还在打桩"}, "merge_into": {first.Number}}, agent)
	for _, want := range []string{`id="duplicates"`, `name="merge_into" value="` + first.Number + `" form="register-form" checked`,
		tr("zh", "duplicate.same_phone"), `id="dispatch-suggest" hx-swap-oob="true"`, `class="small suggest-dept" data-dept="environment"`, "生态环境局", "打桩&lt;b&gt;"} {
		if side.Status != 200 || !strings.Contains(side.Body, want) {
			t.Fatalf("console side lacks %q: %d %s", want, side.Status, side.Body)
		}
	}
	// Nothing typed, or a category the agent has not finished choosing, is no error.
	for _, q := range []url.Values{{}, {"category": {"no-such"}, "description": {"x"}}} {
		if r := e.do(nil, "POST", "/console/side", q, agent); r.Status != 200 || !strings.Contains(r.Body, "未发现") {
			t.Fatalf("side%s: %d %s", q, r.Status, r.Body)
		}
	}

	register := func(extra url.Values) resp {
		t.Helper()
		f := url.Values{"caller_phone": {"13600001234"}, "category": {"noise"}, "description": {"工地夜间施工噪音很大，凌晨还在打桩"}, "mode": {"register"}}
		for k, v := range extra {
			f[k] = v
		}
		return e.do(nil, "POST", "/console/tickets", f, agent)
	}
	r := register(url.Values{"merge_into": {first.Number}})
	if r.Status != 303 {
		t.Fatalf("register and merge: %d %s", r.Status, r.Body)
	}
	number := registeredNumber(t, r)
	var master string
	if err := e.db.NewRaw("SELECT m.number FROM tickets t JOIN tickets m ON m.id = t.master_id WHERE t.number = ?", number).Scan(context.Background(), &master); err != nil || master != first.Number {
		t.Fatalf("new ticket %s merged into %q (%v), want %s", number, master, err, first.Number)
	}

	var before int
	e.db.NewRaw("SELECT count(*) FROM tickets").Scan(context.Background(), &before)
	if r := register(url.Values{"merge_into": {first.Number}, "mode": {"answer"}, "answer": {"已答复"}}); r.Status != 400 || !strings.Contains(r.Body, "merge_into") {
		t.Fatalf("merge an answered consultation: %d", r.Status)
	}
	var after int
	e.db.NewRaw("SELECT count(*) FROM tickets").Scan(context.Background(), &after)
	if after != before {
		t.Fatalf("a refused registration left %d tickets", after-before)
	}
	// A master that does not exist: the ticket is registered and its page says the merge failed.
	if r := register(url.Values{"merge_into": {"20000101-000009"}}); r.Status != 400 || !strings.Contains(r.Body, "未能并入 20000101-000009") {
		t.Fatalf("merge into an unknown ticket: %d", r.Status)
	}
}
