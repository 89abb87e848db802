package web

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// outcallEnv is a staff env with the SIP front end carrying media, an outbound gateway on
// port citizen, recordings kept in recs, and handler-hrss on extension 2001 (SIP password
// demo-sip).
func outcallEnv(t *testing.T, citizen int, opts ...func(*telephony.Config)) (*staffEnv, *telephony.Server, string) {
	t.Helper()
	recs := t.TempDir()
	var tel *telephony.Server
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
		if _, err := e.db.NewUpdate().Table("staff").Set("sip_extension = '2001', sip_ha1 = ?", org.DigestHA1("2001", "hotline", "demo-sip")).
			Where("username = 'handler-hrss'").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		tel = startTelephony(t, e, append([]func(*telephony.Config){func(c *telephony.Config) {
			c.Outbound = fmt.Sprintf("127.0.0.1:%d", citizen)
			c.Media = telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, RecordingsDir: recs, PromptsDir: t.TempDir()}
			c.ContactMinTalk = 2 * time.Second
		}}, opts...)...)
		d.Calls.Telephony = tel
		d.Calls.Recordings = &telephony.Recordings{DB: e.db, Dir: recs}
	})
	return e, tel, recs
}

// accepted registers a ticket with phone, dispatches it to hrss and has hrss sign for it.
func (e *staffEnv) accepted(phone string) *tickets.Ticket {
	e.t.Helper()
	tk := e.register("公司拖欠三个月工资", "wage-arrears", phone, "hrss")
	st, err := e.org.Staff(context.Background(), "handler-hrss")
	if err != nil {
		e.t.Fatal(err)
	}
	if tk, err = e.tickets.Accept(context.Background(), tickets.ActorFor(st), tk.Number, tickets.ActInput{}); err != nil {
		e.t.Fatal(err)
	}
	return tk
}

// A handler's "call the citizen" is refused, with the reason in the reader's language, when it
// cannot work: no SIP extension, the phone not registered, no number on the ticket, another
// department's ticket (404 as for any look at it), no outbound gateway or no media (409). The
// button is on the ticket page and the workbench for the handling department only.
func TestTicketCallRefusals(t *testing.T) {
	t.Parallel()
	e, _, _ := outcallEnv(t, 9)
	tk := e.accepted("13900139000")
	noPhone := e.accepted("")
	handler := e.token("handler-hrss")
	path := "/api/v1/tickets/" + tk.Number + "/calls"

	for _, tc := range []struct {
		name, who, path string
		status          int
		want            string
	}{
		{"phone not registered", "handler-hrss", path, http.StatusConflict, "not registered"},
		{"no number on the ticket", "handler-hrss", "/api/v1/tickets/" + noPhone.Number + "/calls", http.StatusConflict, "no phone number"},
		{"another department's ticket", "handler-market", path, http.StatusNotFound, "not found"},
		{"no SIP extension", "handler-hrss-2", path, http.StatusConflict, "no SIP extension"},
		{"the centre does not call for a department", "agent1", path, http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := handler
			if tc.who != "handler-hrss" {
				if tc.who == "handler-hrss-2" {
					if _, err := e.db.NewUpdate().Table("staff").Set("sip_extension = NULL").Where("username = 'handler-hrss'").
						Exec(context.Background()); err != nil {
						t.Fatal(err)
					}
					defer e.db.NewUpdate().Table("staff").Set("sip_extension = '2001'").Where("username = 'handler-hrss'").Exec(context.Background())
				} else {
					who = e.token(tc.who)
				}
			}
			r := e.do(nil, "POST", tc.path, nil, who)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("%d %s, want %d with %q", r.Status, r.Body, tc.status, tc.want)
			}
		})
	}

	// The page: the button on the ticket and the workbench, the refusal in Chinese.
	b := e.browser("handler-hrss")
	page := e.do(b, "GET", "/tickets/"+tk.Number, nil, nil)
	if !strings.Contains(page.Body, `action="/tickets/`+tk.Number+`/call-citizen"`) || strings.Contains(page.Body, "13900139000") {
		t.Fatalf("ticket page lacks the button or shows the number:\n%s", page.Body)
	}
	if wb := e.do(b, "GET", "/workbench", nil, nil); !strings.Contains(wb.Body, `action="/tickets/`+tk.Number+`/call-citizen"`) {
		t.Fatalf("workbench lacks the button")
	}
	r := e.do(b, "POST", "/tickets/"+tk.Number+"/call-citizen", url.Values{}, map[string]string{"Origin": e.ts.URL})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "您的话机未注册") {
		t.Fatalf("page refusal: %d %s", r.Status, r.Body)
	}
	if page := e.do(e.browser("handler-market"), "GET", "/workbench", nil, nil); strings.Contains(page.Body, tk.Number+`/call-citizen`) {
		t.Fatalf("another department is offered the call")
	}

	// Without an outbound gateway, or with media off, nobody is called.
	for name, opt := range map[string]func(*telephony.Config){
		"no outbound": func(c *telephony.Config) { c.Outbound = "" },
		"media off":   func(c *telephony.Config) { c.Media.Enabled = false },
	} {
		e2, _, _ := outcallEnv(t, 9, opt)
		tk2 := e2.accepted("13900139000")
		r := e2.do(nil, "POST", "/api/v1/tickets/"+tk2.Number+"/calls", nil, e2.token("handler-hrss"))
		if r.Status != http.StatusConflict {
			t.Fatalf("%s: %d %s, want 409", name, r.Status, r.Body)
		}
	}
}

