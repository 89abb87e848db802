// Package telephony is the SIP front end of the 12345 hotline: a registrar for agents'
// phones (digest authentication against the staff table), a back-to-back user agent
// (B2BUA) that answers citizens' calls from the trunks and bridges each to an agent chosen
// by the call queue (package acd), one-key transfer to 110 and other hotlines, call records
// and callback tasks for missed calls (漏接回拨) in PostgreSQL, and screen-pop events for the
// agent console.
package telephony

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// DefaultHotline is the number citizens dial.
const DefaultHotline = "12345"

// maxMessageBytes is the largest SIP message accepted over UDP. Real requests are a few
// kilobytes; anything bigger is answered 513 and dropped before parsing.
const maxMessageBytes = 16 << 10

// Config is what the SIP front end needs from the process configuration.
type Config struct {
	// Addr is the host:port to listen on, UDP and TCP alike. Port 0 picks a free port.
	Addr string
	// Trunks are the networks allowed to deliver citizens' calls without authentication.
	Trunks []netip.Prefix
	// Realm is the digest realm of the agents' SIP passwords.
	Realm string
	// Hotline is the dialled number of the hotline; empty means DefaultHotline.
	Hotline string
	// Transfers maps a transfer target's name, such as "110" or "12315", to its SIP URI.
	Transfers map[string]string
	// Outbound is the host:port of the gateway through which citizens are called back.
	// Empty means none: callbacks are refused rather than sent to a guessed host.
	Outbound string
	// AckWait is how long the caller's ACK to our answer is awaited before the call is
	// hung up; zero means 64×T1 (32 s), as RFC 3261 section 13.3.1.4 has it.
	AckWait time.Duration
	// ACD tunes the call queue.
	ACD acd.Config
	// TLSAddr, when set, is a host:port where agents' phones may speak SIP over TLS (RFC
	// 3261's sips transport) with TLS's certificate; their calls then ring over it too.
	TLSAddr string
	TLS     *tls.Config
	// Lease names this process in the call queue's lease, which only one process holds.
	Lease LeaseConfig
	// Media is how the calls' audio is carried; its zero value is signalling only.
	Media MediaConfig
	// ReferByeWait is how long, after a transfer by REFER succeeded, hotline waits for the
	// transferring phone to hang up its leg before hanging it up itself; zero means 3 s.
	ReferByeWait time.Duration
	// Hours are the centre's opening hours; nil: always open. A call out of hours is not
	// queued: the caller hears the out-of-hours prompt and may leave a voice message.
	Hours *OpenHours
	// SurveyWait is how long the post-call survey waits for a key after its question; zero
	// means 8 s.
	SurveyWait time.Duration
	// ContactMinTalk is how long a department's answered call to the citizen must last to
	// record the ticket's first contact (反馈); zero means DefaultContactMinTalk.
	ContactMinTalk time.Duration
	// Session tunes the session timers (RFC 4028) of every leg (sessiontimer.go).
	Session SessionTimerConfig
}

// Deps are the services the SIP front end uses.
type Deps struct {
	DB      *bun.DB
	Org     *org.Store
	Tickets *tickets.Service
	Log     *slog.Logger
	// Clock drives the queue, registrations and records; nil means the system clock.
	Clock acd.Clock
}

// Server is the SIP front end. Listen binds its sockets; Serve runs it.
type Server struct {
	// sipStats counts the responses sent, by method and code (sipstats.go).
	sipStats sipStats
	cfg      Config
	db       *bun.DB
	org      *org.Store
	tickets  *tickets.Service
	log      *slog.Logger
	clock    acd.Clock

	guard  *guard
	nonces *nonces
	reg    *registrar
	queue  *acd.Queue
	writer *recordWriter
	lease  *lease // nil without a database
	hub    *hub
	// ports and prompts serve the calls' audio when cfg.Media.Enabled.
	ports   *portPool
	prompts *prompts
	// waits estimates a waiting caller's wait from the recent answered calls (estimate.go).
	waits waitEstimator

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	dialogs map[string]*sipgo.DialogUA // by transport, lower case
	udp     net.PacketConn
	tcp     net.Listener
	tls     net.Listener
	tlsPort int
	host    string
	port    int

	mu       sync.Mutex
	calls    map[string]*call // live calls by the caller leg's Call-ID
	byRecord map[string]*call // live calls by record ID
	legs     map[string]*leg  // dialogs of live calls by dialog ID
	statuses map[string]acd.Status
	serving  bool
	ended    recentCalls // callers' INVITEs of calls that ended lately
	// ticketCalls are the tickets whose citizen a department is calling (outcall.go).
	ticketCalls map[int64]bool
	// placed are the departments' calls to citizens that are talking, and outcalls counts
	// those under way, so that a shutdown closes each (outcall.go).
	placed   map[*call]struct{}
	outcalls sync.WaitGroup
	// life ends when the server stops: calls hotline is placing give up ringing.
	life    context.Context
	endLife context.CancelFunc
}

