package routing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Review decisions of the centre on a returned ticket (派单异议审核).
const (
	// ReviewRedispatch sends the ticket to another department (改派).
	ReviewRedispatch = "redispatch"
	// ReviewSendBack sends it back to the department that returned it,
	// with the centre's explanation why it is theirs.
	ReviewSendBack = "send_back"
)

// ReturnedTicket is a ticket waiting in the centre's review queue: returned
// by a department (退单) with a reason.
type ReturnedTicket struct {
	Number         string    `json:"number"`
	Version        int       `json:"version"`
	Title          string    `json:"title"`
	Description    string    `json:"description"`
	Category       string    `json:"category"`
	Department     string    `json:"department"` // the department that returned it
	DepartmentName string    `json:"department_name"`
	Reason         string    `json:"reason"`
	ReturnedBy     string    `json:"returned_by"`
	ReturnedAt     time.Time `json:"returned_at"`
	Returns        int       `json:"returns"` // how often it was returned so far
}

// ReturnQueue lists the returned tickets waiting for review, longest waiting
// first.
func (s *Service) ReturnQueue(ctx context.Context) ([]ReturnedTicket, error) {
	var out []ReturnedTicket
	err := s.db.NewRaw(`SELECT t.number, t.version, t.title, t.description,
			coalesce(c.code, '') AS category, coalesce(d.code, '') AS department, coalesce(d.name_zh, '') AS department_name,
			coalesce(e.body, '') AS reason, coalesce(e.actor_name, '') AS returned_by, coalesce(e.at, t.updated_at) AS returned_at,
			(SELECT count(*) FROM ticket_events r WHERE r.ticket_id = t.id AND r.kind = 'return') AS returns
		FROM tickets t
		LEFT JOIN categories c ON c.id = t.category_id
		LEFT JOIN departments d ON d.id = t.department_id
		LEFT JOIN LATERAL (SELECT body, actor_name, at FROM ticket_events
			WHERE ticket_id = t.id AND kind = 'return' ORDER BY id DESC LIMIT 1) e ON true
		WHERE t.status = ? AND t.master_id IS NULL
		ORDER BY returned_at, t.id
		LIMIT 500`, tickets.StatusReturned).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("return queue: %w", err)
	}
	return out, nil
}

// ReviewInput is the centre's decision on a returned ticket.
type ReviewInput struct {
	Decision   string   // ReviewRedispatch or ReviewSendBack
	Department string   // the new lead unit, for ReviewRedispatch
	CoHandlers []string // co-handling units, for ReviewRedispatch
	Note       string   // the centre's explanation; required for ReviewSendBack
	Version    int      // the ticket version the reviewer saw; 0 skips the check
}

