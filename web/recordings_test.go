package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-city/hotline/telephony"
)

// recordedCall stores an answered call by extension 1001 linked to ticketID, and its
// recording (data; nil: a small file that is no real WAV) under dir; it returns the call's ID
// and the file's path.
func recordedCall(t *testing.T, e *staffEnv, dir string, ticketID int64, data []byte) (string, string) {
	t.Helper()
	ctx := context.Background()
	id := uuid.NewString()
	start := e.clock.Now().Add(-5 * time.Minute)
	answered, ended := start.Add(10*time.Second), start.Add(2*time.Minute)
	if err := telephony.ImportRecords(ctx, e.db, []telephony.Record{{ID: id, Caller: "13800138077", Dialled: "12345",
		Extension: "1001", Outcome: "answered", StartedAt: start, AnsweredAt: &answered, EndedAt: &ended,
		CallerCallID: "c-" + id, AgentCallID: "a-" + id, TicketID: &ticketID}}); err != nil {
		t.Fatal(err)
	}
	if data == nil {
		data = []byte("RIFF" + strings.Repeat("\x01\x02recorded audio", 200))
	}
	rel := filepath.Join("2026", id+".wav")
	if err := os.MkdirAll(filepath.Join(dir, "2026"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	rec := &telephony.Recording{CallID: id, Path: rel, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		DurationMS: 110000, StartedAt: answered, EndedAt: ended}
	if _, err := e.db.NewInsert().Model(rec).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return id, filepath.Join(dir, rel)
}

// auditCount counts the audit entries of action on the call id.
func auditCount(t *testing.T, e *staffEnv, action, id string) int {
	t.Helper()
	n, err := e.db.NewSelect().Table("audit_log").Where("action = ? AND object_key = ?", action, id).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// A call's recording: its URL in the calls API for those allowed to hear it, played with
// range requests and audited each time, refused to others, reported and not served once the
// file is altered, and deleted with an audit entry after the retention period.
func TestCallRecordingPlayback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	recs := &telephony.Recordings{Dir: dir, Retention: 24 * time.Hour}
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) { recs.DB = e.db; d.Calls.Recordings = recs })
	tk := e.register("工资拖欠三个月，老板不接电话", "wage-arrears", "13800138077", "hrss")
	id, file := recordedCall(t, e, dir, tk.ID, nil)
	url := "/api/v1/calls/" + id + "/recording"
	data, _ := os.ReadFile(file)

	listed := func(who map[string]string) string {
		t.Helper()
		r := e.do(nil, "GET", "/api/v1/calls?limit=1000", nil, who)
		if r.Status != 200 {
			t.Fatalf("calls: %d %s", r.Status, r.Body)
		}
		for _, c := range r.json(t)["calls"].([]any) {
			if c := c.(map[string]any); c["id"] == id {
				return c["recording"].(string)
			}
		}
		t.Fatalf("call %s not listed", id)
		return ""
	}
	supervisor := e.token("supervisor")
	if got := listed(supervisor); got != url {
		t.Fatalf("supervisor's recording field = %q, want %q", got, url)
	}
	if got := listed(e.token("agent2")); got != "" {
		t.Fatalf("another agent's recording field = %q, want empty", got)
	}
	if got := listed(e.token("agent1")); got != url {
		t.Fatalf("the answering agent's recording field = %q, want %q", got, url)
	}

	r := e.do(nil, "GET", url, nil, supervisor)
	if r.Status != 200 || r.Header.Get("Content-Type") != "audio/wav" || r.Body != string(data) {
		t.Fatalf("supervisor plays: %d %s, %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	r = e.do(nil, "GET", url, nil, map[string]string{"Authorization": supervisor["Authorization"], "Range": "bytes=100-199"})
	if r.Status != 206 || r.Body != string(data[100:200]) || r.Header.Get("Content-Range") != "bytes 100-199/"+itoa(int64(len(data))) {
		t.Fatalf("range: %d %q %d bytes", r.Status, r.Header.Get("Content-Range"), len(r.Body))
	}
	if n := auditCount(t, e, "recording_played", id); n != 2 {
		t.Fatalf("audit entries of playback = %d, want 2", n)
	}
	for who, want := range map[string]int{"handler-hrss": 200, "handler-market": 403, "agent2": 403, "agent1": 200} {
		if r := e.do(nil, "GET", url, nil, e.token(who)); r.Status != want {
			t.Errorf("%s plays: %d, want %d", who, r.Status, want)
		}
	}
	if r := e.do(nil, "GET", "/api/v1/calls/"+uuid.NewString()+"/recording", nil, supervisor); r.Status != 404 {
		t.Fatalf("no such call: %d", r.Status)
	}

	// The ticket's page plays it to the supervisor.
	b := e.browser("supervisor")
	if r := e.do(b, "GET", "/tickets/"+tk.Number, nil, nil); r.Status != 200 ||
		!strings.Contains(r.Body, `<audio controls preload="none" src="/calls/`+id+`/recording"`) {
		t.Fatalf("ticket page has no player: %d", r.Status)
	}
	if r := e.do(b, "GET", "/calls/"+id+"/recording", nil, map[string]string{"Range": "bytes=0-"}); r.Status != 206 || r.Body != string(data) {
		t.Fatalf("the page's player: %d, %d bytes", r.Status, len(r.Body))
	}

	// One byte changed: reported, never served.
	altered := append([]byte(nil), data...)
	altered[50] ^= 0xff
	if err := os.WriteFile(file, altered, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "GET", url, nil, supervisor); r.Status != 500 || strings.Contains(r.Body, "recorded audio") ||
		!strings.Contains(r.Body, "altered") {
		t.Fatalf("altered file: %d %s", r.Status, r.Body)
	}
	if r := e.do(b, "GET", "/calls/"+id+"/recording", nil, nil); r.Status != 500 || !strings.Contains(r.Body, "录音文件缺失或已被改动") {
		t.Fatalf("altered file on the page: %d", r.Status)
	}
	if n := auditCount(t, e, "recording_damaged", id); n != 2 {
		t.Fatalf("audit entries of the damage = %d, want 2", n)
	}

	// Past the retention period the file is deleted, with an audit entry.
	n, err := recs.Expire(context.Background(), e.clock.Now().Add(25*time.Hour))
	if err != nil || n < 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("expired file still there: %v", err)
	}
	if n := auditCount(t, e, "recording_expired", id); n != 1 {
		t.Fatalf("audit entries of expiry = %d, want 1", n)
	}
	if r := e.do(nil, "GET", url, nil, supervisor); r.Status != 404 {
		t.Fatalf("expired recording: %d", r.Status)
	}
	if got := listed(supervisor); got != "" {
		t.Fatalf("expired recording still listed: %q", got)
	}
}
