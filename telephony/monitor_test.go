package telephony

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/diago/audio"

	"github.com/hotline-city/hotline/tickets"
)

// tonePeer is the audio of one phone in a test: a loopback RTP socket that, once hotline has
// sent it a packet, answers with a tone of its own (G.711 A-law every 20 ms) and tells which
// other phones' tones it hears.
type tonePeer struct {
	conn net.PacketConn
	hz   float64

	mu     sync.Mutex
	remote net.Addr
	heard  map[float64]int // frames in which each tone was heard
}

// The tones of the parties: caller, agent, supervisor, a consult's target.
const (
	callerHz = 700
	agentHz  = 1100
	supHz    = 1700
	thirdHz  = 2300
)

var peerTones = []float64{callerHz, agentHz, supHz, thirdHz}

func newTonePeer(t *testing.T, hz float64) *tonePeer {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tonePeer{conn: c, hz: hz, heard: make(map[float64]int)}
	t.Cleanup(func() { c.Close() })
	go p.receive()
	go p.send()
	return p
}

func (p *tonePeer) port() string { return strconv.Itoa(p.conn.LocalAddr().(*net.UDPAddr).Port) }

func (p *tonePeer) receive() {
	buf := make([]byte, 1500)
	pcm := make([]byte, 3000)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if n <= 12 || buf[1]&0x7f != 8 {
			continue
		}
		m, _ := audio.DecodeAlawTo(pcm, buf[12:n])
		p.mu.Lock()
		p.remote = from
		for _, hz := range peerTones {
			if toneLevel(pcm[:m], hz) > 1000 {
				p.heard[hz]++
			}
		}
		p.mu.Unlock()
	}
}

func (p *tonePeer) send() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	pcm := make([]byte, 2*frameSamples)
	payload := make([]byte, frameSamples)
	pkt := make([]byte, 12+frameSamples)
	var seq uint16
	var ts uint32
	for range t.C {
		p.mu.Lock()
		to := p.remote
		p.mu.Unlock()
		if to == nil {
			continue
		}
		for i := range frameSamples {
			v := int16(6000 * math.Sin(2*math.Pi*p.hz*float64(int(ts)+i)/8000))
			binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
		}
		audio.EncodeAlawTo(payload, pcm)
		pkt[0], pkt[1] = 0x80, 8
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		binary.BigEndian.PutUint32(pkt[8:], uint32(p.hz))
		copy(pkt[12:], payload)
		if _, err := p.conn.WriteTo(pkt, to); err != nil {
			return
		}
		seq++
		ts += frameSamples
	}
}

// listen forgets what was heard, waits d and returns the frames in which each tone was heard.
func (p *tonePeer) listen(d time.Duration) map[float64]int {
	p.mu.Lock()
	clear(p.heard)
	p.mu.Unlock()
	time.Sleep(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[float64]int, len(p.heard))
	for k, v := range p.heard {
		out[k] = v
	}
	return out
}

// toneLevel is the amplitude of the frequency hz in 16-bit PCM (Goertzel).
func toneLevel(pcm []byte, hz float64) float64 {
	n := len(pcm) / 2
	if n == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*hz/8000)
	var s1, s2 float64
	for i := range n {
		s := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:]))) + coeff*s1 - s2
		s2, s1 = s1, s
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(math.Max(power, 0)) / float64(n)
}

// heardWell reports whether a tone was heard in most of the frames of a second.
func heardWell(h map[float64]int, hz float64) bool { return h[hz] > 25 }

// heardNot reports whether a tone was heard in hardly any frame.
func heardNot(h map[float64]int, hz float64) bool { return h[hz] < 3 }

