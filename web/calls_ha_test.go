package web

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

// A call closed as dropped (up on a node that died) is listed with its outcome in the reader's
// language, as every outcome is.
func TestCallsListDroppedInBothLanguages(t *testing.T) {
	t.Parallel()
	e, _ := newCallsEnv(t)
	ctx := context.Background()
	id := uuid.NewString()
	if _, err := e.db.NewRaw(`INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, ended_at, caller_call_id, queue_epoch)
		VALUES (?, '13800138000', '12345', '1001', 'dropped', ?, ?, 'cid', 3)`, id, testNow, testNow).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cookie, want string }{
		{"", "通话中断（服务节点故障）"},
		{"lang=en", "Dropped: the server handling it failed"},
	} {
		hdr := e.token("agent1")
		if tc.cookie != "" {
			hdr["Cookie"] = tc.cookie
		}
		r := e.do(nil, "GET", "/api/v1/calls", nil, hdr)
		var got struct {
			Calls []struct {
				Outcome     string `json:"outcome"`
				OutcomeText string `json:"outcome_text"`
			} `json:"calls"`
		}
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != 200 {
			t.Fatalf("GET /api/v1/calls: %d %s", r.Status, r.Body)
		}
		if len(got.Calls) != 1 || got.Calls[0].Outcome != "dropped" || got.Calls[0].OutcomeText != tc.want {
			t.Fatalf("%q: %s", tc.cookie, r.Body)
		}
	}
}
