package telephony

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Reasons a prompt upload is refused (PromptError.Reason).
const (
	PromptNotWAV  = "not_wav"  // not a RIFF WAVE file at all
	PromptFormat  = "format"   // not 16-bit PCM, mono or stereo, 8 kHz or more
	PromptTooLong = "too_long" // longer than maxPromptSeconds
	PromptEmpty   = "empty"    // no audio in it
	PromptTooBig  = "too_big"  // larger than an upload may be
	PromptPurpose = "purpose"  // no such prompt
)

// PromptError is a prompt refused, with its reason as a code the web translates and the
// detail in English; it is an ErrBadPrompt.
type PromptError struct {
	Reason, Detail string
}

func (e *PromptError) Error() string { return ErrBadPrompt.Error() + ": " + e.Detail }
func (e *PromptError) Unwrap() error { return ErrBadPrompt }

func badPrompt(reason, detail string) error { return &PromptError{Reason: reason, Detail: detail} }

// MaxPromptLength is the longest prompt accepted.
const MaxPromptLength = maxPromptSeconds * time.Second

// defaultsDir is where, under the prompts directory, the prompt each upload replaced first (the
// one made at install time) is kept, so that it can be restored.
const defaultsDir = "default"

// PromptInfo is one uploadable prompt as the administration page shows it.
type PromptInfo struct {
	Purpose string
	// Length is how long it plays; zero when missing (the callers hear silence).
	Length time.Duration
	// Custom: an administrator's upload replaced the default, which Revert restores.
	Custom bool
}

// Prompts lists the prompts an administrator may replace, in PromptPurposes' order.
func (s *Server) Prompts() ([]PromptInfo, error) {
	if s.prompts == nil {
		return nil, ErrNoMedia
	}
	out := make([]PromptInfo, 0, len(PromptPurposes))
	for _, p := range PromptPurposes {
		info := PromptInfo{Purpose: p, Length: time.Duration(len(s.prompts.get(p))/2) * time.Second / 8000}
		if _, err := os.Stat(filepath.Join(s.cfg.Media.PromptsDir, defaultsDir, p+".wav")); err == nil {
			cur, err1 := readUnder(s.cfg.Media.PromptsDir, p+".wav")
			def, err2 := readUnder(s.cfg.Media.PromptsDir, filepath.Join(defaultsDir, p+".wav"))
			info.Custom = err1 != nil || err2 != nil || !bytes.Equal(cur, def)
		}
		out = append(out, info)
	}
	return out, nil
}

// PromptWAV returns the file of the prompt purpose as callers hear it now.
func (s *Server) PromptWAV(purpose string) ([]byte, error) {
	if s.prompts == nil {
		return nil, ErrNoMedia
	}
	if !slices.Contains(PromptPurposes, purpose) {
		return nil, fmt.Errorf("prompt %q: %w", purpose, ErrNotFound)
	}
	data, err := readUnder(s.cfg.Media.PromptsDir, purpose+".wav")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("prompt %s: %w", purpose, ErrNotFound)
	}
	return data, err
}

// RevertPrompt puts back the prompt that the first upload for purpose replaced, for the calls
// from now on. A purpose never replaced is left as it is.
func (s *Server) RevertPrompt(purpose string) error {
	if s.prompts == nil {
		return ErrNoMedia
	}
	if !slices.Contains(PromptPurposes, purpose) {
		return badPrompt(PromptPurpose, fmt.Sprintf("unknown purpose %q", purpose))
	}
	dir := s.cfg.Media.PromptsDir
	def := filepath.Join(dir, defaultsDir, purpose+".wav")
	data, err := os.ReadFile(def) // #nosec G304 -- purpose is one of PromptPurposes, checked above; dir is the configured prompts directory
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("revert prompt %s: %w", purpose, err)
	}
	if len(data) == 0 {
		// There was none before the upload: callers hear silence again.
		err = os.Remove(filepath.Join(dir, purpose+".wav"))
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		if err == nil {
			s.prompts.set(purpose, nil)
		}
	} else {
		var pcm []byte
		if pcm, err = parsePromptWAV(data); err == nil {
			if err = writeFileAtomic(dir, purpose+".wav", data); err == nil {
				s.prompts.set(purpose, pcmFrames(pcm))
			}
		}
	}
	if err != nil {
		return fmt.Errorf("revert prompt %s: %w", purpose, err)
	}
	s.log.Info("prompt reverted to the default", "prompt", purpose)
	return nil
}

// keepDefault saves the prompt purpose as it is before its first upload: the file, or an
// empty file when there was none.
func keepDefault(dir, purpose string) error {
	def := filepath.Join(dir, defaultsDir, purpose+".wav")
	if _, err := os.Stat(def); err == nil {
		return nil // an earlier upload kept it
	}
	data, err := os.ReadFile(filepath.Join(dir, purpose+".wav")) // #nosec G304 -- callers pass one of PromptPurposes; dir is the configured prompts directory
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, defaultsDir), 0o750); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, defaultsDir), purpose+".wav", data)
}

// writeFileAtomic writes dir/name through a temporary file renamed over it.
func writeFileAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