// answeredCall starts a call from a caller whose audio is caller's, answered by extension
// 1001 whose audio is agent's, and returns its record ID once the two talk.
func (ts *testServer) answeredCall(t *testing.T, caller, agent *tonePeer, number string, hold time.Duration) (string, *sippProc, *sippProc) {
	t.Helper()
	aport := freePort(t)
	agentPhone := startSipp(t, "phone_rtp.xml", aport, "", "rtpport", agent.port())
	ts.register(t, "1001", "demo-sip", aport, 200)
	callerPhone := startSipp(t, "caller_rtp.xml", freePort(t), ts.Addr(), "caller", number, "rtpport", caller.port(),
		"-d", strconv.Itoa(int(hold.Milliseconds())))
	rs := ts.waitCalls(t, "an answered call", func(rs []Record) bool { return len(rs) == 1 && rs[0].AnsweredAt != nil })
	deadline := time.Now().Add(10 * time.Second)
	for !heardWell(agent.listen(time.Second), callerHz) {
		if time.Now().After(deadline) {
			t.Fatal("the agent never heard the caller")
		}
	}
	return rs[0].ID, callerPhone, agentPhone
}

// A supervisor monitors a live call from their own phone (extension 1003) and switches modes
// during it: listening they hear caller and agent and nobody hears them; whispering the agent
// hears them and the caller does not; barging in both do. The supervisor's phone is hung up
// with the call.
func TestSIPpMonitorListenWhisperBarge(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	ts := newTestServer(t, withMedia(t))
	caller, agent, sup := newTonePeer(t, callerHz), newTonePeer(t, agentHz), newTonePeer(t, supHz)
	id, callerPhone, agentPhone := ts.answeredCall(t, caller, agent, "13800138200", 12*time.Second)

	ctx := context.Background()
	if _, err := ts.Monitor(ctx, id, "1003", MonitorListen); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("monitor from an unregistered phone: %v", err)
	}
	sport := freePort(t)
	supPhone := startSipp(t, "phone_rtp.xml", sport, "", "rtpport", sup.port())
	ts.register(t, "1003", "demo-sip", sport, 200)
	st, err := ts.Monitor(ctx, id, "1003", MonitorListen)
	if err != nil || st.Mode != MonitorListen || st.Extension != "1003" {
		t.Fatalf("monitor: %+v %v", st, err)
	}
	if _, err := ts.Monitor(ctx, id, "1003", MonitorBarge); !errors.Is(err, ErrMonitored) {
		t.Fatalf("second monitor of one call: %v", err)
	}
	if live := ts.LiveCalls(); len(live) != 1 || live[0].Monitor == nil || live[0].Monitor.Mode != MonitorListen {
		t.Fatalf("live calls: %+v", live)
	}
	time.Sleep(300 * time.Millisecond)
	check := func(mode MonitorMode, callerHears, agentHears bool) {
		t.Helper()
		if _, err := ts.SetMonitorMode(id, mode); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		var hs, hc, ha map[float64]int
		var wg sync.WaitGroup
		wg.Go(func() { hs = sup.listen(1200 * time.Millisecond) })
		wg.Go(func() { hc = caller.listen(1200 * time.Millisecond) })
		wg.Go(func() { ha = agent.listen(1200 * time.Millisecond) })
		wg.Wait()
		if !heardWell(hs, callerHz) || !heardWell(hs, agentHz) {
			t.Errorf("%s: the supervisor heard %v, want caller and agent", mode, hs)
		}
		if !heardWell(hc, agentHz) || !heardWell(ha, callerHz) {
			t.Errorf("%s: caller heard %v, agent heard %v; want each other", mode, hc, ha)
		}
		if callerHears && !heardWell(hc, supHz) || !callerHears && !heardNot(hc, supHz) {
			t.Errorf("%s: the caller heard the supervisor in %d frames", mode, hc[supHz])
		}
		if agentHears && !heardWell(ha, supHz) || !agentHears && !heardNot(ha, supHz) {
			t.Errorf("%s: the agent heard the supervisor in %d frames", mode, ha[supHz])
		}
	}
	check(MonitorListen, false, false)
	check(MonitorWhisper, false, true)
	check(MonitorBarge, true, true)
	callerPhone.wait(t)
	agentPhone.wait(t)
	supPhone.wait(t)
	rs := ts.waitCalls(t, "the call's end", func(rs []Record) bool { return len(rs) == 1 && rs[0].EndedAt != nil })
	if rec := ts.waitRecording(t, rs[0].ID); !rec.Playable() {
		t.Fatalf("recording: %+v", rec)
	}
}

