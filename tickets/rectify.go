package tickets

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// ActRectify is a department's proof that it put a bad rating right (差评整改). It is no step
// of the status machine: the ticket's own handling goes on as the reopening (重办) says.
const ActRectify Action = "rectify"

// Rectification statuses.
const (
	RectifyOpen      = "open"      // the department owes its proof
	RectifySubmitted = "submitted" // proof given, the centre to decide
	RectifyAccepted  = "accepted"  // the centre accepted it: done
)

// Rectification (差评整改) is what a named citizen's 不满意 obliges the department to do: put
// it right by Due and prove it, until the centre accepts the proof.
type Rectification struct {
	bun.BaseModel `bun:"table:rectifications,alias:rx"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	TicketID     int64      `bun:"ticket_id" json:"-"`
	VisitID      int64      `bun:"visit_id" json:"visit_id"`
	DepartmentID int64      `bun:"department_id" json:"-"`
	Reason       string     `bun:"reason" json:"reason"`
	OpenedAt     time.Time  `bun:"opened_at" json:"opened_at"`
	Due          time.Time  `bun:"due" json:"due"`
	Status       string     `bun:"status" json:"status"`
	Proof        string     `bun:"proof" json:"proof"`
	AttachmentID *int64     `bun:"attachment_id" json:"attachment_id,omitempty"`
	SubmittedAt  *time.Time `bun:"submitted_at" json:"submitted_at,omitempty"`
	SubmittedBy  string     `bun:"submitted_by" json:"submitted_by,omitempty"`
	DecidedAt    *time.Time `bun:"decided_at" json:"decided_at,omitempty"`
	DecidedBy    string     `bun:"decided_by" json:"decided_by,omitempty"`
	DecisionNote string     `bun:"decision_note" json:"decision_note,omitempty"`
	EscalatedAt  *time.Time `bun:"escalated_at" json:"escalated_at,omitempty"`

	TicketNumber string          `bun:"ticket_number,scanonly" json:"ticket"`
	Department   *org.Department `bun:"rel:belongs-to,join:department_id=id" json:"department,omitempty"`
	// Overdue is set on reading: not yet accepted and past its deadline.
	Overdue bool `bun:"-" json:"overdue"`
}

// named reports whether the citizen gave a name (实名): only a named bad rating obliges a
// rectification, since only a named citizen can be told it was put right.
func named(t *Ticket) bool {
	n := strings.TrimSpace(t.CallerName)
	return n != "" && n != "匿名" && !strings.EqualFold(n, "anonymous") && n != "citizen"
}

// openRectification opens the rectification of a named citizen's 不满意, in the visit's
// transaction, with its event on the timeline.
func (s *Service) openRectification(ctx context.Context, tx bun.Tx, actor Actor, t *Ticket, deptID int64, v *Visit, reason string, l *LoopSettings) error {
	now := s.clock.Now()
	r := &Rectification{TicketID: t.ID, VisitID: v.ID, DepartmentID: deptID, Reason: reason, OpenedAt: now,
		Due: s.cal.AddWorkdays(now, l.RectifyWorkdays), Status: RectifyOpen}
	if _, err := tx.NewInsert().Model(r).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("open rectification of %s: %w", t.Number, err)
	}
	data, _ := json.Marshal(map[string]any{"rectification_id": r.ID, "due": r.Due, "visit_id": v.ID})
	return AppendEvent(ctx, tx, &Event{TicketID: t.ID, Kind: "rectification_opened", ActorID: actor.idPtr(), ActorName: actor.Name,
		ActorRole: string(actor.Role), DepartmentID: &deptID, At: now, FromStatus: string(t.Status), ToStatus: string(t.Status),
		Body: reason, Data: data})
}

// RectifyFilter narrows a list of rectifications.
type RectifyFilter struct {
	Status  string // one status, or "" for all
	Overdue bool   // only those past their deadline and not accepted
}

// Rectifications lists rectifications, deadline first: a department's staff see their own
// department's, the centre and the leadership every one.
func (s *Service) Rectifications(ctx context.Context, actor Actor, f RectifyFilter) ([]Rectification, error) {
	var out []Rectification
	q := s.db.NewSelect().Model(&out).ColumnExpr("rx.*").ColumnExpr("t.number AS ticket_number").Relation("Department").
		Join("JOIN tickets AS t ON t.id = rx.ticket_id")
	switch {
	case cityWide(actor.Role):
	case org.DepartmentStaff.Has(actor.Role):
		q = q.Where("rx.department_id = ?", actor.DepartmentID)
	default:
		return nil, fmt.Errorf("%s may not list rectifications: %w", actor.Role, ErrForbidden)
	}
	if f.Status != "" {
		q = q.Where("rx.status = ?", f.Status)
	}
	now := s.clock.Now()
	if f.Overdue {
		q = q.Where("rx.status <> ? AND rx.due < ?", RectifyAccepted, now)
	}
	if err := q.OrderExpr("rx.status = 'accepted', rx.due, rx.id").Limit(500).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list rectifications: %w", err)
	}
	for i := range out {
		out[i].Overdue = out[i].Status != RectifyAccepted && now.After(out[i].Due)
	}
	return out, nil
}

// rectification reads one for update, as actor may see it: another department's is not found.
func (s *Service) rectification(ctx context.Context, tx bun.Tx, actor Actor, id int64) (*Rectification, *Ticket, error) {
	r := new(Rectification)
	if err := tx.NewSelect().Model(r).Where("rx.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("rectification %d: %w", id, ErrNotFound)
		}
		return nil, nil, fmt.Errorf("rectification %d: %w", id, err)
	}
	if !cityWide(actor.Role) && (!org.DepartmentStaff.Has(actor.Role) || actor.DepartmentID != r.DepartmentID) {
		return nil, nil, fmt.Errorf("rectification %d: %w", id, ErrNotFound)
	}
	t := new(Ticket)
	if err := tx.NewSelect().Model(t).Where("t.id = ?", r.TicketID).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("rectification %d: %w", id, err)
	}
	return r, t, nil
}

// SubmitRectification records the department's proof (text, and files such as a photo of the
// site or a signed statement) and hands it to the centre. Only the department owing it may.
func (s *Service) SubmitRectification(ctx context.Context, actor Actor, id int64, text string, files []File) (*Rectification, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, invalid("proof", "say what was done to put it right")
	case utf8.RuneCountInString(text) > 4000:
		return nil, invalid("proof", "at most 4000 characters")
	}
	checked, err := checkFiles(ActRectify, files)
	if err != nil {
		return nil, err
	}
	var r *Rectification
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var t *Ticket
		var err error
		if r, t, err = s.rectification(ctx, tx, actor, id); err != nil {
			return err
		}
		if !org.DepartmentStaff.Has(actor.Role) {
			return fmt.Errorf("rectification %d: the department gives the proof: %w", id, ErrForbidden)
		}
		if r.Status != RectifyOpen {
			return fmt.Errorf("rectification %d is %s: %w", id, r.Status, ErrTransition)
		}
		ids, list, err := s.storeFiles(ctx, tx, t, actor, ActRectify, checked)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		r.Status, r.Proof, r.SubmittedAt, r.SubmittedBy = RectifySubmitted, text, &now, actor.Name
		if len(ids) > 0 {
			r.AttachmentID = &ids[0]
		}
		if _, err := tx.NewUpdate().Model(r).Column("status", "proof", "submitted_at", "submitted_by", "attachment_id").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("submit rectification %d: %w", id, err)
		}
		data := map[string]any{"rectification_id": r.ID}
		if len(list) > 0 {
			data["attachments"] = list
		}
		raw, _ := json.Marshal(data)
		ev := &Event{TicketID: t.ID, Kind: "rectification_submitted", ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
			DepartmentID: actor.deptPtr(), At: now, FromStatus: string(t.Status), ToStatus: string(t.Status), Body: text, Data: raw}
		if err := AppendEvent(ctx, tx, ev); err != nil {
			return err
		}
		return linkFiles(ctx, tx, t, ev, ids)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DecideRectification is the centre's decision on a submitted proof: accepted ends the
// rectification; refused sends it back to the department with the note, the deadline as it was.
func (s *Service) DecideRectification(ctx context.Context, actor Actor, id int64, accept bool, note string) (*Rectification, error) {
	note = strings.TrimSpace(note)
	if !org.Centre.Has(actor.Role) {
		return nil, fmt.Errorf("%s may not decide a rectification: %w", actor.Role, ErrForbidden)
	}
	if !accept && note == "" {
		return nil, invalid("note", "say why the proof is not enough")
	}
	var r *Rectification
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var t *Ticket
		var err error
		if r, t, err = s.rectification(ctx, tx, actor, id); err != nil {
			return err
		}
		if r.Status != RectifySubmitted {
			return fmt.Errorf("rectification %d is %s, no proof to decide on: %w", id, r.Status, ErrTransition)
		}
		now := s.clock.Now()
		kind := "rectification_accepted"
		r.Status, r.DecidedAt, r.DecidedBy, r.DecisionNote = RectifyAccepted, &now, actor.Name, note
		if !accept {
			kind, r.Status = "rectification_refused", RectifyOpen
		}
		if _, err := tx.NewUpdate().Model(r).Column("status", "decided_at", "decided_by", "decision_note").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("decide rectification %d: %w", id, err)
		}
		raw, _ := json.Marshal(map[string]any{"rectification_id": r.ID})
		return AppendEvent(ctx, tx, &Event{TicketID: t.ID, Kind: kind, ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
			At: now, FromStatus: string(t.Status), ToStatus: string(t.Status), Body: note, Data: raw})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// OverdueRectification is a rectification the sweep escalates.
type OverdueRectification struct {
	ID           int64     `bun:"id"`
	TicketID     int64     `bun:"ticket_id"`
	TicketNumber string    `bun:"ticket_number"`
	DepartmentID int64     `bun:"department_id"`
	Due          time.Time `bun:"due"`
}

// ClaimOverdueRectifications marks, in the caller's transaction, the rectifications past their
// deadline at now and not yet accepted as escalated, each with its event on the timeline, and
// returns them: each is claimed once, whichever sweep comes first (the others skip the rows it
// holds), so the escalation built on it happens once.
func ClaimOverdueRectifications(ctx context.Context, tx bun.Tx, now time.Time, limit int) ([]OverdueRectification, error) {
	var out []OverdueRectification
	err := tx.NewRaw(`WITH due AS (
			SELECT id FROM rectifications WHERE status <> 'accepted' AND escalated_at IS NULL AND due <= ?
			ORDER BY due LIMIT ? FOR UPDATE SKIP LOCKED)
		UPDATE rectifications rx SET escalated_at = ? FROM due, tickets t
		WHERE rx.id = due.id AND t.id = rx.ticket_id
		RETURNING rx.id, rx.ticket_id, t.number AS ticket_number, rx.department_id, rx.due`, now, limit, now).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("claim overdue rectifications: %w", err)
	}
	for _, r := range out {
		raw, _ := json.Marshal(map[string]any{"rectification_id": r.ID, "due": r.Due})
		dept := r.DepartmentID
		if err := AppendEvent(ctx, tx, &Event{TicketID: r.TicketID, Kind: "rectification_overdue", ActorName: System.Name,
			ActorRole: string(System.Role), DepartmentID: &dept, At: now, Body: "差评整改逾期 the rectification is overdue", Data: raw}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
