package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/telephony"
)

// The prompts' page lists every purpose an administrator may replace and plays the current
// prompt; an upload from the page replaces it (resampled to 8 kHz), a file that is not audio or
// too long is refused with the reason in the reader's language, and the default comes back on
// request. Others may not see the page.
func TestPromptAdminPage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	def := promptWAV(8000, 1, 1)
	if err := os.WriteFile(filepath.Join(dir, "callback-offer.wav"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	e, _ := newCallsEnv(t, func(c *telephony.Config) {
		c.Media = telephony.MediaConfig{Enabled: true, PortMin: 40000, PortMax: 49999, PromptsDir: dir, RecordingsDir: t.TempDir()}
	})
	b := e.browser("admin")
	upload := func(purpose string, data []byte, lang string) resp {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "prompt.wav")
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", e.ts.URL+"/admin/prompts/"+purpose, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", e.ts.URL)
		req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
		res, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return resp{Status: res.StatusCode, Header: res.Header, Body: string(out)}
	}

	page := e.do(b, "GET", "/admin/prompts", nil, nil)
	if page.Status != 200 {
		t.Fatalf("page: %d", page.Status)
	}
	for _, p := range telephony.PromptPurposes {
		if !strings.Contains(page.Body, `id="prompt-`+p+`"`) {
			t.Errorf("purpose %s not listed", p)
		}
	}
	if !strings.Contains(page.Body, `src="/admin/prompts/callback-offer/audio"`) || !strings.Contains(page.Body, `href="/admin/prompts"`) {
		t.Fatal("the page does not play the current prompt or is not in the navigation")
	}
	if r := e.do(b, "GET", "/admin/prompts/callback-offer/audio", nil, nil); r.Status != 200 || r.Body != string(def) {
		t.Fatalf("current prompt: %d, %d bytes", r.Status, len(r.Body))
	}

	if r := upload("callback-offer", promptWAV(16000, 2, 2), "zh"); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	saved, _ := os.ReadFile(filepath.Join(dir, "callback-offer.wav"))
	if len(saved) != 44+2*16000 {
		t.Fatalf("saved prompt of %d bytes, want 2 s at 8 kHz mono", len(saved))
	}
	page = e.do(b, "GET", "/admin/prompts?saved=callback-offer", nil, nil)
	if !strings.Contains(page.Body, `id="prompt-callback-offer" data-purpose="callback-offer" data-custom="true"`) ||
		!strings.Contains(page.Body, "2.0 s") || !strings.Contains(page.Body, `id="prompt-saved"`) {
		t.Fatalf("the uploaded prompt is not listed as uploaded:\n%s", page.Body)
	}
	if n := auditCount(t, e, "prompt_replaced", "callback-offer"); n != 1 {
		t.Fatalf("audit entries = %d", n)
	}

	for _, c := range []struct {
		name, lang string
		data       []byte
		says       string
	}{
		{"not audio", "zh", []byte("<html>这不是音频</html>"), "文件不是 WAV 音频"},
		{"not audio", "en", []byte("%PDF-1.7"), "The file is not WAV audio"},
		{"too long", "zh", promptWAV(8000, 1, 301), "音频太长"},
		{"too long", "en", promptWAV(8000, 1, 301), "too long"},
	} {
		r := upload("greeting", c.data, c.lang)
		if r.Status != 400 || !strings.Contains(r.Body, c.says) || !strings.Contains(r.Body, `data-purpose="greeting"`) {
			t.Errorf("%s (%s): %d, want 400 saying %q", c.name, c.lang, r.Status, c.says)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "greeting.wav")); err == nil {
		t.Fatal("a refused upload was saved")
	}

	if r := e.do(b, "POST", "/admin/prompts/callback-offer/revert", url.Values{}, map[string]string{"Origin": e.ts.URL}); r.Status != http.StatusSeeOther {
		t.Fatalf("revert: %d %s", r.Status, r.Body)
	}
	if back, _ := os.ReadFile(filepath.Join(dir, "callback-offer.wav")); !bytes.Equal(back, def) {
		t.Fatal("the default is not back")
	}
	if r := e.do(e.browser("supervisor"), "GET", "/admin/prompts", nil, nil); r.Status != 403 {
		t.Fatalf("supervisor sees the prompts' page: %d", r.Status)
	}
}
