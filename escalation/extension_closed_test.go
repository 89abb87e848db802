package escalation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

// An extension request still waiting when its ticket is resolved is closed with the
// resolution, in its transaction and with the reason on the timeline; deciding it afterwards
// says it is closed rather than failing on a ticket that cannot be extended.
func TestPendingExtensionClosesWhenTheTicketIsResolved(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	no := tk.Number
	h, sup := f.actor("handler-hrss"), f.actor("supervisor")
	if _, err := f.tk.Accept(ctx, h, no, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	x, err := f.esc.RequestExtension(ctx, h, no, escalation.ExtensionInput{Workdays: 3, Reason: "需等待鉴定结果"})
	if err != nil {
		t.Fatal(err)
	}
	// A note leaves the request waiting.
	if _, err := f.tk.Note(ctx, h, no, tickets.ActInput{Text: "已催鉴定机构"}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT count(*) FROM extension_requests WHERE id = ? AND status = 'pending'", x.ID); n != 1 {
		t.Fatalf("a note closed the request")
	}
	if _, err := f.tk.Resolve(ctx, h, no, tickets.ActInput{Text: "已足额支付"}); err != nil {
		t.Fatal(err)
	}
	xs, err := f.esc.Extensions(ctx, sup, "closed", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 1 || xs[0].ID != x.ID || xs[0].DecidedAt == nil || xs[0].DecisionNote == "" {
		t.Fatalf("closed requests: %+v", xs)
	}
	got, err := f.tk.Get(ctx, no)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := f.tk.Events(ctx, got.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != "extension_closed" || last.Body != xs[0].DecisionNote || last.ActorRole != "system" || evs[len(evs)-2].Kind != "resolve" {
		t.Fatalf("timeline ends %s %q by %s after %s", last.Kind, last.Body, last.ActorRole, evs[len(evs)-2].Kind)
	}
	if _, err := f.esc.DecideExtension(ctx, sup, x.ID, true, "同意"); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("approving a closed request: %v", err)
	}
}
