package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/tickets"
)

var (
	tokenRE        = regexp.MustCompile(`name="token" value="([^"]+)"`)
	accessRE       = regexp.MustCompile(`name="access" value="([^"]+)"`)
	numberInPageRE = regexp.MustCompile(`id="ticket-number">([^<]+)<`)
)

type upload struct {
	name string
	data []byte
}

var (
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F'}, bytes.Repeat([]byte{7}, 200)...)
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 200)...)
)

func (e *intakeEnv) formToken() string {
	e.t.Helper()
	code, _, body := e.get("/complain")
	m := tokenRE.FindStringSubmatch(body)
	if code != 200 || m == nil {
		e.t.Fatalf("GET /complain: %d, token %v", code, m)
	}
	return m[1]
}

func (e *intakeEnv) postMultipart(path string, fields url.Values, files []upload) (int, string) {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile("photos", f.name)
		w.Write(f.data)
	}
	mw.Close()
	resp, err := http.Post(e.ts.URL+path, mw.FormDataContentType(), &b)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func complaint(token string, extra ...string) url.Values {
	v := url.Values{"token": {token}, "category": {"road-damage"}, "description": {"路面塌陷 <深坑> & “危险”"},
		"address": {"东城区安定门大街1号"}, "name": {"王五"}, "phone": {"13800138000"}, "email": {""}, "consent": {"yes"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func TestComplainFormPage(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	code, h, body := e.get("/complain")
	if code != 200 || !strings.Contains(body, `<option value="noise">噪声扰民</option>`) || !strings.Contains(body, `<optgroup label="生态环境">`) ||
		!strings.Contains(body, "网上诉求") || !strings.Contains(body, `lang="zh-CN"`) {
		t.Fatalf("form: %d\n%s", code, body)
	}
	if h.Get("Content-Security-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("headers %v", h)
	}
	resp, err := http.Get(e.ts.URL + "/complain?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Online complaint") || !strings.Contains(string(b), `<option value="noise">Noise nuisance</option>`) {
		t.Fatalf("English form:\n%s", b)
	}
	var lang *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "lang" {
			lang = c
		}
	}
	if lang == nil || lang.Value != "en" {
		t.Fatal("the language choice is not remembered")
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/track", nil)
	req.AddCookie(lang)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Track your complaint") {
		t.Fatal("the cookie does not carry English to the next page")
	}
	if code, h, _ := e.get("/public/static/public.css"); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Fatalf("css: %d %s", code, h.Get("Content-Type"))
	}
}

func TestComplainSubmitAndDoubleSubmit(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	tok := e.formToken()
	code, body := e.postMultipart("/complain", complaint(tok), []upload{{"a.jpg", jpegBytes}, {"b.png", pngBytes}})
	m := numberInPageRE.FindStringSubmatch(body)
	if code != 200 || m == nil || !strings.Contains(body, `href="/track?number=`+m[1]+`"`) {
		t.Fatalf("submit: %d\n%s", code, body)
	}
	tk, err := e.tickets.Get(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if tk.Channel != "web" || tk.Description != "路面塌陷 <深坑> & “危险”" || tk.CallerPhone != "13800138000" || tk.CallerName != "王五" {
		t.Fatalf("ticket %+v", tk)
	}
	ps, err := e.svc.Photos(ctx, tk.ID)
	if err != nil || len(ps) != 2 || ps[0].ContentType != "image/jpeg" || ps[1].ContentType != "image/png" {
		t.Fatalf("photos %v %+v", err, ps)
	}
	// A second click on the same form, photos and all, answers with the same ticket.
	code, body = e.postMultipart("/complain", complaint(tok), []upload{{"a.jpg", jpegBytes}, {"b.png", pngBytes}})
	if m2 := numberInPageRE.FindStringSubmatch(body); code != 200 || m2 == nil || m2[1] != m[1] {
		t.Fatalf("double submit: %d %v", code, m2)
	}
	if n := countTickets(t, e); n != 1 {
		t.Fatalf("%d tickets after a double submit", n)
	}
	// Photos are for staff only: the public has no way to them.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(e.ts.URL + "/tickets/" + m[1] + "/photos/" + fmt.Sprint(ps[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 || strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Fatalf("a photo is served without a staff login: %d", resp.StatusCode)
	}
}

func TestComplainBadInput(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	tok := e.formToken()
	long := strings.Repeat("坑", intake.MaxDescription+1)
	cases := []struct {
		name   string
		form   url.Values
		files  []upload
		status int
		want   string
	}{
		{"no consent", complaint(tok, "consent", ""), nil, 400, "请阅读并同意隐私声明"},
		{"no category", complaint(tok, "category", ""), nil, 400, `id="category-error">is required`},
		{"unknown category", complaint(tok, "category", "dragons"), nil, 400, `id="category-error">unknown service_code`},
		{"no description", complaint(tok, "description", "  "), nil, 400, `id="description-error">is required`},
		{"description too long", complaint(tok, "description", long), nil, 400, `id="description-error">is 4001 characters long`},
		{"no address where one is needed", complaint(tok, "address", ""), nil, 400, `id="address-error">a location is required`},
		{"malformed phone", complaint(tok, "phone", "110"), nil, 400, `id="phone-error">is not a valid phone number`},
		{"malformed e-mail", complaint(tok, "email", "a@b"), nil, 400, `id="email-error">is not a valid e-mail`},
		{"a text file as a photo", complaint(tok), []upload{{"x.jpg", []byte("not an image at all")}}, 400, `id="photos-error">photo 1 is not a JPEG`},
		{"six photos", complaint(tok), []upload{{"1.jpg", jpegBytes}, {"2.jpg", jpegBytes}, {"3.jpg", jpegBytes}, {"4.jpg", jpegBytes}, {"5.jpg", jpegBytes}, {"6.jpg", jpegBytes}}, 400, `id="photos-error">最多上传5张照片`},
		{"a photo over 5 MB", complaint(tok), []upload{{"big.jpg", append(append([]byte{}, jpegBytes...), make([]byte, 5<<20)...)}}, 400, "larger than 5 MB"},
		{"forged token", complaint(tok + "x"), nil, 400, "表单已过期"},
		{"body over the limit", complaint(tok), []upload{{"1.jpg", make([]byte, 5<<20)}, {"2.jpg", make([]byte, 5<<20)}, {"3.jpg", make([]byte, 5<<20)}, {"4.jpg", make([]byte, 5<<20)}, {"5.jpg", make([]byte, 5<<20)}, {"6.jpg", make([]byte, 2<<20)}}, 413, "上传内容过大"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := e.postMultipart("/complain", c.form, c.files)
			if code != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("status %d (want %d), want %q in\n%s", code, c.status, c.want, body)
			}
			if c.status == 400 && strings.TrimSpace(c.form.Get("description")) != "" && c.form.Get("description") != long && !strings.Contains(body, "路面塌陷 &lt;深坑&gt; &amp; “危险”</textarea>") {
				t.Fatal("the description typed is lost")
			}
			if c.status == 400 && !strings.Contains(body, `name="token"`) {
				t.Fatal("the form comes back without a token")
			}
		})
	}
	if n := countTickets(t, e); n != 0 {
		t.Fatalf("bad input created %d tickets", n)
	}
}

