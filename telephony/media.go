package telephony

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"
	"github.com/emiago/diago/media/sdp"
	"github.com/pion/rtp"
)

// MediaConfig is how hotline carries the calls' audio (HOTLINE_MEDIA and the settings next
// to it). With Enabled, every call's audio flows through hotline: the caller hears the
// greeting and the hold audio as early media (183 Session Progress with hotline's SDP) while
// the call waits, the agent is offered hotline's SDP too, and the two legs are bridged and
// recorded here. Without it, hotline passes the SDP between the phones and never touches the
// audio.
type MediaConfig struct {
	Enabled bool
	// PortMin and PortMax bound the UDP ports of RTP (even) and RTCP (the odd one above).
	PortMin, PortMax int
	// Addr is the address announced in SDP, for a hotline behind NAT; empty: the SIP host.
	Addr string
	// RecordingsDir holds the recordings; PromptsDir the prompts (greeting.wav, hold.wav …).
	RecordingsDir string
	PromptsDir    string
	// Retention is how long recordings are kept; zero keeps them for ever.
	Retention time.Duration
	// Timeout ends an answered call whose caller or agent sent no RTP for this long (a dead
	// phone or gateway, a broken NAT); zero means 60 s.
	Timeout time.Duration
	// AnnounceEvery is how much hold audio a waiting caller hears between announcements of
	// their place in the queue; zero means 30 s.
	AnnounceEvery time.Duration
	// CallbackOfferAbove offers a waiting caller a callback ("press 1") when their estimated
	// wait exceeds it; zero never offers one.
	CallbackOfferAbove time.Duration
	// VoiceMessages lets a caller nobody can answer leave a message (留言).
	VoiceMessages bool
}

// frameSamples is one 20 ms packet of 8 kHz audio.
const frameSamples = 160

// localCodecs are what hotline offers and accepts: G.711 A-law first, as China's networks
// use, then μ-law, and RFC 4733 telephone events.
var localCodecs = []media.Codec{media.CodecAudioAlaw, media.CodecAudioUlaw, media.CodecTelephoneEvent8000}

// errNoCodec is a peer's SDP with no codec in common with ours: answered 488.
var errNoCodec = errors.New("no common codec")

// portPool hands out RTP ports from the configured range. diago keeps its range in package
// variables; a pool per server keeps two servers in one process (the tests) apart.
type portPool struct {
	ip, public net.IP
	min, max   int

	mu   sync.Mutex
	next int
}

func newPortPool(ip, public net.IP, lo, hi int) *portPool {
	lo += lo % 2
	return &portPool{ip: ip, public: public, min: lo, max: hi, next: lo + 2*int(randUint32()%uint32(max(1, (hi-lo)/2)))}
}

// open binds a media session on the next free pair of ports.
func (p *portPool) open() (*media.MediaSession, error) {
	tries := max(1, (p.max-p.min+1)/2)
	var err error
	for range tries {
		p.mu.Lock()
		port := p.next
		p.next += 2
		if p.next+1 > p.max {
			p.next = p.min
		}
		p.mu.Unlock()
		sess := &media.MediaSession{Codecs: localCodecs, Mode: sdp.ModeSendrecv, RTPNAT: 1,
			Laddr: net.UDPAddr{IP: p.ip, Port: port}, ExternalIP: p.public}
		if err = sess.Init(); err == nil {
			return sess, nil
		}
	}
	return nil, fmt.Errorf("no free rtp port in %d-%d: %w", p.min, p.max, err)
}

