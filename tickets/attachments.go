package tickets

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/filetype"
)

// Limits of attachments: a few files per action, each at most MaxAttachmentBytes (a scanned
// decision or a photo of the site, not a video).
const (
	MaxAttachments     = 3
	MaxAttachmentBytes = 10 << 20
	maxFilenameRunes   = 120
)

// Attachable is whether action a takes files: the department's result (办结) and its
// feedback to the citizen (反馈).
func Attachable(a Action) bool { return a == ActResolve || a == ActFeedback }

// File is a file sent with an action, as the sender named it.
type File struct {
	Name string
	Data []byte
}

// Attachment describes a stored attachment without its bytes.
type Attachment struct {
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

// checkedFile is a file that passed checkFiles, with the type its content has.
type checkedFile struct {
	name, contentType string
	data              []byte
}

// checkFiles checks the files of action a. Each must be a PDF, JPEG, PNG, WebP or DOCX by its
// content, whatever its name says; its name keeps its last part, loses control characters and
// gets the extension of its type.
func checkFiles(a Action, files []File) ([]checkedFile, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if !Attachable(a) && a != ActRectify {
		return nil, invalid("attachments", fmt.Sprintf("%s takes no files", a))
	}
	if len(files) > MaxAttachments {
		return nil, invalid("attachments", fmt.Sprintf("at most %d files", MaxAttachments))
	}
	out := make([]checkedFile, 0, len(files))
	for i, f := range files {
		name := cleanFilename(f.Name)
		switch ct, ok := filetype.Document(f.Data); {
		case len(f.Data) > MaxAttachmentBytes:
			return nil, invalid("attachments", fmt.Sprintf("file %d (%s) is larger than %d MB", i+1, name, MaxAttachmentBytes>>20))
		case len(f.Data) == 0:
			return nil, invalid("attachments", fmt.Sprintf("file %d (%s) is empty", i+1, name))
		case !ok:
			return nil, invalid("attachments", fmt.Sprintf("file %d (%s) is not a PDF, JPEG, PNG, WebP or Word (DOCX) document", i+1, name))
		default:
			out = append(out, checkedFile{name: withExtension(name, ct), contentType: ct, data: f.Data})
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

// storeFiles writes the files of action a on ticket t, before the action's event, and returns
// their ids and what the event's data says of each.
func (s *Service) storeFiles(ctx context.Context, tx bun.Tx, t *Ticket, actor Actor, a Action, files []checkedFile) ([]int64, []map[string]any, error) {
	ids := make([]int64, 0, len(files))
	list := make([]map[string]any, 0, len(files))
	now := s.clock.Now()
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		var id int64
		// Straight to the driver: the bytes travel as a binary parameter, not as SQL text.
		if err := tx.Tx.QueryRowContext(ctx, `INSERT INTO ticket_attachments (ticket_id, action, filename, content_type, size, sha256,
			data, uploaded_by, department_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			t.ID, string(a), f.name, f.contentType, len(f.data), sum[:], f.data, actor.idPtr(), actor.deptPtr(), now).Scan(&id); err != nil {
			return nil, nil, fmt.Errorf("store attachment of %s: %w", t.Number, err)
		}
		ids = append(ids, id)
		list = append(list, map[string]any{"id": id, "filename": f.name, "content_type": f.contentType, "size": len(f.data)})
	}
	return ids, list, nil
}

// linkFiles ties the stored files to the event of the action they came with.
func linkFiles(ctx context.Context, tx bun.Tx, t *Ticket, ev *Event, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.NewUpdate().Model((*Attachment)(nil)).Set("event_id = ?", ev.ID).
		Where("id IN (?) AND ticket_id = ?", bun.List(ids), t.ID).Exec(ctx); err != nil {
		return fmt.Errorf("link attachments of %s: %w", t.Number, err)
	}
	return nil
}

// Attachments lists the ticket's attachments, oldest first.
func (s *Service) Attachments(ctx context.Context, ticketID int64) ([]Attachment, error) {
	var out []Attachment
	if err := s.db.NewSelect().Model(&out).Where("att.ticket_id = ?", ticketID).Order("att.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("attachments of ticket %d: %w", ticketID, err)
	}
	return out, nil
}

// AttachmentFile returns attachment id of ticket t with its bytes; ErrNotFound when the
// ticket has no such attachment.
func (s *Service) AttachmentFile(ctx context.Context, t *Ticket, id int64) (*Attachment, []byte, error) {
	m := &Attachment{ID: id, TicketID: t.ID}
	var data []byte
	err := s.db.QueryRowContext(ctx, "SELECT filename, content_type, data FROM ticket_attachments WHERE ticket_id = ? AND id = ?", t.ID, id).
		Scan(&m.Filename, &m.ContentType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("attachment %d of %s: %w", id, t.Number, ErrNotFound)
	} else if err != nil {
		return nil, nil, fmt.Errorf("attachment %d of %s: %w", id, t.Number, err)
	}
	m.Size = len(data)
	return m, data, nil
}
