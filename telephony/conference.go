package telephony

import (
	"encoding/binary"
	"sync"
	"time"
)

// The parties of a call's audio, as the mixer knows them.
const (
	partyCaller = iota
	partyOther  // the agent, or whoever replaced them (a transfer target)
	partyThird  // the party of a three-way consult (三方通话)
	partySup    // a supervisor listening, whispering or barging in (监听/耳语/强插)
	parties
)

// MonitorMode is how a supervisor takes part in a call they monitor.
type MonitorMode string

// The monitoring modes: listen (监听) hears caller and agent and speaks to nobody; whisper (耳语)
// hears both and speaks to the agent only; barge (强插) speaks with both.
const (
	MonitorListen  MonitorMode = "listen"
	MonitorWhisper MonitorMode = "whisper"
	MonitorBarge   MonitorMode = "barge"
)

// partOf is the part ep plays in the call, or -1. Runs with m.mu held.
func (m *callMedia) partOf(ep *endpoint) int {
	switch ep {
	case nil:
		return -1
	case m.other:
		return partyOther
	case m.third:
		return partyThird
	case m.sup:
		return partySup
	}
	return -1
}

// hears reports whether party to hears party from, the supervisor being in mode. Everybody on
// the call hears everybody else, but the supervisor: all of them hear the supervisor in barge,
// the agent alone in whisper, nobody in listen.
func hears(to, from int, mode MonitorMode) bool {
	if to == from {
		return false
	}
	if from != partySup {
		return true
	}
	switch mode {
	case MonitorBarge:
		return true
	case MonitorWhisper:
		return to == partyOther
	}
	return false
}

// recorded reports whether the right channel of the recording (the agent's side) carries party
// from: the agent, a consult's third party and a barging supervisor, as the caller heard them
// all. What the caller never heard (listen, whisper) is not recorded; the caller's own voice is
// the left channel.
func recorded(from int, mode MonitorMode) bool {
	return from != partyCaller && hears(partyCaller, from, mode)
}

// mixer carries a call's audio while more than two parties are on it: each party's decoded
// audio is queued as it arrives, and every 20 ms one frame of each (silence where a party sent
// nothing) is taken, and each party is sent the sum of the frames it hears. A bridge of two
// needs none of this and forwards packets as they come.
type mixer struct {
	m *callMedia

	mu      sync.Mutex
	pending [parties][]byte
	stop    chan struct{}
	done    chan struct{}
}

func newMixer(m *callMedia) *mixer {
	x := &mixer{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	go x.run()
	return x
}

// push queues a party's audio; more than maxPending of it drops the oldest.
func (x *mixer) push(part int, pcm []byte) {
	x.mu.Lock()
	p := append(x.pending[part], pcm...)
	if len(p) > maxPending {
		p = p[len(p)-maxPending:]
	}
	x.pending[part] = p
	x.mu.Unlock()
}

// close stops the mixer and waits for its last frame.
func (x *mixer) close() {
	select {
	case <-x.stop:
	default:
		close(x.stop)
	}
	<-x.done
}

func (x *mixer) run() {
	defer close(x.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var in [parties][]byte
	for i := range in {
		in[i] = make([]byte, 2*frameSamples)
	}
	out := make([]byte, 2*frameSamples)
	for {
		select {
		case <-x.stop:
			return
		case <-t.C:
		}
		x.mu.Lock()
		for i := range in {
			clear(in[i])
			n := copy(in[i], x.pending[i])
			x.pending[i] = x.pending[i][n:]
		}
		x.mu.Unlock()
		m := x.m
		m.mu.Lock()
		eps := [parties]*endpoint{m.caller, m.other, m.third, m.sup}
		mode, rec := m.supMode, m.rec
		m.mu.Unlock()
		for to, ep := range eps {
			if ep == nil {
				continue
			}
			mixInto(out, in[:], func(from int) bool { return eps[from] != nil && hears(to, from, mode) })
			ep.send(out)
		}
		if rec != nil {
			rec.push(0, in[partyCaller])
			mixInto(out, in[:], func(from int) bool { return eps[from] != nil && recorded(from, mode) })
			rec.push(1, out)
		}
	}
}

// mixInto sums the 16-bit frames of the parties take accepts into out, clipped.
func mixInto(out []byte, in [][]byte, take func(from int) bool) {
	var buf [parties][]byte
	srcs := buf[:0]
	for from, f := range in {
		if take(from) {
			srcs = append(srcs, f)
		}
	}
	for i := 0; i+1 < len(out); i += 2 {
		var sum int32
		for _, f := range srcs {
			sum += int32(int16(binary.LittleEndian.Uint16(f[i:])))
		}
		sum = max(-32768, min(32767, sum))
		binary.LittleEndian.PutUint16(out[i:], uint16(int16(sum)))
	}
}

// setMixing starts the mixer when a third party or a supervisor is on the call and stops it
// when neither is. Runs with m.mu held; returns a mixer to close once m.mu is released.
func (m *callMedia) setMixing() (stopped *mixer) {
	want := m.third != nil || m.sup != nil
	switch {
	case want && m.mix == nil && !m.closed:
		m.mix = newMixer(m)
	case !want && m.mix != nil:
		stopped, m.mix = m.mix, nil
	}
	return stopped
}

// join puts ep on the call as part (partyThird, partySup) and starts reading its audio.
func (m *callMedia) join(part int, ep *endpoint, mode MonitorMode) bool {
	m.mu.Lock()
	if m.closed || m.other == nil {
		m.mu.Unlock()
		return false
	}
	switch part {
	case partyThird:
		m.third = ep
	case partySup:
		m.sup, m.supMode = ep, mode
	}
	m.setMixing()
	m.mu.Unlock()
	go ep.read(m.fromParty(ep), nil)
	return true
}

// setMode changes the supervisor's mode.
func (m *callMedia) setMode(mode MonitorMode) {
	m.mu.Lock()
	m.supMode = mode
	m.mu.Unlock()
}

// leave takes the party part off the call and closes its endpoint.
func (m *callMedia) leave(part int) {
	m.mu.Lock()
	var ep *endpoint
	switch part {
	case partyThird:
		ep, m.third = m.third, nil
	case partySup:
		ep, m.sup = m.sup, nil
	}
	stopped := m.setMixing()
	m.mu.Unlock()
	if stopped != nil {
		stopped.close()
	}
	if ep != nil {
		ep.close()
	}
}

// promoteThird makes the consult's third party the one bridged to the caller, the agent
// dropping out (an attended transfer); the agent's endpoint is closed.
func (m *callMedia) promoteThird() {
	m.mu.Lock()
	old := m.other
	m.other, m.third = m.third, nil
	stopped := m.setMixing()
	m.mu.Unlock()
	if stopped != nil {
		stopped.close()
	}
	if old != nil {
		old.close()
	}
}
