package telephony

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/diago/audio"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
)

// Recording is a call's recording as stored in call_recordings.
type Recording struct {
	bun.BaseModel `bun:"table:call_recordings,alias:rec"`

	CallID     string     `bun:"call_id,pk,type:uuid"`
	Path       string     `bun:"path"` // relative to the recordings directory
	Bytes      int64      `bun:"bytes"`
	SHA256     string     `bun:"sha256"`
	DurationMS int64      `bun:"duration_ms"`
	Error      string     `bun:"error"`
	StartedAt  time.Time  `bun:"started_at"`
	EndedAt    time.Time  `bun:"ended_at"`
	DeletedAt  *time.Time `bun:"deleted_at"`
}

// Playable reports whether a file was kept and not yet deleted.
func (r *Recording) Playable() bool { return r.Error == "" && r.DeletedAt == nil && r.Path != "" }

// recorder writes one call's audio as a stereo 8 kHz 16-bit WAV, the caller on the left and
// the other party on the right. Each side's decoded audio is queued as it arrives and a 20 ms
// clock takes one frame from each, silence where a side sent nothing, so that the two
// channels stay aligned in time whatever each side's packet timing. diago's WavWriter writes
// the header; its recorder mixes through a monitor of one session, which a bridge of two
// sessions does not have, so the mixing is ours.
type recorder struct {
	s       *Server
	callID  string // the call record's ID
	path    string // relative
	started time.Time

	f   *os.File
	bf  *bufferedFile
	w   *audio.WavWriter
	err error

	mu      sync.Mutex
	pending [2][]byte
	frames  int64
	stop    chan struct{}
	done    chan struct{}
}

// maxPending is the audio a side may have queued ahead of the clock: 200 ms; older audio is
// dropped rather than let the channels drift apart.
const maxPending = 10 * 2 * frameSamples

// startRecording opens the recording of the call whose record is recID. A directory or file
// that cannot be created leaves a recorder that writes nothing and reports why: the call goes
// on unrecorded.
func (s *Server) startRecording(recID string) *recorder {
	now := s.clock.Now()
	r := &recorder{s: s, callID: recID, started: now, stop: make(chan struct{}), done: make(chan struct{}),
		path: filepath.Join(now.UTC().Format("2006/01/02"), recID+".wav")}
	if f, err := createRecording(s.cfg.Media.RecordingsDir, r.path); err != nil {
		r.err = err
	} else {
		r.f, r.bf = f, &bufferedFile{f: f, b: bufio.NewWriterSize(f, recordingBuffer)}
		r.w = audio.NewWavWriter(r.bf) // 8 kHz, 16-bit, two channels, PCM
		// The header goes first, so that even a recording cut short by a crash is a WAV.
		if _, err := r.w.Write(nil); err != nil {
			r.err = err
		} else {
			r.err = r.bf.b.Flush()
		}
	}
	if r.err != nil {
		s.log.Error("recording failed; the call goes on unrecorded", "call_id", recID, "err", r.err)
	}
	go r.run()
	return r
}

// recordingBuffer is how much of a recording is written at once: half a second of stereo
// audio. Written frame by frame, 500 recorded calls made 25,000 system calls a second; a crash
// loses at most this much of the end of a call.
const recordingBuffer = 16 << 10

// bufferedFile batches a recording's frames into larger writes; a Seek (the WAV header's
// completion) first writes what is buffered.
type bufferedFile struct {
	f *os.File
	b *bufio.Writer
}

func (bf *bufferedFile) Write(p []byte) (int, error) { return bf.b.Write(p) }

func (bf *bufferedFile) Seek(offset int64, whence int) (int64, error) {
	if err := bf.b.Flush(); err != nil {
		return 0, err
	}
	return bf.f.Seek(offset, whence)
}