// randUint32 is a random number from crypto/rand: RTP's SSRC, first sequence number and
// timestamp are random (RFC 3550), and unguessable ones make injecting packets harder.
func randUint32() uint32 {
	var b [4]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

// endpoint is one leg's audio: a diago media session whose codec was negotiated, read and
// written here packet by packet (diago's packet reader and writer pace and buffer for one
// consumer; a bridge needs neither).
type endpoint struct {
	sess  *media.MediaSession
	codec media.Codec
	// dtmf is the payload type of RFC 4733 telephone events, or -1.
	dtmf int
	// local is the SDP hotline gave this leg; legID the leg's dialog.
	local []byte
	legID string

	mu      sync.Mutex
	seq     uint16
	ts      uint32
	ssrc    uint32
	started bool
	enc     []byte

	last   atomic.Int64 // when RTP last arrived, Unix nanoseconds; 0: never
	closed atomic.Bool
}

// newEndpoint takes a negotiated session: the first common audio codec is the one sent.
func newEndpoint(sess *media.MediaSession) (*endpoint, error) {
	e := &endpoint{sess: sess, dtmf: -1, seq: uint16(randUint32()), ts: randUint32(), ssrc: randUint32()}
	found := false
	for _, c := range sess.CommonCodecs() {
		switch c.Name {
		case "telephone-event":
			e.dtmf = int(c.PayloadTypeRecv())
		case "pcma", "pcmu":
			if !found {
				e.codec, found = c, true
			}
		}
	}
	if !found {
		return nil, errNoCodec
	}
	return e, nil
}

// send encodes one frame of 16-bit little-endian PCM in the leg's codec and sends it.
func (e *endpoint) send(pcm []byte) {
	if e.closed.Load() {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(pcm) / 2
	if cap(e.enc) < n {
		e.enc = make([]byte, n)
	}
	payload := e.enc[:n]
	if e.codec.Name == "pcmu" {
		audio.EncodeUlawTo(payload, pcm)
	} else {
		audio.EncodeAlawTo(payload, pcm)
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, Marker: !e.started, PayloadType: e.codec.PayloadType,
		SequenceNumber: e.seq, Timestamp: e.ts, SSRC: e.ssrc}, Payload: payload}
	e.started = true
	e.seq++
	e.ts += uint32(n)
	e.sess.WriteRTP(&pkt)
}

// read receives the leg's RTP until the session is closed: audio decoded to 16-bit PCM goes
// to onAudio, RFC 4733 events to onEvent (nil: dropped).
func (e *endpoint) read(onAudio func(pcm []byte), onEvent func(p *rtp.Packet)) {
	buf := make([]byte, media.RTPBufSize)
	pcm := make([]byte, 2*media.RTPBufSize)
	var pkt rtp.Packet
	for {
		n, err := e.sess.ReadRTP(buf, &pkt)
		if err != nil {
			if e.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a malformed packet
		}
		if n == 0 {
			continue
		}
		e.last.Store(time.Now().UnixNano())
		switch {
		case pkt.PayloadType == 8 && len(pkt.Payload) <= media.RTPBufSize:
			m, _ := audio.DecodeAlawTo(pcm, pkt.Payload)
			onAudio(pcm[:m])
		case pkt.PayloadType == 0 && len(pkt.Payload) <= media.RTPBufSize:
			m, _ := audio.DecodeUlawTo(pcm, pkt.Payload)
			onAudio(pcm[:m])
		case int(pkt.PayloadType) == e.dtmf && onEvent != nil:
			onEvent(&pkt)
		}
	}
}

func (e *endpoint) close() {
	if e.closed.CompareAndSwap(false, true) {
		e.sess.Close()
	}
}

// callMedia is a call's audio through hotline: the caller's endpoint, which stays the same
// for the whole call (transfers included, so the caller's SDP never changes), and the other
// party's, bridged through here once an agent answers, with the recorder.
type callMedia struct {
	s      *Server
	callID string
	caller *endpoint
	answer []byte // our SDP to the caller, sent in the 183 and again in the 200

	mu    sync.Mutex
	other *endpoint // the agent, or the transfer target
	// third is the party an agent brought in for a three-way consult; sup the supervisor
	// monitoring the call in supMode. While either is on, mix carries every party's audio
	// (conference.go); otherwise caller and other are bridged packet by packet.
	third   *endpoint
	sup     *endpoint
	supMode MonitorMode
	mix     *mixer
	rec     *recorder
	stop    chan struct{} // closed by stopPrompts when the prompts stop
	stopped sync.Once
	closed  bool
	done    chan struct{} // closed by close
	// onSilence ends the call when the caller's audio, or the agent's, stops for longer than
	// the timeout; agent tells which, since when the last packet came.
	onSilence func(agent bool, since time.Time)
	// offerCallback, when set, takes the caller's 1 after the callback offer (offered) was
	// heard; tap, when set, receives the caller's audio (a voice message).
	offerCallback func()
	offered       atomic.Bool
	tap           func(pcm []byte)

	// The caller's key presses (RFC 4733); eventTS and haveEvent belong to the caller's read
	// goroutine.
	digits    chan byte
	eventTS   uint32
	haveEvent bool
}

// openCallerMedia answers the caller's offer with a session of our own and starts the
// prompts: the greeting, then the hold audio until an agent answers.
func (s *Server) openCallerMedia(callID string, offer []byte) (*callMedia, error) {
	sess, err := s.ports.open()
	if err != nil {
		return nil, err
	}
	if err := sess.RemoteSDP(offer, false); err != nil {
		sess.Close()
		return nil, fmt.Errorf("%w: %v", errNoCodec, err)
	}
	ep, err := newEndpoint(sess)
	if err != nil {
		sess.Close()
		return nil, err
	}
	ep.local = sess.LocalSDP(true)
	m := &callMedia{s: s, callID: callID, caller: ep, answer: ep.local, stop: make(chan struct{}),
		done: make(chan struct{}), digits: make(chan byte, 8)}
	go ep.read(m.fromCaller, m.onCallerEvent)
	return m, nil
}

// offerAgent opens the session of a leg hotline places (agent, transfer target) and returns
// it with its SDP offer.
func (s *Server) offerAgent() (*media.MediaSession, []byte, error) {
	sess, err := s.ports.open()
	if err != nil {
		return nil, nil, err
	}
	return sess, sess.LocalSDP(false), nil
}

// answered completes a session offered (offer) by offerAgent with the peer's answer; legID is
// the dialog of the leg.
func answered(sess *media.MediaSession, offer, answer []byte, legID string) (*endpoint, error) {
	if err := sess.RemoteSDP(answer, true); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoCodec, err)
	}
	ep, err := newEndpoint(sess)
	if err != nil {
		return nil, err
	}
	ep.local, ep.legID = offer, legID
	return ep, nil
}

