package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// router is a Router that answers with its fixed verdict and remembers what it was shown.
type router struct {
	dispatch *tickets.DispatchInput
	seen     []*tickets.Draft
	failed   []error
}

func (r *router) Route(_ context.Context, _ bun.Tx, ds []*tickets.Draft) ([]tickets.Routing, error) {
	out := make([]tickets.Routing, len(ds))
	for i, d := range ds {
		cp := *d.Ticket
		r.seen = append(r.seen, &tickets.Draft{Ticket: &cp, CategoryPath: d.CategoryPath})
		out[i] = tickets.Routing{Dispatch: r.dispatch, Held: func(failed error) *tickets.Event {
			r.failed = append(r.failed, failed)
			body := "held"
			if failed != nil {
				body += ": " + failed.Error()
			}
			return &tickets.Event{Kind: "routing", ActorName: "system", ActorRole: "system", At: time.Now(),
				FromStatus: "registered", ToStatus: "registered", Body: body}
		}}
	}
	return out, nil
}

func kinds(evs []tickets.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// TestRouterDispatchesAtRegistration: a ticket the router dispatches is written once, already
// dispatched to its lead with its co-handlers and deadlines, and its timeline reads register
// then dispatch, the dispatch by the system with the rule on it.
func TestRouterDispatchesAtRegistration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	r := &router{dispatch: &tickets.DispatchInput{Department: "hrss", CoHandlers: []string{"market", "hrss", "market"},
		Profile: "urgent", Priority: "urgent", RuleID: 7, RuleVersion: 3, DecisionNote: "关键词 keyword: 欠薪",
		ActInput: tickets.ActInput{Data: map[string]any{"rule_name": "wages"}}}}
	f.svc.Route(r)
	tk := f.register(t)
	if len(r.seen) != 1 {
		t.Fatalf("router asked %d times", len(r.seen))
	}
	d := r.seen[0]
	if d.ID != 0 || d.Number != "" || d.Description == "" || d.CallerPhone != "13800138000" {
		t.Errorf("router saw %+v, want the unwritten ticket", d.Ticket)
	}
	if want := []string{"wage-arrears", "labour-social-security"}; !slices.Equal(d.CategoryPath, want) {
		t.Errorf("category path %v, want %v", d.CategoryPath, want)
	}
	got, err := f.svc.Get(ctx, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tickets.StatusDispatched || got.Version != 2 || got.Department == nil || got.Department.Code != "hrss" {
		t.Fatalf("ticket %s: status %s version %d department %+v, want dispatched v2 to hrss", got.Number, got.Status, got.Version, got.Department)
	}
	if got.ProfileCode != "urgent" || got.Priority != "urgent" || got.DispatchedAt == nil || got.AcceptDue == nil || got.ResolveDue == nil || got.FeedbackDue == nil {
		t.Errorf("ticket %s: profile %s priority %s dispatched %v accept %v resolve %v feedback %v", got.Number, got.ProfileCode,
			got.Priority, got.DispatchedAt, got.AcceptDue, got.ResolveDue, got.FeedbackDue)
	}
	if len(got.CoHandlers) != 1 || got.CoHandlers[0].Department.Code != "market" {
		t.Errorf("co-handlers %+v, want market once", got.CoHandlers)
	}
	evs, err := f.svc.Events(ctx, got.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"register", "dispatch"}; !slices.Equal(kinds(evs), want) {
		t.Fatalf("timeline %v, want %v", kinds(evs), want)
	}
	reg, dis := evs[0], evs[1]
	if reg.FromStatus != "" || reg.ToStatus != "registered" || reg.ActorName != "agent" || !reg.Public {
		t.Errorf("register event %+v", reg)
	}
	if dis.FromStatus != "registered" || dis.ToStatus != "dispatched" || dis.ActorRole != "system" || dis.Department != nil {
		t.Errorf("dispatch event %+v", dis)
	}
	var data map[string]any
	if err := json.Unmarshal(dis.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data["department"] != "hrss" || data["rule_id"] != 7.0 || data["rule_version"] != 3.0 || data["rule_name"] != "wages" ||
		data["decision"] != "关键词 keyword: 欠薪" || data["profile"] != "urgent" {
		t.Errorf("dispatch event data %v", data)
	}
	if co, _ := data["co_handlers"].([]any); len(co) != 1 || co[0] != "market" {
		t.Errorf("dispatch event co-handlers %v", data["co_handlers"])
	}
}

// TestRouterDispatchThatCannotBeDone: a rule naming an unknown department, or one that takes
// no tickets, leaves the ticket registered with the router's held event saying why, and
// nothing of the dispatch written.
func TestRouterDispatchThatCannotBeDone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.db.NewUpdate().Table("departments").Set("active = false").Where("code = 'market'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   tickets.DispatchInput
		why  string
	}{
		{"unknown lead", tickets.DispatchInput{Department: "nowhere"}, `unknown department "nowhere"`},
		{"inactive lead", tickets.DispatchInput{Department: "market"}, `department "market" takes no tickets`},
		{"inactive co-handler", tickets.DispatchInput{Department: "hrss", CoHandlers: []string{"market"}}, `department "market" takes no tickets`},
		{"unknown profile", tickets.DispatchInput{Department: "hrss", Profile: "never"}, `unknown deadline profile "never"`},
	} {
		// Serial: each case installs its own router on the shared service.
		t.Run(c.name, func(t *testing.T) {
			r := &router{dispatch: &c.in}
			f.svc.Route(r)
			tk := f.register(t)
			got, err := f.svc.Get(ctx, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tickets.StatusRegistered || got.Version != 1 || got.DepartmentID != nil || len(got.CoHandlers) != 0 {
				t.Fatalf("status %s version %d department %v co %v, want registered and nothing dispatched", got.Status, got.Version, got.DepartmentID, got.CoHandlers)
			}
			evs, err := f.svc.Events(ctx, got.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"register", "routing"}; !slices.Equal(kinds(evs), want) || !strings.Contains(evs[1].Body, c.why) {
				t.Fatalf("timeline %v (%q), want register then a held event saying %q", kinds(evs), evs[len(evs)-1].Body, c.why)
			}
			if len(r.failed) != 1 || !errors.Is(r.failed[0], tickets.ErrInvalid) {
				t.Errorf("held asked with %v, want one invalid-dispatch error", r.failed)
			}
		})
	}
}

// TestUnroutedRegistrationSkipsTheRouter: a ticket the registering hook settles itself (an
// agent who dispatches by hand) is not shown to the router, and the hand dispatch stands.
func TestUnroutedRegistrationSkipsTheRouter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	r := &router{dispatch: &tickets.DispatchInput{Department: "market"}}
	f.svc.Route(r)
	tk, err := f.svc.RegisterTx(ctx, f.agent, tickets.RegisterInput{Channel: "phone", Category: "wage-arrears",
		Description: "拖欠工资", Unrouted: true}, func(ctx context.Context, tx bun.Tx, t *tickets.Ticket) error {
		_, err := f.svc.DispatchTx(ctx, tx, f.agent, t.Number, tickets.DispatchInput{Department: "hrss"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.seen) != 0 {
		t.Errorf("router asked about an unrouted ticket")
	}
	got, err := f.svc.Get(ctx, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tickets.StatusDispatched || got.Department.Code != "hrss" {
		t.Errorf("status %s department %v, want dispatched by hand to hrss", got.Status, got.Department)
	}
}

// TestRouterHeldWithoutDispatch: a router that dispatches nothing leaves the ticket registered
// with its held event, shown nothing failed.
func TestRouterHeldWithoutDispatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	r := &router{}
	f.svc.Route(r)
	tk := f.register(t)
	evs, err := f.svc.Events(ctx, tk.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"register", "routing"}; !slices.Equal(kinds(evs), want) || evs[1].Body != "held" {
		t.Fatalf("timeline %v, want register then held", kinds(evs))
	}
	if len(r.failed) != 1 || r.failed[0] != nil {
		t.Errorf("held asked with %v, want one call without an error", r.failed)
	}
}

// TestDispatchRefusesADepartmentThatTakesNoTickets: a dispatcher cannot send a ticket to a
// department that was deactivated, as lead or as co-handler.
func TestDispatchRefusesADepartmentThatTakesNoTickets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.db.NewUpdate().Table("departments").Set("active = false").Where("code = 'market'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	tk := f.register(t)
	for _, in := range []tickets.DispatchInput{{Department: "market"}, {Department: "hrss", CoHandlers: []string{"market"}}} {
		_, err := f.svc.Dispatch(ctx, f.agent, tk.Number, in)
		var fe *tickets.FieldError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "takes no tickets") {
			t.Errorf("dispatch %+v: err %v, want a field error saying market takes no tickets", in, err)
		}
	}
	got, err := f.svc.Get(ctx, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tickets.StatusRegistered || f.countEvents(t, got) != 1 {
		t.Errorf("status %s with %d events, want registered with its one event", got.Status, f.countEvents(t, got))
	}
}

// byDescription is a router that dispatches a ticket to the department its description names
// ("to:hrss"), and holds the others.
type byDescription struct{}

func (byDescription) Route(_ context.Context, _ bun.Tx, ds []*tickets.Draft) ([]tickets.Routing, error) {
	out := make([]tickets.Routing, len(ds))
	for i, d := range ds {
		out[i].Held = func(failed error) *tickets.Event {
			return &tickets.Event{Kind: "routing", ActorName: "system", ActorRole: "system", At: time.Now(),
				FromStatus: "registered", ToStatus: "registered", Body: "held"}
		}
		if dept, ok := strings.CutPrefix(d.Description, "to:"); ok {
			lead, co, _ := strings.Cut(dept, "+")
			out[i].Dispatch = &tickets.DispatchInput{Department: lead}
			if co != "" {
				out[i].Dispatch.CoHandlers = []string{co}
			}
		}
	}
	return out, nil
}

// TestRegisterBatch registers a batch mixing good and bad registrations: the bad ones get their
// own error and are not written, the good ones are written with distinct numbers, each with its
// own events and co-handlers, and the hook sees them in their places.
func TestRegisterBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.svc.Route(byDescription{})
	reg := func(desc, category string) tickets.Registration {
		return tickets.Registration{Actor: tickets.Citizen("市民"), Input: tickets.RegisterInput{Channel: "open311", Category: category, Description: desc}}
	}
	regs := []tickets.Registration{
		reg("to:hrss", "wage-arrears"),
		reg("", "wage-arrears"),               // no description
		reg("to:market+hrss", "wage-arrears"), // lead and co-handler
		reg("held for a dispatcher", ""),      // no category: the standard profile
		reg("to:hrss", "no-such-category"),    // unknown category
		reg("to:nowhere", "wage-arrears"),     // the rule's department is unknown: held
		{Actor: tickets.Actor{Name: "h", Role: org.RoleHandler}, Input: tickets.RegisterInput{Channel: "open311", Description: "x"}}, // may not register
	}
	var hooked []*tickets.Ticket
	ts, errs, err := f.svc.RegisterBatch(ctx, regs, func(_ context.Context, _ bun.Tx, ts []*tickets.Ticket) error {
		hooked = slices.Clone(ts)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantBad := map[int]string{1: "description", 4: "category", 6: ""}
	numbers := map[string]bool{}
	for i := range regs {
		if field, bad := wantBad[i]; bad {
			var fe *tickets.FieldError
			if ts[i] != nil || errs[i] == nil || (field != "" && (!errors.As(errs[i], &fe) || fe.Field != field)) {
				t.Errorf("registration %d: ticket %v err %v, want refused on %q", i, ts[i], errs[i], field)
			}
			if hooked[i] != nil {
				t.Errorf("registration %d: the hook saw a refused ticket", i)
			}
			continue
		}
		if errs[i] != nil || ts[i] == nil || ts[i].ID == 0 || numbers[ts[i].Number] {
			t.Fatalf("registration %d: ticket %+v err %v, want a new ticket with its own number", i, ts[i], errs[i])
		}
		numbers[ts[i].Number] = true
		if hooked[i] != ts[i] {
			t.Errorf("registration %d: the hook saw %v, want the ticket", i, hooked[i])
		}
	}
	for _, c := range []struct {
		i      int
		status tickets.Status
		lead   string
		co     []string
		kinds  []string
	}{
		{0, tickets.StatusDispatched, "hrss", nil, []string{"register", "dispatch"}},
		{2, tickets.StatusDispatched, "market", []string{"hrss"}, []string{"register", "dispatch"}},
		{3, tickets.StatusRegistered, "", nil, []string{"register", "routing"}},
		{5, tickets.StatusRegistered, "", nil, []string{"register", "routing"}},
	} {
		got, err := f.svc.Get(ctx, ts[c.i].Number)
		if err != nil {
			t.Fatal(err)
		}
		lead := ""
		if got.Department != nil {
			lead = got.Department.Code
		}
		var co []string
		for _, h := range got.CoHandlers {
			co = append(co, h.Department.Code)
		}
		evs, err := f.svc.Events(ctx, got.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != c.status || lead != c.lead || !slices.Equal(co, c.co) || !slices.Equal(kinds(evs), c.kinds) {
			t.Errorf("registration %d: %s to %q with %v, timeline %v; want %s to %q with %v, timeline %v",
				c.i, got.Status, lead, co, kinds(evs), c.status, c.lead, c.co, c.kinds)
		}
		if got.Channel != "open311" || got.CallerName != "" || evs[0].ActorName != "市民" {
			t.Errorf("registration %d: channel %s, first event by %q", c.i, got.Channel, evs[0].ActorName)
		}
	}
	if got, err := f.svc.Get(ctx, ts[3].Number); err != nil || got.ProfileCode != "standard" || got.CategoryID != nil {
		t.Errorf("uncategorised ticket: %+v %v, want the standard profile", got, err)
	}
}

// TestRegisterBatchFailsWhole: when the transaction fails (here the hook refuses), no ticket of
// the batch is written.
func TestRegisterBatchFailsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.svc.Route(byDescription{})
	regs := []tickets.Registration{
		{Actor: f.agent, Input: tickets.RegisterInput{Channel: "phone", Category: "wage-arrears", Description: "to:hrss"}},
		{Actor: f.agent, Input: tickets.RegisterInput{Channel: "phone", Category: "wage-arrears", Description: "held"}},
	}
	refused := errors.New("refused")
	ts, errs, err := f.svc.RegisterBatch(ctx, regs, func(context.Context, bun.Tx, []*tickets.Ticket) error { return refused })
	if !errors.Is(err, refused) || ts != nil || errs != nil {
		t.Fatalf("tickets %v errs %v err %v, want the hook's error and nothing else", ts, errs, err)
	}
	var n int
	if err := f.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM ticket_events)").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tickets and events written (%v), want none", n, err)
	}
}
