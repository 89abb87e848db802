package tickets_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// TestAppendEventsTxKeepsOrderAndFields writes events of two tickets through the array form
// and reads them back as the timeline shows them: in the order given, nulls kept, data as JSON.
func TestAppendEventsTxKeepsOrderAndFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.register(t), f.register(t)
	at := f.clk.Now().Add(time.Hour).UTC()
	dept := f.handler.DepartmentID
	evs := []*tickets.Event{
		{TicketID: a.ID, Kind: "escalation", ActorName: "system", ActorRole: "system", At: at, Body: "第 1 级",
			FromStatus: "registered", ToStatus: "registered", Data: json.RawMessage(`{"level":1}`)},
		{TicketID: b.ID, Kind: "note", ActorName: "h", ActorRole: "handler", DepartmentID: &dept, At: at, Public: true, Body: "x"},
		{TicketID: a.ID, Kind: "escalation", ActorName: "system", ActorRole: "system", At: at, Body: "第 2 级",
			FromStatus: "registered", ToStatus: "registered", Data: json.RawMessage(`{"level":2}`)},
	}
	err := f.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return tickets.AppendEventsTx(ctx, tx, evs) })
	if err != nil {
		t.Fatal(err)
	}
	var got []tickets.Event
	err = f.db.NewSelect().Model(&got).Where("ticket_id IN (?) AND at = ?", bun.List([]int64{a.ID, b.ID}), at).Order("id").Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]tickets.Event, len(evs))
	for i, ev := range evs {
		want[i] = *ev
	}
	opts := []cmp.Option{
		cmp.Transformer("json", func(m json.RawMessage) any {
			var v any
			if err := json.Unmarshal(m, &v); err != nil {
				return string(m)
			}
			return v
		}),
		cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) }),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" }, cmp.Ignore()),
	}
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
}
