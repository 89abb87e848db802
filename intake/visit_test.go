package intake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// TestRatingIsTheReturnVisit: the citizen's own rating marks the return visit (回访) done, with
// the same marker and event a visit record uses.
func TestRatingIsTheReturnVisit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	r, err := f.svc.Submit(ctx, webSub("13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	f.resolve(t, r.Number)
	v, _ := f.svc.Track(ctx, "a", r.Number, "13800138000")
	if v.Ticket.VisitedAt != nil {
		t.Fatal("visited before anyone asked")
	}
	if v, err = f.svc.Rate(ctx, "a", v.Access, rated(intake.Satisfied, "")); err != nil {
		t.Fatal(err)
	}
	if v.Ticket.VisitedAt == nil {
		t.Fatal("the rating did not mark the return visit done")
	}
	all, err := f.tickets.Events(ctx, v.Ticket.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if last.Kind != string(tickets.ActVisit) || last.Public || !strings.Contains(string(last.Data), `"channel": "web"`) {
		t.Fatalf("last event %s public=%v %s, want the internal visit by web", last.Kind, last.Public, last.Data)
	}
}

// TestMergedTicketIsNotRatedOnItsOwn: a ticket merged into another (并单) follows its master's
// outcome; its citizen cannot rate it separately, and its public timeline names nothing of the
// master's citizen.
func TestMergedTicketIsNotRatedOnItsOwn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	sub := webSub("13800138000")
	sub.Name = "王五"
	m, err := f.svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Submit(ctx, webSub("13900139000"))
	if err != nil {
		t.Fatal(err)
	}
	sup := tickets.Actor{Name: "s", Role: org.RoleSupervisor}
	if _, err := f.tickets.Merge(ctx, sup, d.Number, m.Number, "王五反映的同一个坑"); err != nil {
		t.Fatal(err)
	}
	f.resolve(t, m.Number)
	v, err := f.svc.Track(ctx, "a", d.Number, "13900139000")
	if err != nil {
		t.Fatal(err)
	}
	if v.Ticket.Status != tickets.StatusResolved || v.CanRate {
		t.Fatalf("merged ticket: %s canRate=%v, want resolved and not rated on its own", v.Ticket.Status, v.CanRate)
	}
	for _, ev := range v.Events {
		for _, other := range []string{m.Number, "王五", "13800138000", "已修复"} {
			if strings.Contains(ev.Body, other) || strings.Contains(v.Ticket.Resolution, other) {
				t.Errorf("the merged ticket's citizen reads %q in %s %q / %q", other, ev.Kind, ev.Body, v.Ticket.Resolution)
			}
		}
	}
	if _, err := f.svc.Rate(ctx, "a", v.Access, rated(intake.Satisfied, "")); !errors.Is(err, intake.ErrNotRateable) {
		t.Fatalf("rating a merged ticket: %v, want ErrNotRateable", err)
	}
}

// The rating asks a visit's three questions; its answers are a valid return visit of the web
// channel, counted like the centre's calls, and a matter the citizen says is not solved goes
// back to be handled again even when they are satisfied with the people. Each missing answer
// is named.
func TestRatingIsAValidWebVisit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, open)
	ctx := context.Background()
	r, err := f.svc.Submit(ctx, webSub("13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	f.resolve(t, r.Number)
	v, _ := f.svc.Track(ctx, "a", r.Number, "13800138000")
	_, err = f.svc.Rate(ctx, "a", v.Access, intake.RatingInput{Rating: intake.Satisfied})
	var fes intake.FieldErrors
	if !errors.As(err, &fes) || !fes.Has("contacted") || !fes.Has("solved") {
		t.Fatalf("a rating without the other answers: %v", err)
	}
	no := false
	in := intake.RatingInput{Rating: intake.Satisfied, Contacted: &no, Solved: "unsolved"}
	if _, err := f.svc.Rate(ctx, "a", v.Access, in); !errors.As(err, &fes) || !fes.Has("comment") {
		t.Fatalf("not solved without a word why: %v", err)
	}
	in.Comment = "路灯还是不亮"
	if v, err = f.svc.Rate(ctx, "a", v.Access, in); err != nil {
		t.Fatal(err)
	}
	if v.Ticket.Status != tickets.StatusDispatched || v.Ticket.ReopenCount != 1 {
		t.Fatalf("a matter not solved: %s, reopened %d", v.Ticket.Status, v.Ticket.ReopenCount)
	}
	var channel, solved, satisfaction string
	var contacted, valid bool
	if err := f.db.QueryRowContext(ctx, "SELECT channel, contacted, solved, satisfaction, valid FROM return_visits WHERE ticket_id = ?", v.Ticket.ID).
		Scan(&channel, &contacted, &solved, &satisfaction, &valid); err != nil {
		t.Fatal(err)
	}
	if channel != "web" || contacted || solved != "unsolved" || satisfaction != "satisfied" || !valid {
		t.Fatalf("the visit: %s %v %s %s %v", channel, contacted, solved, satisfaction, valid)
	}
}