// Review decides a returned ticket: re-dispatch it to another department
// (改派) or send it back to the one that returned it with an explanation.
// Either is a dispatch on the ticket's timeline recording the kind of review
// and the returning department, which ReturnStats counts.
func (s *Service) Review(ctx context.Context, actor tickets.Actor, number string, in ReviewInput) (*tickets.Ticket, error) {
	in.Note = strings.TrimSpace(in.Note)
	in.Department = strings.TrimSpace(in.Department)
	switch in.Decision {
	case ReviewRedispatch:
		if in.Department == "" {
			return nil, fieldErr("department", "is required to re-dispatch")
		}
	case ReviewSendBack:
		if in.Note == "" {
			return nil, fieldErr("note", "explain why the ticket is the department's")
		}
	default:
		return nil, fieldErr("decision", "must be %s or %s", ReviewRedispatch, ReviewSendBack)
	}
	var out *tickets.Ticket
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var t tickets.Ticket
		if err := tx.NewSelect().Model(&t).Where("t.number = ?", number).Scan(ctx); err != nil {
			if noRows(err) {
				return fmt.Errorf("ticket %s: %w", number, tickets.ErrNotFound)
			}
			return err
		}
		if t.Status != tickets.StatusReturned {
			return fmt.Errorf("ticket %s is %s, not returned: %w", number, t.Status, tickets.ErrTransition)
		}
		var returnedBy *org.Department
		if t.DepartmentID != nil {
			d, err := org.NewStore(tx).DepartmentByID(ctx, *t.DepartmentID)
			if err != nil {
				return err
			}
			returnedBy = d
		}
		dispatch := tickets.DispatchInput{
			ActInput: tickets.ActInput{Version: in.Version, Text: in.Note, Data: map[string]any{"review": in.Decision}},
		}
		if returnedBy != nil {
			dispatch.Data["returned_by"] = returnedBy.Code
		}
		switch in.Decision {
		case ReviewRedispatch:
			if returnedBy != nil && in.Department == returnedBy.Code {
				return fieldErr("department", "%s returned the ticket: re-dispatch elsewhere or send it back with a note", in.Department)
			}
			dispatch.Department, dispatch.CoHandlers = in.Department, in.CoHandlers
		case ReviewSendBack:
			if returnedBy == nil {
				return fieldErr("decision", "ticket %s has no department to send it back to", number)
			}
			dispatch.Department = returnedBy.Code
			var cos []string
			if err := tx.NewRaw(`SELECT d.code FROM ticket_co_departments co JOIN departments d ON d.id = co.department_id
				WHERE co.ticket_id = ? ORDER BY d.code`, t.ID).Scan(ctx, &cos); err != nil {
				return err
			}
			dispatch.CoHandlers = cos
		}
		var err error
		out, err = s.tickets.DispatchTx(ctx, tx, actor, number, dispatch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("review %s: %w", number, err)
	}
	s.log.InfoContext(ctx, "returned ticket reviewed", "ticket_no", number, "decision", in.Decision, "department", out.Department.Code)
	return out, nil
}

// DepartmentReturns counts one department's returns and what the centre
// made of them.
type DepartmentReturns struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	// Returns are the tickets the department sent back (退单).
	Returns int `json:"returns"`
	// Redispatched are its returns the centre re-dispatched elsewhere (改派).
	Redispatched int `json:"redispatched"`
	// SentBack are its returns the centre sent back to it.
	SentBack int `json:"sent_back"`
	// RedispatchedTo are other departments' returns re-dispatched to it.
	RedispatchedTo int `json:"redispatched_to"`
}

// ReturnStats counts returns and re-dispatches per department since a
// moment, most returns first; departments with none are left out.
func (s *Service) ReturnStats(ctx context.Context, since time.Time) ([]DepartmentReturns, error) {
	var out []DepartmentReturns
	err := s.db.NewRaw(`WITH r AS (
			SELECT (data->>'returned_by_department')::bigint AS dept, count(*) AS n FROM ticket_events
			WHERE kind = 'return' AND at >= ? AND data->>'returned_by_department' IS NOT NULL GROUP BY 1
		), rv AS (
			SELECT data->>'returned_by' AS code, data->>'review' AS review, count(*) AS n FROM ticket_events
			WHERE kind = 'dispatch' AND data->>'review' IS NOT NULL AND at >= ? GROUP BY 1, 2
		), rt AS (
			SELECT data->>'department' AS code, count(*) AS n FROM ticket_events
			WHERE kind = 'dispatch' AND data->>'review' = ? AND at >= ? GROUP BY 1
		)
		SELECT d.code AS department, d.name_zh AS name, coalesce(r.n, 0) AS returns, coalesce(a.n, 0) AS redispatched,
			coalesce(b.n, 0) AS sent_back, coalesce(rt.n, 0) AS redispatched_to
		FROM departments d
		LEFT JOIN r ON r.dept = d.id
		LEFT JOIN rv a ON a.code = d.code AND a.review = ?
		LEFT JOIN rv b ON b.code = d.code AND b.review = ?
		LEFT JOIN rt ON rt.code = d.code
		WHERE coalesce(r.n, 0) + coalesce(a.n, 0) + coalesce(b.n, 0) + coalesce(rt.n, 0) > 0
		ORDER BY returns DESC, d.code`,
		since, since, ReviewRedispatch, since, ReviewRedispatch, ReviewSendBack).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("return statistics: %w", err)
	}
	return out, nil
}
