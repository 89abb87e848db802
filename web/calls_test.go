package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
)

// newCallsEnv is a staff env with a SIP front end on a free loopback port, with agent1 on
// extension 1001; opts adjust its configuration.
func newCallsEnv(t *testing.T, opts ...func(*telephony.Config)) (*staffEnv, *telephony.Server) {
	t.Helper()
	var tel *telephony.Server
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) { tel = startTelephony(t, e, opts...); d.Calls.Telephony = tel })
	return e, tel
}

// startTelephony starts a SIP front end for the staff env e, stopped when t ends.
func startTelephony(t *testing.T, e *staffEnv, opts ...func(*telephony.Config)) *telephony.Server {
	t.Helper()
	ctx := context.Background()
	if _, err := e.db.NewUpdate().Table("staff").Set("sip_extension = '1001', sip_ha1 = ?", org.DigestHA1("1001", "hotline", "demo-sip")).
		Where("username = 'agent1'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := telephony.Config{Addr: "127.0.0.1:0", Realm: "hotline",
		Trunks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Transfers: map[string]string{"110": "sip:110@127.0.0.1:9"}}
	for _, o := range opts {
		o(&cfg)
	}
	tel, err := telephony.New(cfg,
		telephony.Deps{DB: e.db, Org: e.org, Tickets: e.tickets, Log: slog.New(slog.NewTextHandler(testLogOut, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Listen(); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- tel.Serve(sctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return tel
}

func TestCallsAPI(t *testing.T) {
	t.Parallel()
	e, _ := newCallsEnv(t)
	ctx := context.Background()
	agent := e.token("agent1")

	// Two finished calls, as the SIP layer writes them; the newer one linked to a ticket.
	tk := e.register("路灯不亮，来电反映", "noise", "13800138000", "").Number
	old, newer := uuid.NewString(), uuid.NewString()
	t0 := testNow.Add(-time.Hour)
	for _, row := range []map[string]any{
		{"id": old, "caller": "13900139000", "outcome": "no_agent", "started": t0, "ext": ""},
		{"id": newer, "caller": "13800138000", "outcome": "answered", "started": t0.Add(time.Minute), "ext": "1001"},
	} {
		if _, err := e.db.NewRaw(`INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, ended_at, caller_call_id)
			VALUES (?, ?, '12345', ?, ?, ?, ?, ?)`, row["id"], row["caller"], row["ext"], row["outcome"], row["started"],
			row["started"].(time.Time).Add(time.Minute), "cid-"+row["id"].(string)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/calls/"+newer+"/ticket", map[string]string{"ticket": tk}, agent); r.Status != 200 {
		t.Fatalf("link ticket: %d %s", r.Status, r.Body)
	}

	r := e.do(nil, "GET", "/api/v1/calls", nil, agent)
	if r.Status != 200 {
		t.Fatalf("GET /api/v1/calls: %d %s", r.Status, r.Body)
	}
	var got struct {
		Calls []map[string]any `json:"calls"`
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Calls) != 2 || got.Calls[0]["id"] != newer || got.Calls[1]["id"] != old {
		t.Fatalf("calls not newest first: %s", r.Body)
	}
	for _, k := range []string{"caller", "extension", "started_at", "answered_at", "ended_at", "outcome", "ticket"} {
		if _, ok := got.Calls[0][k]; !ok {
			t.Errorf("call lacks %q: %v", k, got.Calls[0])
		}
	}
	if got.Calls[0]["ticket"] != tk || got.Calls[1]["ticket"] != nil || got.Calls[1]["extension"] != "" {
		t.Fatalf("ticket links: %s", r.Body)
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		hdr                map[string]string
		want               int
	}{
		{"no login", "GET", "/api/v1/calls", nil, nil, http.StatusUnauthorized},
		{"department handler", "GET", "/api/v1/calls", nil, e.token("handler-hrss"), http.StatusForbidden},
		{"bad limit", "GET", "/api/v1/calls?limit=zero", nil, agent, http.StatusBadRequest},
		{"link to unknown call", "POST", "/api/v1/calls/" + uuid.NewString() + "/ticket", map[string]string{"ticket": tk}, agent, http.StatusNotFound},
		{"link to malformed call id", "POST", "/api/v1/calls/not-a-uuid/ticket", map[string]string{"ticket": tk}, agent, http.StatusNotFound},
		{"link unknown ticket", "POST", "/api/v1/calls/" + old + "/ticket", map[string]string{"ticket": "20991231-999999"}, agent, http.StatusNotFound},
		{"link without ticket", "POST", "/api/v1/calls/" + old + "/ticket", map[string]string{}, agent, http.StatusBadRequest},
		{"transfer a call not in progress", "POST", "/api/v1/calls/" + old + "/transfer", map[string]string{"target": "110"}, agent, http.StatusNotFound},
		{"transfer without target", "POST", "/api/v1/calls/" + old + "/transfer", map[string]string{}, agent, http.StatusBadRequest},
		{"bad status", "POST", "/api/v1/agent/status", map[string]string{"status": "napping"}, agent, http.StatusBadRequest},
		{"status without extension", "POST", "/api/v1/agent/status", map[string]string{"status": "break"}, e.token("supervisor"), http.StatusConflict},
		{"callback of unknown task", "POST", "/api/v1/callbacks/999/call", nil, agent, http.StatusConflict},
		{"bad callback filter", "GET", "/api/v1/callbacks?status=lost", nil, agent, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do(nil, tc.method, tc.path, tc.body, tc.hdr); r.Status != tc.want {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.want)
			}
		})
	}

	r = e.do(nil, "POST", "/api/v1/agent/status", map[string]string{"status": "break"}, agent)
	if r.Status != 200 || r.json(t)["status"] != "break" || r.json(t)["extension"] != "1001" {
		t.Fatalf("set status: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/agent/status", nil, agent); r.json(t)["status"] != "break" {
		t.Fatalf("read status: %s", r.Body)
	}
}

// A caller's calls are looked up with the number in a POST body; in a URL it is refused. Every
// call carries a recording field (empty while none is kept).
func TestCallsByCallerOutOfURLs(t *testing.T) {
	t.Parallel()
	e, _ := newCallsEnv(t)
	agent := e.token("agent1")
	if r := e.do(nil, "GET", "/api/v1/calls?caller=13800138000", nil, agent); r.Status != 400 || r.json(t)["field"] != "caller" {
		t.Fatalf("a number in the URL: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/calls/search", map[string]string{"caller": "13800138000", "limit": "5"}, agent); r.Status != 200 || !strings.Contains(r.Body, `"calls"`) {
		t.Fatalf("a caller's calls: %d %s", r.Status, r.Body)
	}
}