// A handler calls the citizen of a ticket signed for by the department: the handler's SIPp
// phone rings first with 12345 and the ticket as the caller, then the citizen's SIPp behind the
// outbound gateway from 12345 with hotline's SDP; audio flows both ways through hotline and is
// recorded (stereo, both channels non-silent); the attempt lands on the timeline and, answered
// long enough, records the first contact (反馈). No message to the handler's phone carries the
// citizen's number.
func TestTicketCallSIPp(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	citizen := udpPort(t)
	e, tel, recs := outcallEnv(t, citizen)
	tk := e.accepted("13900139000")
	handler := e.token("handler-hrss")

	trace := filepath.Join(t.TempDir(), "handler.log")
	phone := udpPort(t)
	handlerPhone := sipp(t, "handler_outcall.xml", phone, "", "-trace_msg", "-message_file", trace)
	citizenPhone := sipp(t, "citizen_outcall.xml", citizen, "", "-key", "phone", "13900139000", "-d", "3500")
	sipp(t, "register.xml", udpPort(t), tel.Addr(), "-key", "ext", "2001", "-au", "2001", "-ap", "demo-sip",
		"-key", "cport", strconv.Itoa(phone)).wait(t)
	if !slices.Contains(tel.Registered(), "2001") {
		t.Fatalf("the handler's phone is not registered: %v", tel.Registered())
	}
	// A handler's phone is no agent's: citizens' calls to 12345 are never offered to it.
	if a := tel.Agent("2001"); a.Registered || a.Status == "available" {
		t.Fatalf("the handler's phone joined the call queue: %+v", a)
	}

	r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/calls", nil, handler)
	if r.Status != http.StatusAccepted {
		t.Fatalf("call the citizen: %d %s", r.Status, r.Body)
	}
	if m := r.json(t); m["result"] != "calling" || m["phone"] != tickets.MaskPhone("13900139000") || m["ticket"] != tk.Number {
		t.Fatalf("attempt: %s", r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/calls", nil, handler); r.Status != http.StatusConflict {
		t.Fatalf("second call while calling: %d %s, want 409", r.Status, r.Body)
	}
	citizenPhone.wait(t)
	handlerPhone.wait(t)

	var call map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for call == nil {
		r := e.do(nil, "GET", "/api/v1/tickets/"+tk.Number+"/calls", nil, handler)
		calls, _ := r.json(t)["calls"].([]any)
		if len(calls) == 1 && calls[0].(map[string]any)["result"] != "calling" && calls[0].(map[string]any)["recording"] != "" {
			call = calls[0].(map[string]any)
		} else if time.Now().After(deadline) {
			t.Fatalf("the attempt never ended with a recording: %s", r.Body)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if call["result"] != "answered" || call["feedback"] != true || call["talk_ms"].(float64) < 3000 || call["extension"] != "2001" {
		t.Fatalf("attempt: %v", call)
	}

	got, err := e.tickets.Get(context.Background(), tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.FeedbackAt == nil {
		t.Fatal("an answered call of 3.5 s did not record the first contact")
	}
	evs, err := e.tickets.Events(context.Background(), tk.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == "citizen_call" && (!strings.Contains(ev.Body, "已接通") || ev.ActorName == "" || !strings.Contains(string(ev.Data), call["id"].(string))) {
			t.Fatalf("timeline entry: %+v", ev)
		}
		if ev.Kind == "feedback" && !strings.Contains(ev.Body, "12345") {
			t.Fatalf("feedback entry: %+v", ev)
		}
	}
	if !strings.Contains(strings.Join(kinds, ","), "citizen_call,feedback") {
		t.Fatalf("timeline: %v", kinds)
	}

	// The recording: a stereo WAV, the citizen left and the handler right, both heard.
	rec, err := (&telephony.Recordings{DB: e.db, Dir: recs}).Get(context.Background(), call["id"].(string))
	if err != nil || !rec.Playable() {
		t.Fatalf("recording: %+v %v", rec, err)
	}
	data, err := os.ReadFile(filepath.Join(recs, rec.Path))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint16(data[22:]) != 2 || len(data) < 44+8000*4 {
		t.Fatalf("not a stereo recording of a second or more: % x (%d bytes)", data[:44], len(data))
	}
	if l, r := channelRMS(data[44:], 0), channelRMS(data[44:], 1); l < 100 || r < 100 {
		t.Fatalf("channel levels: citizen %.0f, handler %.0f; want both non-silent", l, r)
	}
	// The handler plays it from the ticket page.
	page := e.do(e.browser("handler-hrss"), "GET", "/tickets/"+tk.Number, nil, nil)
	if !strings.Contains(page.Body, "/calls/"+call["id"].(string)+"/recording") {
		t.Fatalf("ticket page has no player for the call")
	}
	if r := e.do(nil, "GET", call["recording"].(string), nil, handler); r.Status != 200 || r.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("play: %d %s", r.Status, r.Header)
	}
	if r := e.do(nil, "GET", call["recording"].(string), nil, e.token("handler-market")); r.Status != http.StatusForbidden {
		t.Fatalf("another department plays it: %d", r.Status)
	}

	// What the handler's phone received: the ticket, never the number.
	msgs, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msgs), "X-Hotline-Ticket: "+tk.Number) {
		t.Fatalf("trace of the handler's phone lacks the INVITE:\n%s", msgs)
	}
	if strings.Contains(string(msgs), "13900139000") {
		t.Fatalf("the handler's phone was sent the citizen's number:\n%s", msgs)
	}
}

// channelRMS is the level of one channel of 16-bit stereo PCM.
func channelRMS(pcm []byte, ch int) float64 {
	var sum float64
	n := 0
	for i := 2 * ch; i+1 < len(pcm); i += 4 {
		v := float64(int16(binary.LittleEndian.Uint16(pcm[i:])))
		sum += v * v
		n++
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(n))
}

// An attempt the citizen does not take (busy) is on the timeline with its result, and records
// no first contact; the handler's phone is hung up.
func TestTicketCallSIPpUnanswered(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	citizen := udpPort(t)
	e, tel, _ := outcallEnv(t, citizen)
	tk := e.accepted("13900139000")
	phone := udpPort(t)
	handlerPhone := sipp(t, "handler_outcall.xml", phone, "")
	citizenPhone := sipp(t, "citizen_busy.xml", citizen, "")
	sipp(t, "register.xml", udpPort(t), tel.Addr(), "-key", "ext", "2001", "-au", "2001", "-ap", "demo-sip",
		"-key", "cport", strconv.Itoa(phone)).wait(t)
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/calls", nil, e.token("handler-hrss")); r.Status != http.StatusAccepted {
		t.Fatalf("call the citizen: %d %s", r.Status, r.Body)
	}
	citizenPhone.wait(t)
	handlerPhone.wait(t)
	var kinds []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs, err := e.tickets.Events(context.Background(), tk.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		kinds = kinds[:0]
		var call *tickets.Event
		for i, ev := range evs {
			kinds = append(kinds, ev.Kind)
			if ev.Kind == "citizen_call" {
				call = &evs[i]
			}
		}
		if call != nil {
			if !strings.Contains(call.Body, "忙线") || !strings.Contains(string(call.Data), `"busy"`) {
				t.Fatalf("timeline entry: %s %s", call.Body, call.Data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt on the timeline: %v", kinds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, err := e.tickets.Get(context.Background(), tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.FeedbackAt != nil || slices.Contains(kinds, "feedback") {
		t.Fatalf("an unanswered call recorded the first contact: %v", kinds)
	}
}
