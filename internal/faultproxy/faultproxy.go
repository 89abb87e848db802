// Package faultproxy is a TCP proxy for tests that stands between the application and
// PostgreSQL and, when armed, loses the answer to a COMMIT: the COMMIT reaches the server, which
// commits, and both connections are cut before its reply reaches the client. That is what a
// network blip, a pooler or a failover does to a client at the worst moment, and the one fault
// after which a writer cannot know whether its transaction happened.
package faultproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards PostgreSQL connections and drops COMMIT replies when armed.
type Proxy struct {
	ln       net.Listener
	network  string
	upstream string

	mu      sync.Mutex
	match   string // drop only COMMITs of transactions that ran a statement containing this
	every   int    // drop every every-th such COMMIT's reply…
	left    int    // …this many more times
	seen    int    // such COMMITs seen since armed
	dropped int
	conns   map[net.Conn]bool
	outage  bool // a drop takes the whole server away…
	dark    bool // …and it is away: every connection cut, new ones refused
}

// Start starts a proxy in front of the PostgreSQL server of dbURL (a unix socket directory in
// its host parameter, or a TCP host and port) and returns it with dbURL pointed at the proxy.
// The proxy stops when the test ends.
func Start(t testing.TB, dbURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	q := u.Query()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	p := &Proxy{network: "tcp", upstream: net.JoinHostPort(u.Hostname(), port), conns: map[net.Conn]bool{}}
	if h := q.Get("host"); strings.HasPrefix(h, "/") {
		p.network, p.upstream = "unix", filepath.Join(h, ".s.PGSQL."+port)
	}
	if p.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	go p.serve()
	t.Cleanup(p.Close)
	q.Del("host")
	q.Set("sslmode", "disable")
	u.Host, u.RawQuery = p.ln.Addr().String(), q.Encode()
	return p, u.String()
}

// DropCommitReplies arms the proxy: of the COMMITs of transactions that ran a statement whose
// text contains match ("" for all), every every-th has its reply lost, times times in all.
func (p *Proxy) DropCommitReplies(match string, every, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.match, p.every, p.left, p.seen = match, max(every, 1), times, 0
}

// OutageOnDrop makes each dropped COMMIT reply an outage: every connection through the proxy
// is cut with it and new ones are refused until Restore, as when the server or the way to it
// goes down for a while.
func (p *Proxy) OutageOnDrop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outage = true
}

// Restore ends an outage: connections are taken again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dark, p.outage = false, false
}

// Dropped is how many COMMIT replies the proxy has lost so far.
func (p *Proxy) Dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// Close stops the proxy and cuts every connection through it.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil // closed: no more connections
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil || p.dark {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *Proxy) handle(client net.Conn) {
	server, err := net.Dial(p.network, p.upstream)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		client.Close()
		server.Close()
		return
	}
	defer p.untrack(client, server)
	var muted atomic.Bool
	go func() {
		relay(client, server, &muted)
		p.untrack(client, server)
	}()
	p.forward(client, server, &muted)
}

// relay copies the server's replies to the client until either side goes; once muted, what
// the server sends goes nowhere (the reply to a COMMIT that is to be lost).
func relay(client, server net.Conn, muted *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 && !muted.Load() {
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forward copies the client's messages to the server one by one, watching for COMMIT, until
// either side goes or a COMMIT's reply is to be lost.
func (p *Proxy) forward(client, server net.Conn, muted *atomic.Bool) error {
	// The start: messages without a type byte, an SSL or GSS request before the startup message.
	for {
		msg, err := readMessage(client, false)
		if err != nil {
			return err
		}
		if _, err := server.Write(msg); err != nil {
			return err
		}
		if len(msg) < 8 {
			return errors.New("short startup message")
		}
		code := binary.BigEndian.Uint32(msg[4:8])
		if code != 80877103 && code != 80877104 { // SSLRequest, GSSENCRequest
			break
		}
	}
	statements := map[string]string{} // prepared statement name → its text
	ran := false                      // the open transaction ran a statement matching the rule
	for {
		msg, err := readMessage(client, true)
		if err != nil {
			return err
		}
		drop := false
		switch msg[0] {
		case 'Q':
			text := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cstring(msg[5:])), ";")))
			switch {
			case text == "commit" || text == "end":
				drop = p.commit(ran)
				ran = false
			case strings.HasPrefix(text, "begin") || strings.HasPrefix(text, "start transaction") || text == "rollback":
				ran = false
			default:
				ran = ran || p.matches(cstring(msg[5:]))
			}
		case 'P':
			name := cstring(msg[5:])
			query := cstring(msg[5+len(name)+1:])
			statements[name] = query
			ran = ran || p.matches(query)
		case 'B':
			portal := cstring(msg[5:])
			ran = ran || p.matches(statements[cstring(msg[5+len(portal)+1:])])
		}
		if drop {
			// Deaf to the server before the COMMIT leaves: its reply must not slip through
			// while the connection is being cut.
			muted.Store(true)
		}
		if _, err := server.Write(msg); err != nil {
			return err
		}
		if drop {
			// The COMMIT is on its way to the server, which will read and carry it out; its
			// answer finds no one.
			p.cutIfDark()
			return errors.New("commit reply dropped")
		}
	}
}

// cutIfDark cuts every connection during an outage.
func (p *Proxy) cutIfDark() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dark {
		return
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) matches(text string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.left > 0 && strings.Contains(text, p.match)
}

// commit reports whether the reply to this COMMIT is to be lost.
func (p *Proxy) commit(ran bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ran || p.left <= 0 {
		return false
	}
	p.seen++
	if p.seen%p.every != 0 {
		return false
	}
	p.left--
	p.dropped++
	if p.outage {
		p.dark = true
	}
	return true
}

// readMessage reads one frontend message: a type byte (when typed) and an int32 length that
// counts itself and the body.
func readMessage(r io.Reader, typed bool) ([]byte, error) {
	head := 4
	if typed {
		head = 5
	}
	msg := make([]byte, head)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(msg[head-4:]))
	if n < 4 || n > 1<<30 {
		return nil, fmt.Errorf("message length %d", n)
	}
	msg = append(msg, make([]byte, n-4)...)
	if _, err := io.ReadFull(r, msg[head:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// cstring is the NUL-terminated string at the start of b.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}