// New builds a server; nothing is bound until Listen.
func New(cfg Config, d Deps) (*Server, error) {
	if cfg.Hotline == "" {
		cfg.Hotline = DefaultHotline
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 64 * sip.T1
	}
	if cfg.Media.Timeout <= 0 {
		cfg.Media.Timeout = 60 * time.Second
	}
	if cfg.Media.AnnounceEvery <= 0 {
		cfg.Media.AnnounceEvery = 30 * time.Second
	}
	if cfg.ReferByeWait <= 0 {
		cfg.ReferByeWait = 3 * time.Second
	}
	cfg.Session = cfg.Session.withDefaults()
	if cfg.SurveyWait <= 0 {
		cfg.SurveyWait = 8 * time.Second
	}
	if cfg.Realm == "" {
		return nil, errors.New("telephony: empty digest realm")
	}
	if d.Clock == nil {
		d.Clock = acd.SystemClock{}
	}
	n, err := newNonces()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, db: d.DB, org: d.Org, tickets: d.Tickets, log: d.Log, clock: d.Clock,
		nonces: n, reg: newRegistrar(), hub: newHub(),
		dialogs:  make(map[string]*sipgo.DialogUA),
		calls:    make(map[string]*call),
		byRecord: make(map[string]*call),
		legs:     make(map[string]*leg),
		statuses: make(map[string]acd.Status),
		placed:   make(map[*call]struct{}),
	}
	s.waits.wrapUp = cfg.ACD.WrapUp
	if s.waits.wrapUp == 0 {
		s.waits.wrapUp = acd.DefaultWrapUp
	}
	s.life, s.endLife = context.WithCancel(context.Background())
	s.guard = newGuard(d.Clock.Now, d.Log, cfg.Trunks)
	s.queue = acd.New(cfg.ACD, d.Clock, queueSwitch{(*switchboard)(s)})
	s.writer = newRecordWriter(d.DB, d.Log)
	if d.DB != nil {
		s.lease = newLease(d.DB, cfg.Lease)
		s.writer.stamp, s.writer.fenced = s.lease.stamp, s.fenced
	}
	return s, nil
}

// Listen binds the UDP and TCP sockets on the configured address, so that a port in use is
// reported at start-up rather than from a background goroutine.
func (s *Server) Listen() error {
	host, port, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("sip address %q: %w", s.cfg.Addr, err)
	}
	// With port 0 the UDP socket picks the port and TCP must get the same one; another
	// process may hold that TCP port, so try a few times.
	for attempt := 0; ; attempt++ {
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return err
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			udp.Close()
			if port == "0" && attempt < 20 {
				continue
			}
			return err
		}
		s.udp, s.tcp, s.port = udp, tcp, p
		break
	}
	s.host = host
	bindIP := net.ParseIP(host)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		s.host = "127.0.0.1"
	}
	if m := s.cfg.Media; m.Enabled {
		public := net.ParseIP(m.Addr)
		if public == nil && (bindIP == nil || bindIP.IsUnspecified()) {
			public = net.ParseIP(s.host)
		}
		if bindIP == nil {
			bindIP = net.IPv4zero
		}
		s.ports = newPortPool(bindIP, public, m.PortMin, m.PortMax)
		s.prompts = loadPrompts(m.PromptsDir, s.log)
	}
	if s.cfg.TLSAddr != "" {
		if s.cfg.TLS == nil {
			return errors.New("sip over TLS: no certificate")
		}
		ln, err := tls.Listen("tcp", s.cfg.TLSAddr, s.cfg.TLS)
		if err != nil {
			s.udp.Close()
			s.tcp.Close()
			return err
		}
		s.tls, s.tlsPort = ln, ln.Addr().(*net.TCPAddr).Port
	}
	return s.build()
}

