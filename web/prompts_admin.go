package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hotline-city/hotline/telephony"
)

// The prompts' administration page (/admin/prompts): every prompt callers hear by purpose,
// played as it is now, replaced by an upload (checked like the API's PUT) or put back to the
// default made at install time.

type promptsPage struct {
	Prompts []telephony.PromptInfo
	// Saved and Reverted name the prompt just changed; Error is why an upload was refused,
	// for the prompt ErrorPurpose.
	Saved, Reverted     string
	Error, ErrorPurpose string
	MaxSeconds          int
}

func (s *Server) getPromptsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.renderPrompts(w, r, http.StatusOK, &promptsPage{Saved: q.Get("saved"), Reverted: q.Get("reverted")})
}

func (s *Server) renderPrompts(w http.ResponseWriter, r *http.Request, status int, p *promptsPage) {
	p.MaxSeconds = int(telephony.MaxPromptLength / time.Second)
	if s.Calls.Telephony == nil {
		// A process without the SIP front end: the page says why nothing is listed.
		p.Error = tr(pageLang(r), "prompts.no_media")
		s.renderStaffStatus(w, r, status, "admin/prompts.html", p)
		return
	}
	ps, err := s.Calls.Telephony.Prompts()
	if errors.Is(err, telephony.ErrNoMedia) {
		p.Error = tr(pageLang(r), "prompts.no_media")
	} else if err != nil {
		s.pageError(w, r, err)
		return
	}
	p.Prompts = ps
	s.renderStaffStatus(w, r, status, "admin/prompts.html", p)
}

// getPromptAudio plays a prompt as callers hear it now.
func (s *Server) getPromptAudio(w http.ResponseWriter, r *http.Request) {
	if s.Calls.Telephony == nil {
		s.pageError(w, r, fmt.Errorf("prompt %s: %w", r.PathValue("purpose"), telephony.ErrNotFound))
		return
	}
	data, err := s.Calls.Telephony.PromptWAV(r.PathValue("purpose"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, r.PathValue("purpose")+".wav", time.Time{}, bytes.NewReader(data))
}

// postPrompt replaces a prompt with the WAV file uploaded from the page; a file that is not
// audio, of another format or too long is refused with the reason in the reader's language.
func (s *Server) postPrompt(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	purpose := r.PathValue("purpose")
	refused := func(err error) {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError || status == http.StatusServiceUnavailable {
			s.pageError(w, r, err)
			return
		}
		s.renderPrompts(w, r, status, &promptsPage{Error: promptRefusal(pageLang(r), err), ErrorPurpose: purpose})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPromptUpload)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refused(&telephony.PromptError{Reason: telephony.PromptTooBig, Detail: "upload too large"})
			return
		}
		refused(&telephony.PromptError{Reason: telephony.PromptNotWAV, Detail: "no file uploaded"})
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, _, err := r.FormFile("file")
	if err != nil {
		refused(&telephony.PromptError{Reason: telephony.PromptNotWAV, Detail: "no file uploaded"})
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.Calls.Telephony.SetPrompt(purpose, data)
	if err != nil {
		refused(err)
		return
	}
	s.auditAfter(ctx, staffFrom(ctx), "prompt_replaced", "prompt", purpose, map[string]any{"seconds": d.Seconds(), "bytes": len(data)})
	http.Redirect(w, r, "/admin/prompts?saved="+url.QueryEscape(purpose), http.StatusSeeOther)
}

// postPromptRevert puts a prompt back to its default.
func (s *Server) postPromptRevert(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	purpose := r.PathValue("purpose")
	if err := s.Calls.Telephony.RevertPrompt(purpose); err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusBadRequest {
			s.renderPrompts(w, r, status, &promptsPage{Error: promptRefusal(pageLang(r), err), ErrorPurpose: purpose})
			return
		}
		s.pageError(w, r, err)
		return
	}
	s.auditAfter(ctx, staffFrom(ctx), "prompt_reverted", "prompt", purpose, nil)
	http.Redirect(w, r, "/admin/prompts?reverted="+url.QueryEscape(purpose), http.StatusSeeOther)
}

// promptRefusal is why a prompt was refused, in lang.
func promptRefusal(lang string, err error) string {
	var pe *telephony.PromptError
	if errors.As(err, &pe) {
		return tr(lang, "prompts.refused."+pe.Reason)
	}
	return errorText(lang, err)
}
