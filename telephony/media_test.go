package telephony

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/diago/audio"
)

// toneWAV is a WAV prompt: seconds of a sine at hz, 8 kHz 16-bit mono.
func toneWAV(hz float64, seconds float64) []byte {
	n := int(8000 * seconds)
	data := make([]byte, 44+2*n)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)
	binary.LittleEndian.PutUint16(data[22:], 1)
	binary.LittleEndian.PutUint32(data[24:], 8000)
	binary.LittleEndian.PutUint32(data[28:], 16000)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(v))
	}
	return data
}

// withMedia turns media on with tone prompts and a recordings directory of the test's own.
func withMedia(t testing.TB) serverOption {
	t.Helper()
	prompts := t.TempDir()
	for name, hz := range map[string]float64{"greeting": 440, "hold": 330, "survey": 550, "thanks": 660} {
		if err := os.WriteFile(filepath.Join(prompts, name+".wav"), toneWAV(hz, 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	recs := t.TempDir()
	return func(c *Config) {
		c.Media = MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, RecordingsDir: recs, PromptsDir: prompts}
	}
}

// rtpSink counts the non-silent G.711 A-law packets sent to a loopback port.
type rtpSink struct {
	conn    net.PacketConn
	packets atomic.Int64
}

func newRTPSink(t testing.TB) *rtpSink {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rtpSink{conn: c}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1500)
		pcm := make([]byte, 3000)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if n <= 12 || buf[1]&0x7f != 8 {
				continue
			}
			m, _ := audio.DecodeAlawTo(pcm, buf[12:n])
			if rms(pcm[:m], 1, 0) > 100 {
				s.packets.Add(1)
			}
		}
	}()
	return s
}

func (s *rtpSink) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// rms is the root mean square of channel ch of interleaved 16-bit PCM with chans channels.
func rms(pcm []byte, chans, ch int) float64 {
	var sum float64
	n := 0
	for i := 2 * ch; i+1 < len(pcm); i += 2 * chans {
		v := float64(int16(binary.LittleEndian.Uint16(pcm[i:])))
		sum += v * v
		n++
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(n))
}

