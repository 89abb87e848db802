package telephony

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// baresip is a real softphone (Debian's baresip) registered as an agent: it answers by itself,
// speaks a WAV file into the call and dumps what it hears to WAV files.
type baresip struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	dir   string
	out   *lockedBuffer
	dumps string
}

// startBaresip registers extension ext (password demo-sip) at the test server from a free port,
// with speech as its microphone (8 kHz mono WAV).
func startBaresip(t *testing.T, ts *testServer, ext string, speech []byte) *baresip {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Fatal("baresip is not installed (apt-get install baresip-core; scripts/install-deps.sh test does it)")
	}
	dir := t.TempDir()
	dumps := filepath.Join(dir, "dumps")
	if err := os.Mkdir(dumps, 0o755); err != nil {
		t.Fatal(err)
	}
	mic := filepath.Join(dir, "mic.wav")
	if err := os.WriteFile(mic, speech, 0o644); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		b, err := runBaresip(t, dir, dumps, mic, ts.Addr(), ext)
		if err == nil {
			t.Cleanup(b.stop(t))
			ts.waitRegistered(t, ext)
			return b
		}
		if attempt == 2 {
			t.Fatal(err)
		}
	}
}

// runBaresip starts baresip with a configuration of dir on ports of its own; a port taken by
// another test in the moment between finding it free and baresip binding it is an error,
// and the caller tries again.
func runBaresip(t *testing.T, dir, dumps, mic, server, ext string) (*baresip, error) {
	t.Helper()
	// SIP on the port found, RTP and RTCP on the two above it: ports apart from those
	// the system hands out and from the tests' media pools (freeMediaPort).
	port := freeMediaPort(t)
	config := strings.Join([]string{
		"poll_method epoll",
		fmt.Sprintf("sip_listen 127.0.0.1:%d", port),
		"sip_transports udp",
		"module_path /usr/lib/baresip/modules",
		"module stdio.so",
		"module g711.so",
		"module aufile.so",
		"module aubridge.so",
		"module sndfile.so",
		"module_app account.so",
		"module_app menu.so",
		"audio_source aufile," + mic,
		"audio_player aubridge,nowhere",
		"audio_alert aubridge,nowhere",
		"ausrc_srate 8000",
		"auplay_srate 8000",
		"ausrc_channels 1",
		"auplay_channels 1",
		"snd_path " + dumps,
		fmt.Sprintf("rtp_ports %d-%d", port+2, port+3),
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	account := fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=demo-sip;answermode=auto;regint=300;audio_codecs=PCMA,PCMU\n", ext, server)
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"contacts", "uuid"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	b := &baresip{dir: dir, out: &lockedBuffer{}, dumps: dumps}
	b.cmd = exec.Command("baresip", "-f", dir)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	stdin, err := b.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	b.stdin = stdin
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// baresip says it is ready once its modules are loaded and its SIP socket bound.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out := b.out.String()
		if strings.Contains(out, "Address already in use") {
			b.stop(t)()
			return nil, fmt.Errorf("baresip could not bind its ports:\n%s", tail(out, 20))
		}
		if strings.Contains(out, "baresip is ready") {
			return b, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return b, nil // still starting: the registration wait tells
}

// stop ends baresip, showing its output when the test failed.
func (b *baresip) stop(t *testing.T) func() {
	return func() {
		b.stdin.Close()
		b.cmd.Process.Kill()
		b.cmd.Wait()
		if t.Failed() {
			t.Logf("baresip:\n%s", tail(b.out.String(), 60))
		}
	}
}

// heard is the loudest level among the WAV files baresip dumped of the audio it decoded.
func (b *baresip) heard(t *testing.T) float64 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(b.dumps, "*dec*.wav"))
	level := 0.0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil || len(data) <= 44 {
			continue
		}
		level = max(level, rms(data[44:], 1, 0))
	}
	return level
}

// A real softphone as the agent: baresip registers, is offered the call and answers it; the
// caller (SIPp playing recorded speech) and baresip (a 550 Hz tone from its file microphone)
// hear each other through hotline — baresip's dump of what it decoded is sound, and so are both
// channels of the call's recording.
func TestBaresipAgentTalksThroughHotline(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t))
	phone := startBaresip(t, ts, "1001", toneWAV(550, 20))
	sink := newRTPSink(t)
	ts.runSipp(t, "caller_media.xml", "caller", "13800138000", "rtpport", strconv.Itoa(sink.port()), "-d", "4000")
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool {
		return len(rs) == 1 && rs[0].Outcome == "answered" && rs[0].EndedAt != nil
	})
	if rs[0].Extension != "1001" {
		t.Fatalf("answered by %q, want baresip's 1001", rs[0].Extension)
	}
	rec := ts.waitRecording(t, rs[0].ID)
	if rec.Error != "" || rec.Path == "" {
		t.Fatalf("recording: %+v", rec)
	}
	data, err := os.ReadFile(filepath.Join(ts.cfg.Media.RecordingsDir, rec.Path))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint16(data[22:]) != 2 || len(data) < 44+8000*4 {
		t.Fatalf("recording of %d bytes, want a stereo WAV of at least a second", len(data))
	}
	if l, r := rms(data[44:], 2, 0), rms(data[44:], 2, 1); l < 100 || r < 100 {
		t.Fatalf("recording levels: caller %.0f, baresip %.0f; want both non-silent", l, r)
	}
	deadline := time.Now().Add(5 * time.Second)
	for phone.heard(t) < 100 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	files, _ := filepath.Glob(filepath.Join(phone.dumps, "*"))
	level := phone.heard(t)
	if level < 100 {
		t.Fatalf("baresip heard level %.0f (dumps %v); want the caller's speech", level, files)
	}
	t.Logf("recording levels: caller %.0f, baresip %.0f; baresip heard %.0f in %d dumps", rms(data[44:], 2, 0), rms(data[44:], 2, 1), level, len(files))
}
