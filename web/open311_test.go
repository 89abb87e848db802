package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/intake"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Contract tests of the Open311 GeoReport v2 API, written from the spec: every method, in both
// formats, and every error with its status and the spec's error form.

var formats = []string{"json", "xml"}

func decode311(t *testing.T, format, body string, jsonDst, xmlDst any) {
	t.Helper()
	var err error
	if format == "json" {
		err = json.Unmarshal([]byte(body), jsonDst)
	} else {
		if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
			t.Fatalf("XML without its declaration: %.80q", body)
		}
		err = xml.Unmarshal([]byte(body), xmlDst)
	}
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", format, err, body)
	}
}

func requests311(t *testing.T, format, body string) []intake.Request {
	t.Helper()
	var js []intake.Request
	var x intake.RequestList
	decode311(t, format, body, &js, &x)
	if format == "xml" {
		return x.Requests
	}
	return js
}

func errors311(t *testing.T, format, body string) []intake.Error {
	t.Helper()
	var js []intake.Error
	var x intake.ErrorList
	decode311(t, format, body, &js, &x)
	if format == "xml" {
		return x.Errors
	}
	return js
}

func created311(t *testing.T, format, body string) []intake.Created {
	t.Helper()
	var js []intake.Created
	var x intake.CreatedList
	decode311(t, format, body, &js, &x)
	if format == "xml" {
		return x.Requests
	}
	return js
}

func wantContentType(t *testing.T, h http.Header, format string) {
	t.Helper()
	want := map[string]string{"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}[format]
	if got := h.Get("Content-Type"); got != want {
		t.Fatalf("Content-Type = %q, want %q", got, want)
	}
}

// wantError checks an error answer: the status, the spec's form, and a description naming what.
func wantError(t *testing.T, format string, status int, h http.Header, body string, gotStatus int, mentions string) {
	t.Helper()
	if gotStatus != status {
		t.Fatalf("status = %d, want %d: %s", gotStatus, status, body)
	}
	wantContentType(t, h, format)
	errs := errors311(t, format, body)
	if len(errs) == 0 {
		t.Fatalf("no errors in %s", body)
	}
	for _, e := range errs {
		if e.Code != status || e.Description == "" {
			t.Fatalf("error entry %+v, want code %d and a description", e, status)
		}
	}
	all := fmt.Sprint(errs)
	if !strings.Contains(all, mentions) {
		t.Fatalf("errors %s do not mention %q", all, mentions)
	}
}

var numberRE = regexp.MustCompile(`^\d{8}-\d{6}$`)

func validPost(extra ...string) url.Values {
	v := url.Values{
		"api_key": {demo.Open311Key}, "jurisdiction_id": {"city.gov.cn"}, "service_code": {"road-damage"},
		"lat": {"39.9489"}, "long": {"116.4074"}, "address_string": {"东城区安定门大街1号"},
		"description": {"路面塌陷一个大坑"}, "first_name": {"三"}, "last_name": {"张"}, "phone": {"13800138000"},
		"email": {"zhang@example.cn"}, "device_id": {"dev-1"}, "account_id": {"acc-9"},
		"media_url": {"https://img.example.cn/1.jpg"}, "attribute[damage_size]": {"large"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return v
}

func TestOpen311Discovery(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			code, h, body := e.get("/open311/v2/discovery." + f)
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			wantContentType(t, h, f)
			var d intake.Discovery
			decode311(t, f, body, &d, &d)
			if d.Changeset == "" || d.Contact == "" || d.KeyService == "" || len(d.Endpoints) != 1 {
				t.Fatalf("discovery lacks required fields: %+v", d)
			}
			ep := d.Endpoints[0]
			if ep.Specification != "http://wiki.open311.org/GeoReport_v2" || ep.URL != e.ts.URL+"/open311/v2" || ep.Type != "production" ||
				strings.Join(ep.Formats, ",") != "text/xml,application/json" {
				t.Fatalf("endpoint %+v", ep)
			}
		})
	}
}

