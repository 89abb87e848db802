package telephony

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony/acd"
)

// Registration limits (RFC 3261 10.3): phones ask for an expiry; we grant at most
// maxExpires and refuse less than minExpires with 423, so that a phone cannot make us
// churn its binding.
const (
	defaultExpires = 3600
	maxExpires     = 3600
	minExpires     = 30
)

// binding is where an agent's phone can be reached, keyed by the extension of the To
// header's address of record.
type binding struct {
	ext     string
	contact sip.Uri
	// dest is the host:port calls are sent to: the Contact's, or the REGISTER's source when
	// the phone asked for symmetric routing (rport) or registered over TCP, as phones
	// behind NAT do.
	dest      string
	transport string
	expires   time.Time
	timer     acd.Timer
	gen       uint64 // the registrar's generation when the binding was made here
}

// registrar keeps the bindings in memory, copied to and from the shared table of every
// process (registrations.go).
type registrar struct {
	mu       sync.Mutex
	bindings map[string]*binding
	gen      uint64 // counts the bindings made and removed through this process
}

func newRegistrar() *registrar { return &registrar{bindings: make(map[string]*binding)} }

// lookup returns a copy of the binding of ext, if registered.
func (r *registrar) lookup(ext string) (binding, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bindings[ext]
	if b == nil {
		return binding{}, false
	}
	return *b, true
}

// Registered lists the extensions with a live binding.
func (s *Server) Registered() []string {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	out := make([]string, 0, len(s.reg.bindings))
	for ext := range s.reg.bindings {
		out = append(out, ext)
	}
	return out
}

// onRegister authenticates a phone and records, refreshes or removes its binding.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	src := sourceAddr(req)
	ext := req.To().Address.User
	if ext == "" {
		s.respond(tx, req, 404, "Not Found")
		return
	}
	auth := req.GetHeader("Authorization")
	if auth == nil {
		s.challenge(tx, req, false)
		return
	}
	// Only credential checks are throttled: a challenge costs nothing and phones need one.
	if s.guard.blocked(src) || s.guard.blockedExt(ext) {
		s.guard.warn(src, "auth_blocked", "sip register refused: too many failed attempts")
		s.respond(tx, req, 403, "Too Many Failed Attempts")
		return
	}
	creds, err := digest.ParseCredentials(auth.Value())
	if err != nil {
		// An unknown scheme (RFC 4475 regaut01) gets a digest challenge.
		s.challenge(tx, req, false)
		return
	}
	if creds.Username != ext || creds.Realm != s.cfg.Realm {
		s.guard.failed(src, ext)
		s.guard.warn(src, "auth_failed", "sip register refused: credentials for another user or realm", "ext", ext)
		s.respond(tx, req, 403, "Forbidden")
		return
	}
	if err := s.nonces.check(creds.Nonce, s.clock.Now(), src); err != nil {
		s.challenge(tx, req, errors.Is(err, errNonceStale))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.org.StaffByExtension(ctx, ext)
	if err != nil && !errors.Is(err, org.ErrNotFound) {
		s.log.Error("look up sip extension", "ext", ext, "err", err)
		s.respond(tx, req, 500, "Server Internal Error")
		return
	}
	// An unknown extension costs the same failure as a wrong password, so that probing
	// for extensions is throttled too and learns nothing from the answer.
	if err != nil || st.SIPHA1 == "" || verifyDigest(creds, req.Method.String(), st.SIPHA1) != nil {
		s.guard.failed(src, ext)
		s.guard.warn(src, "auth_failed", "sip register refused: wrong credentials", "ext", ext)
		s.respond(tx, req, 403, "Forbidden")
		return
	}
	// Right credentials seen before are a replay: a fresh challenge, which only the phone
	// that knows the password can answer.
	if err := s.nonces.use(creds, s.clock.Now()); err != nil {
		s.guard.warn(src, "auth_replayed", "sip register refused: credentials replayed", "ext", ext)
		s.challenge(tx, req, false)
		return
	}
	s.bind(req, tx, ext)
}

func (s *Server) challenge(tx sip.ServerTransaction, req *sip.Request, stale bool) {
	s.respond(tx, req, 401, "Unauthorized",
		sip.NewHeader("WWW-Authenticate", s.nonces.challenge(s.cfg.Realm, s.clock.Now(), sourceAddr(req), stale)))
}