// waitRecording polls for the recording of the call recID.
func (ts *testServer) waitRecording(t testing.TB, recID string) *Recording {
	t.Helper()
	rs := &Recordings{DB: ts.db, Dir: ts.cfg.Media.RecordingsDir}
	deadline := time.Now().Add(20 * time.Second)
	for {
		rec, err := rs.Get(context.Background(), recID)
		if err == nil {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recording of %s: %v", recID, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// With media on, the caller hears the greeting (RTP to the caller's port while the agent's
// phone rings), caller and agent talk through hotline, and the call is recorded as a stereo
// WAV with the caller on the left and the agent on the right, both non-silent, its checksum
// and size stored.
func TestSIPpMediaGreetingBridgeAndRecording(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t))
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_media.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_media.xml", "caller", "13800138000", "rtpport", strconv.Itoa(sink.port()), "-d", "2500")
	agent.wait(t)
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	// The agent answers after 1.2 s: about 60 packets of greeting, some lost to timing.
	if n := sink.packets.Load(); n < 25 {
		t.Fatalf("caller received %d packets of prompt audio, want the greeting", n)
	}
	rec := ts.waitRecording(t, rs[0].ID)
	if rec.Error != "" || rec.Path == "" {
		t.Fatalf("recording: %+v", rec)
	}
	data, err := os.ReadFile(filepath.Join(ts.cfg.Media.RecordingsDir, rec.Path))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != rec.Bytes || hex.EncodeToString(sum[:]) != rec.SHA256 {
		t.Fatalf("stored size %d and checksum %s do not match the file's %d and %x", rec.Bytes, rec.SHA256, len(data), sum)
	}
	if string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" || binary.LittleEndian.Uint16(data[22:]) != 2 ||
		binary.LittleEndian.Uint32(data[24:]) != 8000 || binary.LittleEndian.Uint16(data[34:]) != 16 {
		t.Fatalf("not a stereo 8 kHz 16-bit WAV: % x", data[:44])
	}
	if size := binary.LittleEndian.Uint32(data[40:]); int(size) != len(data)-44 || size < 8000*4 {
		t.Fatalf("data chunk of %d bytes in a file of %d; want at least a second of audio", size, len(data))
	}
	pcm := data[44:]
	if l, r := rms(pcm, 2, 0), rms(pcm, 2, 1); l < 100 || r < 100 {
		t.Fatalf("channel levels: caller %.0f, agent %.0f; want both non-silent", l, r)
	}
}

// An unwritable recordings directory (a full disk behaves alike) does not stop the call: it
// is answered and ends as usual, and the recording's failure is stored with the reason.
func TestSIPpMediaRecordingFailureKeepsTheCall(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	media := withMedia(t)
	ts := newTestServer(t, media, func(c *Config) { c.Media.RecordingsDir = filepath.Join(blocked, "recordings") })
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_media.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_media.xml", "caller", "13800138001", "rtpport", strconv.Itoa(sink.port()), "-d", "300")
	agent.wait(t)
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	rec := ts.waitRecording(t, rs[0].ID)
	if rec.Error == "" || rec.Path != "" || rec.Playable() {
		t.Fatalf("recording into an unwritable directory: %+v", rec)
	}
}

func TestParsePromptWAV(t *testing.T) {
	t.Parallel()
	good := toneWAV(440, 0.5)
	if pcm, err := parsePromptWAV(good); err != nil || len(pcm) != 8000 {
		t.Fatalf("good prompt: %d bytes, %v", len(pcm), err)
	}
	// 22.05 kHz stereo, as a desktop program writes it: mixed down and resampled to 8 kHz.
	wide := wavOf(22050, 2, 22050)
	pcm, err := parsePromptWAV(wide)
	if err != nil || len(pcm) != 2*8000 || rms(pcm, 1, 0) < 3000 {
		t.Fatalf("22.05 kHz stereo: %d bytes at level %.0f, %v", len(pcm), rms(pcm, 1, 0), err)
	}
	bits8 := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(bits8[34:], 8)
	slow := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(slow[24:], 4000)
	long := toneWAV(440, maxPromptSeconds+1)
	for name, data := range map[string][]byte{"text": []byte("hello, not audio"), "8-bit": bits8, "4 kHz": slow,
		"too long": long, "no data": good[:36]} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := parsePromptWAV(data); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// wavOf is a second of a 440 Hz tone (n samples per channel) at rate with chans channels.
func wavOf(rate, chans, n int) []byte {
	data := make([]byte, 44+2*chans*n)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*chans*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)
	binary.LittleEndian.PutUint16(data[22:], uint16(chans))
	binary.LittleEndian.PutUint32(data[24:], uint32(rate))
	binary.LittleEndian.PutUint32(data[28:], uint32(2*chans*rate))
	binary.LittleEndian.PutUint16(data[32:], uint16(2*chans))
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*chans*n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		for c := range chans {
			binary.LittleEndian.PutUint16(data[44+2*(i*chans+c):], uint16(v))
		}
	}
	return data
}

// The default prompts are made offline from Chinese text (espeak-ng's cmn voice, then sox) in
// the format hotline plays, each with audible speech or music.
func TestDefaultPromptsAreMadeOffline(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	dir := t.TempDir()
	out, err := exec.Command("../scripts/prompts.sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/prompts.sh: %v\n%s", err, out)
	}
	for _, name := range promptPurposes {
		pcm, err := readPromptFile(dir, name)
		if err != nil {
			t.Fatalf("prompt %s: %v", name, err)
		}
		least := 8000 / 5 // a number of the queue position
		if slices.Contains(PromptPurposes, name) {
			least = 8000
		}
		if len(pcm) < 2*least || rms(pcm, 1, 0) < 300 {
			t.Fatalf("prompt %s: %d bytes at level %.0f, want %d samples or more of sound", name, len(pcm), rms(pcm, 1, 0), least)
		}
	}
}