// endpointOf returns the endpoint of a party hotline placed (agent, transfer or consult
// target, supervisor) if it belongs to the dialog legID.
func (m *callMedia) endpointOf(legID string) *endpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ep := range []*endpoint{m.other, m.third, m.sup} {
		if ep != nil && ep.legID == legID {
			return ep
		}
	}
	return nil
}

func (m *callMedia) fromCaller(pcm []byte) {
	m.mu.Lock()
	other, rec, mix, tap := m.other, m.rec, m.mix, m.tap
	m.mu.Unlock()
	if tap != nil {
		tap(pcm)
	}
	if mix != nil {
		mix.push(partyCaller, pcm)
		return
	}
	if other != nil {
		other.send(pcm)
	}
	if rec != nil {
		rec.push(0, pcm)
	}
}

// fromParty takes the audio of a party hotline placed, in whatever part ep plays at the
// moment: the one bridged to the caller, a consult's third party or a supervisor.
func (m *callMedia) fromParty(ep *endpoint) func(pcm []byte) {
	return func(pcm []byte) {
		m.mu.Lock()
		part := m.partOf(ep)
		rec, mix := m.rec, m.mix
		m.mu.Unlock()
		switch {
		case part < 0:
			return // an agent already replaced by a transfer target
		case mix != nil:
			mix.push(part, pcm)
		case part == partyOther:
			m.caller.send(pcm)
			if rec != nil {
				rec.push(1, pcm)
			}
		}
	}
}

// play sends the waiting caller's audio every 20 ms until the call is bridged or over: the
// greeting, then hold audio with the queue position announced every AnnounceEvery.
func (m *callMedia) play() {
	// One snapshot of the queue per announcement gives both the place and the wait.
	var ahead, ready int
	pl := newPlaylist(m.s.prompts, m.s.cfg.Media.AnnounceEvery, func() int {
		ahead, ready = m.s.queuePlace(m.callID)
		return ahead
	})
	pl.wait = func() (time.Duration, bool) { return m.s.waits.estimate(ahead, ready) }
	if m.offerCallback != nil {
		pl.offerAbove, pl.offered = m.s.cfg.Media.CallbackOfferAbove, &m.offered
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.caller.send(pl.next())
	}
}

// playlist is what a waiting caller hears, one 20 ms frame at a time: the greeting once, then
// hold audio, interrupted every announceEvery by the queue position — "您前面还有" (queue-ahead),
// the number (n-1 … n-20, or queue-many beyond), "位来电在等候" (queue-calls), or "您是下一位"
// (queue-next) when nobody is ahead — and the estimated wait (waitAnnouncement). Without those
// parts the generic queue prompt is played; a prompt that is missing is silence.
type playlist struct {
	prompts       *prompts
	announceEvery time.Duration
	ahead         func() int
	// wait, when set, is the caller's estimated wait (EstimatedWait). When it exceeds
	// offerAbove (zero: never) the announcement ends with the callback offer and offered
	// is set.
	wait       func() (time.Duration, bool)
	offerAbove time.Duration
	offered    *atomic.Bool

	cur        []byte // what plays now
	pos        int
	holdPlayed time.Duration
	frame      []byte
}

func newPlaylist(p *prompts, every time.Duration, ahead func() int) *playlist {
	// The first announcement follows the greeting at once: a caller learns their place and
	// wait before any hold audio.
	return &playlist{prompts: p, announceEvery: every, ahead: ahead, cur: p.get("greeting"),
		frame: make([]byte, 2*frameSamples), holdPlayed: every}
}

