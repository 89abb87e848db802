package routing_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/demo/demotest"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/pgnotify"
	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

type fixture struct {
	city    *demotest.City
	db      *bun.DB
	url     string
	clk     *clock.Fixed
	tickets *tickets.Service
	svc     *routing.Service
	cache   *routing.Cache
	agent   tickets.Actor
	log     *slog.Logger
}

// newFixture is a migrated database with the demo directory and rules, a
// ticket service whose registrations are routed, and a loaded cache.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := demotest.New(t, demotest.Routing())
	return &fixture{city: c, db: c.DB, url: c.URL, clk: c.Clock, tickets: c.Tickets, svc: c.Routing, cache: c.Cache,
		agent: c.Agent, log: c.Log}
}

func (f *fixture) handler(code string) tickets.Actor { return f.city.Handler(code) }

func (f *fixture) register(t *testing.T, in tickets.RegisterInput) *tickets.Ticket {
	t.Helper()
	tk := f.city.Register(t, in)
	got, err := f.tickets.Get(context.Background(), tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *fixture) events(t *testing.T, tk *tickets.Ticket, kind string) []tickets.Event {
	t.Helper()
	evs, err := f.tickets.Events(context.Background(), tk.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var out []tickets.Event
	for _, e := range evs {
		if kind == "" || e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func eventData(t *testing.T, e tickets.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func deptOf(tk *tickets.Ticket) string {
	if tk.Department == nil {
		return ""
	}
	return tk.Department.Code
}

func TestContractDemoRulesDispatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		category, text, want string
	}{
		{"wage-arrears", "工地老板拖欠我们三个月工资，一直推脱不给", "hrss"},
		{"food-safety", "小区门口的餐馆卖过期食品，后厨卫生很差", "market"},
	} {
		t.Run(tc.category, func(t *testing.T) {
			t.Parallel()
			tk := f.register(t, tickets.RegisterInput{Category: tc.category, Description: tc.text, CallerPhone: "13900000001"})
			if tk.Status != tickets.StatusDispatched || deptOf(tk) != tc.want {
				t.Fatalf("ticket %s is %s at %q, want dispatched to %s", tk.Number, tk.Status, deptOf(tk), tc.want)
			}
			evs := f.events(t, tk, string(tickets.ActDispatch))
			if len(evs) != 1 {
				t.Fatalf("%d dispatch events, want 1", len(evs))
			}
			d := eventData(t, evs[0])
			if d["rule_id"] == nil || d["rule_version"] != float64(1) || d["decision"] == "" || d["decision"] == nil {
				t.Errorf("dispatch event data %v lacks rule, version and reasons", d)
			}
			if evs[0].ActorRole != string(org.RoleSystem) {
				t.Errorf("dispatched by %q, want the system", evs[0].ActorRole)
			}
		})
	}
}

type corpusLine struct{ category, department, text string }

func readCorpus(t *testing.T) []corpusLine {
	t.Helper()
	fh, err := os.Open("testdata/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []corpusLine
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			p := strings.SplitN(line, "\t", 3)
			out = append(out, corpusLine{p[0], p[1], p[2]})
		}
	}
	return out
}

// TestEveryTicketDispatchedOrQueued registers a spread of tickets through
// the hook: each ends dispatched by a rule (rule and version on its dispatch
// event) or registered with a routing event saying why.
func TestEveryTicketDispatchedOrQueued(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lines := readCorpus(t)
	var dispatched, held, queued int
	for i := 0; i < len(lines); i += 11 {
		l := lines[i]
		in := tickets.RegisterInput{Description: l.text, CallerPhone: fmt.Sprintf("1390000%04d", i)}
		if i%3 != 0 {
			in.Category = l.category // every third ticket has no category yet
		}
		if i%7 == 0 {
			in.CallerPhone = "13811112222" // a repeat caller
		}
		tk := f.register(t, in)
		switch tk.Status {
		case tickets.StatusDispatched:
			evs := f.events(t, tk, string(tickets.ActDispatch))
			if len(evs) != 1 {
				t.Fatalf("%s: %d dispatch events", tk.Number, len(evs))
			}
			d := eventData(t, evs[0])
			if d["rule_id"] == nil || d["rule_version"] == nil {
				t.Errorf("%s: dispatch event without rule and version: %v", tk.Number, d)
			}
			dispatched++
		case tickets.StatusRegistered:
			evs := f.events(t, tk, routing.KindRouting)
			if len(evs) != 1 || evs[0].Body == "" {
				t.Fatalf("%s: registered without one routing event: %v", tk.Number, evs)
			}
			d := eventData(t, evs[0])
			dec := d["decision"].(map[string]any)
			if dec["queue"] == true {
				sug, _ := d["suggestions"].([]any)
				if len(sug) != 3 {
					t.Errorf("%s: no rule matched but %d suggestions", tk.Number, len(sug))
				}
				queued++
			} else {
				held++
			}
		default:
			t.Fatalf("%s: status %s after registration", tk.Number, tk.Status)
		}
	}
	t.Logf("dispatched %d, held %d, queued %d", dispatched, held, queued)
	if dispatched == 0 || held == 0 || queued == 0 {
		t.Errorf("want some of each: dispatched %d, held %d, queued %d", dispatched, held, queued)
	}
}

func TestUrgentRuleDispatchesUrgently(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := f.register(t, tickets.RegisterInput{Description: "楼道里闻到煤气味很重，怀疑燃气泄漏"})
	if tk.Status != tickets.StatusDispatched || deptOf(tk) != "gas" || tk.Priority != "urgent" {
		t.Fatalf("gas leak: %s at %q priority %s, want urgent dispatch to gas", tk.Status, deptOf(tk), tk.Priority)
	}
	// A rule naming a department that no longer exists queues the ticket
	// rather than losing it or failing the registration.
	ctx := context.Background()
	if _, err := f.db.ExecContext(ctx, "INSERT INTO departments (code, name_zh) VALUES ('gone', '已撤销')"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateRule(ctx, routing.Editor{Name: "admin"}, routing.Rule{Name: "to gone", Priority: 1, Enabled: true,
		Conditions: routing.Conditions{Keywords: []string{"撤销部门"}}, Action: routing.Action{Lead: "gone"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, "DELETE FROM departments WHERE code = 'gone'"); err != nil {
		t.Fatal(err)
	}
	tk = f.register(t, tickets.RegisterInput{Description: "这个撤销部门的事归谁管"})
	if tk.Status != tickets.StatusRegistered || len(f.events(t, tk, routing.KindRouting)) != 1 {
		t.Fatalf("rule to a vanished department: %s, want registered with a routing event", tk.Status)
	}
}

func TestRuleVersioning(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := routing.Editor{Name: "admin"}
	r, err := f.svc.CreateRule(ctx, admin, routing.Rule{Name: "共享单车 shared bikes", Priority: 50, Enabled: true,
		Conditions: routing.Conditions{Keywords: []string{"共享单车"}}, Action: routing.Action{Lead: "urban"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 || r.Version != 1 {
		t.Fatalf("created %+v, want an id and version 1", r)
	}
	tk := f.register(t, tickets.RegisterInput{Description: "共享单车乱停乱放堵住了小区门口"})
	if deptOf(tk) != "urban" {
		t.Fatalf("dispatched to %q, want urban", deptOf(tk))
	}

	r.Action.Lead = "transport"
	r2, err := f.svc.UpdateRule(ctx, admin, r)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Version != 2 {
		t.Fatalf("updated to version %d, want 2", r2.Version)
	}
	if _, err := f.svc.UpdateRule(ctx, admin, r); !errors.Is(err, routing.ErrConflict) {
		t.Fatalf("update from stale version 1: %v, want ErrConflict", err)
	}
	tk = f.register(t, tickets.RegisterInput{Description: "共享单车乱停乱放堵住了小区门口"})
	ev := f.events(t, tk, string(tickets.ActDispatch))[0]
	if d := eventData(t, ev); deptOf(tk) != "transport" || d["rule_id"] != float64(r.ID) || d["rule_version"] != float64(2) {
		t.Fatalf("after update: %q, event %v; want transport by rule %d v2", deptOf(tk), d, r.ID)
	}

	bad := r2
	bad.Action.Lead = "no-such-dept"
	var verr *routing.ValidationError
	if _, err := f.svc.UpdateRule(ctx, admin, bad); !errors.As(err, &verr) || verr.Problems[0].Field != "action.lead" {
		t.Fatalf("update to an unknown department: %v, want a validation error on action.lead", err)
	}

	if _, err := f.svc.DeleteRule(ctx, admin, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Rule(ctx, r.ID); !errors.Is(err, routing.ErrNotFound) {
		t.Fatalf("deleted rule: %v, want ErrNotFound", err)
	}
	vs, err := f.svc.Versions(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, v := range vs {
		changes = append(changes, fmt.Sprintf("v%d %s %s", v.Version, v.Change, v.Rule.Action.Lead))
	}
	if got, want := strings.Join(changes, ", "), "v1 create urban, v2 update transport, v3 delete transport"; got != want {
		t.Fatalf("versions: %s, want %s", got, want)
	}
	if _, err := f.db.ExecContext(ctx, "DELETE FROM routing_rule_versions"); err == nil {
		t.Fatal("rule versions could be deleted")
	}
	tk = f.register(t, tickets.RegisterInput{Description: "共享单车乱停乱放堵住了小区门口"})
	if tk.Status != tickets.StatusRegistered {
		t.Fatalf("after delete: %s at %q, want queued", tk.Status, deptOf(tk))
	}
}

func TestReturnReviewAndRedispatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tk := f.register(t, tickets.RegisterInput{Category: "wage-arrears", Description: "公司拖欠工资两个月"})
	if deptOf(tk) != "hrss" {
		t.Fatalf("dispatched to %q", deptOf(tk))
	}
	if _, err := f.tickets.Return(ctx, f.handler("hrss"), tk.Number, tickets.ActInput{Text: "属于劳务合同纠纷，不归我局"}); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.ReturnQueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Number != tk.Number || q[0].Department != "hrss" || q[0].Reason != "属于劳务合同纠纷，不归我局" {
		t.Fatalf("review queue %+v", q)
	}
	reviewer := f.agent
	for _, tc := range []struct {
		in    routing.ReviewInput
		field string
	}{
		{routing.ReviewInput{Decision: "maybe"}, "decision"},
		{routing.ReviewInput{Decision: routing.ReviewRedispatch}, "department"},
		{routing.ReviewInput{Decision: routing.ReviewRedispatch, Department: "hrss"}, "department"},
		{routing.ReviewInput{Decision: routing.ReviewSendBack}, "note"},
	} {
		_, err := f.svc.Review(ctx, reviewer, tk.Number, tc.in)
		var fe *routing.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("review %+v: %v, want an error on %s", tc.in, err, tc.field)
		}
	}
	got, err := f.svc.Review(ctx, reviewer, tk.Number, routing.ReviewInput{Decision: routing.ReviewRedispatch, Department: "housing", Note: "劳务纠纷请司法局调解"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tickets.StatusDispatched || deptOf(got) != "housing" {
		t.Fatalf("re-dispatched: %s at %q", got.Status, deptOf(got))
	}
	if _, err := f.tickets.Return(ctx, f.handler("housing"), tk.Number, tickets.ActInput{Text: "不是我们的"}); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.Review(ctx, reviewer, tk.Number, routing.ReviewInput{Decision: routing.ReviewSendBack, Note: "劳务纠纷调解属于司法局职责"})
	if err != nil {
		t.Fatal(err)
	}
	if deptOf(got) != "housing" {
		t.Fatalf("sent back to %q, want housing", deptOf(got))
	}
	if _, err := f.svc.Review(ctx, reviewer, tk.Number, routing.ReviewInput{Decision: routing.ReviewSendBack, Note: "again"}); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("review of a dispatched ticket: %v, want ErrTransition", err)
	}
	evs := f.events(t, tk, string(tickets.ActDispatch))
	if len(evs) != 3 || eventData(t, evs[1])["review"] != "redispatch" || eventData(t, evs[2])["review"] != "send_back" {
		t.Fatalf("dispatch events %d, want the rule's, a redispatch and a send-back", len(evs))
	}
	stats, err := f.svc.ReturnStats(ctx, f.clk.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	byDept := map[string]routing.DepartmentReturns{}
	for _, s := range stats {
		byDept[s.Department] = s
	}
	if h := byDept["hrss"]; h.Returns != 1 || h.Redispatched != 1 || h.SentBack != 0 {
		t.Errorf("hrss %+v, want 1 return re-dispatched", h)
	}
	if j := byDept["housing"]; j.Returns != 1 || j.SentBack != 1 || j.RedispatchedTo != 1 {
		t.Errorf("housing %+v, want 1 return sent back, 1 re-dispatched to it", j)
	}
	if len(stats) != 2 {
		t.Errorf("stats for %d departments, want 2: %+v", len(stats), stats)
	}
}

func TestCacheFollowsChangesAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Two processes: each its own pool, cache and listener.
	other, err := database.Open(ctx, f.url, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	done := make(chan struct{}, 4)
	var caches []*routing.Cache
	var listeners []*pgnotify.Listener
	for _, db := range []*bun.DB{f.db, other} {
		l, err := pgnotify.New(f.url, f.log)
		if err != nil {
			t.Fatal(err)
		}
		c := routing.NewCache(db, l, f.log)
		c.ReloadEvery = time.Hour // only notifications count here
		if err := c.Load(ctx); err != nil {
			t.Fatal(err)
		}
		go func() { l.Run(ctx); done <- struct{}{} }()
		go func() { c.Run(ctx); done <- struct{}{} }()
		caches, listeners = append(caches, c), append(listeners, l)
	}
	b := caches[1]
	waitFor(t, "both listening", func() bool {
		return listeners[0].Listening(routing.NotifyChannel) && listeners[1].Listening(routing.NotifyChannel)
	})

	in := routing.Input{Description: "电动自行车在楼道充电，很危险"}
	if d := b.Engine().Decide(in); !d.Queue {
		t.Fatalf("before the change: %+v", d)
	}
	r, err := f.svc.CreateRule(ctx, routing.Editor{Name: "admin"}, routing.Rule{Name: "楼道充电", Priority: 5, Enabled: true,
		Conditions: routing.Conditions{Keywords: []string{"楼道充电"}}, Action: routing.Action{Lead: "housing"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other process sees the new rule", func() bool { return b.Engine().Decide(in).RuleID == r.ID })

	r.Enabled = false
	if _, err := f.svc.UpdateRule(ctx, routing.Editor{Name: "admin"}, r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other process sees the rule disabled", func() bool { return b.Engine().Decide(in).Queue })

	// A dropped listener connection is re-established and catches up.
	var killed int
	if err := f.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = ?`, pgnotify.AppName).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 2 {
		t.Fatalf("terminated %d listener connections, want both", killed)
	}
	r.Enabled = true
	r.Version = 0
	if _, err := f.svc.UpdateRule(ctx, routing.Editor{Name: "admin"}, r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other process reconnects and sees the rule enabled", func() bool { return b.Engine().Decide(in).RuleID == r.ID })
	cancel()
	for range 4 {
		<-done
	}
}

// waitFor polls cond until it holds, failing after a generous deadline; it
// asserts that something happens, not how fast.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.svc.DryRun(ctx, routing.Request{Text: "老板拖欠工资", Category: "food-safety", Address: "东城区", Channel: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Explanation.Decision.Action.Lead != "hrss" || res.Explanation.Decision.RuleID != 30 {
		t.Fatalf("decision %+v, want the wage keyword rule 30 before the category rule", res.Explanation.Decision)
	}
	if len(res.Suggestions) != 3 || res.Suggestions[0].Department != "hrss" {
		t.Errorf("suggestions %+v, want hrss first", res.Suggestions)
	}
	if len(res.Input.CategoryPath) < 2 || res.Input.DayType != routing.DayWorkday {
		t.Errorf("input %+v: want the category path and the day type", res.Input)
	}
	for _, tc := range []struct {
		req   routing.Request
		field string
	}{
		{routing.Request{}, "text"},
		{routing.Request{Text: "x", Category: "nope"}, "category"},
		{routing.Request{Text: "x", Channel: "pigeon"}, "channel"},
		{routing.Request{Text: "x", Type: "rant"}, "type"},
	} {
		_, err := f.svc.DryRun(ctx, tc.req)
		var fe *routing.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("dry run %+v: %v, want an error on %s", tc.req, err, tc.field)
		}
	}
}

func TestRetrainFromHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	before := f.cache.ModelInfo()
	// A made-up matter the corpus has never seen, dispatched to culture a
	// few times: the history teaches the classifier.
	for i := 0; i < 8; i++ {
		tk := f.register(t, tickets.RegisterInput{Description: fmt.Sprintf("皮影戏馆第%d场演出票务纠纷", i)})
		if _, err := f.tickets.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "culture"}); err != nil {
			t.Fatal(err)
		}
	}
	info, err := f.svc.Retrain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == 0 || info.FromHistory != 8 || f.cache.ModelInfo().ID != info.ID || before.ID != 0 {
		t.Fatalf("retrained %+v, cache has %+v (before %+v)", info, f.cache.ModelInfo(), before)
	}
	sug := f.svc.Suggest("皮影戏馆演出票务纠纷", 3)
	if sug[0].Department != "culture" || len(sug[0].Why) == 0 {
		t.Fatalf("suggestions %+v, want culture first with its bigrams", sug)
	}
	// Another process loading from the database gets the stored model.
	c := routing.NewCache(f.db, nil, f.log)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if c.ModelInfo().ID != info.ID || c.Classifier().Suggest("皮影戏馆演出票务纠纷", 1)[0].Department != "culture" {
		t.Fatal("stored model not loaded")
	}
}

func TestSeedDemoIsIdempotentAndCoversEveryCategory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	n1, _ := f.db.NewSelect().TableExpr("routing_rule_versions").Count(ctx)
	if err := demo.SeedRouting(ctx, f.db, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	n2, _ := f.db.NewSelect().TableExpr("routing_rule_versions").Count(ctx)
	if n1 != n2 || int(n1) != len(demo.Rules()) {
		t.Fatalf("versions %d then %d, want %d both times", n1, n2, len(demo.Rules()))
	}
	rules, err := f.svc.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range rules {
		for _, c := range r.Conditions.Categories {
			covered[c] = true
		}
	}
	for _, c := range demo.Categories {
		if c.Parent != "" && c.Department != "" && !covered[c.Code] {
			t.Errorf("no rule for demo category %s", c.Code)
		}
	}
	// A new rule after the seeded ones gets a fresh id.
	r, err := f.svc.CreateRule(ctx, routing.Editor{Name: "admin"}, routing.Rule{Name: "n", Enabled: true, Action: routing.Action{Hold: true}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID <= demo.Rules()[len(demo.Rules())-1].ID {
		t.Fatalf("new rule id %d collides with the demo's", r.ID)
	}
}

func TestSimilarity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b     string
		min, max float64
	}{
		{"小区门口路灯坏了", "小区门口路灯坏了", 1, 1},
		{"小区门口路灯坏了！", "小区门口 路灯坏了", 1, 1},
		{"ABC路灯", "abc路灯", 1, 1},
		{"小区门口路灯坏了好几天", "小区门口的路灯坏了", 0.4, 0.9},
		{"老板拖欠工资", "餐馆卖过期食品", 0, 0},
		{"", "路灯", 0, 0},
		{"灯", "灯", 1, 1},
	} {
		if got := routing.Similarity(tc.a, tc.b); got < tc.min || got > tc.max {
			t.Errorf("Similarity(%q, %q) = %.2f, want %.2f..%.2f", tc.a, tc.b, got, tc.min, tc.max)
		}
	}
}

func TestDuplicatesAndMerge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	master := f.register(t, tickets.RegisterInput{Category: "road-damage", Description: "安定门大街路中间有个大坑，晚上骑车很危险",
		Address: "东城区安定门大街1号", CallerPhone: "13700000001"})
	samePhone := f.register(t, tickets.RegisterInput{Category: "noise", Description: "楼上装修太吵了", CallerPhone: "13700000001"})
	other := f.register(t, tickets.RegisterInput{Category: "food-safety", Description: "餐馆卖过期食品", CallerPhone: "13700000009"})

	cands, err := f.svc.Duplicates(ctx, routing.DuplicateQuery{Phone: "13700000002", Address: "东城区安定门大街1号",
		Category: "road-damage", Text: "安定门大街路中间的大坑还没修，骑车很危险"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 1 || cands[0].Number != master.Number || !cands[0].SameAddress || !cands[0].SameCategory || cands[0].Similarity < 0.3 {
		t.Fatalf("candidates %+v, want only %s by address, category and text", cands, master.Number)
	}
	cands, err = f.svc.Duplicates(ctx, routing.DuplicateQuery{Phone: "13700000001", Text: "别的事"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 2 || !cands[0].SamePhone || !cands[1].SamePhone {
		t.Fatalf("by phone: %+v, want the caller's two tickets", cands)
	}
	for _, q := range []routing.DuplicateQuery{{}, {Text: "x", Category: "nope"}} {
		var fe *routing.FieldError
		if _, err := f.svc.Duplicates(ctx, q); !errors.As(err, &fe) {
			t.Errorf("duplicates %+v: %v, want a field error", q, err)
		}
	}

	dup := f.register(t, tickets.RegisterInput{Category: "road-damage", Description: "安定门大街路中间的大坑还没修",
		Address: "东城区安定门大街1号", CallerPhone: "13700000002"})
	for _, tc := range []struct {
		number, master string
		want           error
	}{
		{dup.Number, dup.Number, tickets.ErrInvalid},
		{dup.Number, "", tickets.ErrInvalid},
		{dup.Number, "20000101-000001", tickets.ErrInvalid},
		{"20000101-000001", master.Number, tickets.ErrNotFound},
	} {
		if _, err := f.tickets.Merge(ctx, f.agent, tc.number, tc.master, ""); !errors.Is(err, tc.want) {
			t.Errorf("merge %s into %q: %v, want %v", tc.number, tc.master, err, tc.want)
		}
	}
	if _, err := f.tickets.Merge(ctx, f.handler("urban"), dup.Number, master.Number, ""); !errors.Is(err, tickets.ErrForbidden) {
		t.Errorf("merge by a department handler: %v, want ErrForbidden", err)
	}
	got, err := f.tickets.Merge(ctx, f.agent, dup.Number, master.Number, "同一个坑")
	if err != nil {
		t.Fatal(err)
	}
	if got.MasterID == nil || *got.MasterID != master.ID {
		t.Fatalf("merged ticket's master_id %v, want %d", got.MasterID, master.ID)
	}
	if _, err := f.tickets.Merge(ctx, f.agent, dup.Number, master.Number, ""); !errors.Is(err, tickets.ErrTransition) {
		t.Errorf("merging twice: %v, want ErrTransition", err)
	}
	if _, err := f.tickets.Merge(ctx, f.agent, other.Number, dup.Number, ""); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("merging into a merged ticket: %v, want ErrInvalid", err)
	}
	// Both timelines show the merge; the citizen of the merged ticket reads it without the
	// master's number, the master's citizen not at all.
	for _, tk := range []*tickets.Ticket{dup, master} {
		evs, err := f.tickets.Events(ctx, tk.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		ok := last.Kind == tickets.KindMerge && last.Public && !strings.Contains(last.Body, master.Number)
		if tk == master {
			ok = last.Kind == tickets.KindMerge && !last.Public && strings.Contains(last.Body, dup.Number)
		}
		if !ok {
			t.Errorf("%s: the last event is %s %q (public %v), want the merge", tk.Number, last.Kind, last.Body, last.Public)
		}
	}
	// A merged ticket is no duplicate candidate any more.
	cands, _ = f.svc.Duplicates(ctx, routing.DuplicateQuery{Phone: "13700000002", Text: "大坑"})
	for _, c := range cands {
		if c.Number == dup.Number {
			t.Errorf("merged ticket %s offered as a candidate", dup.Number)
		}
	}

	// The merged ticket follows its master to resolved and closed.
	urban := f.handler("urban")
	if _, err := f.tickets.Accept(ctx, urban, master.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tickets.Resolve(ctx, urban, master.Number, tickets.ActInput{Text: "坑已填平"}); err != nil {
		t.Fatal(err)
	}
	d, _ := f.tickets.Get(ctx, dup.Number)
	if d.Status != tickets.StatusResolved || d.Resolution != tickets.MergedResolution {
		t.Fatalf("merged ticket after master resolved: %s %q", d.Status, d.Resolution)
	}
	if _, err := f.tickets.Close(ctx, f.agent, master.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	d, _ = f.tickets.Get(ctx, dup.Number)
	if d.Status != tickets.StatusClosed || d.ClosedAt == nil {
		t.Fatalf("merged ticket after master closed: %s", d.Status)
	}
	follows := f.events(t, d, tickets.KindFollowMaster)
	if len(follows) != 2 || !follows[0].Public || follows[1].ToStatus != string(tickets.StatusClosed) {
		t.Fatalf("follow events %+v, want two public ones ending closed", follows)
	}
	_ = samePhone
}

func TestRepeatCallerIsHeldAfterFiveTicketsIn30Days(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := tickets.RegisterInput{Category: "wage-arrears", Description: "公司拖欠我两个月工资", CallerPhone: "13877776666"}
	for i := 0; i < 5; i++ {
		if tk := f.register(t, in); tk.Status != tickets.StatusDispatched {
			t.Fatalf("ticket %d of the caller: %s, want dispatched", i+1, tk.Status)
		}
	}
	tk := f.register(t, in)
	if tk.Status != tickets.StatusRegistered {
		t.Fatalf("sixth ticket: %s, want held for the centre", tk.Status)
	}
	evs := f.events(t, tk, routing.KindRouting)
	if len(evs) != 1 || !strings.Contains(evs[0].Body, "5") {
		t.Fatalf("routing event: %+v", evs)
	}
	// Another phone is not affected.
	in.CallerPhone = "13877775555"
	if tk := f.register(t, in); tk.Status != tickets.StatusDispatched {
		t.Fatalf("another caller: %s", tk.Status)
	}
}

// TestRepeatCallerCountedUpToTheCap registers seven tickets from one phone: the demo's repeat
// caller rule (five earlier tickets in 30 days) holds the sixth and seventh, and their routing
// event says the count stopped at the rule's figure, since registration counts no further.
func TestRepeatCallerCountedUpToTheCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if got := f.cache.Engine().RecentByPhoneCap(); got != 5 {
		t.Fatalf("demo rules' repeat cap %d, want 5", got)
	}
	for i := range 7 {
		tk := f.register(t, tickets.RegisterInput{Category: "garbage", Description: "垃圾又没清", CallerPhone: "13822223333"})
		if i < 5 {
			if tk.Status != tickets.StatusDispatched {
				t.Fatalf("ticket %d from the phone: status %s, want dispatched", i+1, tk.Status)
			}
			continue
		}
		if tk.Status != tickets.StatusRegistered {
			t.Fatalf("ticket %d from the phone: status %s, want held", i+1, tk.Status)
		}
		evs := f.events(t, tk, routing.KindRouting)
		if len(evs) != 1 || !strings.Contains(evs[0].Body, "30天内至少 5 次") {
			t.Fatalf("ticket %d: routing events %v, want one saying at least 5 calls", i+1, evs)
		}
	}
}

// TestRepeatCallerWithinOneBatch: tickets from one phone registered together count each other,
// as if they had come one after another.
func TestRepeatCallerWithinOneBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.register(t, tickets.RegisterInput{Category: "garbage", Description: "垃圾又没清", CallerPhone: "13833334444"})
	if first.Status != tickets.StatusDispatched {
		t.Fatalf("first ticket %s, want dispatched", first.Status)
	}
	var regs []tickets.Registration
	for range 6 {
		regs = append(regs, tickets.Registration{Actor: tickets.Citizen(""), Input: tickets.RegisterInput{Channel: "web",
			Category: "garbage", Description: "垃圾又没清", CallerPhone: "13833334444"}})
	}
	ts, errs, err := f.tickets.RegisterBatch(context.Background(), regs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range ts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		want := tickets.StatusDispatched // 1 + i earlier tickets from the phone
		if 1+i >= 5 {
			want = tickets.StatusRegistered
		}
		if tk.Status != want {
			t.Errorf("batch ticket %d (%d earlier): %s, want %s", i, 1+i, tk.Status, want)
		}
	}
}

// TestDryRunCountsRepeatCallsAsRegistrationDoes: a dry run with a phone that has called six
// times sees the count stop at the rules' cap, and the repeat-caller rule hold the ticket.
func TestDryRunCountsRepeatCallsAsRegistrationDoes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for range 6 {
		f.register(t, tickets.RegisterInput{Category: "garbage", Description: "垃圾又没清", CallerPhone: "13844445555"})
	}
	res, err := f.svc.DryRun(context.Background(), routing.Request{Category: "garbage", Text: "垃圾又没清", Phone: "13844445555"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Input.RecentByPhone != 5 || !res.Input.RecentAtLeast || !res.Explanation.Decision.Action.Hold {
		t.Fatalf("dry run saw %d earlier calls (at least: %v), decision %+v; want at least 5 and held",
			res.Input.RecentByPhone, res.Input.RecentAtLeast, res.Explanation.Decision)
	}
}
