package web

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline-city/hotline/internal/database"
)

// What a database outage looks like from here — refused connections, a connection cut in the
// middle of a reply, the server shutting down or in recovery, a standby after a failover — is
// an outage; a constraint or a syntax error is not.
func TestIsOutage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{fmt.Errorf("register: %w", io.ErrUnexpectedEOF), true},
		// A COMMIT gone unanswered whose fate could not be looked up, as pgx words a closed conn.
		{fmt.Errorf("submit: %w: %w", database.ErrCommitUnknown, errors.New("conn closed")), true},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pgconn.PgError{Code: "08006", Message: "connection failure"}, true},
		{&pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}, true},
		{&pgconn.PgError{Code: "53300", Message: "too many connections"}, true},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key"}, false},
		{&pgconn.PgError{Code: "42601", Message: "syntax error"}, false},
		{errors.New("nil map"), false},
	} {
		if got := isOutage(tc.err); got != tc.want {
			t.Errorf("isOutage(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// An outage is a 503 with Retry-After on every surface — Open311 in its format, the complaint
// form in the citizen's language, the staff API — never a 4xx a client would take as final;
// a bug is a 500.
func TestOutageAnswers(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	down := &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		path   string
		err    error
		status int
		want   string
	}{
		{"open311 json", func(w http.ResponseWriter, r *http.Request) { e.srv.open311Error(w, r, "json", down) }, "/open311/v2/requests.json", down, 503, `"code":503`},
		{"open311 xml", func(w http.ResponseWriter, r *http.Request) { e.srv.open311Error(w, r, "xml", down) }, "/open311/v2/requests.xml", down, 503, "<code>503</code>"},
		{"open311 bug", func(w http.ResponseWriter, r *http.Request) { e.srv.open311Error(w, r, "json", errors.New("nil map")) }, "/open311/v2/requests.json", nil, 500, `"code":500`},
		{"complaint form", func(w http.ResponseWriter, r *http.Request) { e.srv.intakeServerError(w, r, down) }, "/complain", down, 503, "请先按手机号查询"},
		{"complaint form bug", func(w http.ResponseWriter, r *http.Request) { e.srv.intakeServerError(w, r, errors.New("nil map")) }, "/complain", nil, 500, "系统繁忙"},
		{"staff API", func(w http.ResponseWriter, r *http.Request) { e.srv.apiError(w, r, fmt.Errorf("list: %w", down)) }, "/api/v1/tickets", down, 503, "service unavailable"},
	} {
		rec := httptest.NewRecorder()
		e.srv.staff().sessions.LoadAndSave(http.HandlerFunc(tc.answer)).ServeHTTP(rec, httptest.NewRequest("POST", tc.path, nil))
		retry := rec.Header().Get("Retry-After")
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) || (tc.status == 503) != (retry != "") {
			t.Errorf("%s: %d (Retry-After %q) %s", tc.name, rec.Code, retry, rec.Body.String())
		}
	} // The session store down: the session middleware's own error is an outage page too,
	// without looking up the session it could not load.
	rec := httptest.NewRecorder()
	e.srv.staff().sessions.ErrorFunc(rec, httptest.NewRequest("GET", "/board", nil), fmt.Errorf("load session: %w", down))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("the session store down: %d", rec.Code)
	}
}

// A client that sends its body a byte now and then is cut off at the body's deadline instead
// of holding a connection and a goroutine for ever; a quick one is served.
func TestSlowBodyCutOff(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, func(_ *staffEnv, d *Deps) { d.BodyTimeout = 300 * time.Millisecond })
	addr := strings.TrimPrefix(e.ts.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/tokens HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", addr)
	start := time.Now()
	cut := false
	for time.Since(start) < 5*time.Second {
		time.Sleep(100 * time.Millisecond)
		if _, err := conn.Write([]byte(" ")); err != nil {
			cut = true
			break
		}
		conn.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, err := conn.Read(make([]byte, 512)); n > 0 || (err != nil && !errors.Is(err, os.ErrDeadlineExceeded)) {
			cut = true
			break
		}
	}
	if !cut {
		t.Fatal("a body sent a byte at a time was still being read after 5 s")
	}
	if r := e.do(nil, "POST", "/api/v1/tokens", map[string]string{"username": "agent1", "password": "demo-agent"}, nil); r.Status != 200 {
		t.Fatalf("a quick client: %d", r.Status)
	}
}