func TestOpen311Services(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			code, h, body := e.get("/open311/v2/services." + f + "?jurisdiction_id=city.gov.cn")
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			wantContentType(t, h, f)
			var js []intake.ServiceEntry
			var x intake.ServiceList
			decode311(t, f, body, &js, &x)
			if f == "xml" {
				js = x.Services
			}
			byCode := map[string]intake.ServiceEntry{}
			for _, s := range js {
				byCode[s.Code] = s
			}
			if len(js) < 30 {
				t.Fatalf("%d services, want every leaf category", len(js))
			}
			noise, ok := byCode["noise"]
			if !ok || noise.Name != "噪声扰民" || noise.Group != "生态环境" || !noise.Metadata || noise.Type != "realtime" {
				t.Fatalf("noise = %+v", noise)
			}
			if s := byCode["taxi"]; s.Metadata {
				t.Fatalf("taxi has no attributes but metadata=true")
			}
			if _, ok := byCode["eco-environment"]; ok {
				t.Fatal("a category with children is listed as a service")
			}
		})
	}
}

func TestOpen311ServiceDefinition(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			code, h, body := e.get("/open311/v2/services/noise." + f)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			wantContentType(t, h, f)
			var d intake.ServiceDefinition
			decode311(t, f, body, &d, &d)
			if d.Code != "noise" || len(d.Attributes) != 1 {
				t.Fatalf("definition %+v", d)
			}
			a := d.Attributes[0]
			if a.Code != "noise_time" || a.Datatype != "singlevaluelist" || !a.Required || !a.Variable || a.Order != 1 ||
				len(a.Values) != 2 || a.Values[0].Key != "day" || a.Values[1].Key != "night" {
				t.Fatalf("attribute %+v", a)
			}
			code, _, body = e.get("/open311/v2/services/taxi." + f)
			d = intake.ServiceDefinition{}
			decode311(t, f, body, &d, &d)
			if code != 200 || d.Code != "taxi" || len(d.Attributes) != 0 {
				t.Fatalf("taxi: %d %+v", code, d)
			}
			if f == "json" && !strings.Contains(body, `"attributes":[]`) {
				t.Fatalf("no attributes should be an empty array: %s", body)
			}
			code, h, body = e.get("/open311/v2/services/no-such-service." + f)
			wantError(t, f, 404, h, body, code, "no-such-service")
		})
	}
	code, h, body := e.get("/open311/v2/services/noise.csv")
	wantError(t, "json", 400, h, body, code, "format")
}