// next returns the next frame.
func (pl *playlist) next() []byte {
	if pl.pos >= len(pl.cur) {
		pl.pos = 0
		pl.cur = pl.after()
	}
	clear(pl.frame)
	pl.pos += copy(pl.frame, pl.cur[pl.pos:])
	return pl.frame
}

// after chooses what plays once the current audio is over.
func (pl *playlist) after() []byte {
	if pl.announceEvery > 0 && pl.holdPlayed >= pl.announceEvery {
		pl.holdPlayed = 0
		if a := pl.announcement(); len(a) > 0 {
			return a
		}
	}
	hold := pl.prompts.get("hold")
	if len(hold) == 0 {
		hold = make([]byte, 2*frameSamples*50) // a second of silence
	}
	pl.holdPlayed += time.Duration(len(hold)/2) * time.Second / 8000
	return hold
}

// announcement is the queue position, the estimated wait and perhaps the callback offer as
// audio.
func (pl *playlist) announcement() []byte {
	n := pl.ahead()
	if n < 0 {
		return nil
	}
	out := pl.position(n)
	if pl.wait == nil {
		return out
	}
	d, ok := pl.wait()
	if !ok {
		return out
	}
	out = slices.Concat(out, waitAnnouncement(pl.prompts, d))
	if offer := pl.prompts.get("callback-offer"); pl.offerAbove > 0 && d > pl.offerAbove && len(offer) > 0 {
		out = slices.Concat(out, offer)
		pl.offered.Store(true)
	}
	return out
}

// waitAnnouncement is the estimated wait d as audio: "预计等待时间约" (wait-about), the minutes
// (n-1 … n-20), "分钟" (wait-minutes); "预计等待时间超过二十分钟" (wait-long) beyond. Nothing
// when a part is missing.
func waitAnnouncement(p *prompts, d time.Duration) []byte {
	m := waitMinutes(d)
	if m > maxAnnouncedPosition {
		return p.get("wait-long")
	}
	head, num, tail := p.get("wait-about"), p.get("n-"+strconv.Itoa(m)), p.get("wait-minutes")
	if len(head) == 0 || len(num) == 0 || len(tail) == 0 {
		return nil
	}
	return slices.Concat(head, num, tail)
}

// position is the number of calls ahead, n, as audio.
func (pl *playlist) position(n int) []byte {
	p := pl.prompts
	if n == 0 && len(p.get("queue-next")) > 0 {
		return p.get("queue-next")
	}
	num := p.get("queue-many")
	if n <= maxAnnouncedPosition {
		num = p.get("n-" + strconv.Itoa(n))
	}
	head, tail := p.get("queue-ahead"), p.get("queue-calls")
	if n == 0 || len(head) == 0 || len(num) == 0 || len(tail) == 0 {
		return p.get("queue")
	}
	return slices.Concat(head, num, tail)
}

// maxAnnouncedPosition is the largest number of callers ahead announced as a number.
const maxAnnouncedPosition = 20

// stopPrompts ends the waiting caller's playlist (once; later calls do nothing).
func (m *callMedia) stopPrompts() { m.stopped.Do(func() { close(m.stop) }) }

// setTap sends the caller's audio to tap from now on; nil stops it.
func (m *callMedia) setTap(tap func(pcm []byte)) {
	m.mu.Lock()
	m.tap = tap
	m.mu.Unlock()
}

// bridge connects the caller with ep (the agent who answered, or a transfer target that
// replaces them), stopping the prompts and starting the recording on the first bridge.
func (m *callMedia) bridge(ep *endpoint, recID string) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		ep.close()
		return
	}
	old := m.other
	m.other = ep
	first := m.rec == nil && old == nil
	if first {
		m.stopPrompts()
		m.rec = m.s.startRecording(recID)
		go m.watch(time.Now())
	}
	m.mu.Unlock()
	if old != nil {
		old.close()
	}
	// The other party's silence counts from the bridge, as the caller's does.
	ep.last.CompareAndSwap(0, time.Now().UnixNano())
	go ep.read(m.fromParty(ep), nil)
}

