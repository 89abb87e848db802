package escalation_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-city/hotline/escalation"
)

// smtpServer is a minimal SMTP server, enough for a client to deliver plain messages.
type smtpServer struct {
	addr *net.TCPAddr
	mu   sync.Mutex
	msgs []smtpMessage
}

type smtpMessage struct {
	from string
	to   []string
	data string
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().(*net.TCPAddr)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 test.local ESMTP")
	var cur smtpMessage
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			tp.PrintfLine("250-test.local")
			tp.PrintfLine("250 8BITMIME")
		case "HELO", "NOOP":
			tp.PrintfLine("250 ok")
		case "RSET":
			cur = smtpMessage{}
			tp.PrintfLine("250 ok")
		case "MAIL":
			cur = smtpMessage{from: line[len("MAIL FROM:"):]}
			tp.PrintfLine("250 ok")
		case "RCPT":
			cur.to = append(cur.to, strings.Trim(line[len("RCPT TO:"):], "<> "))
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = string(b)
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			cur = smtpMessage{}
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not implemented")
		}
	}
}

func (s *smtpServer) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

// smsGateway answers with the queued statuses, then 200.
type smsGateway struct {
	mu       sync.Mutex
	statuses []int
	got      []map[string]string
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	status := http.StatusOK
	if len(g.statuses) > 0 {
		status, g.statuses = g.statuses[0], g.statuses[1:]
	}
	if status == http.StatusOK {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		m["idempotency_key"] = r.Header.Get("Idempotency-Key")
		g.got = append(g.got, m)
	}
	w.WriteHeader(status)
}

func (f *fixture) delivery(smtp *smtpServer, sms string, hub *escalation.Hub) *escalation.Delivery {
	return escalation.NewDelivery(f.db, f.clk, slog.New(slog.NewTextHandler(io.Discard, nil)), hub, escalation.DeliveryOptions{
		SMTPHost: "127.0.0.1", SMTPPort: smtp.addr.Port, SMTPFrom: "12345@example.org", SMSGateway: sms,
		Backoff: time.Minute,
	})
}

func TestDeliveryEmailAndSMSOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{Email: true, SMS: true})
	ctx := context.Background()
	smtp := startSMTP(t)
	gw := &smsGateway{statuses: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	hub := escalation.NewHub()
	wake, stop := hub.Subscribe(f.staff["supervisor"].ID)
	defer stop()
	del := f.delivery(smtp, srv.URL, hub)

	tk := f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	// This is about the escalation's messages: the citizen's receipt queued at registration goes.
	if _, err := f.db.ExecContext(ctx, "DELETE FROM notifications WHERE kind = 'receipt'"); err != nil {
		t.Fatal(err)
	}
	if got := f.sweep(t, at("2026-11-16 12:00")); len(got) != 1 {
		t.Fatalf("sweep: %v", got)
	}
	// head-hrss and the supervisor: in-app, e-mail and (escalation is urgent) SMS each.
	if n := f.count(t, "SELECT count(*) FROM notifications WHERE status = 'pending'"); n != 6 {
		t.Fatalf("%d pending notifications, want 6", n)
	}
	// Two workers at once, as two server processes would run them.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := del.DeliverDue(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	msgs := smtp.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails, want 2", len(msgs))
	}
	var to []string
	for _, m := range msgs {
		to = append(to, m.to...)
		if !strings.Contains(m.data, "Message-ID: <notification-") {
			t.Fatalf("e-mail without a stable Message-ID:\n%s", m.data)
		}
	}
	if strings.Join(to, ",") != "head-hrss@example.org,supervisor@example.org" &&
		strings.Join(to, ",") != "supervisor@example.org,head-hrss@example.org" {
		t.Fatalf("e-mails to %v", to)
	}
	select {
	case <-wake:
	default:
		t.Fatal("the supervisor's stream was not told of the in-app notification")
	}
	// The gateway failed once: that SMS waits for its retry, the other went through.
	if n := f.count(t, "SELECT count(*) FROM notifications WHERE channel = 'sms' AND status = 'pending' AND attempts = 1"); n != 1 {
		t.Fatalf("%d SMS waiting for a retry, want 1", n)
	}
	if n, err := del.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("before the backoff: %d delivered, %v", n, err)
	}
	f.clk.Advance(time.Minute)
	if n, err := del.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the backoff: %d delivered, %v", n, err)
	}
	if n := f.count(t, "SELECT count(*) FROM notifications WHERE status = 'sent' AND ticket_id = ?", tk.ID); n != 6 {
		t.Fatalf("%d sent, want 6", n)
	}
	f.clk.Advance(time.Hour)
	if n, _ := del.DeliverDue(ctx); n != 0 || len(smtp.messages()) != 2 || len(gw.got) != 2 {
		t.Fatalf("a later run sent again: %d, %d e-mails, %d SMS", n, len(smtp.messages()), len(gw.got))
	}
	if gw.got[0]["to"] != "13900000000" || !strings.HasPrefix(gw.got[0]["idempotency_key"], "hotline-") {
		t.Fatalf("SMS = %v", gw.got[0])
	}
}

func TestDeliveryGivesUpOnRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, escalation.Options{SMS: true})
	ctx := context.Background()
	gw := &smsGateway{statuses: []int{http.StatusBadRequest, http.StatusBadRequest}}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	del := f.delivery(startSMTP(t), srv.URL, nil)
	f.dispatch(t, at("2026-11-16 10:00"), "hrss")
	f.sweep(t, at("2026-11-16 12:00"))
	if _, err := del.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT count(*) FROM notifications WHERE channel = 'sms' AND status = 'failed' AND attempts = 1 AND last_error LIKE '%400%'"); n != 2 {
		t.Fatalf("%d refused SMS marked failed, want 2", n)
	}
	// An unreachable SMTP server is retried, not dropped.
	f2 := newFixture(t, escalation.Options{Email: true})
	dead := &smtpServer{addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}}
	del2 := f2.delivery(dead, "", nil)
	f2.dispatch(t, at("2026-11-16 10:00"), "hrss")
	f2.sweep(t, at("2026-11-16 12:00"))
	if _, err := del2.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f2.count(t, "SELECT count(*) FROM notifications WHERE channel = 'email' AND status = 'pending' AND attempts = 1"); n != 2 {
		t.Fatalf("%d e-mails waiting for a retry, want 2", n)
	}
}