// bind applies an authenticated REGISTER. One phone per extension: a new contact replaces
// the old one, as an agent moving desks expects.
func (s *Server) bind(req *sip.Request, tx sip.ServerTransaction, ext string) {
	contacts := req.GetHeaders("Contact")
	if len(contacts) == 0 {
		// A query: answer with the current binding.
		b, ok := s.reg.lookup(ext)
		var hs []sip.Header
		if ok {
			hs = append(hs, sip.NewHeader("Contact", "<"+b.contact.String()+">;expires="+
				strconv.Itoa(int(b.expires.Sub(s.clock.Now()).Seconds()))))
		}
		s.respond(tx, req, 200, "OK", hs...)
		return
	}
	expires := defaultExpires
	if e := req.GetHeader("Expires"); e != nil {
		expires, _ = strconv.Atoi(strings.TrimSpace(e.Value()))
	}
	c := req.Contact()
	if c == nil || len(contacts) > 1 {
		s.respond(tx, req, 400, "One Contact Per Registration")
		return
	}
	if c.Address.Wildcard {
		if expires != 0 {
			s.respond(tx, req, 400, "Wildcard Contact Needs Expires 0")
			return
		}
		s.unbind(ext)
		s.respond(tx, req, 200, "OK")
		return
	}
	if v, ok := c.Params.Get("expires"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.respond(tx, req, 400, "Bad Contact Expires")
			return
		}
		expires = n
	}
	if c.Address.Headers != nil && c.Address.Headers.Length() > 0 || c.Address.Host == "" {
		// A contact with URI headers is not a place to send calls (RFC 4475 regbadct).
		s.respond(tx, req, 400, "Bad Contact")
		return
	}
	if expires == 0 {
		s.unbind(ext)
		s.respond(tx, req, 200, "OK")
		return
	}
	if expires < minExpires {
		s.respond(tx, req, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
		return
	}
	expires = min(expires, maxExpires)
	now := s.clock.Now()
	b := &binding{ext: ext, contact: *c.Address.Clone(), dest: c.Address.HostPort(), transport: req.Transport(),
		// As PostgreSQL keeps it, so that the shared copy reads back equal.
		expires: now.Add(time.Duration(expires) * time.Second).Truncate(time.Microsecond)}
	if req.Via().Params.Has("rport") || sip.IsReliable(req.Transport()) {
		b.dest = req.Source()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.storeBinding(ctx, b); err != nil {
		s.log.Error("sip register", "ext", ext, "err", err)
		s.respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "5"))
		return
	}
	s.reg.mu.Lock()
	old := s.reg.bindings[ext]
	if old != nil && old.timer != nil {
		old.timer.Stop()
	}
	s.reg.gen++
	b.gen = s.reg.gen
	s.reg.bindings[ext] = b
	b.timer = s.clock.AfterFunc(time.Duration(expires)*time.Second, func() { s.expire(ext, b) })
	s.reg.mu.Unlock()
	if old == nil {
		s.log.Info("sip agent registered", "ext", ext, "dest", b.dest, "transport", b.transport, "expires", expires)
		s.agentRegistered(ext)
	}
	s.respond(tx, req, 200, "OK", sip.NewHeader("Contact", "<"+b.contact.String()+">;expires="+strconv.Itoa(expires)))
}

// expire drops b if it is still the binding of ext.
func (s *Server) expire(ext string, b *binding) {
	s.reg.mu.Lock()
	if s.reg.bindings[ext] != b {
		s.reg.mu.Unlock()
		return
	}
	delete(s.reg.bindings, ext)
	s.reg.mu.Unlock()
	s.log.Info("sip registration expired", "ext", ext)
	s.queue.SetRegistered(ext, false)
}

func (s *Server) unbind(ext string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.deleteBinding(ctx, ext); err != nil {
		s.log.Error("sip unregister", "ext", ext, "err", err)
	}
	s.reg.mu.Lock()
	s.reg.gen++
	b := s.reg.bindings[ext]
	if b != nil {
		if b.timer != nil {
			b.timer.Stop()
		}
		delete(s.reg.bindings, ext)
	}
	s.reg.mu.Unlock()
	if b != nil {
		s.log.Info("sip agent unregistered", "ext", ext)
		s.queue.SetRegistered(ext, false)
	}
}

// agentRegistered tells the queue a phone came up. An agent the console never set away
// counts as available as soon as the phone registers: the contract offers calls to every
// registered agent not set away. A department handler's phone (rung when they call a
// citizen through 12345) is no agent's: it never joins the queue.
func (s *Server) agentRegistered(ext string) {
	if !s.takesCalls(ext) {
		return
	}
	s.mu.Lock()
	_, set := s.statuses[ext]
	s.mu.Unlock()
	if !set {
		s.queue.SetStatus(ext, acd.StatusAvailable)
	}
	s.queue.SetRegistered(ext, true)
}

// takesCalls reports whether the account of ext takes citizens' calls from the queue. When the
// account cannot be read the phone is taken for an agent's, as before handlers had phones:
// better a handler offered a call than an agent left out of the queue.
func (s *Server) takesCalls(ext string) bool {
	if s.org == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.org.StaffByExtension(ctx, ext)
	if err != nil {
		return true
	}
	return org.CallTakers.Has(st.Role)
}

func sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