// watch ends the call, through onSilence, once the caller has sent no RTP for the timeout,
// or the other party (the agent, a transfer target) has not: from the bridge on, as a phone
// may send nothing during early media. Both ends dead (a killed phone and a lost gateway)
// thus end the call whoever sent last.
func (m *callMedia) watch(from time.Time) {
	timeout := m.s.cfg.Media.Timeout
	t := time.NewTicker(min(time.Second, timeout/4))
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case now := <-t.C:
			agent := false
			last := from
			if ns := m.caller.last.Load(); ns > from.UnixNano() {
				last = time.Unix(0, ns)
			}
			if now.Sub(last) <= timeout {
				m.mu.Lock()
				other := m.other
				m.mu.Unlock()
				if other == nil {
					continue // the agent hung up; the caller is taking the survey
				}
				ns := other.last.Load()
				if ns == 0 {
					// A party that joined without a packet yet (a transfer target, a consult's
					// third party become the other): its silence counts from now.
					other.last.CompareAndSwap(0, now.UnixNano())
					continue
				}
				last, agent = time.Unix(0, ns), true
				if now.Sub(last) <= timeout {
					continue
				}
			}
			if m.onSilence != nil {
				m.onSilence(agent, last)
			}
			return
		}
	}
}

// endOther closes the other party's endpoint: the agent hung up and the caller stays (the
// survey).
func (m *callMedia) endOther() {
	m.mu.Lock()
	other := m.other
	m.other = nil
	m.mu.Unlock()
	if other != nil {
		other.close()
	}
}

// playOnce plays a prompt to the caller, in real time, and reports whether the call is still
// up at its end.
func (m *callMedia) playOnce(name string) bool {
	if !m.playPCM(m.s.prompts.get(name)) {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// flushDigits forgets the keys pressed so far.
func (m *callMedia) flushDigits() {
	for {
		select {
		case <-m.digits:
		default:
			return
		}
	}
}

// waitDigit waits at most d for a key; ok is false once the call is over.
func (m *callMedia) waitDigit(d time.Duration) (digit byte, ok bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case k := <-m.digits:
		return k, true
	case <-t.C:
		return 0, true
	case <-m.done:
		return 0, false
	}
}

// close ends the call's audio: the sockets are closed and the recording is finished and
// stored.
func (m *callMedia) close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.done)
	m.stopPrompts()
	other, rec := m.other, m.rec
	third, sup, mix := m.third, m.sup, m.mix
	m.third, m.sup, m.mix = nil, nil, nil
	m.mu.Unlock()
	if mix != nil {
		mix.close()
	}
	m.caller.close()
	for _, ep := range []*endpoint{other, third, sup} {
		if ep != nil {
			ep.close()
		}
	}
	if rec != nil {
		m.s.finishRecording(rec)
	}
}

// prompts are the audio files the caller hears, 8 kHz 16-bit mono PCM, by purpose; an
// administrator may replace one while calls play the others.
type prompts struct {
	mu  sync.RWMutex
	pcm map[string][]byte
}

// promptPurposes are the prompts hotline plays; each is <purpose>.wav in the prompts
// directory: those an administrator may upload, and the parts of the queue position.
var promptPurposes = slices.Concat(PromptPurposes, announcementParts())

// announcementParts are the prompts the queue position is made of.
func announcementParts() []string {
	parts := []string{"queue-ahead", "queue-calls", "queue-next", "queue-many", "wait-about", "wait-minutes", "wait-long"}
	for i := 1; i <= maxAnnouncedPosition; i++ {
		parts = append(parts, "n-"+strconv.Itoa(i))
	}
	return parts
}

// loadPrompts reads the prompts; a missing or unreadable one is logged and plays as silence,
// so a machine without them still takes calls.
func loadPrompts(dir string, log *slog.Logger) *prompts {
	p := &prompts{pcm: make(map[string][]byte)}
	if dir == "" {
		return p
	}
	var missing []string
	for _, name := range promptPurposes {
		pcm, err := readPromptFile(dir, name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				log.Warn("prompt unusable; callers hear silence instead", "prompt", name, "err", err)
			}
			missing = append(missing, name)
			continue
		}
		p.pcm[name] = pcm
	}
	if len(missing) > 0 {
		log.Warn("prompts missing; callers hear silence instead (scripts/prompts.sh makes the defaults)",
			"dir", dir, "prompts", strings.Join(missing, ","))
	}
	return p
}

func (p *prompts) get(name string) []byte {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.pcm[name]
}

func (p *prompts) set(name string, pcm []byte) {
	p.mu.Lock()
	p.pcm[name] = pcm
	p.mu.Unlock()
}

// pcmFrame pads or cuts 16-bit samples to whole 20 ms frames.
func pcmFrames(pcm []byte) []byte {
	n := len(pcm) / (2 * frameSamples)
	if len(pcm)%(2*frameSamples) == 0 {
		return pcm // whole frames already: a stored prompt
	}
	n++
	out := make([]byte, n*2*frameSamples)
	copy(out, pcm)
	return out
}
