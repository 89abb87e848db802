package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago/audio"
)

// Every packet a phone sends carries, after the RTP header, a marker saying which side sent
// it, the sender's own count and the time it was sent. The paths measured pass G.711 A-law
// payloads through unchanged (hotline decodes and re-encodes A-law, which gives back the same
// bytes), so the receiving phone knows a packet of the other phone from hotline's own prompts,
// counts it and takes its transit time.
const (
	frameBytes  = 160 // 20 ms of G.711 at 8 kHz
	headerBytes = 12
	packetBytes = headerBytes + frameBytes
)

var (
	markCaller = []byte{0x3a, 0xc5, 0x71, 0x0e}
	markAgent  = []byte{0x5c, 0x13, 0xa7, 0xe2}
)

// tone is 20 ms of a 440 Hz tone in A-law, the body of every packet after its stamp, so that
// the recordings hold sound on both sides.
var tone = func() []byte {
	pcm := make([]byte, 2*frameBytes)
	for i := range frameBytes {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
	}
	out := make([]byte, frameBytes)
	audio.EncodeAlawTo(out, pcm)
	return out
}()

// leg is one phone's audio on one call: it sends a packet every 20 ms while sending, and
// counts the packets of the phone at the other end with their transit jitter (RFC 3550's
// estimator over transit times, so the sender's own scheduling does not count).
type leg struct {
	conn *net.UDPConn
	peer *net.UDPAddr
	mark []byte // what this leg stamps its packets with
	want []byte // the other phone's mark

	sending atomic.Bool
	sent    atomic.Int64
	pkt     [packetBytes]byte
	seq     uint16
	ts      uint32

	mu          sync.Mutex
	received    int64
	jitter      float64 // ns
	lastTransit int64
	maxTransit  int64
	done        chan struct{}
}

func newLeg(mark, want []byte) (*leg, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	conn.SetReadBuffer(1 << 20)
	l := &leg{conn: conn, mark: mark, want: want, done: make(chan struct{}), seq: uint16(time.Now().UnixNano()), ts: uint32(time.Now().UnixNano())}
	l.pkt[0] = 0x80
	l.pkt[1] = 8 // PCMA
	binary.BigEndian.PutUint32(l.pkt[8:], uint32(time.Now().UnixNano()))
	copy(l.pkt[headerBytes:], tone)
	copy(l.pkt[headerBytes:], mark)
	go l.read()
	return l, nil
}

func (l *leg) port() int { return l.conn.LocalAddr().(*net.UDPAddr).Port }

// send writes the next packet; only the pacer calls it.
func (l *leg) send(now time.Time) {
	p := l.pkt[:]
	binary.BigEndian.PutUint16(p[2:], l.seq)
	binary.BigEndian.PutUint32(p[4:], l.ts)
	l.seq++
	l.ts += frameBytes
	n := l.sent.Add(1)
	binary.BigEndian.PutUint32(p[headerBytes+4:], uint32(n))
	binary.BigEndian.PutUint64(p[headerBytes+8:], uint64(now.UnixNano()))
	l.conn.WriteToUDP(p, l.peer)
}

func (l *leg) read() {
	defer close(l.done)
	buf := make([]byte, 1500)
	for {
		n, err := l.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		at := time.Now().UnixNano()
		if n < headerBytes+16 || !bytes.Equal(buf[headerBytes:headerBytes+4], l.want) {
			continue // a prompt of hotline's, or something else
		}
		transit := at - int64(binary.BigEndian.Uint64(buf[headerBytes+8:]))
		l.mu.Lock()
		if l.received > 0 {
			d := float64(transit - l.lastTransit)
			l.jitter += (math.Abs(d) - l.jitter) / 16
		}
		l.received++
		l.lastTransit = transit
		l.maxTransit = max(l.maxTransit, transit)
		l.mu.Unlock()
	}
}

// close stops the leg after its last packets had time to arrive.
func (l *leg) close() {
	l.sending.Store(false)
	time.Sleep(300 * time.Millisecond)
	l.conn.Close()
	<-l.done
}

type legStats struct {
	received, maxTransit int64
	jitter               float64
}

func (l *leg) stats() legStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return legStats{l.received, l.maxTransit, l.jitter}
}

// pacer sends every sending leg's packet once per 20 ms, the legs spread over the 20 ms in
// one-millisecond slots as calls' phases are in life; a late tick sends what is owed at once.
type pacer struct {
	mu    sync.Mutex
	slots [20][]*leg
	next  int
}

func (p *pacer) add(l *leg) {
	p.mu.Lock()
	s := p.next % len(p.slots)
	p.next++
	p.slots[s] = append(p.slots[s], l)
	p.mu.Unlock()
}

func (p *pacer) run(stop <-chan struct{}) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	last := time.Now().UnixMilli()
	var batch []*leg
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Now()
		ms := now.UnixMilli()
		for m := last + 1; m <= ms; m++ {
			s := int(m % int64(len(p.slots)))
			p.mu.Lock()
			kept := p.slots[s][:0]
			batch = batch[:0]
			for _, l := range p.slots[s] {
				if l.sending.Load() {
					batch = append(batch, l)
				}
				if l.sending.Load() || l.sent.Load() == 0 {
					kept = append(kept, l) // not started yet, or still going
				}
			}
			clear(p.slots[s][len(kept):])
			p.slots[s] = kept
			p.mu.Unlock()
			for _, l := range batch {
				l.send(now)
			}
		}
		last = ms
	}
}

// offer is a phone's SDP: G.711 A-law and RFC 4733 events on the leg's port.
func offer(port int) []byte {
	return fmt.Appendf(nil, "v=0\r\no=bench %d 1 IN IP4 127.0.0.1\r\ns=bench\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
		port, port)
}

// audioAddr reads where the other side wants its audio from an SDP body.
func audioAddr(sdp []byte) (*net.UDPAddr, error) {
	var ip net.IP
	port := 0
	for _, line := range strings.Split(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "c=IN IP4 "); ok && ip == nil {
			ip = net.ParseIP(strings.TrimSpace(rest))
		}
		if rest, ok := strings.CutPrefix(line, "m=audio "); ok && port == 0 {
			f := strings.Fields(rest)
			if len(f) > 0 {
				port, _ = strconv.Atoi(f[0])
			}
			if !strings.Contains(" "+strings.Join(f[2:], " ")+" ", " 8 ") {
				return nil, errors.New("the offer has no PCMA")
			}
		}
	}
	if ip == nil || port == 0 {
		return nil, fmt.Errorf("no audio address in SDP %q", sdp)
	}
	return &net.UDPAddr{IP: ip, Port: port}, nil
}
