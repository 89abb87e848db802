package web

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/telephony"
)

// promptWAV is seconds of a 440 Hz tone as a 16-bit WAV at rate with chans channels.
func promptWAV(rate, chans int, seconds float64) []byte {
	n := int(float64(rate) * seconds)
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + 2*chans*n))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(chans))
	w(uint32(rate))
	w(uint32(2 * chans * rate))
	w(uint16(2 * chans))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(2 * chans * n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		for range chans {
			w(v)
		}
	}
	return b.Bytes()
}

// An administrator replaces a prompt with a WAV of another rate and channel count: it is
// converted to what calls play, saved and audited; audio that is not usable is refused with
// the reason, and only administrators may do it.
func TestPromptUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e, _ := newCallsEnv(t, func(c *telephony.Config) {
		c.Media = telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, PromptsDir: dir, RecordingsDir: t.TempDir()}
	})
	put := func(who map[string]string, purpose string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("PUT", e.ts.URL+"/api/v1/admin/prompts/"+purpose, bytes.NewReader(body))
		req.Header.Set("Authorization", who["Authorization"])
		req.Header.Set("Content-Type", "audio/wav")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	admin := e.token("admin")
	if code, body := put(admin, "greeting", promptWAV(22050, 2, 1.5)); code != 200 || !strings.Contains(body, `"seconds":1.5`) {
		t.Fatalf("upload: %d %s", code, body)
	}
	saved, err := os.ReadFile(filepath.Join(dir, "greeting.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint16(saved[22:]) != 1 || binary.LittleEndian.Uint32(saved[24:]) != 8000 || len(saved) != 44+2*12000 {
		t.Fatalf("saved prompt: % x, %d bytes", saved[:44], len(saved))
	}
	if n := auditCount(t, e, "prompt_replaced", "greeting"); n != 1 {
		t.Fatalf("audit entries = %d", n)
	}
	for _, tc := range []struct {
		name, purpose string
		body          []byte
		who           map[string]string
		code          int
		says          string
	}{
		{"not audio", "survey", []byte("<html>hello</html>"), admin, 400, "not a RIFF WAVE"},
		{"too long", "hold", promptWAV(8000, 1, 301), admin, 400, "longer than 300 s"},
		{"too slow", "hold", promptWAV(4000, 1, 1), admin, 400, "8000 Hz or more"},
		{"unknown purpose", "music", promptWAV(8000, 1, 1), admin, 400, "unknown purpose"},
		{"not an administrator", "greeting", promptWAV(8000, 1, 1), e.token("supervisor"), 403, ""},
	} {
		if code, body := put(tc.who, tc.purpose, tc.body); code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tc.name, code, body, tc.code, tc.says)
		}
	}
}
