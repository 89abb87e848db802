package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hotline-city/hotline/demo/demotest"
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
	return e.postMultipartLang(path, "", fields, files)
}

// postMultipartLang posts a multipart form with the "lang" cookie set to lang (none if empty).
func (e *intakeEnv) postMultipartLang(path, lang string, fields url.Values, files []upload) (int, string) {
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
	req, _ := http.NewRequest("POST", e.ts.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if lang != "" {
		req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
	}
	resp, err := http.DefaultClient.Do(req)
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

// Each kind of bad input is answered with a 400 naming the problem on its own field, in the
// reader's language (Chinese unless the "lang" cookie says English), and the form comes back
// with everything typed in it.
func TestComplainBadInput(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	tok := e.formToken()
	long := strings.Repeat("坑", intake.MaxDescription+1)
	noise := func(extra ...string) url.Values {
		v := complaint(tok, append([]string{"category", "noise", "attribute[noise_time]", "night"}, extra...)...)
		return v
	}
	cases := []struct {
		name     string
		form     url.Values
		files    []upload
		status   int
		zh, en   string // the page has this, in Chinese and with English chosen
		keptAttr string // an answer to a question that must come back chosen
	}{
		{"no consent", complaint(tok, "consent", ""), nil, 400, `id="consent-error">请阅读并同意隐私声明`, `id="consent-error">Please agree to the privacy notice`, ""},
		{"no category", complaint(tok, "category", ""), nil, 400, `id="category-error">此项为必填项`, `id="category-error">This is required`, ""},
		{"unknown category", complaint(tok, "category", "dragons"), nil, 400, `id="category-error">请从列表中选择诉求类别`, `id="category-error">Choose a category from the list`, ""},
		{"no description", complaint(tok, "description", "  "), nil, 400, `id="description-error">此项为必填项`, `id="description-error">This is required`, ""},
		{"description too long", complaint(tok, "description", long), nil, 400, `id="description-error">共4001字，最多4000字`, `id="description-error">This is 4001 characters long; at most 4000 are allowed`, ""},
		{"no address where one is needed", complaint(tok, "address", ""), nil, 400, `id="address-error">该类别需要填写地址`, `id="address-error">This category needs an address`, ""},
		{"a control character in the address", complaint(tok, "address", "东城区\x07"), nil, 400, `id="address-error">含有不可见的控制字符（U&#43;0007）`, `id="address-error">This contains an invisible control character (U&#43;0007)`, ""},
		{"malformed phone", complaint(tok, "phone", "110"), nil, 400, `id="phone-error">请填写有效的电话号码`, `id="phone-error">Enter a valid phone number`, ""},
		{"malformed e-mail", complaint(tok, "email", "a@b"), nil, 400, `id="email-error">请填写有效的电子邮箱地址`, `id="email-error">Enter a valid e-mail address`, ""},
		{"no answer to a required question", noise("attribute[noise_time]", ""), nil, 400, `id="attr-noise_time-error">请回答此项`, `id="attr-noise_time-error">Please answer this question`, ""},
		{"an answer that is not a choice", noise("attribute[noise_time]", "dawn"), nil, 400, `id="attr-noise_time-error">没有“dawn”这一选项`, `id="attr-noise_time-error">There is no choice &#34;dawn&#34;`, ""},
		{"a number that is not one", complaint(tok, "attribute[damage_size]", "large", "attribute[lanes_blocked]", "两条"), nil, 400, `id="attr-lanes_blocked-error">请填写数字`, `id="attr-lanes_blocked-error">Enter a number`, `<option value="large" selected>`},
		{"a text file as a photo", complaint(tok), []upload{{"x.jpg", []byte("not an image at all")}}, 400, `id="photos-error">第1张照片不是 JPEG、PNG 或 WebP 图片`, `id="photos-error">Photo 1 is not a JPEG, PNG or WebP image`, ""},
		{"six photos", complaint(tok), []upload{{"1.jpg", jpegBytes}, {"2.jpg", jpegBytes}, {"3.jpg", jpegBytes}, {"4.jpg", jpegBytes}, {"5.jpg", jpegBytes}, {"6.jpg", jpegBytes}}, 400, `id="photos-error">最多上传5张照片`, `id="photos-error">At most 5 photos may be attached`, ""},
		{"a photo over 5 MB", complaint(tok), []upload{{"big.jpg", append(append([]byte{}, jpegBytes...), make([]byte, 5<<20)...)}}, 400, `id="photos-error">第1张照片超过5MB`, `id="photos-error">Photo 1 is larger than 5 MB`, ""},
		{"forged token", complaint(tok + "x"), nil, 400, "表单已过期", "The form expired", ""},
		{"body over the limit", complaint(tok), []upload{{"1.jpg", make([]byte, 5<<20)}, {"2.jpg", make([]byte, 5<<20)}, {"3.jpg", make([]byte, 5<<20)}, {"4.jpg", make([]byte, 5<<20)}, {"5.jpg", make([]byte, 5<<20)}, {"6.jpg", make([]byte, 2<<20)}}, 413, "上传内容过大", "The upload is too large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, lang := range []string{"zh", "en"} {
				code, body := e.postMultipartLang("/complain", lang, c.form, c.files)
				want := c.zh
				if lang == "en" {
					want = c.en
				}
				if code != c.status || !strings.Contains(body, want) {
					t.Fatalf("%s: status %d (want %d), want %q in\n%s", lang, code, c.status, want, body)
				}
				if c.status != 400 {
					continue
				}
				if !strings.Contains(body, `name="token"`) {
					t.Fatalf("%s: the form comes back without a token", lang)
				}
				for _, f := range []string{"address", "name", "phone", "email"} {
					if v := c.form.Get(f); v != "" && !regexp.MustCompile(`name="`+f+`"[^>]* value="`+regexp.QuoteMeta(html.EscapeString(v))+`"`).MatchString(body) {
						t.Errorf("%s: the %s typed (%q) is lost", lang, f, v)
					}
				}
				if d := c.form.Get("description"); strings.TrimSpace(d) != "" && d != long && !strings.Contains(body, ">"+html.EscapeString(d)+"</textarea>") {
					t.Errorf("%s: the description typed is lost", lang)
				}
				if cat := c.form.Get("category"); cat != "" && cat != "dragons" && !strings.Contains(body, `<option value="`+cat+`" selected>`) {
					t.Errorf("%s: the category chosen is lost", lang)
				}
				if c.keptAttr != "" && !strings.Contains(body, c.keptAttr) {
					t.Errorf("%s: the answer %s is lost", lang, c.keptAttr)
				}
				if lang == "en" && strings.Contains(body, "此项为必填项") {
					t.Errorf("Chinese errors on the English page")
				}
			}
		})
	}
	// Whatever the problem, it is marked on its own field: a question's error is never the
	// description's.
	_, body := e.postMultipart("/complain", noise("attribute[noise_time]", ""), nil)
	if strings.Contains(body, `id="description-error"`) || !strings.Contains(body, `aria-describedby="attr-noise_time-error"`) {
		t.Fatalf("the missing answer is not marked on its question:\n%s", body)
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
	code, _, body = e.postForm("/track/rate", url.Values{"access": {access}, "rating": {"dissatisfied"}, "contacted": {"yes"}, "solved": {"partly"}})
	if code != 400 || !strings.Contains(body, `id="comment-error"`) || !strings.Contains(body, `id="rating-dissatisfied" checked`) {
		t.Fatalf("不满意 without a reason: %d\n%s", code, body)
	}
	code, _, body = e.postForm("/track/rate", url.Values{"access": {"forged"}, "rating": {"satisfied"}, "contacted": {"yes"}, "solved": {"solved"}})
	if code != 404 || !strings.Contains(body, "页面已过期") {
		t.Fatalf("forged access: %d\n%s", code, body)
	}
	code, _, body = e.postForm("/track/rate", url.Values{"access": {access}, "rating": {"dissatisfied"}, "contacted": {"no"}, "solved": {"partly"}, "comment": {"坑还在 <b>没修</b>"}})
	if code != 200 || !strings.Contains(body, "已为您退回重办") || !strings.Contains(body, `data-status="dispatched"`) ||
		!strings.Contains(body, `市民评价：<span translate="no">不满意：坑还在 &lt;b&gt;没修&lt;/b&gt;</span>`) || strings.Contains(body, `id="rate-form"`) {
		t.Fatalf("不满意: %d\n%s", code, body)
	}
	tk, _ := e.tickets.Get(ctx, no)
	if tk.Status != tickets.StatusDispatched || tk.ReopenCount != 1 {
		t.Fatalf("ticket %s reopen=%d", tk.Status, tk.ReopenCount)
	}
	code, _, body = e.postForm("/track/rate", url.Values{"access": {access}, "rating": {"satisfied"}, "contacted": {"yes"}, "solved": {"solved"}})
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

// adminJSON sends a JSON body to the staff API as the demo administrator.
func (e *intakeEnv) adminJSON(path string, body any) (int, string) {
	e.t.Helper()
	send := func(path, token string, body any) (int, string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", e.ts.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	code, out := send("/api/v1/tokens", "", map[string]string{"username": "admin", "password": "demo-admin"})
	var tok struct{ Token string }
	if code != 200 || json.Unmarshal([]byte(out), &tok) != nil {
		e.t.Fatalf("admin token: %d %s", code, out)
	}
	return send(path, tok.Token, body)
}

// parkAttributes ask one question of every Open311 datatype.
const parkAttributes = `[
 {"code": "facility", "datatype": "singlevaluelist", "variable": true, "required": true, "order": 1, "description": "损坏的设施 Which facility?",
  "values": [{"key": "bench", "name": "长椅"}, {"key": "lamp", "name": "路灯"}]},
 {"code": "damage", "datatype": "multivaluelist", "variable": true, "required": true, "order": 2, "description": "损坏情况 What is damaged?",
  "values": [{"key": "broken", "name": "断裂"}, {"key": "rust", "name": "锈蚀"}, {"key": "graffiti", "name": "涂鸦"}]},
 {"code": "details", "datatype": "text", "variable": true, "required": false, "order": 3, "description": "补充说明 Anything else?"},
 {"code": "count", "datatype": "number", "variable": true, "required": true, "order": 4, "description": "损坏数量 How many?", "datatype_description": "1–100"},
 {"code": "seen_at", "datatype": "datetime", "variable": true, "required": false, "order": 5, "description": "发现时间 When did you see it?"},
 {"code": "park", "datatype": "string", "variable": true, "required": false, "order": 6, "description": "公园名称 Which park?"},
 {"code": "note", "datatype": "string", "variable": false, "order": 7, "description": "紧急险情请拨打119 In danger call 119"}
]`

// A category an administrator adds while the hotline runs is offered on the form at once,
// with every kind of question it asks (required ones marked) and its address marked required,
// and a complaint in it is accepted with the answers; without a script the category is chosen
// first and the form comes back with its questions and what was typed.
func TestComplainCategoryQuestions(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits, demotest.Staff("admin"))
	if _, _, body := e.get("/complain"); strings.Contains(body, "park-bench") {
		t.Fatal("the category exists before it is added")
	}
	if code, out := e.adminJSON("/api/v1/admin/categories", map[string]any{"code": "park-bench", "name_zh": "公园设施损坏", "name_en": "Park facilities",
		"ticket_type": "complaint", "profile": "standard", "parent": "eco-environment", "active": true}); code != 200 {
		t.Fatalf("add category: %d %s", code, out)
	}
	if code, out := e.adminJSON("/api/v1/admin/services", map[string]any{"code": "park-bench", "location_required": true, "attributes": parkAttributes}); code != 200 {
		t.Fatalf("set its questions: %d %s", code, out)
	}

	code, _, page := e.get("/complain?category=park-bench")
	if code != 200 {
		t.Fatalf("form: %d", code)
	}
	for _, want := range []string{
		`<option value="park-bench" selected>公园设施损坏</option>`,
		`<label for="attr-facility">损坏的设施 Which facility? <span class="req">*</span></label>`,
		`<select id="attr-facility" name="attribute[facility]" data-type="singlevaluelist" required>`,
		`<option value="bench">长椅</option>`,
		`<fieldset id="attr-damage" data-type="multivaluelist">`,
		`<legend>损坏情况 What is damaged? <span class="req">*</span></legend>`,
		`<input type="checkbox" id="attr-damage-1" name="attribute[damage]" value="rust">`,
		`<label for="attr-details">补充说明 Anything else?</label>`,
		`<textarea id="attr-details" name="attribute[details]" data-type="text"`,
		`<input id="attr-count" name="attribute[count]" data-type="number" value="" type="number" step="any" inputmode="decimal" required>`,
		`<p class="hint">1–100</p>`,
		`<input id="attr-seen_at" name="attribute[seen_at]" data-type="datetime" value="" type="datetime-local">`,
		`<input id="attr-park" name="attribute[park]" data-type="string" value="" maxlength="1000">`,
		`<p class="hint" id="attr-note">紧急险情请拨打119 In danger call 119</p>`,
		`<div id="category-fields" data-location-required="true">`,
		`<span id="address-required"> *</span>`,
		`autocomplete="street-address" required>`,
		`<script src="/public/static/complain.js" defer></script>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if t.Failed() {
		t.Fatal(page)
	}
	// The script's fragment: the same questions alone, and a category without an address.
	if code, h, frag := e.get("/complain/fields?category=park-bench"); code != 200 || !strings.HasPrefix(strings.TrimSpace(frag), `<div id="category-fields" data-location-required="true">`) ||
		!strings.Contains(frag, `name="attribute[damage]"`) || strings.Contains(frag, "<html") || h.Get("Content-Security-Policy") == "" {
		t.Fatalf("fragment: %d\n%s", code, frag)
	}
	if _, _, frag := e.get("/complain/fields?category=wage-arrears"); !strings.Contains(frag, `data-location-required="false"`) || strings.Contains(frag, "attribute[facility]") {
		t.Fatalf("wage arrears fragment:\n%s", frag)
	}
	if _, _, page := e.get("/complain?category=wage-arrears"); !strings.Contains(page, `<span id="address-required" hidden> *</span>`) || strings.Contains(page, `autocomplete="street-address" required`) {
		t.Fatal("an address is marked required for wage arrears")
	}
	if code, _, js := e.get("/public/static/complain.js"); code != 200 || !strings.Contains(js, "/complain/fields?category=") {
		t.Fatalf("complain.js: %d", code)
	}

	// Without a script: choose the category, get its questions back with what was typed.
	tok := e.formToken()
	code, page = e.postMultipart("/complain", complaint(tok, "category", "noise", "step", "category", "consent", ""), nil)
	if code != 200 || !strings.Contains(page, `<select id="attr-noise_time" name="attribute[noise_time]" data-type="singlevaluelist" required>`) ||
		!strings.Contains(page, "路面塌陷 &lt;深坑&gt; &amp; “危险”</textarea>") || strings.Contains(page, `class="error"`) {
		t.Fatalf("category step: %d\n%s", code, page)
	}

	// A required question left unanswered is marked on its own control; answers are kept.
	form := complaint(tok, "category", "park-bench", "attribute[facility]", "bench", "attribute[count]", "2", "attribute[seen_at]", "2026-11-15T21:30", "attribute[park]", "人民公园")
	code, page = e.postMultipart("/complain", form, nil)
	if code != 400 || !strings.Contains(page, `<fieldset id="attr-damage" data-type="multivaluelist" aria-describedby="attr-damage-error">`) ||
		!strings.Contains(page, `<p class="error" id="attr-damage-error">请回答此项</p>`) || !strings.Contains(page, `<option value="bench" selected>长椅</option>`) ||
		!strings.Contains(page, `value="2026-11-15T21:30" type="datetime-local"`) || !strings.Contains(page, `value="人民公园"`) {
		t.Fatalf("missing answer: %d\n%s", code, page)
	}
	form["attribute[damage]"] = []string{"broken", "graffiti"}
	code, page = e.postMultipart("/complain", form, nil)
	m := numberInPageRE.FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("complaint in the new category: %d\n%s", code, page)
	}
	var attrs map[string]any
	var raw []byte
	if err := e.db.NewRaw("SELECT s.attributes FROM intake_submissions s JOIN tickets t ON t.id = s.ticket_id WHERE t.number = ?", m[1]).Scan(context.Background(), &raw); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &attrs)
	want := map[string]any{"facility": "bench", "damage": []any{"broken", "graffiti"}, "count": 2.0, "seen_at": "2026-11-15T21:30:00+08:00", "park": "人民公园"}
	if diff := cmp.Diff(want, attrs); diff != "" {
		t.Fatalf("answers stored (-want +got):\n%s", diff)
	}
}

// An administrator cannot give a category a question the form could not ask.
func TestAdminServiceQuestionsChecked(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits, demotest.Staff("admin"))
	for name, attrs := range map[string]string{
		"not JSON":              `[{"code": "x"`,
		"unknown datatype":      `[{"code": "x", "datatype": "colour", "variable": true, "description": "颜色"}]`,
		"a list without values": `[{"code": "x", "datatype": "singlevaluelist", "variable": true, "description": "哪个"}]`,
		"a code used twice": `[{"code": "x", "datatype": "string", "variable": true, "description": "一"},
			{"code": "x", "datatype": "string", "variable": true, "description": "二"}]`,
		"no question": `[{"code": "x", "datatype": "string", "variable": true, "description": " "}]`,
	} {
		code, out := e.adminJSON("/api/v1/admin/services", map[string]any{"code": "noise", "attributes": attrs})
		if code != 400 || !strings.Contains(out, `"field":"attributes"`) {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	if code, out := e.adminJSON("/api/v1/admin/services", map[string]any{"code": "dragons"}); code != 400 || !strings.Contains(out, `"field":"code"`) {
		t.Errorf("unknown category: %d %s", code, out)
	}
	if _, _, page := e.get("/complain?category=noise"); !strings.Contains(page, `name="attribute[noise_time]"`) {
		t.Error("a refused change altered the questions")
	}
}
