package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// TestTrackMergedTicketNamesNoOtherCitizen: the citizen of a merged ticket reads that their
// matter was handled together with the same matter, never the master's number, its citizen,
// its result or staff's notes.
func TestTrackMergedTicketNamesNoOtherCitizen(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	_, body := e.postMultipart("/complain", complaint(e.formToken()), nil)
	master := numberInPageRE.FindStringSubmatch(body)[1]
	_, body = e.postMultipart("/complain", complaint(e.formToken(), "name", "赵六", "phone", "13900139000"), nil)
	dup := numberInPageRE.FindStringSubmatch(body)[1]
	sup := tickets.Actor{Name: "主任", Role: org.RoleSupervisor}
	if _, err := e.tickets.Merge(ctx, sup, dup, master, "王五反映的同一处塌陷"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Dispatch(ctx, sup, master, tickets.DispatchInput{Department: "urban", ActInput: tickets.ActInput{Text: "王五多次来电，注意态度"}}); err != nil {
		t.Fatal(err)
	}
	urban, err := org.NewStore(e.db).Department(ctx, "urban")
	if err != nil {
		t.Fatal(err)
	}
	handler := tickets.Actor{Name: "handler", Role: org.RoleHandler, DepartmentID: urban.ID}
	if _, err := e.tickets.Accept(ctx, handler, master, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Resolve(ctx, handler, master, tickets.ActInput{Text: "已修复路面"}); err != nil {
		t.Fatal(err)
	}
	code, _, body := e.postForm("/track", url.Values{"number": {dup}, "phone": {"13900139000"}})
	if code != 200 || !strings.Contains(body, `data-status="resolved"`) || !strings.Contains(body, "合并办理") {
		t.Fatalf("merged ticket on /track: %d\n%s", code, body)
	}
	for _, other := range []string{master, "王五", "13800138000", "已修复", "注意态度"} {
		if strings.Contains(body, other) {
			t.Errorf("the merged ticket's citizen reads %q", other)
		}
	}
	if strings.Contains(body, `id="rate-form"`) || strings.Contains(body, `id="resolve-due"`) {
		t.Error("the merged ticket is offered for rating, or shows a deadline, of its own")
	}
	// The master's citizen reads their own result, and not the staff's dispatch note.
	_, _, body = e.postForm("/track", url.Values{"number": {master}, "phone": {"13800138000"}})
	if strings.Contains(body, dup) || strings.Contains(body, "注意态度") || strings.Contains(body, "赵六") {
		t.Errorf("the master's citizen reads the other ticket or a staff note:\n%s", body)
	}
}
