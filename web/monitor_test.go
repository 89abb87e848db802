package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/telephony/acd"
)

// giveExtension gives username the SIP extension ext (SIP password demo-sip).
func (e *staffEnv) giveExtension(username, ext string) {
	e.t.Helper()
	if _, err := e.db.NewUpdate().Table("staff").Set("sip_extension = ?, sip_ha1 = ?", ext, org.DigestHA1(ext, "hotline", "demo-sip")).
		Where("username = ?", username).Exec(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// Monitoring is for supervisors and administrators with a phone of their own; a supervisor
// whose phone is not registered is told so in their language; a bad mode, a call that is not
// live and a consult without a target are refused with the right status.
func TestMonitorAndConsultRefusals(t *testing.T) {
	t.Parallel()
	e, _ := newCallsEnv(t)
	agent, sup := e.token("agent1"), e.token("supervisor")
	unknown := uuid.NewString()
	for _, tc := range []struct {
		name, path string
		body       map[string]string
		hdr        map[string]string
		want       int
		says       string
	}{
		{"agent may not monitor", "/api/v1/calls/" + unknown + "/monitor", nil, agent, http.StatusForbidden, ""},
		{"supervisor without a phone", "/api/v1/calls/" + unknown + "/monitor", nil, sup, http.StatusConflict, "no SIP extension"},
		{"bad mode", "/api/v1/calls/" + unknown + "/monitor/mode", map[string]string{"mode": "shout"}, sup, http.StatusBadRequest, "mode"},
		{"mode of a call not monitored", "/api/v1/calls/" + unknown + "/monitor/mode", map[string]string{"mode": "barge"}, sup, http.StatusNotFound, ""},
		{"stop a call not live", "/api/v1/calls/" + unknown + "/monitor/stop", nil, sup, http.StatusNotFound, ""},
		{"consult without target", "/api/v1/calls/" + unknown + "/consult", nil, agent, http.StatusBadRequest, "target"},
		{"consult of a call not live", "/api/v1/calls/" + unknown + "/consult", map[string]string{"target": "110"}, agent, http.StatusNotFound, ""},
		{"leave a consult not on", "/api/v1/calls/" + unknown + "/consult/transfer", nil, agent, http.StatusNotFound, ""},
		{"handler may not consult", "/api/v1/calls/" + unknown + "/consult", map[string]string{"target": "110"}, e.token("handler-hrss"), http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(nil, "POST", tc.path, tc.body, tc.hdr)
			if r.Status != tc.want || !strings.Contains(r.Body, tc.says) {
				t.Fatalf("%s: %d %s, want %d saying %q", tc.path, r.Status, r.Body, tc.want, tc.says)
			}
		})
	}
	if r := e.do(nil, "GET", "/api/v1/calls/live", nil, sup); r.Status != 200 || !strings.Contains(r.Body, `"calls":[]`) {
		t.Fatalf("live calls: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/calls/live", nil, agent); r.Status != http.StatusForbidden {
		t.Fatalf("live calls for an agent: %d", r.Status)
	}

	if _, page := e.getIn(e.browser("supervisor"), "zh", "/board"); !strings.Contains(page, `id="board-live-calls"`) {
		t.Fatal("the supervisor's board does not link to the live calls")
	}
	if _, page := e.getIn(e.browser("leader"), "zh", "/board"); strings.Contains(page, `id="board-live-calls"`) {
		t.Fatal("the leader's board links to monitoring")
	}

	// The supervisor's page in Chinese and in English says their phone is not registered.
	e.giveExtension("supervisor", "1009")
	c := e.browser("supervisor")
	form := url.Values{"step": {"start"}, "mode": {"listen"}, "back": {"/wallboard"}}
	origin := map[string]string{"Origin": e.ts.URL}
	r := e.do(c, "POST", "/calls/"+unknown+"/monitor", form, origin)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "话机（分机）未注册") {
		t.Fatalf("monitor from an unregistered phone: %d %s", r.Status, r.Body)
	}
	e.do(c, "GET", "/lang/en", nil, nil)
	r = e.do(c, "POST", "/calls/"+unknown+"/monitor", form, origin)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "Your SIP phone (your extension) is not registered") {
		t.Fatalf("monitor from an unregistered phone, in English: %d %s", r.Status, r.Body)
	}
}

