package web

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/filetype"
	"github.com/hotline-city/hotline/tickets"
)

// Limits of attachments: a few files per action, each at most maxAttachmentBytes (a scanned
// decision or a photo of the site, not a video).
const (
	maxAttachments     = 3
	maxAttachmentBytes = 10 << 20
	maxAttachBody      = maxAttachments*maxAttachmentBytes + maxBody
	maxFilenameRunes   = 120
)

// attachable is whether action a takes files: the department's result (办结) and its
// feedback to the citizen (反馈).
func attachable(a tickets.Action) bool { return a == tickets.ActResolve || a == tickets.ActFeedback }

// upload is a file sent with an action, checked by its content.
type upload struct {
	Name        string
	ContentType string
	Data        []byte
}

// attachmentMeta describes a stored attachment without its bytes.
type attachmentMeta struct {
	bun.BaseModel `bun:"table:ticket_attachments,alias:att"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	TicketID    int64     `bun:"ticket_id" json:"-"`
	EventID     *int64    `bun:"event_id" json:"event_id,omitempty"`
	Action      string    `bun:"action" json:"action"`
	Filename    string    `bun:"filename" json:"filename"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int       `bun:"size" json:"size"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
}

// routesAttachments lists the downloads of attachments, for staff who may see the ticket.
func (s *Server) routesAttachments() {
	s.handleStaff("GET /tickets/{number}/attachments/{id}", nil, s.getAttachment)
	s.handleAPI("GET /api/v1/tickets/{number}/attachments/{id}", nil, "Download an attachment of a ticket (403 or 404 for a ticket you may not see)", s.getAttachment)
}

// readUploads reads and checks the files of the multipart field "attachments". Each must be a
// PDF, JPEG, PNG, WebP or DOCX by its content, whatever its name or declared type says.
func readUploads(r *http.Request, a tickets.Action) ([]upload, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["attachments"]) == 0 {
		return nil, nil
	}
	hs := r.MultipartForm.File["attachments"]
	if !attachable(a) {
		return nil, &badField{"attachments", fmt.Sprintf("%s takes no files", a)}
	}
	if len(hs) > maxAttachments {
		return nil, &badField{"attachments", fmt.Sprintf("at most %d files", maxAttachments)}
	}
	out := make([]upload, 0, len(hs))
	for i, h := range hs {
		f, err := h.Open()
		if err != nil {
			return nil, fmt.Errorf("open attachment %d: %w", i+1, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxAttachmentBytes+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read attachment %d: %w", i+1, err)
		}
		name := cleanFilename(h.Filename)
		switch ct, ok := filetype.Document(data); {
		case len(data) > maxAttachmentBytes:
			return nil, &badField{"attachments", fmt.Sprintf("file %d (%s) is larger than %d MB", i+1, name, maxAttachmentBytes>>20)}
		case len(data) == 0:
			return nil, &badField{"attachments", fmt.Sprintf("file %d (%s) is empty", i+1, name)}
		case !ok:
			return nil, &badField{"attachments", fmt.Sprintf("file %d (%s) is not a PDF, JPEG, PNG, WebP or Word (DOCX) document", i+1, name)}
		default:
			out = append(out, upload{Name: withExtension(name, ct), ContentType: ct, Data: data})
		}
	}
	return out, nil
}

// cleanFilename keeps the last part of a sender's file name, without control characters and
// at most maxFilenameRunes long.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxFilenameRunes {
		name = string([]rune(name)[:maxFilenameRunes])
	}
	return name
}

// withExtension gives name the extension of the type its content has, so a file saved from
// the download opens in the program its content is for.
func withExtension(name, ct string) string {
	want := filetype.Extension(ct)
	ext := strings.ToLower(path.Ext(name))
	if ext == want || ct == filetype.JPEG && ext == ".jpeg" {
		return name
	}
	stem := strings.TrimSuffix(name, path.Ext(name))
	if stem == "" {
		stem = "attachment"
	}
	return stem + want
}

// actWithAttachments runs resolve or feedback with files: the files, the ticket's change and
// its event in one transaction, the event's data naming each file.
func (s *Server) actWithAttachments(ctx context.Context, a tickets.Action, number string, in tickets.ActInput, files []upload) (*tickets.Ticket, error) {
	st := staffFrom(ctx)
	actor := actorFrom(ctx)
	now := s.Clock.Now()
	var t *tickets.Ticket
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ticketID int64
		if err := tx.QueryRowContext(ctx, "SELECT id FROM tickets WHERE number = ?", number).Scan(&ticketID); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s %s: %w", a, number, tickets.ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("%s %s: %w", a, number, err)
		}
		ids := make([]int64, 0, len(files))
		list := make([]map[string]any, 0, len(files))
		for _, f := range files {
			sum := sha256.Sum256(f.Data)
			var id int64
			// Straight to the driver: the bytes travel as a binary parameter, not as SQL text.
			if err := tx.Tx.QueryRowContext(ctx, `INSERT INTO ticket_attachments (ticket_id, action, filename, content_type, size, sha256,
				data, uploaded_by, department_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				ticketID, string(a), f.Name, f.ContentType, len(f.Data), sum[:], f.Data, st.ID, st.DepartmentID, now).Scan(&id); err != nil {
				return fmt.Errorf("store attachment of %s: %w", number, err)
			}
			ids = append(ids, id)
			list = append(list, map[string]any{"id": id, "filename": f.Name, "content_type": f.ContentType, "size": len(f.Data)})
		}
		data := map[string]any{}
		for k, v := range in.Data {
			data[k] = v
		}
		data["attachments"] = list
		in.Data = data
		var err error
		switch a {
		case tickets.ActResolve:
			t, err = s.Tickets.ResolveTx(ctx, tx, actor, number, in)
		case tickets.ActFeedback:
			t, err = s.Tickets.FeedbackTx(ctx, tx, actor, number, in)
		default:
			err = fmt.Errorf("%s takes no attachments: %w", a, tickets.ErrInvalid)
		}
		if err != nil {
			return err
		}
		// The event was the last one this transaction wrote for the ticket.
		_, err = tx.NewUpdate().Model((*attachmentMeta)(nil)).
			Set("event_id = (SELECT max(id) FROM ticket_events WHERE ticket_id = ? AND kind = ?)", ticketID, string(a)).
			Where("id IN (?)", bun.In(ids)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("link attachments of %s: %w", number, err)
		}
		return nil
	})
	return t, err
}

// attachments lists the ticket's attachments, oldest first.
func (s *Server) attachments(ctx context.Context, ticketID int64) ([]attachmentMeta, error) {
	var out []attachmentMeta
	if err := s.db.NewSelect().Model(&out).Where("att.ticket_id = ?", ticketID).Order("att.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("attachments of ticket %d: %w", ticketID, err)
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
	var m attachmentMeta
	var data []byte
	err = s.db.QueryRowContext(ctx, "SELECT filename, content_type, data FROM ticket_attachments WHERE ticket_id = ? AND id = ?", t.ID, id).
		Scan(&m.Filename, &m.ContentType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		fail(w, r, fmt.Errorf("attachment %d of %s: %w", id, t.Number, tickets.ErrNotFound))
		return
	} else if err != nil {
		s.serverError(w, r, fmt.Errorf("attachment %d of %s: %w", id, t.Number, err))
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
