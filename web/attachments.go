package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/hotline-city/hotline/tickets"
)

// maxAttachBody is the largest request body of an action that takes files.
const maxAttachBody = tickets.MaxAttachments*tickets.MaxAttachmentBytes + maxBody

// readUploads reads the files of the multipart field "attachments", each up to one byte over
// the limit so the tickets service can tell it is too large; the service checks them, their
// number included (the body limit bounds what is read).
func readUploads(r *http.Request) ([]tickets.File, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["attachments"]) == 0 {
		return nil, nil
	}
	hs := r.MultipartForm.File["attachments"]
	out := make([]tickets.File, 0, len(hs))
	for i, h := range hs {
		f, err := h.Open()
		if err != nil {
			return nil, fmt.Errorf("open attachment %d: %w", i+1, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, tickets.MaxAttachmentBytes+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read attachment %d: %w", i+1, err)
		}
		out = append(out, tickets.File{Name: h.Filename, Data: data})
	}
	return out, nil
}

// getAttachment serves an attachment as a download: never shown inline, never sniffed, so a
// file cannot run as a page of this site.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fail := s.pageError
	if strings.HasPrefix(r.URL.Path, "/api/") {
		fail = s.apiError
	}
	t, err := s.loadTicket(ctx, r.PathValue("number"))
	if err != nil {
		fail(w, r, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, r, fmt.Errorf("attachment %q: %w", r.PathValue("id"), tickets.ErrNotFound))
		return
	}
	m, data, err := s.Tickets.AttachmentFile(ctx, t, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": m.Filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}