// Prompts missing at start are logged, and the calls play silence in their place.
func TestMissingPromptsAreLogged(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	p := loadPrompts(t.TempDir(), slog.New(slog.NewTextHandler(logs, nil)))
	if p.get("greeting") != nil || p.get("hold") != nil {
		t.Fatal("prompts from an empty directory")
	}
	if !strings.Contains(logs.String(), "prompts missing") || !strings.Contains(logs.String(), "greeting,") {
		t.Fatalf("log: %s", logs.String())
	}
}

// A trunk offering only a codec hotline does not carry (G.722) gets 488 before any agent's
// phone rings: an incompatible call never counts as an agent's missed offer, so it cannot put
// the floor on break (fault 1). The call is recorded as failed, with a callback task.
func TestSIPpMediaIncompatibleCallerRingsNoAgent(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.ACD.MaxMissed = 1 })
	ts.register(t, "1001", "demo-sip", freePort(t), 200)
	ts.waitRegistered(t, "1001")
	for i := range 2 {
		ts.runSipp(t, "caller_g722.xml", "caller", "1380013810"+strconv.Itoa(i))
	}
	rs := ts.waitCalls(t, "two failed calls", func(rs []Record) bool {
		return len(rs) == 2 && rs[0].Outcome == OutcomeFailed && rs[1].Outcome == OutcomeFailed
	})
	for _, r := range rs {
		if string(r.Offers) != "[]" || r.Extension != "" {
			t.Fatalf("an incompatible call was offered to an agent: %+v", r)
		}
	}
	if a := ts.Agent("1001"); a.Status != "available" || a.State != "idle" {
		t.Fatalf("agent after two incompatible calls: %+v", a)
	}
	if n := ts.countCallbacks(t, "13800138100"); n != 1 {
		t.Fatalf("callback tasks = %d, want 1", n)
	}
}

// When the agent hangs up first, the caller hears the survey question and rates the call by
// keypad: a key that is no choice repeats the question once, 3 is stored as dissatisfied against
// the call and its agent, and hotline hangs up after the thanks. The agent is free at once.
func TestSIPpMediaPostCallSurvey(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.SurveyWait = 3 * time.Second })
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_bye.xml", aport, "", "-d", "500")
	ts.register(t, "1002", "demo-sip", aport, 200)
	caller := startSipp(t, "caller_survey.xml", freePort(t), ts.Addr(), "caller", "13800138055", "rtpport", strconv.Itoa(sink.port()))
	agent.wait(t)
	deadline := time.Now().Add(time.Second)
	for ts.Agent("1002").State == "talking" {
		if time.Now().After(deadline) {
			t.Fatal("the agent is held by the caller's survey")
		}
		time.Sleep(20 * time.Millisecond)
	}
	caller.wait(t)
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	r, err := CallRating(context.Background(), ts.db, rs[0].ID)
	if err != nil || r.Rating != "dissatisfied" || r.Extension != "1002" {
		t.Fatalf("rating: %+v %v", r, err)
	}
	if !strings.Contains(ts.logs.String(), "call rated") {
		t.Fatalf("log: %s", ts.logs.String())
	}
}

// A caller whose phone goes dead after the answer (no RTP, no BYE) is hung up after the RTP
// timeout: the agent is freed and the record says why the call ended (fault 2).
func TestSIPpMediaSilentCallerIsHungUp(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.Media.Timeout = 2 * time.Second })
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_answer.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_silent.xml", "caller", "13800138066", "rtpport", strconv.Itoa(sink.port()))
	agent.wait(t)
	rs := ts.waitCalls(t, "an ended call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	// The caller never spoke: the talk time ends where the audio stopped, at the answer, not
	// at the hang-up two seconds later.
	if rs[0].EndReason != "no_rtp" || rs[0].TalkMS >= 2000 {
		t.Fatalf("record: end_reason %q, talk %d ms", rs[0].EndReason, rs[0].TalkMS)
	}
	if a := ts.Agent("1001"); a.State == "talking" {
		t.Fatalf("agent still talking: %+v", a)
	}
}