// TLSAddr returns the bound host:port of SIP over TLS, or "" without it.
func (s *Server) TLSAddr() string {
	if s.tls == nil {
		return ""
	}
	return net.JoinHostPort(s.host, strconv.Itoa(s.tlsPort))
}

// Addr returns the bound host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (s *Server) build() error {
	quiet := slog.New(newQuietHandler(s.log.Handler()))
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("hotline"),
		sipgo.WithUserAgentHostname(s.host),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(quiet),
			sip.WithTransportLayerReadFilter(s.readFilter),
			// After the read filter, which the transports take from the layer.
			sip.WithTransportLayerTransports(streamTransports())),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
	)
	if err != nil {
		return fmt.Errorf("sip user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return fmt.Errorf("sip server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientHostname(s.host))
	if err != nil {
		return fmt.Errorf("sip client: %w", err)
	}
	client.TxRequester = requester{s}
	s.ua, s.srv, s.client = ua, srv, client
	for _, tp := range []string{"udp", "tcp", "tls"} {
		contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.Hotline, Host: s.host, Port: s.port}}
		switch tp {
		case "tcp":
			contact.Address.UriParams = sip.HeaderParams{{K: "transport", V: "tcp"}}
		case "tls":
			if s.tls == nil {
				continue
			}
			contact.Address.Port = s.tlsPort
			contact.Address.UriParams = sip.HeaderParams{{K: "transport", V: "tls"}}
		}
		s.dialogs[tp] = &sipgo.DialogUA{Client: client, ContactHDR: contact}
	}
	srv.OnOptions(s.checked(s.queueProbe(s.onOptions)))
	srv.OnRegister(s.checked(s.onRegister))
	srv.OnInvite(s.checked(s.holderOnly(s.onInvite)))
	srv.OnAck(s.checked(s.onAck))
	srv.OnBye(s.checked(s.onBye))
	srv.OnCancel(s.checked(s.onCancel))
	srv.OnRefer(s.checked(s.onRefer))
	srv.OnNotify(s.checked(s.onNotify))
	srv.OnInfo(s.checked(s.onInfo))
	srv.OnUpdate(s.checked(s.onUpdate))
	srv.OnNoRoute(s.checked(func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
	}))
	return nil
}

const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, INFO, UPDATE"

// Serve runs the SIP front end until ctx ends, then stops taking calls and writes the
// records still queued.
func (s *Server) Serve(ctx context.Context) error {
	if s.ua == nil {
		return errors.New("telephony: Serve before Listen")
	}
	// The lease is tried once before the first call can arrive: a lone process answers at once.
	bg, stopBackground := context.WithCancel(context.Background())
	var background sync.WaitGroup
	s.waits.load(ctx, s)
	if s.lease != nil {
		s.syncRegistrations(ctx)
		s.leaseStep(ctx)
		background.Go(func() { s.runLease(bg) })
		background.Go(func() { s.runRegistrationSync(bg) })
	}
	s.mu.Lock()
	s.serving = true
	s.mu.Unlock()
	go s.writer.run()
	errc := make(chan error, 3)
	go func() { errc <- s.srv.ServeUDP(s.udp) }()
	go func() { errc <- s.srv.ServeTCP(s.tcp) }()
	if s.tls != nil {
		go func() { errc <- s.srv.ServeTLS(s.tls) }()
		s.log.Info("sip serving over TLS", "addr", s.TLSAddr())
	}
	s.log.Info("sip serving", "addr", s.Addr(), "transports", "udp,tcp")
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		if err != nil {
			err = fmt.Errorf("sip: %w", err)
		}
	}
	s.endLife()
	s.udp.Close()
	s.tcp.Close()
	if s.tls != nil {
		s.tls.Close()
	}
	s.ua.Close()
	s.finishAll()
	s.writer.close()
	stopBackground()
	background.Wait()
	if s.lease != nil {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if rerr := s.lease.release(rctx); rerr != nil {
			s.log.Warn("call queue lease", "err", rerr)
		}
		cancel()
	}
	return err
}