// createRecording creates the file rel under dir, and its directories; nothing outside dir.
func createRecording(dir, rel string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := root.MkdirAll(filepath.Dir(rel), 0o750); err != nil {
		return nil, err
	}
	return root.OpenFile(rel, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// push queues one side's audio (channel 0 caller, 1 the other party).
func (r *recorder) push(ch int, pcm []byte) {
	r.mu.Lock()
	p := append(r.pending[ch], pcm...)
	if len(p) > maxPending {
		p = p[len(p)-maxPending:]
	}
	r.pending[ch] = p
	r.mu.Unlock()
}

func (r *recorder) run() {
	defer close(r.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	out := make([]byte, 4*frameSamples)
	for {
		select {
		case <-r.stop:
			// What is still queued is the last moments of the call.
			for r.mix(out) {
			}
			return
		case <-t.C:
			r.mix(out)
		}
	}
}

// mix writes one interleaved frame from the queues and reports whether any audio was left.
func (r *recorder) mix(out []byte) bool {
	clear(out)
	r.mu.Lock()
	for ch := range 2 {
		p := r.pending[ch]
		n := min(len(p), 2*frameSamples) &^ 1
		for i := 0; i < n; i += 2 {
			out[2*i+2*ch], out[2*i+2*ch+1] = p[i], p[i+1]
		}
		r.pending[ch] = p[n:]
	}
	more := len(r.pending[0]) > 0 || len(r.pending[1]) > 0
	r.mu.Unlock()
	r.frames++
	if r.err == nil && r.w != nil {
		if _, err := r.w.Write(out); err != nil {
			r.err = err
			r.s.log.Error("recording failed; the call goes on unrecorded", "call_id", r.callID, "err", err)
		}
	}
	return more
}

// finishRecording stops the recorder, completes the file and stores the recording with its
// size and checksum, or with the reason it failed.
func (s *Server) finishRecording(r *recorder) {
	close(r.stop)
	<-r.done
	rec := &Recording{CallID: r.callID, Path: r.path, StartedAt: r.started, EndedAt: s.clock.Now(),
		DurationMS: r.frames * 20}
	if r.f != nil {
		if r.err == nil {
			r.err = r.w.Close()
		}
		if r.err == nil {
			r.err = r.bf.b.Flush() // the completed header
		}
		if err := r.f.Sync(); err != nil && r.err == nil {
			r.err = err
		}
		if err := r.f.Close(); err != nil && r.err == nil {
			r.err = err
		}
	}
	if r.err == nil {
		rec.SHA256, rec.Bytes, r.err = fileDigest(s.cfg.Media.RecordingsDir, r.path)
	}
	if r.err != nil {
		rec.Error = r.err.Error()
		rec.Path = ""
		os.Remove(filepath.Join(s.cfg.Media.RecordingsDir, r.path))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.db.NewInsert().Model(rec).On("CONFLICT (call_id) DO NOTHING").Exec(ctx); err != nil {
		s.log.Error("store recording", "call_id", r.callID, "err", err)
	}
}

// fileDigest is the SHA-256 and size of the file rel under dir.
func fileDigest(dir, rel string) (string, int64, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", 0, err
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Errors of playback.
var (
	// ErrNoRecording is a call without a recording kept (never recorded, failed, deleted).
	ErrNoRecording = errors.New("no recording")
	// ErrRecordingDamaged is a recording whose file is missing or no longer matches its
	// checksum: it is reported, never served.
	ErrRecordingDamaged = errors.New("recording file missing or altered")
)

// Recordings reads and expires the stored recordings.
type Recordings struct {
	DB  bun.IDB
	Dir string
	// Retention is how long a recording is kept; zero keeps them for ever.
	Retention time.Duration
}

// Get returns the recording of a call.
func (rs *Recordings) Get(ctx context.Context, callID string) (*Recording, error) {
	if uuid.Validate(callID) != nil {
		return nil, fmt.Errorf("recording of %q: %w", callID, ErrNoRecording)
	}
	rec := new(Recording)
	err := rs.DB.NewSelect().Model(rec).Where("call_id = ?", callID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("recording of %s: %w", callID, ErrNoRecording)
	} else if err != nil {
		return nil, fmt.Errorf("recording of %s: %w", callID, err)
	}
	return rec, nil
}

// Playable returns the IDs among callIDs whose recordings can be played.
func (rs *Recordings) Playable(ctx context.Context, callIDs []string) (map[string]bool, error) {
	out := make(map[string]bool)
	if len(callIDs) == 0 {
		return out, nil
	}
	var ids []string
	err := rs.DB.NewSelect().Model((*Recording)(nil)).Column("call_id").
		Where("call_id IN (?) AND deleted_at IS NULL AND error = '' AND path <> ''", bun.List(callIDs)).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("recordings of %d calls: %w", len(callIDs), err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Open returns a call's recording for playback, checked against its size and checksum, as a
// reader of the file's content read into memory: the content served is exactly the content
// checked.
func (rs *Recordings) Open(ctx context.Context, callID string) (*Recording, *bytes.Reader, error) {
	rec, err := rs.Get(ctx, callID)
	if err != nil {
		return nil, nil, err
	}
	if !rec.Playable() {
		return rec, nil, fmt.Errorf("recording of %s: %w", callID, ErrNoRecording)
	}
	data, err := rs.readChecked(rec.Path, rec.Bytes, rec.SHA256)
	if err != nil {
		return rec, nil, fmt.Errorf("recording of %s: %w", callID, err)
	}
	return rec, data, nil
}

// readChecked reads the file rel under the recordings directory and checks it against the
// size and SHA-256 stored with it: a missing or altered file is ErrRecordingDamaged.
func (rs *Recordings) readChecked(rel string, size int64, digest string) (*bytes.Reader, error) {
	data, err := readUnder(rs.Dir, rel)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecordingDamaged, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != size || hex.EncodeToString(sum[:]) != digest {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrRecordingDamaged)
	}
	return bytes.NewReader(data), nil
}

// Expire deletes the files of recordings that ended before now minus the retention and marks
// them deleted, with one audit entry per recording in the transaction that marks it; voice
// messages as old go the same way (expireMessages). It returns how many were deleted.
func (rs *Recordings) Expire(ctx context.Context, now time.Time) (int, error) {
	if rs.Retention <= 0 {
		return 0, nil
	}
	n, err := rs.expireMessages(ctx, now)
	if err != nil {
		return n, err
	}
	var old []Recording
	if err := rs.DB.NewSelect().Model(&old).Where("deleted_at IS NULL AND ended_at < ?", now.Add(-rs.Retention)).
		Order("ended_at").Limit(1000).Scan(ctx); err != nil {
		return n, fmt.Errorf("expired recordings: %w", err)
	}
	for _, rec := range old {
		if rec.Path != "" {
			if err := removeUnder(rs.Dir, rec.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return n, fmt.Errorf("delete recording of %s: %w", rec.CallID, err)
			}
		}
		err := rs.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewUpdate().Model((*Recording)(nil)).Set("deleted_at = ?", now).
				Where("call_id = ?", rec.CallID).Exec(ctx); err != nil {
				return err
			}
			return account.Record(ctx, tx, now, account.Change{ActorName: "system", Action: "recording_expired",
				ObjectType: "call", ObjectKey: rec.CallID,
				Detail: map[string]any{"ended_at": rec.EndedAt, "retention_days": int(rs.Retention.Hours() / 24)}})
		})
		if err != nil {
			return n, fmt.Errorf("expire recording of %s: %w", rec.CallID, err)
		}
		n++
	}
	return n, nil
}

// readPromptFile reads dir/name.wav and returns its samples as hotline plays them (8 kHz
// mono), padded to whole frames.
func readPromptFile(dir, name string) ([]byte, error) {
	data, err := readUnder(dir, name+".wav")
	if err != nil {
		return nil, err
	}
	pcm, err := parsePromptWAV(data)
	if err != nil {
		return nil, fmt.Errorf("%s.wav: %w", name, err)
	}
	return pcmFrames(pcm), nil
}

// readUnder reads the file rel under dir; a path leading outside dir (a row altered in the
// database) is refused.
func readUnder(dir, rel string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(rel)
}

// removeUnder removes the file rel under dir, never outside it.
func removeUnder(dir, rel string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.Remove(rel)
}

// maxPromptSeconds bounds a prompt's length.
const maxPromptSeconds = 300

// parsePromptWAV checks a prompt — a RIFF WAVE of 16-bit PCM, mono or stereo, at 8 kHz or more,
// at most maxPromptSeconds long — and returns its samples as 8 kHz 16-bit mono: stereo mixed
// down, other rates resampled.
func parsePromptWAV(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, badPrompt(PromptNotWAV, "not a RIFF WAVE file")
	}
	var chans, bits int
	var rate int
	for p := 12; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:p+8]))
		body := data[p+8:]
		if size > len(body) {
			size = len(body) // a header written before the end was known
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, badPrompt(PromptNotWAV, "short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:])
			chans, rate = int(binary.LittleEndian.Uint16(body[2:])), int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			if format == 0xfffe && len(body) >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format says
				format = binary.LittleEndian.Uint16(body[24:])
			}
			if format != 1 || bits != 16 || chans < 1 || chans > 2 || rate < 8000 || rate > 192000 {
				return nil, badPrompt(PromptFormat, fmt.Sprintf("want 16-bit PCM, mono or stereo, at 8000 Hz or more; got format %d, %d channels, %d Hz, %d bits",
					format, chans, rate, bits))
			}
		case "data":
			if chans == 0 {
				return nil, badPrompt(PromptNotWAV, "data before fmt")
			}
			frames := len(body) / (2 * chans)
			if frames > maxPromptSeconds*rate {
				return nil, badPrompt(PromptTooLong, fmt.Sprintf("longer than %d s", maxPromptSeconds))
			}
			if frames == 0 {
				return nil, badPrompt(PromptEmpty, "no audio data")
			}
			return to8kMono(body[:frames*2*chans], chans, rate), nil
		}
		p += 8 + size + size%2
	}
	return nil, badPrompt(PromptEmpty, "no audio data")
}

