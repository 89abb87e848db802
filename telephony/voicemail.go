package telephony

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emiago/diago/audio"
	"github.com/emiago/sipgo"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
	"github.com/hotline-city/hotline/tickets"
)

// MaxVoiceMessage is the longest voice message (留言) a caller may leave.
const MaxVoiceMessage = 60 * time.Second

// VoiceMessage is a message a caller left when nobody could answer (voice_messages).
type VoiceMessage struct {
	bun.BaseModel `bun:"table:voice_messages,alias:vm"`

	CallID     string    `bun:"call_id,pk,type:uuid" json:"call_id"`
	Phone      string    `bun:"phone" json:"-"`
	Path       string    `bun:"path" json:"-"` // relative to the recordings directory
	Bytes      int64     `bun:"bytes" json:"bytes"`
	SHA256     string    `bun:"sha256" json:"sha256"`
	DurationMS int64     `bun:"duration_ms" json:"duration_ms"`
	CreatedAt  time.Time `bun:"created_at" json:"created_at"`
}

// takeMessage lets a caller nobody can answer (reason: no-agent or out-of-hours, the prompt
// played) leave a voice message: the call is answered, the prompt says so, a beep, then the
// caller's audio is kept until they hang up, press # or MaxVoiceMessage passes. The message is
// stored as a mono WAV under the recordings directory with its checksum; the callback task of
// the caller's number lists it. Runs on the caller's INVITE handler.
func (s *Server) takeMessage(c *call, dlg *sipgo.DialogServerSession, prompt string) {
	if !s.answerForPrompts(c, dlg) {
		return
	}
	m := c.media
	if !m.playOnce(prompt) || !m.playPCM(beep()) {
		return
	}
	var mu sync.Mutex
	var pcm []byte
	limit := int(MaxVoiceMessage.Seconds()) * 8000 * 2
	m.flushDigits()
	m.setTap(func(p []byte) {
		mu.Lock()
		if room := limit - len(pcm); room > 0 {
			pcm = append(pcm, p[:min(len(p), room)]...)
		}
		mu.Unlock()
	})
	ended, up := time.NewTimer(MaxVoiceMessage), true
	defer ended.Stop()
wait:
	for {
		select {
		case <-ended.C:
			break wait
		case <-m.done:
			up = false
			break wait
		case d := <-m.digits:
			if d == '#' {
				break wait
			}
		}
	}
	m.setTap(nil)
	mu.Lock()
	msg := pcm
	mu.Unlock()
	c.mu.Lock()
	callID, phone := c.rec.ID, c.rec.Caller
	c.mu.Unlock()
	if err := s.storeMessage(callID, phone, msg); err != nil && !errors.Is(err, errNoMessage) {
		s.log.Error("store voice message", "call_id", callID, "err", err)
	} else if err == nil {
		s.log.Info("voice message left", "call_id", callID, "caller", tickets.MaskPhone(phone), "seconds", len(msg)/16000)
	}
	if up {
		m.playOnce("message-thanks")
		s.hangup(c, nil)
	}
}

// playPCM plays 8 kHz 16-bit mono audio to the caller in real time; false once the call is
// over.
func (m *callMedia) playPCM(pcm []byte) bool {
	pcm = pcmFrames(pcm)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for pos := 0; pos < len(pcm); pos += 2 * frameSamples {
		select {
		case <-m.done:
			return false
		case <-t.C:
		}
		m.caller.send(pcm[pos : pos+2*frameSamples])
	}
	return true
}

// beep is the tone after which the caller speaks: 400 ms of 1 kHz.
func beep() []byte {
	const n = 8000 * 4 / 10
	out := make([]byte, 2*n)
	for i := range n {
		v := int16(10000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

// minMessage is the least audio kept as a message: a caller who hangs up at the beep leaves
// none.
const minMessage = 2 * 8000 / 2 // half a second of 16-bit samples

// storeMessage writes the message pcm (8 kHz 16-bit mono) of the call callID from phone as
// a WAV and stores it with its size and checksum.
func (s *Server) storeMessage(callID, phone string, pcm []byte) error {
	if len(pcm) < minMessage {
		return errNoMessage
	}
	now := s.clock.Now()
	rel := filepath.Join("messages", now.UTC().Format("2006/01/02"), callID+".wav")
	dir := s.cfg.Media.RecordingsDir
	f, err := createRecording(dir, rel)
	if err != nil {
		return err
	}
	w := audio.NewWavWriter(f)
	w.NumChans = 1
	_, err = w.Write(pcm)
	if err == nil {
		err = w.Close()
	}
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	vm := &VoiceMessage{CallID: callID, Phone: phone, Path: rel, CreatedAt: now, DurationMS: int64(len(pcm) / 16)}
	if err == nil {
		vm.SHA256, vm.Bytes, err = fileDigest(dir, rel)
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err = s.db.NewInsert().Model(vm).On("CONFLICT (call_id) DO NOTHING").Exec(ctx)
	}
	if err != nil {
		os.Remove(filepath.Join(dir, rel))
		return fmt.Errorf("voice message of %s: %w", callID, err)
	}
	return nil
}

// OpenMessage returns the voice message left on the call callID for playback, checked
// against its size and checksum like a recording (Open).
func (rs *Recordings) OpenMessage(ctx context.Context, callID string) (*VoiceMessage, *bytes.Reader, error) {
	if uuid.Validate(callID) != nil {
		return nil, nil, fmt.Errorf("voice message of %q: %w", callID, ErrNoRecording)
	}
	vm := new(VoiceMessage)
	err := rs.DB.NewSelect().Model(vm).Where("call_id = ?", callID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("voice message of %s: %w", callID, ErrNoRecording)
	} else if err != nil {
		return nil, nil, fmt.Errorf("voice message of %s: %w", callID, err)
	}
	data, err := rs.readChecked(vm.Path, vm.Bytes, vm.SHA256)
	if err != nil {
		return vm, nil, fmt.Errorf("voice message of %s: %w", callID, err)
	}
	return vm, data, nil
}

// expireMessages deletes the voice messages left before now minus the retention, file and
// row, with one audit entry per message in the transaction that deletes its row.
func (rs *Recordings) expireMessages(ctx context.Context, now time.Time) (int, error) {
	var old []VoiceMessage
	if err := rs.DB.NewSelect().Model(&old).Where("created_at < ?", now.Add(-rs.Retention)).
		Order("created_at").Limit(1000).Scan(ctx); err != nil {
		return 0, fmt.Errorf("expired voice messages: %w", err)
	}
	n := 0
	for _, vm := range old {
		if err := removeUnder(rs.Dir, vm.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("delete voice message of %s: %w", vm.CallID, err)
		}
		err := rs.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewDelete().Model((*VoiceMessage)(nil)).Where("call_id = ?", vm.CallID).Exec(ctx); err != nil {
				return err
			}
			return account.Record(ctx, tx, now, account.Change{ActorName: "system", Action: "voice_message_expired",
				ObjectType: "call", ObjectKey: vm.CallID,
				Detail: map[string]any{"left_at": vm.CreatedAt, "retention_days": int(rs.Retention.Hours() / 24)}})
		})
		if err != nil {
			return n, fmt.Errorf("expire voice message of %s: %w", vm.CallID, err)
		}
		n++
	}
	return n, nil
}
