package telephony

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline-city/hotline/telephony/acd"
)

// BenchmarkBridgeRecorded is the media path of one answered call: an RTP packet of 20 ms of
// G.711 from each phone, decoded, re-encoded and sent on to the other phone through hotline's
// two sessions, and both sides mixed into the stereo recording. It reports the CPU time per
// second of call (cpu-ms/call-s: 50 packets each way), from which the concurrent recorded calls
// a core carries follow (1000 / cpu-ms/call-s); the figure includes the benchmark's own two
// phones, so it overstates hotline's share.
func BenchmarkBridgeRecorded(b *testing.B) {
	s := &Server{cfg: Config{Media: MediaConfig{RecordingsDir: b.TempDir(), Timeout: time.Minute}}, clock: acd.SystemClock{},
		log: discardLogger(), prompts: &prompts{pcm: map[string][]byte{}}}
	s.ports = newPortPool(net.IPv4(127, 0, 0, 1), nil, 50000, 59999)
	phoneA, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	phoneB, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer phoneA.Close()
	defer phoneB.Close()
	sdpFor := func(c *net.UDPConn) []byte {
		return fmt.Appendf(nil, "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
			c.LocalAddr().(*net.UDPAddr).Port)
	}
	callerSess, err := s.ports.open()
	if err != nil {
		b.Fatal(err)
	}
	if err := callerSess.RemoteSDP(sdpFor(phoneA), false); err != nil {
		b.Fatal(err)
	}
	callerEP, err := newEndpoint(callerSess)
	if err != nil {
		b.Fatal(err)
	}
	m := &callMedia{s: s, caller: callerEP, stop: make(chan struct{}), done: make(chan struct{}), digits: make(chan byte, 8)}
	go callerEP.read(m.fromCaller, nil)
	agentSess, offer, err := s.offerAgent()
	if err != nil {
		b.Fatal(err)
	}
	agentEP, err := answered(agentSess, offer, sdpFor(phoneB), "bench")
	if err != nil {
		b.Fatal(err)
	}
	m.bridge(agentEP, "bench")
	// The recorder's 20 ms clock is driven by the loop instead, one frame per pair of packets
	// as in a call, so that its cost counts whatever the loop's pace.
	close(m.rec.stop)
	<-m.rec.done
	defer func() {
		callerEP.close()
		agentEP.close()
	}()
	frame := make([]byte, 4*frameSamples)
	toCaller, toAgent := &callerSess.Laddr, &agentSess.Laddr
	pkt := func(seq uint16) []byte {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 7},
			Payload: make([]byte, 160)}
		for i := range p.Payload {
			p.Payload[i] = byte(i * 7)
		}
		raw, _ := p.Marshal()
		return raw
	}
	buf := make([]byte, 1500)
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for i := range b.N {
		phoneA.WriteToUDP(pkt(uint16(i)), toCaller)
		phoneB.WriteToUDP(pkt(uint16(i)), toAgent)
		phoneB.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := phoneB.ReadFromUDP(buf); err != nil {
			b.Fatalf("caller's packet %d never reached the agent: %v", i, err)
		}
		phoneA.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := phoneA.ReadFromUDP(buf); err != nil {
			b.Fatalf("agent's packet %d never reached the caller: %v", i, err)
		}
		m.rec.mix(frame)
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	// cpu per pair of packets, 50 pairs per second of call; the benchmark's own phones are in it.
	b.ReportMetric(float64(cpu*50)/float64(time.Millisecond), "cpu-ms/call-s")
}