// With media anchored, a transfer to 110 offers 110 hotline's own session (never the caller's
// original SDP) and swaps it into the bridge: the caller gets no re-INVITE (SIPp's caller would
// fail on one), its session never changes — a refresh after the transfer is answered with the
// very o= line of the first answer (fault 4) — and the whole call, transfer included, is one
// recording.
func TestSIPpMediaTransferKeepsTheCallersSession(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	pport := freePort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:" + strconv.Itoa(pport)} })
	police := startSipp(t, "police_media.xml", pport, "")
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_refer.xml", aport, "", "-d", "300", "target", "110")
	ts.register(t, "1001", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_media_refresh.xml", "caller", "13800138000", "rtpport", strconv.Itoa(sink.port()), "-d", "2000")
	agent.wait(t)
	police.wait(t)
	rs := ts.waitCalls(t, "a transferred call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "transferred" && rs[0].TransferTarget == "110" && rs[0].EndedAt != nil
	})
	if rec := ts.waitRecording(t, rs[0].ID); !rec.Playable() || rec.DurationMS < 1500 {
		t.Fatalf("recording of the transferred call: %+v", rec)
	}
}

// A key sent by SIP INFO (application/dtmf-relay) is accepted (200) and read like an RFC 4733
// one: the caller's 2 rates the call 基本满意 (fault 8).
func TestSIPpMediaSurveyByInfo(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t), func(c *Config) { c.SurveyWait = 3 * time.Second })
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_bye.xml", aport, "", "-d", "500")
	ts.register(t, "1002", "demo-sip", aport, 200)
	ts.runSipp(t, "caller_survey_info.xml", "caller", "13800138056", "rtpport", strconv.Itoa(sink.port()))
	agent.wait(t)
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if r, err := CallRating(context.Background(), ts.db, rs[0].ID); err != nil || r.Rating != "basically" {
		t.Fatalf("rating: %+v %v", r, err)
	}
}

// The waiting caller hears the greeting, then hold audio, and after every announceEvery of it
// their place in the queue: 您前面还有 + the number + 位来电在等候, or 您是下一位 when nobody is
// ahead.
func TestPlaylistAnnouncesThePosition(t *testing.T) {
	t.Parallel()
	frames := func(v byte, n int) []byte { return bytes.Repeat([]byte{v, 0}, n*frameSamples) }
	p := &prompts{pcm: map[string][]byte{"greeting": frames(1, 2), "hold": frames(2, 3), "queue-ahead": frames(3, 1),
		"n-2": frames(4, 1), "queue-calls": frames(5, 1), "queue-next": frames(6, 1), "queue": frames(7, 1)}}
	ahead := []int{2, 0}
	pl := newPlaylist(p, 100*time.Millisecond, func() int { n := ahead[0]; ahead = ahead[1:]; return n })
	var got []byte
	for range 12 {
		got = append(got, pl.next()[0])
	}
	// The first announcement follows the greeting at once.
	want := []byte{1, 1, 3, 4, 5, 2, 2, 2, 2, 2, 2, 6}
	if !bytes.Equal(got, want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

// A call still talking when the server stops gets its recording completed and stored.
func TestSIPpMediaShutdownCompletesTheRecording(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t))
	sink := newRTPSink(t)
	aport := freePort(t)
	agent := startSipp(t, "agent_media.xml", aport, "")
	ts.register(t, "1001", "demo-sip", aport, 200)
	caller := startSipp(t, "caller_media.xml", freePort(t), ts.Addr(), "caller", "13800138088", "rtpport", strconv.Itoa(sink.port()), "-d", "20000")
	ts.waitCalls(t, "an answered call", func(rs []Record) bool { return len(rs) == 1 && rs[0].AnsweredAt != nil })
	time.Sleep(time.Second)
	// Both phones die, so no BYE ends the call: only the shutdown does.
	caller.cmd.Process.Kill()
	agent.cmd.Process.Kill()
	ts.finishAll()
	rs := ts.waitCalls(t, "a finished call", func(rs []Record) bool { return len(rs) == 1 && rs[0].EndedAt != nil })
	rec := ts.waitRecording(t, rs[0].ID)
	if !rec.Playable() || rec.DurationMS < 500 {
		t.Fatalf("recording at shutdown: %+v", rec)
	}
}