// to8kMono mixes 16-bit PCM down to mono and resamples it to 8 kHz: each output sample is the
// mean of the input samples it covers (a box filter against aliasing), interpolated linearly
// when the input has fewer samples than the output window.
func to8kMono(pcm []byte, chans, rate int) []byte {
	n := len(pcm) / (2 * chans)
	mono := make([]float64, n)
	for i := range n {
		var v float64
		for c := range chans {
			v += float64(int16(binary.LittleEndian.Uint16(pcm[2*(i*chans+c):])))
		}
		mono[i] = v / float64(chans)
	}
	if rate == 8000 {
		out := make([]byte, 2*n)
		for i, v := range mono {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(int16(v)))
		}
		return out
	}
	step := float64(rate) / 8000
	m := int(float64(n) / step)
	out := make([]byte, 2*m)
	for j := range m {
		lo, hi := int(float64(j)*step), int(float64(j+1)*step)
		hi = min(max(hi, lo+1), n)
		var sum float64
		for _, v := range mono[lo:hi] {
			sum += v
		}
		v := max(-32768, min(32767, sum/float64(hi-lo)))
		binary.LittleEndian.PutUint16(out[2*j:], uint16(int16(v)))
	}
	return out
}

// PromptPurposes are the prompts an administrator may upload: the greeting with the recording
// notice, the queue announcement, hold audio, the survey question, the thanks, out of hours,
// no agent available (which asks for a voice message), the callback offer and its
// confirmation, and the thanks after a voice message.
var PromptPurposes = []string{"greeting", "queue", "hold", "survey", "thanks", "out-of-hours", "no-agent",
	"callback-offer", "callback-confirm", "message-thanks"}

