package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hotline-city/hotline/telephony"
)

// maxPromptUpload bounds a prompt's upload: 300 s of 48 kHz 16-bit stereo, and a little.
const maxPromptUpload = 60 << 20

// putPrompt replaces one of the prompts callers hear (greeting, queue, hold, survey, thanks,
// out-of-hours, no-agent) with the WAV in the body: checked (RIFF, 16-bit PCM, 8 kHz or
// more, at most 300 s), converted to 8 kHz mono, in use from the next call, and audited.
func (s *Server) putPrompt(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	purpose := r.PathValue("purpose")
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPromptUpload))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.apiError(w, r, &telephony.PromptError{Reason: telephony.PromptTooBig, Detail: fmt.Sprintf("larger than %d MB", maxPromptUpload>>20)})
			return
		}
		s.apiError(w, r, err)
		return
	}
	d, err := s.Calls.Telephony.SetPrompt(purpose, data)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.auditAfter(ctx, staffFrom(ctx), "prompt_replaced", "prompt", purpose, map[string]any{"seconds": d.Seconds(), "bytes": len(data)})
	writeJSON(w, http.StatusOK, map[string]any{"purpose": purpose, "seconds": d.Seconds()})
}
