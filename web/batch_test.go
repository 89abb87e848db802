package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/tickets"
)

// A department signs for a selection of its tickets at once (批量签收): each chosen ticket is
// accepted with its own event; one already accepted, another department's and a bogus number
// fail with why, and the others are done all the same. The centre dispatches a selection
// through the API; a department may not; an empty, oversized or unknown batch is refused
// before anything is done.
func TestBatchActions(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	a := e.register("公司拖欠工资一", "wage-arrears", "13700000001", "hrss")
	b := e.register("公司拖欠工资二", "wage-arrears", "13700000002", "hrss")
	done := e.register("公司拖欠工资三", "wage-arrears", "13700000003", "hrss")
	other := e.register("餐馆卫生差", "food-safety", "13700000004", "market")
	if _, err := e.tickets.Accept(ctx, e.actor("handler-hrss"), done.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	handler := e.browser("handler-hrss")
	page := e.do(handler, "GET", "/workbench", nil, nil).Body
	if !strings.Contains(page, `name="numbers" value="`+a.Number+`" form="batch-form"`) {
		t.Fatalf("the workbench offers no choice of %s", a.Number)
	}
	r := e.do(handler, "POST", "/workbench/batch", url.Values{"numbers": {a.Number, b.Number, done.Number, other.Number, "bogus"}}, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("batch: %d", r.Status)
	}
	result := between(r.Body, `id="batch-result">`, "</div>")
	if !strings.Contains(result, "已完成 2 张，未完成 3 张") {
		t.Fatalf("the batch's result: %s", result)
	}
	for _, n := range []string{done.Number, other.Number, "bogus"} {
		if !strings.Contains(result, `data-number="`+n+`"`) {
			t.Errorf("the failures do not name %s: %s", n, result)
		}
	}
	for _, n := range []string{a.Number, b.Number} {
		var accepts int
		e.db.NewRaw("SELECT count(*) FROM ticket_events ev JOIN tickets t ON t.id = ev.ticket_id WHERE t.number = ? AND ev.kind = 'accept'", n).Scan(ctx, &accepts)
		if accepts != 1 {
			t.Errorf("%s has %d accept events", n, accepts)
		}
	}
	if r := e.do(handler, "POST", "/workbench/batch", url.Values{}, nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "请至少选择一张工单") {
		t.Errorf("an empty batch: %d", r.Status)
	}

	// The centre dispatches two registered tickets; a department may not dispatch.
	x := e.register("路灯不亮", "road-damage", "13700000005", "")
	y := e.register("井盖缺失", "road-damage", "13700000006", "")
	sup := e.token("supervisor")
	r = e.do(nil, "POST", "/api/v1/tickets/batch", map[string]any{"action": "dispatch", "numbers": []string{x.Number, y.Number}, "department": "urban"}, sup)
	if m := r.json(t); r.Status != 200 || len(m["done"].([]any)) != 2 || len(m["failed"].([]any)) != 0 {
		t.Fatalf("the centre's batch dispatch: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/batch", map[string]any{"action": "dispatch", "numbers": []string{x.Number}, "department": "urban"}, e.token("handler-hrss")); r.Status != http.StatusForbidden {
		t.Errorf("a department's batch dispatch: %d", r.Status)
	}
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprintf("20261123-%06d", i+1)
	}
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"action": "accept", "numbers": many}, "500"},
		{map[string]any{"action": "close", "numbers": []string{x.Number}}, "action"},
		{map[string]any{"action": "dispatch", "numbers": []string{x.Number}}, "department"},
	} {
		if r := e.do(nil, "POST", "/api/v1/tickets/batch", c.body, sup); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, c.want) {
			t.Errorf("%v: %d %s", c.body["action"], r.Status, r.Body)
		}
	}
}

// The centre re-dispatches a selection from the ticket list and exports a selection: the
// export holds only the chosen tickets the reader may see, in the reader's columns.
func TestBatchFromTheListAndExportSelection(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	x := e.register("路灯不亮", "road-damage", "13700000005", "")
	y := e.register("井盖缺失", "road-damage", "13700000006", "")
	z := e.register("餐馆卫生差", "food-safety", "13700000007", "market")
	sup := e.browser("supervisor")
	r := e.do(sup, "POST", "/tickets/batch", url.Values{"action": {"dispatch"}, "department": {"urban"}, "numbers": {x.Number, y.Number, z.Number},
		"next": {"/tickets?status=registered"}}, nil)
	if r.Status != http.StatusOK || !strings.Contains(between(r.Body, `id="batch-result">`, "</div>"), "已完成 2 张，未完成 1 张") ||
		!strings.Contains(r.Body, `href="/tickets?status=registered" id="batch-back"`) {
		t.Fatalf("the list's batch: %d %s", r.Status, between(r.Body, `id="batch-result">`, "</div>"))
	}
	if r := e.do(e.browser("handler-hrss"), "POST", "/tickets/batch", url.Values{"action": {"dispatch"}, "department": {"urban"}, "numbers": {x.Number}}, nil); r.Status != http.StatusForbidden {
		t.Errorf("a department's batch from the list: %d", r.Status)
	}
	h := e.browser("handler-market")
	csv := e.do(h, "POST", "/export/selection", url.Values{"numbers": {x.Number, z.Number}, "format": {"csv"}}, nil)
	if csv.Status != http.StatusOK || !strings.Contains(csv.Body, z.Number) || strings.Contains(csv.Body, x.Number) || !strings.Contains(csv.Body, "137****0007") {
		t.Fatalf("a department's export of a selection: %d %s", csv.Status, csv.Body)
	}
	if r := e.do(h, "POST", "/export/selection", url.Values{"format": {"pdf"}, "numbers": {z.Number}}, nil); r.Status != http.StatusBadRequest {
		t.Errorf("a bad format: %d", r.Status)
	}
}