// readFilter runs on every datagram or stream read before parsing: it drops floods from
// one source, answers oversized UDP messages 513 without parsing them and unparsable UDP
// requests 400 or 505 (malformed.go).
func (s *Server) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	src := addrOf(p.RemoteAddr)
	if !s.guard.allow(src) {
		return nil, nil
	}
	if p.Transport == "UDP" || p.Transport == "udp" {
		if len(data) > maxMessageBytes {
			s.guard.warn(src, "oversized", "sip message too large", "bytes", len(data))
			s.tooLarge(data, p.RemoteAddr)
			return nil, nil
		}
		if s.unparsable(data, p.RemoteAddr) {
			return nil, nil
		}
	}
	return data, nil
}

// tooLarge answers 513 to an oversized request when its headers can be read.
func (s *Server) tooLarge(data []byte, to net.Addr) {
	p := sip.NewParser()
	p.MaxMessageLength = 1 << 20
	msg, _, err := p.ParseHeaders(data, false)
	req, ok := msg.(*sip.Request)
	if err != nil || !ok || req.IsAck() || req.Via() == nil || req.CSeq() == nil {
		return
	}
	res := sip.NewResponseFromRequest(req, 513, "Message Too Large", nil)
	s.udp.WriteTo([]byte(res.String()), to)
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap()
}

// checked wraps a handler with the validation every request gets.
func (s *Server) checked(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if tx != nil {
			tx = &countingTx{ServerTransaction: tx, method: req.Method, stats: &s.sipStats, req: req, s: s}
		}
		if bad := validate(req); bad != nil {
			s.guard.warn(sourceAddr(req), "malformed", "sip request refused",
				"method", req.Method.String(), "code", bad.code, "reason", bad.reason)
			if !req.IsAck() && bad.code != 0 {
				s.respond(tx, req, bad.code, bad.reason, bad.headers...)
			}
			return
		}
		h(req, tx)
	}
}

// respond answers req statelessly within tx.
func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0" // even to a request of another version (505)
	for _, h := range hs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip respond", "code", code, "err", err)
	}
}

// onOptions answers every OPTIONS alike, whatever user it names: the server speaks for
// itself, and the answer must not tell a scanner which extensions are registered.
func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, req, 200, "OK", sip.NewHeader("Allow", allowed), sip.NewHeader("Accept", "application/sdp"))
}

// dialogUA returns the dialog user agent for a transport.
func (s *Server) dialogUA(transport string) *sipgo.DialogUA {
	if d := s.dialogs[sip.NetworkToLower(transport)]; d != nil {
		return d
	}
	return s.dialogs["udp"]
}

// quietHandler passes sipgo's own warnings and errors on at most once a minute per message,
// because sipgo logs every unparsable datagram in full and a flood would fill the log.
type quietHandler struct {
	next slog.Handler
	mu   *sync.Mutex
	seen map[string]time.Time
}

func newQuietHandler(next slog.Handler) *quietHandler {
	return &quietHandler{next: next, mu: new(sync.Mutex), seen: make(map[string]time.Time)}
}

func (h *quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.next.Enabled(ctx, l)
}

func (h *quietHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	last, ok := h.seen[r.Message]
	if ok && r.Time.Sub(last) < time.Minute {
		h.mu.Unlock()
		return nil
	}
	if len(h.seen) > 1000 {
		clear(h.seen)
	}
	h.seen[r.Message] = r.Time
	h.mu.Unlock()
	// Keep only the error: sipgo puts whole messages, with phone numbers, into other attributes.
	out := slog.NewRecord(r.Time, r.Level, "sipgo: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" || a.Key == "err" {
			out.AddAttrs(slog.String("err", a.Value.String()))
		}
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *quietHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *quietHandler) WithGroup(string) slog.Handler      { return h }
