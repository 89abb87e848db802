package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hotline-city/hotline/telephony"
)

// TestDeskBrowserJourney runs the phone desk's journey (e2e/desk_journey.js) against a server
// with its SIP front end: a citizen's call that found no agent is owed a callback; the agent
// takes a break and is ready again from the console, calls the citizen back from the
// missed-call list — SIPp phones answer for the agent and the citizen — and the supervisor's
// open wallboard follows by itself. The administrator replaces the callback offer's prompt on
// the prompts' page, after a file that is no audio was refused.
func TestDeskBrowserJourney(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser and SIPp journey: slow, skipped with -short")
	}
	needBrowser(t)
	citizen := udpPort(t)
	var tel *telephony.Server
	prompts := t.TempDir()
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		tel = startTelephony(t, e, func(c *telephony.Config) {
			c.Outbound = fmt.Sprintf("127.0.0.1:%d", citizen)
			c.Media = telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, PromptsDir: prompts, RecordingsDir: t.TempDir()}
		})
		d.Calls.Telephony = tel
		d.Calls.WallboardEvery = 300 * time.Millisecond
	})
	sipp(t, "caller_no_agent.xml", udpPort(t), tel.Addr(), "-key", "caller", "13700137000").wait(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do(nil, "GET", "/api/v1/callbacks", nil, e.token("agent1"))
		var got struct {
			Callbacks []map[string]any `json:"callbacks"`
		}
		if json.Unmarshal([]byte(r.Body), &got) == nil && len(got.Callbacks) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no callback task for the missed call: %s", r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	citizenPhone := sipp(t, "citizen_callback.xml", citizen, "", "-key", "phone", "13700137000")
	phone := udpPort(t)
	agentPhone := sipp(t, "agent_callback.xml", phone, "", "-d", "200")
	registerPhone(t, tel, "1001", phone)

	// Two complaints for hrss that the handler finds by a word and signs for at once.
	first := e.register("公司欠薪三个月，工人讨要无果", "wage-arrears", "13700000011", "hrss")
	second := e.register("工地欠薪，包工头失联", "wage-arrears", "13700000012", "hrss")

	files := t.TempDir()
	xlsx := filepath.Join(files, "chosen.xlsx")
	wav, notAudio := filepath.Join(files, "callback-offer.wav"), filepath.Join(files, "notes.wav")
	if err := os.WriteFile(wav, promptWAV(22050, 1, 1.5), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notAudio, []byte("这不是音频文件"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "e2e/desk_journey.js", e.ts.URL, xlsx, wav, notAudio).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DESK OK") {
		t.Fatalf("journey failed: %v\n%s", err, out)
	}
	agentPhone.wait(t)
	citizenPhone.wait(t)
	if saved, err := os.ReadFile(filepath.Join(prompts, "callback-offer.wav")); err != nil || len(saved) != 44+2*12000 {
		t.Errorf("the uploaded prompt: %d bytes, %v; want 1.5 s at 8 kHz", len(saved), err)
	}
	var attempts int
	e.db.NewRaw("SELECT count(*) FROM callback_attempts WHERE result = 'answered' AND extension = '1001'").Scan(context.Background(), &attempts)
	if attempts != 1 {
		t.Fatalf("answered callback attempts: %d", attempts)
	}
	for _, n := range []string{first.Number, second.Number} {
		if tk, err := e.tickets.Get(context.Background(), n); err != nil || tk.Status != "accepted" {
			t.Errorf("%s after the batch: %v %v", n, tk.Status, err)
		}
	}
	// The export: a title, the header on row 3, both tickets, times as real dates.
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, _ := f.GetRows(sheet)
	if len(rows) != 5 || rows[2][0] != "工单编号" {
		t.Fatalf("the exported rows: %v", rows)
	}
	for _, cell := range []string{"J4", "J5"} {
		raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			t.Errorf("%s holds %q, not a date serial", cell, raw)
		}
	}
}