func TestComplainRateLimited(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, intake.Config{FormPerAddress: intake.Limit{Every: time.Hour, Burst: 2}, CatalogueTTL: time.Minute})
	for i := 0; i < 2; i++ {
		if code, body := e.postMultipart("/complain", complaint(e.formToken(), "phone", ""), nil); code != 200 {
			t.Fatalf("submission %d: %d %s", i, code, body)
		}
	}
	code, body := e.postMultipart("/complain", complaint(e.formToken(), "phone", ""), nil)
	if code != 429 || !strings.Contains(body, "提交过于频繁") || !strings.Contains(body, "路面塌陷 &lt;深坑&gt;") {
		t.Fatalf("third submission from one address: %d\n%s", code, body)
	}
}

func TestTrackAndRate(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	_, body := e.postMultipart("/complain", complaint(e.formToken()), nil)
	no := numberInPageRE.FindStringSubmatch(body)[1]

	code, _, body := e.postForm("/track", url.Values{"number": {no}, "phone": {"13800138000"}})
	if code != 200 || !strings.Contains(body, `data-status="registered"`) || !strings.Contains(body, "已受理") || strings.Contains(body, `id="rate-form"`) {
		t.Fatalf("track: %d\n%s", code, body)
	}
	for name, form := range map[string]url.Values{
		"wrong phone":    {"number": {no}, "phone": {"13900139000"}},
		"missing ticket": {"number": {"20261116-999999"}, "phone": {"13800138000"}},
	} {
		code, _, body := e.postForm("/track", form)
		if code != 404 || !strings.Contains(body, "未找到与该手机号码对应的工单") {
			t.Fatalf("%s: %d\n%s", name, code, body)
		}
	}
	if code, _, body := e.postForm("/track", url.Values{"number": {no}}); code != 400 || !strings.Contains(body, "必填") {
		t.Fatalf("no phone: %d\n%s", code, body)
	}

	e.resolve(no, "urban")
	_, _, body = e.postForm("/track", url.Values{"number": {no}, "phone": {"13800138000"}})
	m := accessRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `id="rate-form"`) || !strings.Contains(body, "已修复路面") || !strings.Contains(body, "已派单至城市管理局") {
		t.Fatalf("resolved ticket without a rating form:\n%s", body)
	}
	access := m[1]
	code, _, body = e.postForm("/track/rate", url.Values{"access": {access}, "rating": {"dissatisfied"}})
	if code != 400 || !strings.Contains(body, `id="comment-error"`) || !strings.Contains(body, `id="rating-dissatisfied" checked`) {
		t.Fatalf("不满意 without a reason: %d\n%s", code, body)
	}
	code, _, body = e.postForm("/track/rate", url.Values{"access": {"forged"}, "rating": {"satisfied"}})
	if code != 404 || !strings.Contains(body, "页面已过期") {
		t.Fatalf("forged access: %d\n%s", code, body)
	}
	code, _, body = e.postForm("/track/rate", url.Values{"access": {access}, "rating": {"dissatisfied"}, "comment": {"坑还在 <b>没修</b>"}})
	if code != 200 || !strings.Contains(body, "已为您退回重办") || !strings.Contains(body, `data-status="dispatched"`) ||
		!strings.Contains(body, `市民评价：<span translate="no">不满意：坑还在 &lt;b&gt;没修&lt;/b&gt;</span>`) || strings.Contains(body, `id="rate-form"`) {
		t.Fatalf("不满意: %d\n%s", code, body)
	}
	tk, _ := e.tickets.Get(ctx, no)
	if tk.Status != tickets.StatusDispatched || tk.ReopenCount != 1 {
		t.Fatalf("ticket %s reopen=%d", tk.Status, tk.ReopenCount)
	}
	code, _, body = e.postForm("/track/rate", url.Values{"access": {access}, "rating": {"satisfied"}})
	if code != 409 || !strings.Contains(body, "工单尚未办结") {
		t.Fatalf("rating again: %d\n%s", code, body)
	}
}

