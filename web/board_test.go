package web

import (
	"context"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/tickets"
)

// The board's "open" export holds the tickets not yet resolved, as the board's 在办 counts
// them; resolved tickets wait in the "resolved" list for their return visit.
func TestBoardOpenListIsNotResolved(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	ctx := context.Background()
	open := e.register("小区路灯不亮已经一周", "road-damage", "13700137000", "hrss")
	done := e.register("公司拖欠三个月工资，共计两万元", "wage-arrears", "13800138000", "hrss")
	waiting := e.register("咨询社保转移", "wage-arrears", "13900139000", "")
	st, err := e.org.Staff(ctx, "handler-hrss")
	if err != nil {
		t.Fatal(err)
	}
	h := tickets.ActorFor(st)
	if _, err := e.tickets.Accept(ctx, h, done.Number, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.Resolve(ctx, h, done.Number, tickets.ActInput{Text: "已足额支付"}); err != nil {
		t.Fatal(err)
	}
	auth := e.token("supervisor")
	r := e.do(nil, "GET", "/export/open?format=csv", nil, auth)
	if r.Status != 200 || !strings.Contains(r.Body, open.Number) || !strings.Contains(r.Body, waiting.Number) || strings.Contains(r.Body, done.Number) {
		t.Fatalf("open export: %d\n%s", r.Status, r.Body)
	}
	r = e.do(nil, "GET", "/export/resolved?format=csv", nil, auth)
	if r.Status != 200 || !strings.Contains(r.Body, done.Number) || strings.Contains(r.Body, open.Number) {
		t.Fatalf("resolved export: %d\n%s", r.Status, r.Body)
	}
}
