package telephony

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-city/hotline/telephony/acd"
)

// The estimated wait is the handle time of the recent answered calls (talk plus after-call
// work) times the calls up to the caller's turn, shared among the ready agents; nothing is
// said before any call was answered or with no agent ready.
func TestEstimatedWait(t *testing.T) {
	t.Parallel()
	e := &waitEstimator{wrapUp: 10 * time.Second}
	if _, ok := e.estimate(0, 2); ok {
		t.Fatal("an estimate without any answered call")
	}
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	e.observe(acd.CallRecord{Outcome: acd.OutcomeAnswered, TalkStart: at, TalkEnd: at.Add(50 * time.Second)})
	e.observe(acd.CallRecord{Outcome: acd.OutcomeAnswered, TalkStart: at, TalkEnd: at.Add(110 * time.Second)})
	e.observe(acd.CallRecord{Outcome: acd.OutcomeMaxWait}) // no talk: not a handle time
	for _, c := range []struct {
		ahead, ready int
		want         time.Duration
		ok           bool
	}{
		{0, 1, 90 * time.Second, true}, // (50+110)/2 + 10
		{2, 3, 90 * time.Second, true},
		{5, 2, 270 * time.Second, true},
		{1, 0, 0, false},  // nobody ready: nothing honest to say
		{-1, 2, 0, false}, // no longer waiting
	} {
		got, ok := e.estimate(c.ahead, c.ready)
		if got != c.want || ok != c.ok {
			t.Errorf("estimate(%d ahead, %d ready) = %v %v, want %v %v", c.ahead, c.ready, got, ok, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{10 * time.Second, 1}, {60 * time.Second, 1}, {61 * time.Second, 2}, {90 * time.Second, 2}} {
		if got := waitMinutes(c.d); got != c.want {
			t.Errorf("waitMinutes(%v) = %d, want %d", c.d, got, c.want)
		}
	}
	for range 2 * estimateWindow {
		e.add(time.Minute)
	}
	if aht, _ := e.handleTime(); aht != 70*time.Second {
		t.Fatalf("handle time after %d calls of a minute = %v, want the last %d only", 2*estimateWindow, aht, estimateWindow)
	}
}

// After the position the announcement says the estimated wait in minutes (预计等待时间约 N
// 分钟, beyond twenty 超过二十分钟), and, while the wait exceeds the offer's threshold, the
// callback offer, which marks the offer heard.
func TestPlaylistAnnouncesTheWaitAndOffersCallback(t *testing.T) {
	t.Parallel()
	frames := func(v byte, n int) []byte { return bytes.Repeat([]byte{v, 0}, n*frameSamples) }
	p := &prompts{pcm: map[string][]byte{"greeting": frames(1, 1), "hold": frames(2, 3), "queue-ahead": frames(3, 1),
		"n-2": frames(4, 1), "queue-calls": frames(5, 1), "queue-next": frames(6, 1), "wait-about": frames(8, 1),
		"n-3": frames(9, 1), "wait-minutes": frames(10, 1), "callback-offer": frames(11, 1), "n-1": frames(13, 1),
		"wait-long": frames(12, 1)}}
	ahead := []int{2, 0, 0}
	waits := []time.Duration{150 * time.Second, 30 * time.Second, 25 * time.Minute}
	var offered atomic.Bool
	pl := newPlaylist(p, 100*time.Millisecond, func() int { n := ahead[0]; ahead = ahead[1:]; return n })
	pl.wait = func() (time.Duration, bool) { d := waits[0]; waits = waits[1:]; return d, true }
	pl.offerAbove, pl.offered = 2*time.Minute, &offered
	var got []byte
	for range 1 + 7 + 6 + 4 + 6 + 3 {
		got = append(got, pl.next()[0])
		if len(got) == 14 && !offered.Load() {
			t.Fatal("the offer was played but not marked heard")
		}
	}
	want := []byte{1, 3, 4, 5, 8, 9, 10, 11, 2, 2, 2, 2, 2, 2, 6, 8, 13, 10, 2, 2, 2, 2, 2, 2, 6, 12, 11}
	if !bytes.Equal(got, want) {
		t.Fatalf("frames %v\nwant   %v", got, want)
	}
}

// A caller whose estimated wait exceeds the setting hears the callback offer while waiting; a
// 9 does nothing, a 1 takes it: hotline answers with the confirmation and hangs up, the record
// says callback_requested (not abandoned) and a callback task is open for the caller's number.
// The agent whose phone was ringing is left alone.
func TestSIPpMediaCallbackOffer(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	media := withMedia(t)
	ts := newTestServer(t, media, func(c *Config) {
		c.Media.CallbackOfferAbove = time.Minute
		c.Media.AnnounceEvery = time.Second
		c.ACD.RingTimeout = 20 * time.Second
	})
	for name, hz := range map[string]float64{"callback-offer": 700, "callback-confirm": 800} {
		if err := os.WriteFile(filepath.Join(ts.cfg.Media.PromptsDir, name+".wav"), toneWAV(hz, 0.5), 0o644); err != nil {
			t.Fatal(err)
		}
		ts.prompts.set(name, mustPrompt(t, ts.cfg.Media.PromptsDir, name))
	}
	ts.waits.add(3 * time.Minute) // the recent calls: three minutes each
	sink := newRTPSink(t)
	aport := freePort(t)
	startSipp(t, "agent_ring.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.waitRegistered(t, "1001")
	ts.runSipp(t, "caller_callback_offer.xml", "caller", "13800138123", "rtpport", strconv.Itoa(sink.port()))
	rs := ts.waitCalls(t, "a call that asked for a callback", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == OutcomeCallbackRequested && rs[0].EndedAt != nil
	})
	if rs[0].AnsweredAt != nil || rs[0].Extension != "" {
		t.Fatalf("record: %+v", rs[0])
	}
	if n := ts.countCallbacks(t, "13800138123"); n != 1 {
		t.Fatalf("callback tasks = %d, want 1", n)
	}
	if n := sink.packets.Load(); n < 50 {
		t.Fatalf("caller received %d packets of prompts", n)
	}
	if a := ts.Agent("1001"); a.State != "idle" {
		t.Fatalf("agent after the caller left for a callback: %+v", a)
	}
}

// mustPrompt reads a prompt file as the server plays it.
func mustPrompt(t testing.TB, dir, name string) []byte {
	t.Helper()
	pcm, err := readPromptFile(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// With nobody signed in, a caller may leave a voice message: hotline answers, beeps, keeps
// what the caller says until #, thanks them and hangs up. The message is a mono 8 kHz WAV
// under the recordings directory, non-silent, with its checksum; the call is still a missed
// one (no_agent) and its callback task lists the message, which plays back checked.
func TestSIPpMediaVoiceMessage(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.Media.VoiceMessages = true })
	sink := newRTPSink(t)
	ts.runSipp(t, "caller_voice_message.xml", "caller", "13800138124", "rtpport", strconv.Itoa(sink.port()))
	rs := ts.waitCalls(t, "a no_agent call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == string(acd.OutcomeNoAgent) && rs[0].EndedAt != nil
	})
	var cbs []CallbackTask
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		if cbs, err = ts.Callbacks(context.Background(), "", 10); err != nil {
			t.Fatal(err)
		}
		if len(cbs) == 1 && len(cbs[0].Messages) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(cbs) != 1 || cbs[0].Phone != "13800138124" || len(cbs[0].Messages) != 1 || cbs[0].Messages[0] != rs[0].ID {
		t.Fatalf("callback tasks: %+v", cbs)
	}
	rec := &Recordings{DB: ts.db, Dir: ts.cfg.Media.RecordingsDir}
	vm, body, err := rec.OpenMessage(context.Background(), rs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, body.Len())
	body.Read(data)
	if string(data[:4]) != "RIFF" || binary.LittleEndian.Uint16(data[22:]) != 1 || binary.LittleEndian.Uint32(data[24:]) != 8000 {
		t.Fatalf("not a mono 8 kHz WAV: % x", data[:44])
	}
	if vm.DurationMS < 1000 || vm.DurationMS > MaxVoiceMessage.Milliseconds() || rms(data[44:], 1, 0) < 100 {
		t.Fatalf("message of %d ms at level %.0f, want seconds of sound", vm.DurationMS, rms(data[44:], 1, 0))
	}
	if n := sink.packets.Load(); n < 15 {
		t.Fatalf("caller received %d packets, want the beep at least", n)
	}
	// An altered file is reported, not served.
	if err := os.WriteFile(filepath.Join(ts.cfg.Media.RecordingsDir, vm.Path), data[:len(data)-2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rec.OpenMessage(context.Background(), rs[0].ID); err == nil {
		t.Fatal("an altered message was served")
	}
}

// Opening hours: a call within them is open; outside, and across midnight for night hours.
func TestOpenHours(t *testing.T) {
	t.Parallel()
	shanghai := time.FixedZone("CST", 8*3600)
	day, err := ParseOpenHours("08:00-20:00", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	night, err := ParseOpenHours("20:00-08:00", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	at := func(hh, mm int) time.Time { return time.Date(2026, 12, 4, hh, mm, 0, 0, shanghai).UTC() }
	for _, c := range []struct {
		at         time.Time
		day, night bool
	}{
		{at(7, 59), false, true}, {at(8, 0), true, false}, {at(13, 0), true, false}, {at(19, 59), true, false},
		{at(20, 0), false, true}, {at(23, 30), false, true}, {at(0, 0), false, true},
	} {
		if got := day.Open(c.at); got != c.day {
			t.Errorf("08:00-20:00 open at %s = %v", c.at.In(shanghai).Format("15:04"), got)
		}
		if got := night.Open(c.at); got != c.night {
			t.Errorf("20:00-08:00 open at %s = %v", c.at.In(shanghai).Format("15:04"), got)
		}
	}
	var always *OpenHours
	if !always.Open(at(3, 0)) {
		t.Error("no hours set: closed")
	}
	for _, bad := range []string{"8-20", "08:00", "08:00-08:00", "25:00-08:00", "08:61-09:00"} {
		if _, err := ParseOpenHours(bad, shanghai); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A call out of hours is not queued: its record ends at once as missed (no_agent, end_reason
// out_of_hours) with a callback task, and the caller leaves a voice message after the
// out-of-hours prompt, though an agent is signed in.
func TestSIPpMediaOutOfHoursMessage(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	now := time.Now().UTC()
	since := time.Duration(now.Hour())*time.Hour + time.Duration(now.Minute())*time.Minute
	closed := &OpenHours{From: (since + 6*time.Hour) % (24 * time.Hour), To: (since + 7*time.Hour) % (24 * time.Hour), Loc: time.UTC}
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.Media.VoiceMessages, c.Hours = true, closed })
	ts.register(t, "1001", "demo-sip", freePort(t), 200)
	ts.waitRegistered(t, "1001")
	sink := newRTPSink(t)
	ts.runSipp(t, "caller_voice_message.xml", "caller", "13800138125", "rtpport", strconv.Itoa(sink.port()))
	rs := ts.waitCalls(t, "a call out of hours", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == string(acd.OutcomeNoAgent) && rs[0].EndReason == EndOutOfHours && rs[0].EndedAt != nil
	})
	if string(rs[0].Offers) != "[]" {
		t.Fatalf("a call out of hours was offered to an agent: %s", rs[0].Offers)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cbs, err := ts.Callbacks(context.Background(), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(cbs) == 1 && len(cbs[0].Messages) == 1 && cbs[0].Messages[0] == rs[0].ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("callback tasks: %+v", cbs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nopSwitch is a queue's switch that does nothing: the calls stay queued.
type nopSwitch struct{}

func (nopSwitch) Ring(string, string)         {}
func (nopSwitch) CancelRing(string, string)   {}
func (nopSwitch) Abandon(string, acd.Outcome) {}
func (nopSwitch) AgentPaused(string)          {}
func (nopSwitch) Finished(acd.CallRecord)     {}

// BenchmarkEstimatedWait is one waiting caller's estimate, made at each announcement, with
// 1,000 calls waiting and 50 agents ready.
func BenchmarkEstimatedWait(b *testing.B) {
	q := acd.New(acd.Config{MaxWait: time.Hour, RingTimeout: time.Hour}, acd.SystemClock{}, nopSwitch{})
	for i := range 50 {
		ext := strconv.Itoa(1000 + i)
		q.SetRegistered(ext, true)
		if err := q.SetStatus(ext, acd.StatusAvailable); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 1000 {
		if _, err := q.Enqueue("call-"+strconv.Itoa(i), "13800000000"); err != nil {
			b.Fatal(err)
		}
	}
	s := &Server{queue: q}
	s.waits.add(4 * time.Minute)
	b.ResetTimer()
	for b.Loop() {
		if _, ok := s.EstimatedWait("call-999"); !ok {
			b.Fatal("no estimate")
		}
	}
}

// A caller who reaches the maximum wait (the agent's phone rang on unanswered) may leave a
// voice message instead of being refused; the call stays max_wait and the message is kept.
func TestSIPpMediaMaxWaitMessage(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) {
		c.Media.VoiceMessages = true
		c.ACD.MaxWait, c.ACD.RingTimeout = 2*time.Second, 10*time.Second
	})
	aport := freePort(t)
	agent := startSipp(t, "agent_ring.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.waitRegistered(t, "1001")
	sink := newRTPSink(t)
	ts.runSipp(t, "caller_voice_message.xml", "caller", "13800138126", "rtpport", strconv.Itoa(sink.port()))
	agent.wait(t)
	rs := ts.waitCalls(t, "a max_wait call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == string(acd.OutcomeMaxWait) && rs[0].EndedAt != nil
	})
	rec := &Recordings{DB: ts.db, Dir: ts.cfg.Media.RecordingsDir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		vm, _, err := rec.OpenMessage(context.Background(), rs[0].ID)
		if err == nil && vm.DurationMS >= 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message after the maximum wait: %+v %v", vm, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