func TestOpen311PostCreatesTicket(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			code, h, body := e.postForm("/open311/v2/requests."+f, validPost())
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			wantContentType(t, h, f)
			cs := created311(t, f, body)
			if len(cs) != 1 || !numberRE.MatchString(cs[0].ID) || cs[0].ServiceNotice == "" || cs[0].AccountID == nil || *cs[0].AccountID != "acc-9" {
				t.Fatalf("created %+v", cs)
			}
			tk, err := e.tickets.Get(ctx, cs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Channel != "open311" || tk.Category.Code != "road-damage" || tk.CallerName != "张三" || tk.CallerPhone != "13800138000" ||
				tk.CallerEmail != "zhang@example.cn" || tk.Lat == nil || *tk.Lat != 39.9489 || tk.Status != tickets.StatusRegistered {
				t.Fatalf("ticket %+v", tk)
			}
			evs, err := e.tickets.Events(ctx, tk.ID, true)
			if err != nil || len(evs) != 1 || evs[0].Kind != "register" || evs[0].ActorRole != "citizen" ||
				!strings.Contains(string(evs[0].Data), demo.Open311Organisation) || !strings.Contains(string(evs[0].Data), `"damage_size": "large"`) {
				t.Fatalf("events %v %+v", err, evs)
			}
			var org, media string
			if err := e.db.QueryRowContext(ctx, `SELECT o.name, s.media_url FROM intake_submissions s JOIN intake_organisations o ON o.id = s.organisation_id
				WHERE s.ticket_id = ?`, tk.ID).Scan(&org, &media); err != nil || org != demo.Open311Organisation || media != "https://img.example.cn/1.jpg" {
				t.Fatalf("submission: %v %q %q", err, org, media)
			}
		})
	}
	t.Run("without location for a service that needs none", func(t *testing.T) {
		code, _, body := e.postForm("/open311/v2/requests.json", validPost("service_code", "wage-arrears", "lat", "", "long", "", "address_string", "", "attribute[damage_size]", ""))
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
	})
	t.Run("without description", func(t *testing.T) {
		code, _, body := e.postForm("/open311/v2/requests.json", validPost("description", ""))
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		cs := created311(t, "json", body)
		tk, _ := e.tickets.Get(ctx, cs[0].ID)
		if tk.Description != "道路破损" {
			t.Fatalf("description = %q, want the service's name", tk.Description)
		}
	})
	t.Run("api_key in a multipart body", func(t *testing.T) {
		// Some clients send multipart forms; the fields are the same.
		var b strings.Builder
		b.WriteString("--X\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n" + demo.Open311Key + "\r\n")
		b.WriteString("--X\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\ntaxi\r\n")
		b.WriteString("--X\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n司机绕路\r\n--X--\r\n")
		resp, err := http.Post(e.ts.URL+"/open311/v2/requests.json", "multipart/form-data; boundary=X", strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestOpen311PostErrors(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	revokedText, revoked, err := e.svc.IssueKey(ctx, "已停用平台", "old", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("路", intake.MaxDescription+1)
	cases := []struct {
		name     string
		form     url.Values
		status   int
		mentions string
	}{
		{"missing api_key", validPost("api_key", ""), 403, "api_key"},
		{"unknown api_key", validPost("api_key", "not-a-key"), 403, "api_key"},
		{"revoked api_key", validPost("api_key", revokedText), 403, "api_key"},
		{"description too long", validPost("description", long), 400, "description"},
		{"description with a control character", validPost("description", "坑\x07"), 400, "description"},
		{"latitude out of range", validPost("lat", "91"), 400, "lat"},
		{"longitude out of range", validPost("long", "-180.5"), 400, "long"},
		{"latitude not a number", validPost("lat", "north"), 400, "lat"},
		{"latitude without longitude", validPost("long", ""), 400, "long"},
		{"unknown service_code", validPost("service_code", "dragons"), 400, "service_code"},
		{"missing service_code", validPost("service_code", ""), 400, "service_code"},
		{"missing location", validPost("lat", "", "long", "", "address_string", ""), 400, "location"},
		{"malformed phone", validPost("phone", "12345"), 400, "phone"},
		{"malformed e-mail", validPost("email", "zhang@"), 400, "email"},
		{"e-mail with a display name", validPost("email", "Zhang <zhang@example.cn>"), 400, "email"},
		{"missing required attribute", validPost("service_code", "noise", "attribute[damage_size]", ""), 400, "attribute[noise_time]"},
		{"attribute value not in the list", validPost("attribute[damage_size]", "huge"), 400, "attribute[damage_size]"},
		{"attribute of another service", validPost("attribute[noise_time]", "day"), 400, "attribute[noise_time]"},
		{"number attribute not a number", validPost("attribute[lanes_blocked]", "two"), 400, "attribute[lanes_blocked]"},
		{"media_url not a URL", validPost("media_url", "javascript:alert(1)"), 400, "media_url"},
		{"invalid UTF-8", validPost("description", "\xff\xfe坑"), 400, "description"},
	}
	before := countTickets(t, e)
	for _, f := range formats {
		for _, c := range cases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				code, h, body := e.postForm("/open311/v2/requests."+f, c.form)
				wantError(t, f, c.status, h, body, code, c.mentions)
			})
		}
		t.Run(f+"/several bad fields at once", func(t *testing.T) {
			code, h, body := e.postForm("/open311/v2/requests."+f, validPost("phone", "1", "email", "x", "lat", "100"))
			wantError(t, f, 400, h, body, code, "phone")
			if errs := errors311(t, f, body); len(errs) != 3 {
				t.Fatalf("want one error per field, got %+v", errs)
			}
		})
		t.Run(f+"/body too large", func(t *testing.T) {
			code, h, body := e.postForm("/open311/v2/requests."+f, validPost("description", strings.Repeat("x", 300<<10)))
			wantError(t, f, 400, h, body, code, "larger")
		})
		t.Run(f+"/unknown resource", func(t *testing.T) {
			code, h, body := e.postForm("/open311/v2/services."+f, validPost())
			wantError(t, f, 404, h, body, code, "services")
		})
	}
	if after := countTickets(t, e); after != before {
		t.Fatalf("bad requests created %d tickets", after-before)
	}
}

func countTickets(t *testing.T, e *intakeEnv) int {
	t.Helper()
	n, err := e.db.NewSelect().Table("tickets").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestOpen311KeyRateLimit(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	text, _, err := e.svc.IssueKey(context.Background(), "限速平台", "", 60, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range formats {
		t.Run(f, func(t *testing.T) {
			e.clk.Advance(time.Hour) // a full bucket
			for i := 0; i < 2; i++ {
				if code, _, body := e.postForm("/open311/v2/requests."+f, validPost("api_key", text)); code != 200 {
					t.Fatalf("request %d within the burst: %d %s", i, code, body)
				}
			}
			code, h, body := e.postForm("/open311/v2/requests."+f, validPost("api_key", text))
			wantError(t, f, 403, h, body, code, "rate limit")
			if h.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
			// The demo key has no limit and is not slowed by another key's use.
			if code, _, body := e.postForm("/open311/v2/requests."+f, validPost()); code != 200 {
				t.Fatalf("demo key: %d %s", code, body)
			}
			e.clk.Advance(time.Second)
			if code, _, body := e.postForm("/open311/v2/requests."+f, validPost("api_key", text)); code != 200 {
				t.Fatalf("after a second (one per second): %d %s", code, body)
			}
		})
	}
}

func post311(t *testing.T, e *intakeEnv, form url.Values) string {
	t.Helper()
	code, _, body := e.postForm("/open311/v2/requests.json", form)
	if code != 200 {
		t.Fatalf("post: %d %s", code, body)
	}
	return created311(t, "json", body)[0].ID
}

func TestOpen311GetRequest(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	no := post311(t, e, validPost())
	for _, f := range formats {
		t.Run(f+"/registered", func(t *testing.T) {
			code, h, body := e.get("/open311/v2/requests/" + no + "." + f + "?jurisdiction_id=city.gov.cn")
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			wantContentType(t, h, f)
			rs := requests311(t, f, body)
			if len(rs) != 1 {
				t.Fatalf("%d requests", len(rs))
			}
			r := rs[0]
			if r.ID != no || r.Status != "open" || r.ServiceCode != "road-damage" || r.ServiceName != "道路破损" ||
				r.AgencyResponsible != "" || r.Expected != nil || r.StatusNotes != "已受理" || r.Address != "东城区安定门大街" ||
				r.Lat == nil || *r.Lat != 39.949 || r.Long == nil || *r.Long != 116.407 || r.MediaURL != "https://img.example.cn/1.jpg" ||
				r.Requested != "2026-11-16T10:00:00+08:00" || r.Updated != "2026-11-16T10:00:00+08:00" {
				t.Fatalf("request %+v", r)
			}
			if strings.Contains(body, "13800138000") || strings.Contains(body, "zhang@example.cn") {
				t.Fatal("the public answer shows the citizen's phone or e-mail")
			}
		})
	}
	tk, err := e.tickets.Dispatch(ctx, e.agent, no, tickets.DispatchInput{Department: "urban"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range formats {
		t.Run(f+"/dispatched", func(t *testing.T) {
			_, _, body := e.get("/open311/v2/requests/" + no + "." + f)
			r := requests311(t, f, body)[0]
			if r.Status != "open" || r.AgencyResponsible != "城市管理局" || r.Expected == nil ||
				*r.Expected != tk.ResolveDue.In(intakeZone).Format(time.RFC3339) || r.StatusNotes != "已派单至城市管理局" {
				t.Fatalf("request %+v", r)
			}
		})
	}
	e.resolve2(no, "urban")
	if _, err := e.tickets.Close(ctx, e.agent, no, tickets.ActInput{Text: "回访满意，结案"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range formats {
		t.Run(f+"/closed", func(t *testing.T) {
			_, _, body := e.get("/open311/v2/requests/" + no + "." + f)
			r := requests311(t, f, body)[0]
			if r.Status != "closed" || r.StatusNotes != "回访满意，结案" {
				t.Fatalf("request %+v", r)
			}
		})
		t.Run(f+"/unknown", func(t *testing.T) {
			code, h, body := e.get("/open311/v2/requests/20261116-999999." + f)
			wantError(t, f, 404, h, body, code, "20261116-999999")
		})
		t.Run(f+"/a phone ticket is not published", func(t *testing.T) {
			ph, err := e.tickets.Register(ctx, e.agent, tickets.RegisterInput{Channel: "phone", Category: "noise", Description: "隐私", CallerPhone: "13900139000"})
			if err != nil {
				t.Fatal(err)
			}
			code, h, body := e.get("/open311/v2/requests/" + ph.Number + "." + f)
			wantError(t, f, 404, h, body, code, ph.Number)
		})
		t.Run(f+"/token", func(t *testing.T) {
			code, h, body := e.get("/open311/v2/tokens/123." + f)
			wantError(t, f, 404, h, body, code, "token")
		})
	}
}

// resolve2 takes a dispatched ticket through acceptance to resolution.
func (e *intakeEnv) resolve2(number, dept string) {
	e.t.Helper()
	ctx := context.Background()
	d, err := e.tickets.Get(ctx, number)
	if err != nil {
		e.t.Fatal(err)
	}
	h := tickets.Actor{Name: "handler", Role: org.RoleHandler, DepartmentID: *d.DepartmentID}
	if _, err := e.tickets.Accept(ctx, h, number, tickets.ActInput{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.tickets.Resolve(ctx, h, number, tickets.ActInput{Text: "已修复"}); err != nil {
		e.t.Fatal(err)
	}
}

func TestOpen311GetRequestsFilters(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	old := post311(t, e, validPost("service_code", "taxi", "attribute[damage_size]", ""))
	e.clk.Advance(100 * 24 * time.Hour) // 2027-02-24
	a := post311(t, e, validPost())
	b := post311(t, e, validPost("service_code", "taxi", "attribute[damage_size]", ""))
	c := post311(t, e, validPost())
	e.tickets.Dispatch(ctx, e.agent, c, tickets.DispatchInput{Department: "urban"})
	e.resolve2(c, "urban")
	if _, err := e.tickets.Close(ctx, e.agent, c, tickets.ActInput{}); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []intake.Request) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		name, query, want string
	}{
		{"default: the last 90 days, newest first", "", c + "," + b + "," + a},
		{"ids override every filter", "?service_request_id=" + old + "," + a + "&status=closed", a + "," + old},
		{"service_code", "?service_code=taxi", b},
		{"several service codes", "?service_code=taxi,road-damage", c + "," + b + "," + a},
		{"status open", "?status=open", b + "," + a},
		{"status closed", "?status=closed", c},
		{"status open and closed", "?status=open,closed", c + "," + b + "," + a},
		{"a range with the old one", "?start_date=2026-11-01T00:00:00Z&end_date=2026-12-01T00:00:00%2B08:00", old},
		{"start only: 90 days from it", "?start_date=2026-11-16T00:00:00Z", old},
		{"end only: 90 days up to it", "?end_date=2026-11-17T00:00:00Z", old},
	}
	for _, f := range formats {
		for _, tc := range cases {
			t.Run(f+"/"+tc.name, func(t *testing.T) {
				code, h, body := e.get("/open311/v2/requests." + f + tc.query)
				if code != 200 {
					t.Fatalf("status %d: %s", code, body)
				}
				wantContentType(t, h, f)
				if got := ids(requests311(t, f, body)); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
		for _, bad := range []struct{ query, mentions string }{
			{"?start_date=yesterday", "start_date"},
			{"?end_date=2026-11-17", "end_date"},
			{"?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"},
			{"?start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "before"},
			{"?status=pending", "status"},
		} {
			t.Run(f+"/bad "+bad.query, func(t *testing.T) {
				code, h, body := e.get("/open311/v2/requests." + f + bad.query)
				wantError(t, f, 400, h, body, code, bad.mentions)
			})
		}
	}
	t.Run("empty list", func(t *testing.T) {
		code, _, body := e.get("/open311/v2/requests.json?service_code=heating")
		if code != 200 || strings.TrimSpace(body) != "[]" {
			t.Fatalf("%d %s", code, body)
		}
		_, _, body = e.get("/open311/v2/requests.xml?service_code=heating")
		if !strings.Contains(body, "<service_requests></service_requests>") {
			t.Fatalf("%s", body)
		}
	})
}

func TestOpen311AtMost1000Requests(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	first := post311(t, e, validPost())
	// 1,005 more Open311 tickets straight in SQL: the limit is about the answer, not the path in.
	_, err := e.db.ExecContext(ctx, `WITH t AS (
		INSERT INTO tickets (number, type, channel, status, description, profile_code, created_at, updated_at)
		SELECT 'B-' || g, 'complaint', 'open311', 'registered', 'bulk', 'standard', ?::timestamptz + g * interval '1 second', ?::timestamptz
		FROM generate_series(1, 1005) g RETURNING id, created_at)
		INSERT INTO intake_submissions (ticket_id, channel, created_at) SELECT id, 'open311', created_at FROM t`, e.clk.Now(), e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	for _, f := range formats {
		_, _, body := e.get("/open311/v2/requests." + f)
		rs := requests311(t, f, body)
		if len(rs) != 1000 || rs[0].ID != "B-1005" {
			t.Fatalf("%s: %d requests, first %s", f, len(rs), rs[0].ID)
		}
		for _, r := range rs {
			if r.ID == first {
				t.Fatal("the oldest should be past the limit")
			}
		}
	}
}

// GET requests is public: what citizens typed about themselves is masked, the address is the
// street's and the point is rounded, in both formats and in the list as in the single request.
func TestOpen311PublishesNoPersonalData(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	no := post311(t, e, validPost("description", "楼下烧烤扰民，请联系我13912345678或zhang.san@example.cn，身份证110101199003071234，车牌京A·12345天天停在门口",
		"address_string", "东城区安定门大街1号院3号楼2单元501", "lat", "39.948912", "long", "116.407433"))
	for _, f := range formats {
		for _, path := range []string{"/open311/v2/requests/" + no + "." + f, "/open311/v2/requests." + f} {
			_, _, body := e.get(path)
			for _, secret := range []string{"13912345678", "zhang.san", "110101199003071234", "12345天天", "3号楼", "501", "39.948912", "116.407433"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s publishes %q:\n%s", path, secret, body)
				}
			}
			for _, kept := range []string{"楼下烧烤扰民", "139****5678", "东城区安定门大街"} {
				if !strings.Contains(body, kept) {
					t.Errorf("%s lacks %q:\n%s", path, kept, body)
				}
			}
		}
	}
}

func TestOpen311TextRoundTrips(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	texts := []string{
		`<script>alert("x")</script> & <b>bold</b> 'single' "double"`,
		"噪声扰民😡🚧，凌晨两点还在施工！\n第二行\t制表符",
		"]]> <![CDATA[ x ]]> &amp; &lt; \\ / \u2028 \u00a0 𠮷",
	}
	for i, text := range texts {
		// The address is a street's (a street word, no house number), which is published whole.
		street := text[:strings.IndexByte(text+"\n", '\n')] + "路"
		no := post311(t, e, validPost("description", text, "address_string", street, "first_name", "", "last_name", ""))
		for _, f := range formats {
			t.Run(fmt.Sprintf("%d/%s", i, f), func(t *testing.T) {
				_, _, body := e.get("/open311/v2/requests/" + no + "." + f)
				r := requests311(t, f, body)[0]
				if r.Description != text {
					t.Fatalf("description came back as %q, want %q", r.Description, text)
				}
				if want := street; r.Address != want {
					t.Fatalf("address came back as %q, want %q", r.Address, want)
				}
			})
		}
	}
}

func TestOpen311ConcurrentPosts(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	const n = 200
	numbers := make([]string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			form := validPost("description", fmt.Sprintf("并发诉求 %d", i))
			resp, err := http.Post(e.ts.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var cs []intake.Created
			if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil || resp.StatusCode != 200 || len(cs) != 1 {
				errs <- fmt.Errorf("post %d: status %d, %v", i, resp.StatusCode, err)
				return
			}
			numbers[i] = cs[0].ID
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, no := range numbers {
		if seen[no] {
			t.Fatalf("number %s given twice", no)
		}
		seen[no] = true
		code, _, body := e.get("/open311/v2/requests/" + no + ".json")
		if code != 200 {
			t.Fatalf("%s: %d", no, code)
		}
		if r := requests311(t, "json", body)[0]; r.Description != fmt.Sprintf("并发诉求 %d", i) {
			t.Fatalf("%s has description %q", no, r.Description)
		}
	}
	if got := countTickets(t, e); got != n {
		t.Fatalf("%d tickets, want %d", got, n)
	}
}

func TestOpen311IdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	post := func() string {
		req, _ := http.NewRequest("POST", e.ts.URL+"/open311/v2/requests.json", strings.NewReader(validPost().Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", "retry-42")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var cs []intake.Created
		json.NewDecoder(resp.Body).Decode(&cs)
		if resp.StatusCode != 200 || len(cs) != 1 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return cs[0].ID
	}
	if a, b := post(), post(); a != b {
		t.Fatalf("a retried POST made two tickets: %s %s", a, b)
	}
	if got := countTickets(t, e); got != 1 {
		t.Fatalf("%d tickets", got)
	}
	// The key again with another complaint: refused in Open311's error list, nothing written.
	other := validPost()
	other.Set("description", "另一条不同的诉求")
	req, _ := http.NewRequest("POST", e.ts.URL+"/open311/v2/requests.json", strings.NewReader(other.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", "retry-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []intake.Error
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnprocessableEntity || len(list) != 1 || list[0].Code != 422 ||
		!strings.Contains(list[0].Description, "Idempotency-Key") {
		t.Fatalf("a different complaint under a used key: %d %+v, want 422 in Open311's error list", resp.StatusCode, list)
	}
	if got := countTickets(t, e); got != 1 {
		t.Fatalf("%d tickets after the refused reuse, want 1", got)
	}
}