// Errors of prompt uploads.
var (
	// ErrBadPrompt is an upload that is not a usable prompt; the error says why.
	ErrBadPrompt = errors.New("bad prompt")
	// ErrNoMedia is a prompt upload to a process that carries no audio (HOTLINE_MEDIA=off).
	ErrNoMedia = errors.New("this process carries no audio (HOTLINE_MEDIA=off)")
)

// SetPrompt replaces the prompt for purpose with the WAV data, checked and converted to 8 kHz
// mono, in the prompts directory and for the calls from now on. It returns the prompt's length.
func (s *Server) SetPrompt(purpose string, data []byte) (time.Duration, error) {
	if s.prompts == nil {
		return 0, ErrNoMedia
	}
	if !slices.Contains(PromptPurposes, purpose) {
		return 0, badPrompt(PromptPurpose, fmt.Sprintf("unknown purpose %q (one of %s)", purpose, strings.Join(PromptPurposes, ", ")))
	}
	pcm, err := parsePromptWAV(data)
	if err != nil {
		return 0, err
	}
	dir := s.cfg.Media.PromptsDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("prompt %s: %w", purpose, err)
	}
	if err := keepDefault(dir, purpose); err != nil {
		return 0, fmt.Errorf("prompt %s: keep the default: %w", purpose, err)
	}
	tmp, err := os.CreateTemp(dir, purpose+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("prompt %s: %w", purpose, err)
	}
	defer os.Remove(tmp.Name())
	w := audio.NewWavWriter(tmp)
	w.NumChans = 1
	_, err = w.Write(pcm)
	if err == nil {
		err = w.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, purpose+".wav"))
	}
	if err != nil {
		return 0, fmt.Errorf("prompt %s: %w", purpose, err)
	}
	s.prompts.set(purpose, pcmFrames(pcm))
	s.log.Info("prompt replaced", "prompt", purpose, "seconds", len(pcm)/16000)
	return time.Duration(len(pcm)/2) * time.Second / 8000, nil
}

// ExpireEvery runs Expire now and then every period until ctx ends; failures are logged and
// tried again at the next period.
func (rs *Recordings) ExpireEvery(ctx context.Context, period time.Duration, now func() time.Time, log *slog.Logger) error {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		n, err := rs.Expire(ctx, now())
		if err != nil && ctx.Err() == nil {
			log.Error("expire recordings", "err", err)
		} else if n > 0 {
			log.Info("expired recordings deleted", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