// An agent brings 110 into the call (三方通话): caller, agent and 110 hear each other. Then the
// agent drops out and the caller stays with 110 (an attended transfer); in a second call the
// agent drops 110 and has the caller back alone.
func TestSIPpConsultTransferOrTakeBack(t *testing.T) {
	t.Parallel()
	skipJourneyIfShort(t)
	for _, leave := range []bool{true, false} {
		name := "agent leaves"
		if !leave {
			name = "agent takes the caller back"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pport := freePort(t)
			ts := newTestServer(t, withMedia(t), func(c *Config) { c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:" + strconv.Itoa(pport)} })
			caller, agent, police := newTonePeer(t, callerHz), newTonePeer(t, agentHz), newTonePeer(t, thirdHz)
			policePhone := startSipp(t, "phone_rtp.xml", pport, "", "rtpport", police.port())
			id, callerPhone, agentPhone := ts.answeredCall(t, caller, agent, "13800138300", 9*time.Second)
			ctx := context.Background()
			actor := tickets.Actor{Name: "agent"}
			if err := ts.Consult(ctx, id, "1002", "110", actor); !errors.Is(err, ErrNotTransferable) {
				t.Fatalf("consult by an agent not on the call: %v", err)
			}
			if err := ts.Consult(ctx, id, "1001", "110", actor); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			var hc, ha, hp map[float64]int
			var wg sync.WaitGroup
			wg.Go(func() { hc = caller.listen(time.Second) })
			wg.Go(func() { ha = agent.listen(time.Second) })
			wg.Go(func() { hp = police.listen(time.Second) })
			wg.Wait()
			if !heardWell(hc, agentHz) || !heardWell(hc, thirdHz) || !heardWell(ha, callerHz) || !heardWell(ha, thirdHz) ||
				!heardWell(hp, callerHz) || !heardWell(hp, agentHz) {
				t.Fatalf("three-way: caller heard %v, agent %v, 110 %v", hc, ha, hp)
			}
			if leave {
				if err := ts.ConsultTransfer(ctx, id, "1001", actor); err != nil {
					t.Fatal(err)
				}
				agentPhone.wait(t) // hung up by hotline
				time.Sleep(300 * time.Millisecond)
				if h := caller.listen(time.Second); !heardWell(h, thirdHz) || !heardNot(h, agentHz) {
					t.Fatalf("after the agent left the caller heard %v; want 110 alone", h)
				}
				if a := ts.Agent("1001"); a.State == "talking" {
					t.Fatalf("agent held after leaving: %+v", a)
				}
			} else {
				if err := ts.ConsultCancel(ctx, id, "1001", actor); err != nil {
					t.Fatal(err)
				}
				policePhone.wait(t) // hung up by hotline
				time.Sleep(300 * time.Millisecond)
				if h := caller.listen(time.Second); !heardWell(h, agentHz) || !heardNot(h, thirdHz) {
					t.Fatalf("after 110 was dropped the caller heard %v; want the agent alone", h)
				}
			}
			callerPhone.wait(t)
			agentPhone.wait(t)
			policePhone.wait(t)
			want := "answered"
			if leave {
				want = OutcomeTransferred
			}
			rs := ts.waitCalls(t, "the call's end", func(rs []Record) bool { return len(rs) == 1 && rs[0].EndedAt != nil && rs[0].Outcome == want })
			if leave && rs[0].TransferTarget != "110" {
				t.Fatalf("record: %+v", rs[0])
			}
		})
	}
}
