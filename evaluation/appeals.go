package evaluation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Appeal reasons (申诉理由).
var AppealReasons = []string{"unreasonable", "duplicate", "not_duty", "other"} // 不合理诉求, 重复件, 非本单位职责, 其他

// Errors of appeals.
var (
	ErrInvalid = errors.New("invalid input")
	// ErrDecided refuses to decide an appeal twice, or to appeal a ticket whose appeal is live.
	ErrDecided = errors.New("appeal already pending or decided")
)

// FieldError names the field of bad input.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Appeal (申诉) is a department's request that one of its tickets leave its figures.
type Appeal struct {
	ID            int64      `json:"id"`
	Ticket        string     `json:"ticket"`
	TicketID      int64      `json:"-"`
	Department    string     `json:"department"`
	DepartmentID  int64      `json:"-"`
	Name          string     `json:"department_name"`
	Reason        string     `json:"reason"`
	Text          string     `json:"text"`
	Status        string     `json:"status"` // pending, approved, refused
	FiledBy       string     `json:"filed_by"`
	FiledAt       time.Time  `json:"filed_at"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	Decision      string     `json:"decision,omitempty"`
	TicketCreated time.Time  `json:"ticket_registered_at"`
}

const appealSelect = `SELECT a.id, t.number, a.ticket_id, d.code, a.department_id, d.name_zh, a.reason, a.text, a.status, a.filed_by_name,
	a.filed_at, a.decided_by_name, a.decided_at, a.decision, t.created_at
	FROM evaluation_appeals a JOIN tickets t ON t.id = a.ticket_id JOIN departments d ON d.id = a.department_id`

func scanAppeals(rs *sql.Rows) ([]Appeal, error) {
	defer rs.Close()
	out := []Appeal{}
	for rs.Next() {
		var a Appeal
		if err := rs.Scan(&a.ID, &a.Ticket, &a.TicketID, &a.Department, &a.DepartmentID, &a.Name, &a.Reason, &a.Text, &a.Status,
			&a.FiledBy, &a.FiledAt, &a.DecidedBy, &a.DecidedAt, &a.Decision, &a.TicketCreated); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rs.Err()
}

// FileAppeal records actor's department's appeal against the inclusion of ticket number in
// its figures. Only a department the ticket counts for (its lead, a co-handler, or the one a
// visit evaluated) may appeal; for any other the ticket is not found.
func (e *Engine) FileAppeal(ctx context.Context, actor tickets.Actor, number, reason, text string) (*Appeal, error) {
	reason, text = strings.TrimSpace(reason), strings.TrimSpace(text)
	if !contains(AppealReasons, reason) {
		return nil, &FieldError{"reason", "one of " + strings.Join(AppealReasons, ", ")}
	}
	if text == "" {
		return nil, &FieldError{"text", "an appeal needs its reasons in words"}
	}
	if len([]rune(text)) > 2000 {
		return nil, &FieldError{"text", "at most 2000 characters"}
	}
	if !org.DepartmentStaff.Has(actor.Role) {
		return nil, fmt.Errorf("appeal %s: only a department's staff appeal: %w", number, tickets.ErrForbidden)
	}
	var id int64
	err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ticketID int64
		err := tx.QueryRowContext(ctx, `SELECT t.id FROM tickets t WHERE t.number = ? AND (t.department_id = ?
			OR EXISTS (SELECT 1 FROM ticket_co_departments c WHERE c.ticket_id = t.id AND c.department_id = ?)
			OR EXISTS (SELECT 1 FROM return_visits rv WHERE rv.ticket_id = t.id AND rv.department_id = ?))`,
			number, actor.DepartmentID, actor.DepartmentID, actor.DepartmentID).Scan(&ticketID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("appeal %s: %w", number, tickets.ErrNotFound)
		} else if err != nil {
			return err
		}
		var live bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM evaluation_appeals WHERE ticket_id = ? AND department_id = ? AND status <> 'refused')",
			ticketID, actor.DepartmentID).Scan(&live); err != nil {
			return err
		}
		if live {
			return fmt.Errorf("appeal %s: %w", number, ErrDecided)
		}
		now := e.clock.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO evaluation_appeals (ticket_id, department_id, reason, text, filed_by, filed_by_name, filed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, ticketID, actor.DepartmentID, reason, text, idPtr(actor.ID), actor.Name, now).Scan(&id); err != nil {
			return err
		}
		return appealEvent(ctx, tx, actor, ticketID, "appeal", text, map[string]any{"appeal": id, "reason": reason}, now)
	})
	if err != nil {
		return nil, fmt.Errorf("file appeal: %w", err)
	}
	return e.Appeal(ctx, id)
}

func appealEvent(ctx context.Context, tx bun.Tx, actor tickets.Actor, ticketID int64, kind, body string, data map[string]any, at time.Time) error {
	raw, _ := json.Marshal(data)
	ev := &tickets.Event{TicketID: ticketID, Kind: kind, ActorID: idPtr(actor.ID), ActorName: actor.Name, ActorRole: string(actor.Role),
		DepartmentID: idPtr(actor.DepartmentID), At: at, Body: body, Data: raw}
	return tickets.AppendEvent(ctx, tx, ev)
}

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Appeal reads one appeal.
func (e *Engine) Appeal(ctx context.Context, id int64) (*Appeal, error) {
	rs, err := e.db.QueryContext(ctx, appealSelect+" WHERE a.id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("appeal %d: %w", id, err)
	}
	as, err := scanAppeals(rs)
	if err != nil {
		return nil, fmt.Errorf("appeal %d: %w", id, err)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("appeal %d: %w", id, ErrNotFound)
	}
	return &as[0], nil
}

// AppealFilter chooses appeals: by status, by department (0: all), by the tickets' window.
type AppealFilter struct {
	Status       string
	DepartmentID int64
	From, To     time.Time
}

// Appeals lists appeals, newest first.
func (e *Engine) Appeals(ctx context.Context, f AppealFilter) ([]Appeal, error) {
	where, args := []string{"true"}, []any{}
	if f.Status != "" {
		if !contains([]string{"pending", "approved", "refused"}, f.Status) {
			return nil, &FieldError{"status", "pending, approved or refused"}
		}
		where, args = append(where, "a.status = ?"), append(args, f.Status)
	}
	if f.DepartmentID != 0 {
		where, args = append(where, "a.department_id = ?"), append(args, f.DepartmentID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "t.created_at >= ? AND t.created_at < ?"), append(args, f.From, f.To)
	}
	rs, err := e.db.QueryContext(ctx, appealSelect+" WHERE "+strings.Join(where, " AND ")+" ORDER BY a.id DESC LIMIT 500", args...)
	if err != nil {
		return nil, fmt.Errorf("appeals: %w", err)
	}
	return scanAppeals(rs)
}

// DecideAppeal approves or refuses a pending appeal (the centre's decision); an approved one
// takes the ticket out of the department's figures from then on.
func (e *Engine) DecideAppeal(ctx context.Context, actor tickets.Actor, id int64, approve bool, note string) (*Appeal, error) {
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return nil, &FieldError{"text", "a refusal needs a reason"}
	}
	if !org.Deciders.Has(actor.Role) {
		return nil, fmt.Errorf("decide appeal %d: %w", id, tickets.ErrForbidden)
	}
	status := "refused"
	if approve {
		status = "approved"
	}
	err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ticketID int64
		err := tx.QueryRowContext(ctx, `UPDATE evaluation_appeals SET status = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, decision = ?
			WHERE id = ? AND status = 'pending' RETURNING ticket_id`, status, idPtr(actor.ID), actor.Name, e.clock.Now(), note, id).Scan(&ticketID)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := e.Appeal(ctx, id); err != nil {
				return err
			}
			return fmt.Errorf("appeal %d: %w", id, ErrDecided)
		} else if err != nil {
			return err
		}
		return appealEvent(ctx, tx, actor, ticketID, "appeal_"+status, note, map[string]any{"appeal": id}, e.clock.Now())
	})
	if err != nil {
		return nil, fmt.Errorf("decide appeal: %w", err)
	}
	return e.Appeal(ctx, id)
}
