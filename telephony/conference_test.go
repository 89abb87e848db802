package telephony

import (
	"encoding/binary"
	"testing"
)

// Who hears whom: everybody on a call hears everybody else but the supervisor, whom nobody
// hears listening, the agent alone hears whispering and all hear barging in; the recording's
// right channel is what the caller heard of the others.
func TestConferenceHearing(t *testing.T) {
	t.Parallel()
	names := []string{"caller", "agent", "third", "supervisor"}
	for _, tc := range []struct {
		mode MonitorMode
		// heard[to] lists, per from, whether to hears from.
		heard    [parties][parties]bool
		recorded [parties]bool
	}{
		{MonitorListen, [parties][parties]bool{
			{false, true, true, false}, {true, false, true, false}, {true, true, false, false}, {true, true, true, false}},
			[parties]bool{false, true, true, false}},
		{MonitorWhisper, [parties][parties]bool{
			{false, true, true, false}, {true, false, true, true}, {true, true, false, false}, {true, true, true, false}},
			[parties]bool{false, true, true, false}},
		{MonitorBarge, [parties][parties]bool{
			{false, true, true, true}, {true, false, true, true}, {true, true, false, true}, {true, true, true, false}},
			[parties]bool{false, true, true, true}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			for to := range parties {
				for from := range parties {
					if got := hears(to, from, tc.mode); got != tc.heard[to][from] {
						t.Errorf("%s hears %s: %v, want %v", names[to], names[from], got, tc.heard[to][from])
					}
				}
				if got := recorded(to, tc.mode); got != tc.recorded[to] {
					t.Errorf("%s recorded on the agent's channel: %v, want %v", names[to], got, tc.recorded[to])
				}
			}
		})
	}
}

// Mixing sums the chosen parties' samples and clips at the 16-bit limits.
func TestMixIntoClips(t *testing.T) {
	t.Parallel()
	frame := func(v int16) []byte {
		b := make([]byte, 4)
		binary.LittleEndian.PutUint16(b, uint16(v))
		binary.LittleEndian.PutUint16(b[2:], uint16(-v))
		return b
	}
	in := [][]byte{frame(30000), frame(10000), frame(-5000), frame(7)}
	out := make([]byte, 4)
	mixInto(out, in, func(from int) bool { return from != 3 })
	if a, b := int16(binary.LittleEndian.Uint16(out)), int16(binary.LittleEndian.Uint16(out[2:])); a != 32767 || b != -32768 {
		t.Fatalf("mixed %d %d, want the limits", a, b)
	}
	mixInto(out, in, func(from int) bool { return from >= 2 })
	if a := int16(binary.LittleEndian.Uint16(out)); a != -4993 {
		t.Fatalf("mixed %d, want -4993", a)
	}
}

// BenchmarkMixerTick is the mixing of one 20 ms tick of a call with four parties: five sums of
// 160 samples (four parties and the recording).
func BenchmarkMixerTick(b *testing.B) {
	in := make([][]byte, parties)
	for i := range in {
		in[i] = make([]byte, 2*frameSamples)
		for j := range frameSamples {
			binary.LittleEndian.PutUint16(in[i][2*j:], uint16(int16(j*(i+1))))
		}
	}
	out := make([]byte, 2*frameSamples)
	for b.Loop() {
		for to := range parties + 1 {
			mixInto(out, in, func(from int) bool { return from != to })
		}
	}
}
