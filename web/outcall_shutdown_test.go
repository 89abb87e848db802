package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
)

// A department's call to a citizen, ringing or talking when hotline stops, is closed with the
// rest: its attempt gets a final result and end (failed while ringing; answered, with its talk
// time, while talking), its recording is completed and stored, and the timeline has it.
func TestTicketCallClosedAtShutdown(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	for _, tc := range []struct {
		name     string
		answered bool
	}{{"ringing", false}, {"talking", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			citizen := udpPort(t)
			recs := t.TempDir()
			var tel *telephony.Server
			var stop func()
			e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) {
				if _, err := e.db.NewUpdate().Table("staff").Set("sip_extension = '2001', sip_ha1 = ?", org.DigestHA1("2001", "hotline", "demo-sip")).
					Where("username = 'handler-hrss'").Exec(context.Background()); err != nil {
					t.Fatal(err)
				}
				tel, stop = startStoppableTelephony(t, telephony.Config{Addr: "127.0.0.1:0", Realm: "hotline",
					Trunks:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
					Outbound: fmt.Sprintf("127.0.0.1:%d", citizen),
					Media:    telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, RecordingsDir: recs, PromptsDir: t.TempDir()},
				}, e)
				d.Calls.Telephony = tel
				d.Calls.Recordings = &telephony.Recordings{DB: e.db, Dir: recs}
			})
			tk := e.accepted("13900139000")
			phone := udpPort(t)
			sipp(t, "handler_outcall.xml", phone, "")
			if tc.answered {
				// The citizen answers and would talk for 20 s.
				sipp(t, "citizen_outcall.xml", citizen, "", "-key", "phone", "13900139000", "-d", "20000")
			} else {
				// The citizen's gateway takes the INVITE and never answers.
				gw, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(citizen))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { gw.Close() })
			}
			sipp(t, "register.xml", udpPort(t), tel.Addr(), "-key", "ext", "2001", "-au", "2001", "-ap", "demo-sip",
				"-key", "cport", strconv.Itoa(phone)).wait(t)
			events, cancel := tel.Subscribe("2001")
			defer cancel()

			r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/calls", nil, e.token("handler-hrss"))
			if r.Status != http.StatusAccepted {
				t.Fatalf("call the citizen: %d %s", r.Status, r.Body)
			}
			id := r.json(t)["id"].(string)
			if tc.answered {
				waitEvent(t, events, "talking")
				time.Sleep(time.Second)
			} else {
				time.Sleep(1500 * time.Millisecond) // the handler answered; the citizen rings
			}
			stopped := time.Now()
			stop()
			if d := time.Since(stopped); d > 20*time.Second {
				t.Fatalf("shutdown took %s", d)
			}

			call, err := telephony.GetTicketCall(context.Background(), e.db, id)
			if err != nil {
				t.Fatal(err)
			}
			want := "failed"
			if tc.answered {
				want = "answered"
			}
			if call.Result != want || call.EndedAt == nil || (tc.answered && (call.AnsweredAt == nil || call.TalkMS < 500)) {
				t.Fatalf("attempt after the shutdown: %+v", call)
			}
			evs, err := e.tickets.Events(context.Background(), tk.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			var onTimeline bool
			for _, ev := range evs {
				onTimeline = onTimeline || ev.Kind == "citizen_call"
			}
			if !onTimeline {
				t.Fatal("the attempt is not on the ticket's timeline")
			}
			if tc.answered {
				rec, err := (&telephony.Recordings{DB: e.db, Dir: recs}).Get(context.Background(), id)
				if err != nil || !rec.Playable() || rec.DurationMS < 500 {
					t.Fatalf("recording: %+v %v", rec, err)
				}
			}
		})
	}
}

// waitEvent waits for a citizen_call event with result on events.
func waitEvent(t *testing.T, events <-chan telephony.Event, result string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Type == "citizen_call" && ev.Result == result {
				return
			}
		case <-timeout:
			t.Fatalf("no citizen_call event %q", result)
		}
	}
}

// startStoppableTelephony runs a SIP front end on e's database until the returned stop, or
// the test's end.
func startStoppableTelephony(t *testing.T, cfg telephony.Config, e *staffEnv) (*telephony.Server, func()) {
	t.Helper()
	tel, err := telephony.New(cfg, telephony.Deps{DB: e.db, Org: e.org, Tickets: e.tickets, Log: slog.New(slog.NewTextHandler(testLogOut, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tel.Serve(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	t.Cleanup(stop)
	return tel, stop
}
