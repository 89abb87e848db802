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

	"github.com/hotline-city/hotline/tickets"
)

// router is a Router that answers with its fixed verdict and remembers what it was shown.
type router struct {
	dispatch *tickets.DispatchInput
	seen     []*tickets.Draft
	failed   []error
}

func (r *router) Route(_ context.Context, _ bun.Tx, d *tickets.Draft) (tickets.Routing, error) {
	cp := *d.Ticket
	r.seen = append(r.seen, &tickets.Draft{Ticket: &cp, CategoryPath: d.CategoryPath})
	return tickets.Routing{Dispatch: r.dispatch, Held: func(failed error) *tickets.Event {
		r.failed = append(r.failed, failed)
		body := "held"
		if failed != nil {
			body += ": " + failed.Error()
		}
		return &tickets.Event{Kind: "routing", ActorName: "system", ActorRole: "system", At: time.Now(),
			FromStatus: "registered", ToStatus: "registered", Body: body}
	}}, nil
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