// From the wallboard a supervisor picks a live call and a mode: their own phone rings and,
// answered, joins the call; the wallboard then shows the mode with buttons to switch and
// stop, and each step is in the audit log. An agent's wallboard shows no such buttons.
func TestMonitorSIPpFromTheWallboard(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	e, tel := newCallsEnv(t, func(c *telephony.Config) {
		c.Media = telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, RecordingsDir: t.TempDir()}
	})
	e.giveExtension("supervisor", "1009")
	agentPhone, caller, id := mediaCallUp(t, tel, 6000)
	sport := udpPort(t)
	supPhone := sipp(t, "phone_rtp.xml", sport, "", "-key", "rtpport", strconv.Itoa(udpPort(t)))
	registerPhone(t, tel, "1009", sport)
	tel.SetAgentStatus("1009", acd.StatusBreak) // the supervisor's phone takes no citizen's call

	c := e.browser("supervisor")
	_, page := e.getIn(c, "zh", "/wallboard")
	if !strings.Contains(page, `action="/calls/`+id+`/monitor"`) || !strings.Contains(page, "强插") {
		t.Fatalf("wallboard without the monitor buttons: %s", page)
	}
	if _, page := e.getIn(e.browser("agent1"), "zh", "/wallboard"); strings.Contains(page, "/monitor") {
		t.Fatal("an agent's wallboard offers monitoring")
	}
	origin := map[string]string{"Origin": e.ts.URL}
	r := e.do(c, "POST", "/calls/"+id+"/monitor", url.Values{"step": {"start"}, "mode": {"whisper"}, "back": {"/wallboard"}}, origin)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/wallboard#live-calls" {
		t.Fatalf("start monitoring: %d %s", r.Status, r.Body)
	}
	if st, ok := tel.Monitoring(id); !ok || st.Mode != telephony.MonitorWhisper || st.Extension != "1009" {
		t.Fatalf("monitoring: %+v %v", st, ok)
	}
	_, page = e.getIn(c, "zh", "/wallboard")
	if !strings.Contains(page, "monitor-stop") || !strings.Contains(page, `<strong class="monitor-mode">耳语</strong>`) {
		t.Fatalf("wallboard of a monitored call: %s", page)
	}
	if r := e.do(nil, "POST", "/api/v1/calls/"+id+"/monitor/mode", map[string]string{"mode": "barge"}, e.token("supervisor")); r.Status != 200 || r.json(t)["mode"] != "barge" {
		t.Fatalf("switch to barge: %d %s", r.Status, r.Body)
	}
	if r := e.do(c, "POST", "/calls/"+id+"/monitor", url.Values{"step": {"stop"}}, origin); r.Status != http.StatusSeeOther {
		t.Fatalf("stop monitoring: %d %s", r.Status, r.Body)
	}
	supPhone.wait(t) // hung up by hotline
	if _, ok := tel.Monitoring(id); ok {
		t.Fatal("still monitored after stop")
	}
	var actions []string
	if err := e.db.NewRaw("SELECT action FROM audit_log WHERE object_key = ? ORDER BY id", id).Scan(context.Background(), &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "call.monitor_start,call.monitor_mode,call.monitor_stop" {
		t.Fatalf("audit of the monitoring: %v", actions)
	}
	caller.wait(t)
	agentPhone.wait(t)
}

// On a call the console's header offers the three-way consult with the configured targets: the
// agent brings 110 in, the header then offers to leave or drop it, and leaving hands the caller
// to 110 (an attended transfer) with the step on the linked ticket's timeline.
func TestConsultSIPpFromTheConsole(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	police := udpPort(t)
	e, tel := newCallsEnv(t, func(c *telephony.Config) {
		c.Media = telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, RecordingsDir: t.TempDir()}
		c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:" + strconv.Itoa(police)}
	})
	policePhone := sipp(t, "phone_rtp.xml", police, "", "-key", "rtpport", strconv.Itoa(udpPort(t)))
	agentPhone, caller, id := mediaCallUp(t, tel, 5000)
	tk := e.register("来电反映有人打架", "noise", "13800138000", "").Number
	if r := e.do(nil, "POST", "/api/v1/calls/"+id+"/ticket", map[string]string{"ticket": tk}, e.token("agent1")); r.Status != 200 {
		t.Fatalf("link ticket: %d %s", r.Status, r.Body)
	}
	c := e.browser("agent1")
	origin := map[string]string{"Origin": e.ts.URL}
	if _, page := e.getIn(c, "zh", "/console"); !strings.Contains(page, `id="desk-consult"`) || !strings.Contains(page, `<option value="110">`) {
		t.Fatalf("console without the consult: %s", page)
	}
	if r := e.do(c, "POST", "/console/consult", url.Values{"call_id": {id}, "step": {"started"}, "target": {"110"}}, origin); r.Status != http.StatusSeeOther {
		t.Fatalf("consult: %d %s", r.Status, r.Body)
	}
	if _, page := e.getIn(c, "zh", "/console"); !strings.Contains(page, "我退出（转接）") || !strings.Contains(page, "挂断第三方") {
		t.Fatalf("console during the consult: %s", page)
	}
	if r := e.do(c, "POST", "/console/consult", url.Values{"call_id": {id}, "step": {"transferred"}}, origin); r.Status != http.StatusSeeOther {
		t.Fatalf("leave the consult: %d %s", r.Status, r.Body)
	}
	agentPhone.wait(t) // hung up by hotline
	caller.wait(t)
	policePhone.wait(t)
	rec := e.waitCall(t, id, e.token("agent1"), func(c map[string]any) bool { return c["outcome"] == "transferred" && c["ended_at"] != nil })
	if rec["transfer_target"] != "110" {
		t.Fatalf("call record: %v", rec)
	}
	var steps []string
	if err := e.db.NewRaw("SELECT data->>'step' FROM ticket_events WHERE kind = 'call_consult' AND ticket_id = (SELECT id FROM tickets WHERE number = ?) ORDER BY id", tk).
		Scan(context.Background(), &steps); err != nil || strings.Join(steps, ",") != "started,transferred" {
		t.Fatalf("consult on the ticket's timeline: %v %v", steps, err)
	}
}

// mediaCallUp has agent 1001's phone registered and a citizen's call from 13800138000 put
// through to it, talking for talkMS milliseconds; it returns both phones and the call's id
// once the call is live.
func mediaCallUp(t *testing.T, tel *telephony.Server, talkMS int) (agentPhone, caller *sippRun, id string) {
	t.Helper()
	phone := udpPort(t)
	agentPhone = sipp(t, "agent_media.xml", phone, "")
	registerPhone(t, tel, "1001", phone)
	caller = sipp(t, "caller_media.xml", udpPort(t), tel.Addr(), "-key", "caller", "13800138000", "-key", "rtpport",
		strconv.Itoa(udpPort(t)), "-d", strconv.Itoa(talkMS))
	deadline := time.Now().Add(20 * time.Second)
	for id == "" {
		if calls := tel.LiveCalls(); len(calls) == 1 {
			id = calls[0].ID
		} else if time.Now().After(deadline) {
			t.Fatal("no live call")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return agentPhone, caller, id
}