func TestTrackRateLimited(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, intake.Config{TrackPerAddress: intake.Limit{Every: time.Hour, Burst: 3}, CatalogueTTL: time.Minute})
	for i := 0; i < 3; i++ {
		if code, _, _ := e.postForm("/track", url.Values{"number": {fmt.Sprintf("20261116-%06d", i)}, "phone": {"13800138000"}}); code != 404 {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	if code, _, body := e.postForm("/track", url.Values{"number": {"20261116-000009"}, "phone": {"13800138000"}}); code != 429 || !strings.Contains(body, "查询过于频繁") {
		t.Fatalf("fourth guess: %d\n%s", code, body)
	}
}

// The result page keeps the ticket number whole (it never breaks inside its digits), offers a
// copy button that its script reveals, and links to tracking with the number filled in.
func TestComplainResultPageNumber(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	code, body := e.postMultipart("/complain", complaint(e.formToken()), nil)
	m := numberInPageRE.FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("submit: %d\n%s", code, body)
	}
	for _, want := range []string{
		`<p class="big ticket-number"><span id="ticket-number">` + m[1] + `</span>`,
		`id="copy-number" data-copy="` + m[1] + `" data-done="工单编号已复制" hidden>复制编号</button>`,
		`aria-live="polite"`,
		`<script src="/public/static/copy.js" defer></script>`,
		`href="/track?number=` + m[1] + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("result page lacks %s", want)
		}
	}
	if code, h, js := e.get("/public/static/copy.js"); code != 200 || !strings.Contains(h.Get("Content-Type"), "javascript") ||
		!strings.Contains(js, "navigator.clipboard.writeText") {
		t.Fatalf("copy.js: %d %s", code, h.Get("Content-Type"))
	}
	_, _, css := e.get("/public/static/public.css")
	if !strings.Contains(css, "#ticket-number { white-space: nowrap;") {
		t.Fatal("the ticket number may break inside its digits")
	}
	if code, _, page := e.get("/track?number=" + m[1]); code != 200 || !strings.Contains(page, `value="`+m[1]+`"`) {
		t.Fatalf("tracking link: %d", code)
	}
}
