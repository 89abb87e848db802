package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestMergedTicketOnStaffPagesAndUnmerge: a merged ticket (并单) leaves the department's
// workbench and offers its handler nothing to do; the centre undoes the merge from its page or
// the API, and both timelines show it.
func TestMergedTicketOnStaffPagesAndUnmerge(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	master := e.register("公司拖欠工资三个月", "wage-arrears", "13600000001", "hrss")
	dup := e.register("公司拖欠工资三个月了", "wage-arrears", "13600000002", "hrss")
	if _, err := e.tickets.Merge(ctx, e.actor("dispatcher"), dup.Number, master.Number, ""); err != nil {
		t.Fatal(err)
	}
	same := map[string]string{"Origin": e.ts.URL}
	h := e.browser("handler-hrss")
	wb := e.do(h, "GET", "/workbench", nil, nil)
	mustContain(t, "workbench", wb, master.Number)
	mustLack(t, "workbench", wb, dup.Number)
	hp := e.do(h, "GET", "/tickets/"+dup.Number, nil, nil)
	mustContain(t, "handler's page of the merged ticket", hp, `id="master"`, master.Number)
	mustLack(t, "handler's page of the merged ticket", hp, `id="do-accept"`, `id="form-unmerge"`)
	if r := e.do(h, "POST", "/tickets/"+dup.Number+"/unmerge", url.Values{}, same); r.Status != http.StatusForbidden {
		t.Fatalf("unmerge by a handler: %d, want 403", r.Status)
	}

	d := e.browser("dispatcher")
	mustContain(t, "master's page", e.do(d, "GET", "/tickets/"+master.Number, nil, nil), `id="merged"`, dup.Number)
	mustContain(t, "dispatcher's page of the merged ticket", e.do(d, "GET", "/tickets/"+dup.Number, nil, nil), `id="form-unmerge"`)
	if r := e.do(d, "POST", "/tickets/"+dup.Number+"/unmerge", url.Values{"note": {"不是同一家公司"}}, same); r.Status != http.StatusSeeOther {
		t.Fatalf("unmerge from the page: %d %s", r.Status, r.Body)
	}
	page := e.do(d, "GET", "/tickets/"+dup.Number, nil, nil)
	mustContain(t, "unmerged ticket's page", page, `data-kind="unmerge"`)
	mustLack(t, "unmerged ticket's page", page, `id="form-unmerge"`, `id="master"`)
	mustContain(t, "master's page after", e.do(d, "GET", "/tickets/"+master.Number, nil, nil), `data-kind="unmerge"`)
	mustContain(t, "workbench after", e.do(h, "GET", "/workbench", nil, nil), dup.Number)
	// Again through the API: merged, unmerged, and refused once it stands on its own.
	if _, err := e.tickets.Merge(ctx, e.actor("dispatcher"), dup.Number, master.Number, ""); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "GET", "/api/v1/tickets/"+dup.Number, nil, e.token("dispatcher")); r.Status != http.StatusOK || r.json(t)["master"] != master.Number {
		t.Fatalf("API read of the merged ticket: %d %s, want its master named", r.Status, r.Body)
	}
	api := "/api/v1/tickets/" + dup.Number + "/unmerge"
	if r := e.do(nil, "POST", api, map[string]string{}, e.token("handler-hrss")); r.Status != http.StatusForbidden {
		t.Fatalf("API unmerge by a handler: %d", r.Status)
	}
	sup := e.token("supervisor")
	if r := e.do(nil, "POST", api, map[string]string{"note": "误并"}, sup); r.Status != http.StatusOK || r.json(t)["status"] != "dispatched" {
		t.Fatalf("API unmerge: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", api, map[string]string{}, sup); r.Status != http.StatusConflict {
		t.Fatalf("unmerging a ticket on its own: %d, want 409", r.Status)
	}
}
