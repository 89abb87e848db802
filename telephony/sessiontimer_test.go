package telephony

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// shortSessions lets the tests use session intervals of seconds: hotline's own interval is
// expires, its minimum 2 s.
func shortSessions(expires time.Duration) serverOption {
	return func(c *Config) { c.Session = SessionTimerConfig{Expires: expires, MinSE: 2 * time.Second} }
}

// A caller that asked to refresh its session and then died (no refresh, no BYE) is hung up
// when the session expires, with or without media: the caller and the agent both get a BYE,
// the agent is free, and the record's end reason is session_expired with no talk time after
// the last sign of life (fault 2).
func TestSIPpSessionExpiresWithoutRefresh(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	for _, mode := range []string{"media off", "media on"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			opts := []serverOption{shortSessions(30 * time.Second)}
			if mode == "media on" {
				opts = append(opts, withMedia(t))
			}
			ts := newTestServer(t, opts...)
			aport := freePort(t)
			agent := startSipp(t, "agent_answer.xml", aport, "") // hangs up only on hotline's BYE
			ts.register(t, "1001", "demo-sip", aport, 200)
			start := time.Now()
			ts.runSipp(t, "caller_timer_silent.xml", "caller", "13800138071", "se", "3")
			agent.wait(t)
			// Expiry at 3 s − min(32 s, 1 s) = 2 s after the answer.
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("the call lasted %s", d)
			}
			rs := ts.waitCalls(t, "an ended call", func(rs []Record) bool {
				return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
			})
			if rs[0].EndReason != EndSessionExpired || rs[0].TalkMS >= 1000 {
				t.Fatalf("record: end_reason %q, talk %d ms", rs[0].EndReason, rs[0].TalkMS)
			}
			if a := ts.Agent("1001"); a.State == "talking" {
				t.Fatalf("agent still talking: %+v", a)
			}
		})
	}
}

// A caller that refreshes its session by UPDATE and re-INVITE keeps its call past the
// session interval; each refresh is answered 200 with the session timer.
func TestSIPpSessionRefreshedKeepsCall(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), shortSessions(30*time.Second))
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_timer_refresh.xml", "caller", "13800138072", "se", "3")
	agent.wait(t)
	rs := ts.waitCalls(t, "an ended call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if rs[0].EndReason != "" || rs[0].TalkMS < 5000 {
		t.Fatalf("record: end_reason %q, talk %d ms; want the caller's own hang-up after 5.5 s", rs[0].EndReason, rs[0].TalkMS)
	}
}

// Hotline refreshes the sessions it is refresher of: the caller's by UPDATE (the caller
// allows it), the agent's by re-INVITE (its phone knows no session timers). A refresh
// answered 481 ends the call on both legs, the talk time ending at the last refresh that
// succeeded.
func TestSIPpSessionRefreshFailureEndsCall(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	// The agent's leg: refreshes at 2 s (answered) and 4 s (481). The caller's, whose Min-SE
	// is 6 s: a refresh at 3 s.
	ts := newTestServer(t, shortSessions(4*time.Second))
	aport := freePort(t)
	agent := startSipp(t, "agent_timer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_timer_uas.xml", "caller", "13800138073", "se", "6")
	agent.wait(t)
	rs := ts.waitCalls(t, "an ended call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if rs[0].EndReason != EndSessionExpired || rs[0].TalkMS < 1500 || rs[0].TalkMS > 3000 {
		t.Fatalf("record: end_reason %q, talk %d ms; want session_expired after about 2 s", rs[0].EndReason, rs[0].TalkMS)
	}
	if a := ts.Agent("1001"); a.State == "talking" {
		t.Fatalf("agent still talking: %+v", a)
	}
}

// A caller asking for a session interval below hotline's minimum is answered 422 with
// Min-SE 90, and no call is made of it.
func TestSIPpSessionIntervalTooSmall(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t)
	ts.runSipp(t, "caller_timer_too_small.xml", "caller", "13800138074", "se", "60")
	if rs := ts.waitCalls(t, "no call", func([]Record) bool { return true }); len(rs) != 0 {
		t.Fatalf("a refused call was recorded: %s", describe(rs))
	}
}

// The negotiation of a caller's session timer: hotline refreshes unless the caller asks to,
// the interval is the caller's if shorter than hotline's but never below either's minimum.
func TestAnswerTimer(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{Session: SessionTimerConfig{Expires: 1800 * time.Second}.withDefaults()}}
	for _, tc := range []struct {
		name      string
		headers   map[string]string
		interval  time.Duration
		refresher bool
		update    bool
		want      []string // headers of the 2xx
	}{
		{"no timer support", nil, 1800 * time.Second, true, false,
			[]string{"Supported: timer", "Session-Expires: 1800;refresher=uas"}},
		{"caller refreshes", map[string]string{"Supported": "100rel, timer", "Session-Expires": "600;refresher=uac"},
			600 * time.Second, false, false, []string{"Require: timer", "Session-Expires: 600;refresher=uac"}},
		{"compact forms", map[string]string{"k": "timer", "x": "900;refresher=uac"},
			900 * time.Second, false, false, []string{"Session-Expires: 900;refresher=uac"}},
		{"longer than hotline's", map[string]string{"Supported": "timer", "Session-Expires": "7200"},
			1800 * time.Second, true, false, []string{"Session-Expires: 1800;refresher=uas"}},
		{"caller's Min-SE", map[string]string{"Supported": "timer", "Min-SE": "3600", "Allow": "INVITE, UPDATE"},
			3600 * time.Second, true, true, []string{"Session-Expires: 3600;refresher=uas"}},
		{"refresher=uac without timer support", map[string]string{"Session-Expires": "600;refresher=uac"},
			600 * time.Second, true, false, []string{"Session-Expires: 600;refresher=uas"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "12345", Host: "127.0.0.1"})
			for k, v := range tc.headers {
				req.AppendHeader(sip.NewHeader(k, v))
			}
			st, hs := s.answerTimer(req, nil)
			if st.interval != tc.interval || st.refresher != tc.refresher || st.update != tc.update {
				t.Fatalf("timer: interval %s refresher %v update %v", st.interval, st.refresher, st.update)
			}
			var got []string
			for _, h := range hs {
				got = append(got, h.Name()+": "+h.Value())
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Fatalf("2xx headers %q lack %q", got, w)
				}
			}
			if !tc.refresher == !strings.Contains(strings.Join(got, "\n"), "Require: timer") {
				t.Fatalf("Require: timer in %q with refresher %v", got, tc.refresher)
			}
		})
	}
}
