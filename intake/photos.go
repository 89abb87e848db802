package intake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PhotoMeta describes a stored photo without its bytes.
type PhotoMeta struct {
	ID          int64
	ContentType string
	Size        int
	CreatedAt   time.Time
}

// Photos lists the photos attached to the ticket with id, for staff pages.
func (s *Service) Photos(ctx context.Context, ticketID int64) ([]PhotoMeta, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, content_type, size, created_at FROM intake_photos WHERE ticket_id = ? ORDER BY id", ticketID)
	if err != nil {
		return nil, fmt.Errorf("photos: %w", err)
	}
	defer rows.Close()
	var out []PhotoMeta
	for rows.Next() {
		var p PhotoMeta
		if err := rows.Scan(&p.ID, &p.ContentType, &p.Size, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("photos: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Photo returns photo id of the ticket with number. Callers check that the viewer is staff
// who may see the ticket: citizens never get photos back.
func (s *Service) Photo(ctx context.Context, number string, id int64) (string, []byte, error) {
	var ct string
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT p.content_type, p.data FROM intake_photos p JOIN tickets t ON t.id = p.ticket_id
		WHERE t.number = ? AND p.id = ?`, number, id).Scan(&ct, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("photo %d of %s: %w", id, number, ErrNotFound)
	} else if err != nil {
		return "", nil, fmt.Errorf("photo %d of %s: %w", id, number, err)
	}
	return ct, data, nil
}
