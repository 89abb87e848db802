package tickets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

func TestExtendMovesResolutionDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tk := f.register(t)
	tk, err := f.svc.Dispatch(ctx, f.agent, tk.Number, tickets.DispatchInput{Department: "hrss"})
	if err != nil {
		t.Fatal(err)
	}
	supervisor := tickets.Actor{Name: "sup", Role: org.RoleSupervisor, DepartmentID: f.agent.DepartmentID}
	newDue := tk.ResolveDue.Add(72 * time.Hour)
	extend := func(actor tickets.Actor, due time.Time, reason string) (*tickets.Ticket, error) {
		var got *tickets.Ticket
		err := f.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			got, err = f.svc.ExtendTx(ctx, tx, actor, tk.Number, due, reason)
			return err
		})
		return got, err
	}
	for _, tc := range []struct {
		name  string
		actor tickets.Actor
		due   time.Time
		why   string
		want  error
	}{
		{"handler may not", f.handler, newDue, "need more time", tickets.ErrForbidden},
		{"no reason", supervisor, newDue, " ", tickets.ErrInvalid},
		{"earlier deadline", supervisor, tk.ResolveDue.Add(-time.Hour), "x", tickets.ErrInvalid},
	} {
		// Serial: the test goes on to extend the deadline, which these refusals must run before.
		t.Run(tc.name, func(t *testing.T) {
			if _, err := extend(tc.actor, tc.due, tc.why); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	before := f.countEvents(t, tk)
	got, err := extend(supervisor, newDue, "工地停工待批")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ResolveDue.Equal(newDue) || got.Version != tk.Version+1 {
		t.Fatalf("after extension: due %v version %d", got.ResolveDue, got.Version)
	}
	if n := f.countEvents(t, tk); n != before+1 {
		t.Fatalf("events %d, want %d", n, before+1)
	}
	evs, err := f.svc.Events(ctx, tk.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Kind != "extend" || !last.Public || last.Body != "工地停工待批" {
		t.Fatalf("last public event = %+v", last)
	}
	// A resolved ticket has no resolution deadline left to extend.
	if _, err := f.svc.Accept(ctx, f.handler, tk.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resolve(ctx, f.handler, tk.Number, tickets.ActInput{Text: "已支付"}); err != nil {
		t.Fatal(err)
	}
	if _, err := extend(supervisor, newDue.Add(time.Hour), "late"); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("extend resolved: %v", err)
	}
}
