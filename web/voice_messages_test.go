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

// A voice message (留言) left on a missed call: the missed-call list plays it to those who may
// hear recordings, with range requests, each playback audited; others are refused, and an
// altered file is reported, not served.
func TestVoiceMessagePlayback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	recs := &telephony.Recordings{Dir: dir, Retention: 24 * time.Hour}
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) { recs.DB = e.db; d.Calls.Recordings = recs })
	ctx := context.Background()
	id := uuid.NewString()
	start := e.clock.Now().Add(-5 * time.Minute)
	ended := start.Add(20 * time.Second)
	if err := telephony.ImportRecords(ctx, e.db, []telephony.Record{{ID: id, Caller: "13800138078", Dialled: "12345",
		Outcome: "max_wait", StartedAt: start, EndedAt: &ended, CallerCallID: "c-" + id}}); err != nil {
		t.Fatal(err)
	}
	data := []byte("RIFF" + strings.Repeat("\x03\x04a citizen's message", 100))
	rel := filepath.Join("messages", id+".wav")
	if err := os.MkdirAll(filepath.Join(dir, "messages"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	vm := &telephony.VoiceMessage{CallID: id, Phone: "13800138078", Path: rel, Bytes: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), DurationMS: 5000, CreatedAt: ended.Add(-time.Second)}
	if _, err := e.db.NewInsert().Model(vm).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	b := e.browser("supervisor")
	page := e.do(b, "GET", "/callbacks", nil, nil)
	if page.Status != 200 || !strings.Contains(page.Body, `<audio controls preload="none" src="/calls/`+id+`/message"`) {
		t.Fatalf("missed-call list has no player for the message: %d", page.Status)
	}
	if r := e.do(b, "GET", "/calls/"+id+"/message", nil, map[string]string{"Range": "bytes=4-13"}); r.Status != 206 || r.Body != string(data[4:14]) ||
		r.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("range of the message: %d %q", r.Status, r.Body)
	}
	url := "/api/v1/calls/" + id + "/message"
	if r := e.do(nil, "GET", url, nil, e.token("supervisor")); r.Status != 200 || r.Body != string(data) {
		t.Fatalf("supervisor plays: %d, %d bytes", r.Status, len(r.Body))
	}
	if n := auditCount(t, e, "voice_message_played", id); n != 2 {
		t.Fatalf("audit entries of playback = %d, want 2", n)
	}
	if r := e.do(nil, "GET", url, nil, e.token("handler-hrss")); r.Status != 403 {
		t.Fatalf("a department's handler plays a message: %d", r.Status)
	}
	if page := e.do(e.browser("agent1"), "GET", "/callbacks", nil, nil); page.Status != 200 || strings.Contains(page.Body, "/message") {
		t.Fatalf("the list offers an agent a message they may not hear: %d", page.Status)
	}
	if r := e.do(nil, "GET", "/api/v1/calls/"+uuid.NewString()+"/message", nil, e.token("supervisor")); r.Status != 404 {
		t.Fatalf("no such call: %d", r.Status)
	}
	altered := append([]byte(nil), data...)
	altered[20] ^= 0xff
	if err := os.WriteFile(filepath.Join(dir, rel), altered, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "GET", url, nil, e.token("supervisor")); r.Status != 500 || strings.Contains(r.Body, "message") {
		t.Fatalf("altered message: %d %s", r.Status, r.Body)
	}
	if n := auditCount(t, e, "voice_message_damaged", id); n != 1 {
		t.Fatalf("audit entries of the damage = %d, want 1", n)
	}

	// After the retention period the message goes like a recording, and says so.
	if n, err := recs.Expire(ctx, e.clock.Now().Add(25*time.Hour)); err != nil || n != 1 {
		t.Fatalf("expired: %d %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, rel)); !os.IsNotExist(err) {
		t.Fatalf("the expired message's file: %v", err)
	}
	if n := auditCount(t, e, "voice_message_expired", id); n != 1 {
		t.Fatalf("audit entries of the expiry = %d, want 1", n)
	}
	if r := e.do(nil, "GET", url, nil, e.token("supervisor")); r.Status != 404 {
		t.Fatalf("an expired message: %d", r.Status)
	}
}
