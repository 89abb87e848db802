package escalation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/escalation"
	"github.com/hotline-city/hotline/tickets"
)

func TestExtensionRequestApproveRearmsTheClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{SMS: true})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss") // resolution due 2026-11-25 17:00
	no := tk.Number
	h, sup := f.actor("handler-hrss"), f.actor("supervisor")
	f.clk.Set(at("2026-11-20 10:00"))
	if _, err := f.tk.Accept(ctx, h, no, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.Feedback(ctx, h, no, tickets.ActInput{Text: "已联系"}); err != nil {
		t.Fatal(err)
	}
	f.sweep(t, at("2026-11-20 10:00")) // the acceptance and feedback clocks' escalations
	for _, tc := range []struct {
		name  string
		actor tickets.Actor
		in    escalation.ExtensionInput
		want  error
	}{
		{"an agent", f.agent, escalation.ExtensionInput{Workdays: 3, Reason: "x"}, tickets.ErrForbidden},
		{"another department", f.actor("handler-market"), escalation.ExtensionInput{Workdays: 3, Reason: "x"}, tickets.ErrForbidden},
		{"no reason", h, escalation.ExtensionInput{Workdays: 3}, tickets.ErrInvalid},
		{"no new deadline", h, escalation.ExtensionInput{Reason: "x"}, tickets.ErrInvalid},
		{"an earlier deadline", h, escalation.ExtensionInput{NewDue: at("2026-11-24 17:00"), Reason: "x"}, tickets.ErrInvalid},
		{"too many days", h, escalation.ExtensionInput{Workdays: 99, Reason: "x"}, tickets.ErrInvalid},
	} {
		// Serial: the test goes on to file a request, which these refusals must run before.
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.esc.RequestExtension(ctx, tc.actor, no, tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	x, err := f.esc.RequestExtension(ctx, h, no, escalation.ExtensionInput{Workdays: 3, Reason: "需等待劳动仲裁结果"})
	if err != nil {
		t.Fatal(err)
	}
	if want := at("2026-11-30 17:00"); !x.NewDue.Equal(want) {
		t.Fatalf("new due %v, want %v", x.NewDue, want)
	}
	if _, err := f.esc.RequestExtension(ctx, h, no, escalation.ExtensionInput{Workdays: 2, Reason: "again"}); !errors.Is(err, tickets.ErrConflict) {
		t.Fatalf("second pending request: %v", err)
	}
	if _, err := f.esc.DecideExtension(ctx, h, x.ID, true, ""); !errors.Is(err, tickets.ErrForbidden) {
		t.Fatalf("handler approving: %v", err)
	}
	if _, err := f.esc.DecideExtension(ctx, sup, x.ID, false, " "); !errors.Is(err, tickets.ErrInvalid) {
		t.Fatalf("refusal without reason: %v", err)
	}
	if _, err := f.esc.DecideExtension(ctx, sup, 999999, true, ""); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
	// The old deadline's warning went out before the decision.
	if got := f.sweep(t, at("2026-11-24 09:15")); len(got) != 1 || got[0] != (step{no, "resolve", "warned", 0}) {
		t.Fatalf("warning before the extension: %v", got)
	}
	f.clk.Set(at("2026-11-24 10:00"))
	if _, err := f.esc.DecideExtension(ctx, sup, x.ID, true, "同意"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.esc.DecideExtension(ctx, sup, x.ID, false, "no"); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("deciding twice: %v", err)
	}
	got, err := f.tk.Get(ctx, no)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ResolveDue.Equal(x.NewDue) {
		t.Fatalf("resolve due %v, want %v", got.ResolveDue, x.NewDue)
	}
	if n := f.count(t, "SELECT count(*) FROM notifications WHERE channel = 'sms' AND staff_id IS NULL AND address = '13800138000' AND kind <> 'receipt'"); n != 1 {
		t.Fatalf("%d SMS to the citizen, want 1", n)
	}
	// The old deadline passes quietly; the new one warns and escalates again.
	if got := f.sweep(t, at("2026-11-25 17:00")); len(got) != 0 {
		t.Fatalf("old deadline after the extension: %v", got)
	}
	want := []step{{no, "resolve", "warned", 0}}
	if got := f.sweep(t, at("2026-11-27 09:30")); cmp.Diff(want, got) != "" {
		t.Fatalf("new deadline's warning: %v", got)
	}
	if got := f.sweep(t, at("2026-11-30 17:00")); len(got) != 1 || got[0] != (step{no, "resolve", "escalated", 1}) {
		t.Fatalf("new deadline: %v", got)
	}
	// A request after the deadline is refused: it is asked for before.
	if _, err := f.esc.RequestExtension(ctx, h, no, escalation.ExtensionInput{Workdays: 1, Reason: "late"}); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("late request: %v", err)
	}
	xs, err := f.esc.Extensions(ctx, f.actor("handler-market"), "", 0)
	if err != nil || len(xs) != 0 {
		t.Fatalf("another department sees %d requests (%v)", len(xs), err)
	}
	if xs, err = f.esc.Extensions(ctx, sup, "approved", 0); err != nil || len(xs) != 1 || xs[0].TicketNumber != no {
		t.Fatalf("supervisor's list: %+v %v", xs, err)
	}
}

func TestSupervisionNotice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{})
	ctx := context.Background()
	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	no := tk.Number
	h, sup := f.actor("handler-hrss"), f.actor("supervisor")
	if _, err := f.tk.Accept(ctx, h, no, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tk.Feedback(ctx, h, no, tickets.ActInput{Text: "已联系"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		actor tickets.Actor
		in    escalation.NoticeInput
		want  error
	}{
		{"a handler", h, escalation.NoticeInput{Text: "x", Workdays: 1}, tickets.ErrForbidden},
		{"no text", sup, escalation.NoticeInput{Workdays: 1}, tickets.ErrInvalid},
		{"no deadline", sup, escalation.NoticeInput{Text: "x"}, tickets.ErrInvalid},
		{"a past deadline", sup, escalation.NoticeInput{Text: "x", Due: at("2026-11-16 09:00")}, tickets.ErrInvalid},
	} {
		// Serial: the test goes on to issue a notice, which these refusals must run before.
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.esc.IssueNotice(ctx, tc.actor, no, tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := f.esc.IssueNotice(ctx, sup, "20990101-000001", escalation.NoticeInput{Text: "x", Workdays: 1}); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("unknown ticket: %v", err)
	}
	f.clk.Set(at("2026-11-16 11:00"))
	n, err := f.esc.IssueNotice(ctx, sup, no, escalation.NoticeInput{Text: "请于明日前说明欠薪处理进展", Due: at("2026-11-17 11:00")})
	if err != nil {
		t.Fatal(err)
	}
	if n.Number != "DB2026-000001" || n.Department != "hrss" {
		t.Fatalf("notice = %+v", n)
	}
	// 8 working hours from 11:00 to 11:00 the next day; 75% of them is 6 hours: 17:00.
	if got := f.sweep(t, at("2026-11-16 16:59")); len(got) != 0 {
		t.Fatalf("before the notice's warning: %v", got)
	}
	got := f.sweep(t, at("2026-11-16 17:00"))
	if len(got) != 1 || got[0] != (step{no, "notice", "warned", 0}) {
		t.Fatalf("notice warning: %v", got)
	}
	var last escalation.Action
	f.clk.Set(at("2026-11-17 11:00"))
	if _, err := f.esc.Sweep(ctx, at("2026-11-17 11:00"), func(a escalation.Action) { last = a }); err != nil {
		t.Fatal(err)
	}
	if last.Notice != n.Number || last.Level != 1 || last.Action != "escalated" {
		t.Fatalf("notice escalation: %+v", last)
	}
	if _, err := f.esc.ReplyNotice(ctx, f.actor("handler-market"), n.Number, "x"); !errors.Is(err, tickets.ErrForbidden) {
		t.Fatalf("another department replying: %v", err)
	}
	if _, err := f.esc.ReplyNotice(ctx, h, n.Number, ""); !errors.Is(err, tickets.ErrInvalid) {
		t.Fatalf("empty reply: %v", err)
	}
	if _, err := f.esc.ReplyNotice(ctx, h, "DB2026-999999", "x"); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("unknown notice: %v", err)
	}
	if _, err := f.esc.ReplyNotice(ctx, h, n.Number, "已约谈企业负责人，本周内支付"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.esc.ReplyNotice(ctx, h, n.Number, "again"); !errors.Is(err, tickets.ErrTransition) {
		t.Fatalf("second reply: %v", err)
	}
	// Answered: its clock is stopped, the next level never comes.
	for _, a := range f.sweep(t, at("2026-11-18 12:00")) {
		if a.Clock == "notice" {
			t.Fatalf("answered notice escalated: %v", a)
		}
	}
	if _, err := f.esc.Notice(ctx, f.actor("handler-market"), n.Number); !errors.Is(err, tickets.ErrForbidden) {
		t.Fatalf("another department reading: %v", err)
	}
	got2, err := f.esc.Notice(ctx, h, n.Number)
	if err != nil || got2.Status != "replied" || got2.TicketNumber != no {
		t.Fatalf("notice = %+v, %v", got2, err)
	}
}
