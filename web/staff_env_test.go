package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/demo"
	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/config"
	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/kb"
	"github.com/hotline-city/hotline/tickets"
)

// staffEnv is a staff web on its own database with the demo directory and accounts, a fixed
// clock, and a real listener.
type staffEnv struct {
	t       *testing.T
	db      *bun.DB
	url     string // the database's URL, for LISTEN connections
	log     *slog.Logger
	srv     *Server
	ts      *httptest.Server
	clock   *clock.Fixed
	tickets *tickets.Service
	org     *org.Store
}

var (
	hashMu    sync.Mutex
	hashCache = map[string]string{}
)

// cachedHash hashes each demo password once per test process: argon2id is slow on purpose.
func cachedHash(t testing.TB, pw string) string {
	hashMu.Lock()
	defer hashMu.Unlock()
	if h, ok := hashCache[pw]; ok {
		return h
	}
	h, err := org.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	hashCache[pw] = h
	return h
}

// testNow is a Monday morning in Shanghai.
var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, mustZone("Asia/Shanghai"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func newStaffEnv(t *testing.T) *staffEnv { return newStaffEnvWith(t, nil) }

// newStaffEnvWith is newStaffEnv with more areas: wire adds them to the server's dependencies
// before the server is built (see withRouting, withIntake).
func newStaffEnvWith(t *testing.T, wire func(e *staffEnv, d *Deps)) *staffEnv {
	t.Helper()
	ctx := context.Background()
	dbURL := testdb.NewURL(t)
	db, err := database.Open(ctx, dbURL, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := demo.SeedDirectory(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := org.NewStore(db)
	for _, a := range demo.Accounts() {
		d, err := st.Department(ctx, a.Department)
		if err != nil {
			t.Fatal(err)
		}
		u := &org.Staff{Username: a.Username, DisplayName: a.Name, Role: a.Role, DepartmentID: d.ID, Active: true,
			PasswordHash: cachedHash(t, a.Password)}
		if err := st.UpsertStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := seedStaffWebForTest(ctx, db); err != nil {
		t.Fatal(err)
	}
	loc := testNow.Location()
	days, err := workcal.Seed()
	if err != nil {
		t.Fatal(err)
	}
	cal := workcal.New(days, loc, workcal.DefaultHours)
	clk := clock.NewFixed(testNow)
	log := slog.New(slog.NewTextHandler(testLogOut, nil))
	svc := tickets.NewService(db, clk, cal, loc, log)
	e := &staffEnv{t: t, db: db, url: dbURL, log: log, clock: clk, tickets: svc, org: st}
	accounts := newAccounts(t, db, clk, log)
	deps := Deps{DB: db, Log: log, Version: "test", Config: &config.Config{Location: loc}, Clock: clk,
		Calendar: cal, Org: st, Tickets: svc, Accounts: accounts, KB: kb.NewService(db, clk, loc)}
	if wire != nil {
		wire(e, &deps)
	}
	e.srv = New(deps)
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	return e
}

// seedStaffWebForTest loads the staff web's demo rows (knowledge articles).
func seedStaffWebForTest(ctx context.Context, db bun.IDB) error { return demo.SeedStaffWeb(ctx, db) }

// resp is a finished response with its body read.
type resp struct {
	Status int
	Header http.Header
	Body   string
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// do sends a request; body may be nil, url.Values (a form) or anything else (JSON).
func (e *staffEnv) do(c *http.Client, method, path string, body any, hdr map[string]string) resp {
	e.t.Helper()
	req := newRequest(e.t, method, e.ts.URL+path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = noRedirect(nil)
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// token logs username in through the API and returns its bearer header.
func (e *staffEnv) token(username string) map[string]string {
	e.t.Helper()
	pw := ""
	for _, a := range demo.Accounts() {
		if a.Username == username {
			pw = a.Password
		}
	}
	r := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": username, "password": pw}, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return map[string]string{"Authorization": "Bearer " + r.json(e.t)["token"].(string)}
}

// browser logs username in through the login page and returns a client holding the session.
func (e *staffEnv) browser(username string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	pw := ""
	for _, a := range demo.Accounts() {
		if a.Username == username {
			pw = a.Password
		}
	}
	r := e.do(c, "POST", "/login", url.Values{"username": {username}, "password": {pw}}, map[string]string{"Origin": e.ts.URL})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return c
}

// register makes a ticket as the dispatcher and dispatches it to dept when dept is not empty.
func (e *staffEnv) register(desc, category, phone, dept string) *tickets.Ticket {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.org.Staff(ctx, "dispatcher")
	if err != nil {
		e.t.Fatal(err)
	}
	actor := tickets.ActorFor(st)
	t, err := e.tickets.Register(ctx, actor, tickets.RegisterInput{Channel: "phone", Category: category,
		Description: desc, CallerPhone: phone, CallerName: "张先生", Address: "东城区安定门内大街1号"})
	if err != nil {
		e.t.Fatal(err)
	}
	if dept != "" {
		if t, err = e.tickets.Dispatch(ctx, actor, t.Number, tickets.DispatchInput{Department: dept}); err != nil {
			e.t.Fatal(err)
		}
	}
	return t
}

// testLogOut is where test servers log; set STAFF_TEST_LOG=1 to see it.
var testLogOut io.Writer = io.Discard

func init() {
	if os.Getenv("STAFF_TEST_LOG") != "" {
		testLogOut = os.Stderr
	}
}

// newRequest builds a test request; body may be nil, url.Values (a form), a string (raw JSON)
// or any other value, sent as JSON.
func newRequest(t testing.TB, method, target string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		raw, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req
}

// newAccounts is the account service the servers of tests sign staff in with.
func newAccounts(t *testing.T, db *bun.DB, clk clock.Clock, log *slog.Logger) *account.Service {
	t.Helper()
	a, err := account.NewService(account.Config{DB: db, Org: org.NewStore(db), Clock: clk, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
