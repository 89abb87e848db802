package escalation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-city/hotline/internal/database"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Extension is a department's request for more time (延期申请) and the centre's decision.
type Extension struct {
	bun.BaseModel `bun:"table:extension_requests,alias:x"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	TicketID     int64      `bun:"ticket_id" json:"-"`
	RequestedBy  *int64     `bun:"requested_by" json:"requested_by,omitempty"`
	RequestedAt  time.Time  `bun:"requested_at" json:"requested_at"`
	Reason       string     `bun:"reason" json:"reason"`
	OldDue       time.Time  `bun:"old_due" json:"old_due"`
	NewDue       time.Time  `bun:"new_due" json:"new_due"`
	Status       string     `bun:"status" json:"status"`
	DecidedBy    *int64     `bun:"decided_by" json:"decided_by,omitempty"`
	DecidedAt    *time.Time `bun:"decided_at" json:"decided_at,omitempty"`
	DecisionNote string     `bun:"decision_note" json:"decision_note"`

	TicketNumber  string `bun:"ticket_number,scanonly" json:"ticket"`
	DepartmentID  *int64 `bun:"department_id,scanonly" json:"-"`
	RequesterName string `bun:"requester_name,scanonly" json:"-"`
	DeciderName   string `bun:"decider_name,scanonly" json:"-"`
}

// selectExtensions selects extension requests into dst with their ticket's number and
// department and the names of who asked and who decided.
func selectExtensions(db bun.IDB, dst any) *bun.SelectQuery {
	return db.NewSelect().Model(dst).ColumnExpr("x.*").ColumnExpr("t.number AS ticket_number, t.department_id").
		ColumnExpr("rq.display_name AS requester_name, dc.display_name AS decider_name").
		Join("JOIN tickets AS t ON t.id = x.ticket_id").
		Join("LEFT JOIN staff AS rq ON rq.id = x.requested_by").Join("LEFT JOIN staff AS dc ON dc.id = x.decided_by")
}

// ExtensionInput is a request for more time: a new deadline, or a number of working days
// added to the current one.
type ExtensionInput struct {
	NewDue   time.Time
	Workdays int
	Reason   string
}

func invalid(field, msg string) error { return &tickets.FieldError{Field: field, Msg: msg} }

// lead loads a ticket that actor's department leads, or refuses.
func (s *Service) lead(ctx context.Context, actor tickets.Actor, number string) (*tickets.Ticket, error) {
	t, err := s.tickets.GetFor(ctx, actor, number)
	if err != nil {
		return nil, err
	}
	if org.DepartmentStaff.Has(actor.Role) {
		if t.DepartmentID == nil || *t.DepartmentID != actor.DepartmentID {
			return nil, fmt.Errorf("ticket %s: only the lead department may do this: %w", number, ErrForbidden)
		}
	}
	return t, nil
}

// RequestExtension records a department's request for more time. It must come before the
// resolution deadline, with a reason and a later deadline; one request may wait at a time.
func (s *Service) RequestExtension(ctx context.Context, actor tickets.Actor, number string, in ExtensionInput) (*Extension, error) {
	if !org.DepartmentStaff.Has(actor.Role) {
		return nil, fmt.Errorf("%s may not ask for an extension: %w", actor.Role, ErrForbidden)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return nil, invalid("reason", "an extension needs a reason")
	}
	t, err := s.lead(ctx, actor, number)
	if err != nil {
		return nil, err
	}
	if t.Merged() {
		return nil, fmt.Errorf("ticket %s: its deadlines are its master's: %w", number, tickets.ErrMerged)
	}
	if t.Status != tickets.StatusDispatched && t.Status != tickets.StatusAccepted || t.ResolveDue == nil {
		return nil, fmt.Errorf("ticket %s is %s: no resolution deadline to extend: %w", number, t.Status, ErrTransition)
	}
	now := s.clock.Now()
	if !now.Before(*t.ResolveDue) {
		return nil, fmt.Errorf("ticket %s: the deadline %s has passed; an extension is asked for before it: %w", number, s.fmtTime(*t.ResolveDue), ErrTransition)
	}
	switch {
	case in.Workdays < 0 || in.Workdays > 60:
		return nil, invalid("workdays", "must be between 1 and 60")
	case in.Workdays > 0:
		in.NewDue = s.cal.AddWorkdays(*t.ResolveDue, in.Workdays)
	case in.NewDue.IsZero():
		return nil, invalid("new_due", "give the new deadline or a number of working days")
	case !in.NewDue.After(*t.ResolveDue):
		return nil, invalid("new_due", "must be after the current deadline "+s.fmtTime(*t.ResolveDue))
	}
	x := &Extension{TicketID: t.ID, RequestedBy: actorID(actor), RequestedAt: now, Reason: in.Reason, OldDue: *t.ResolveDue,
		NewDue: in.NewDue, Status: "pending", TicketNumber: t.Number}
	err = s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(x).Returning("id").Exec(ctx); err != nil {
			if _, dup := database.UniqueViolation(err); dup {
				return fmt.Errorf("ticket %s already has an extension request waiting: %w", number, ErrConflict)
			}
			return wrap("save extension request", err)
		}
		body := fmt.Sprintf("申请延期至 %s：%s", s.fmtTime(x.NewDue), x.Reason)
		if err := s.event(ctx, tx, t, actor, "extension_requested", body, map[string]any{"extension_id": x.ID, "new_due": x.NewDue}); err != nil {
			return err
		}
		to, err := org.NewStore(tx).StaffByRole(ctx, 0, org.RoleSupervisor)
		if err != nil {
			return wrap("find supervisors", err)
		}
		return s.queue(ctx, tx, message{kind: "extension_requested", subject: fmt.Sprintf("[12345] 工单 %s 申请延期", t.Number),
			body: body, ticketID: t.ID}, to)
	})
	if err != nil {
		return nil, fmt.Errorf("request extension of %s: %w", number, err)
	}
	return x, nil
}

// DecideExtension approves or refuses a waiting request. An approval moves the ticket's
// resolution deadline (a public event, and the citizen is told by SMS), so its clock warns and
// escalates anew against the new date; a refusal needs a reason.
func (s *Service) DecideExtension(ctx context.Context, actor tickets.Actor, id int64, approve bool, note string) (*Extension, error) {
	if !org.Deciders.Has(actor.Role) {
		return nil, fmt.Errorf("%s may not decide extensions: %w", actor.Role, ErrForbidden)
	}
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return nil, invalid("text", "a refusal needs a reason")
	}
	x := new(Extension)
	err := s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := selectExtensions(tx, x).Where("x.id = ?", id).For("UPDATE OF x").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("extension request %d: %w", id, ErrNotFound)
		} else if err != nil {
			return wrap("read extension request", err)
		}
		if x.Status != "pending" {
			return fmt.Errorf("extension request %d is already %s: %w", id, x.Status, ErrTransition)
		}
		now := s.clock.Now()
		x.DecidedBy, x.DecidedAt, x.DecisionNote = actorID(actor), &now, note
		var t *tickets.Ticket
		if approve {
			x.Status = "approved"
			reason := x.Reason
			if note != "" {
				reason += "（" + note + "）"
			}
			if t, err = s.tickets.ExtendTx(ctx, tx, actor, x.TicketNumber, x.NewDue, "延期至 "+s.fmtTime(x.NewDue)+"："+reason); err != nil {
				return err
			}
		} else {
			x.Status = "refused"
			if t, err = s.tickets.Get(ctx, x.TicketNumber); err != nil {
				return err
			}
			if err := s.event(ctx, tx, t, actor, "extension_refused", "延期申请未获批准："+note, map[string]any{"extension_id": x.ID}); err != nil {
				return err
			}
		}
		if _, err := tx.NewUpdate().Model(x).Column("status", "decided_by", "decided_at", "decision_note").WherePK().Exec(ctx); err != nil {
			return wrap("save decision", err)
		}
		var to []org.Staff
		if x.DepartmentID != nil {
			if to, err = org.NewStore(tx).StaffByRole(ctx, *x.DepartmentID, org.RoleHandler, org.RoleHead); err != nil {
				return wrap("find the department's staff", err)
			}
		}
		subject := fmt.Sprintf("[12345] 工单 %s 延期申请已批准，新时限 %s", x.TicketNumber, s.fmtTime(x.NewDue))
		if !approve {
			subject = fmt.Sprintf("[12345] 工单 %s 延期申请未获批准：%s", x.TicketNumber, note)
		}
		if err := s.queue(ctx, tx, message{kind: "extension_" + x.Status, subject: subject, body: subject, ticketID: x.TicketID}, to); err != nil {
			return err
		}
		if approve {
			text := fmt.Sprintf("【12345】您的诉求（工单号 %s）办理时限已延长至 %s，原因：%s。", x.TicketNumber, s.fmtTime(x.NewDue), x.Reason)
			if err := insertNotifications(ctx, tx, s.citizenSMS(t.CallerPhone, "extension_citizen", text, x.TicketID, now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decide extension %d: %w", id, err)
	}
	s.hub.Queued()
	return x, nil
}

// Extensions lists extension requests the actor may see (status "" for all), newest first.
func (s *Service) Extensions(ctx context.Context, actor tickets.Actor, status string, limit int) ([]Extension, error) {
	var xs []Extension
	q := selectExtensions(s.db, &xs).OrderExpr("x.id DESC").Limit(int64(clampLimit(limit)))
	if status != "" {
		q = q.Where("x.status = ?", status)
	}
	q, err := scopeDept(q, actor, "t.department_id")
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap("list extension requests", err)
	}
	return xs, nil
}

// event appends a timeline entry of escalation's own to t.
func (s *Service) event(ctx context.Context, tx bun.IDB, t *tickets.Ticket, actor tickets.Actor, kind, body string, data map[string]any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var dept *int64
	if actor.DepartmentID != 0 {
		d := actor.DepartmentID
		dept = &d
	}
	return tickets.AppendEvent(ctx, tx, &tickets.Event{TicketID: t.ID, Kind: kind, ActorID: actorID(actor), ActorName: actor.Name,
		ActorRole: string(actor.Role), DepartmentID: dept, At: s.clock.Now(), FromStatus: string(t.Status), ToStatus: string(t.Status),
		Body: body, Data: raw})
}

// queue writes a message's outbox rows for every recipient.
func (s *Service) queue(ctx context.Context, tx bun.IDB, m message, to []org.Staff) error {
	return insertNotifications(ctx, tx, s.rowsFor(m, to, s.clock.Now()))
}

func actorID(a tickets.Actor) *int64 {
	if a.ID == 0 {
		return nil
	}
	id := a.ID
	return &id
}

func clampLimit(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// scopeDept keeps department staff to their department's rows; the centre and the leadership
// see everything.
func scopeDept(q *bun.SelectQuery, actor tickets.Actor, column string) (*bun.SelectQuery, error) {
	switch {
	case org.CityWide.Has(actor.Role):
		return q, nil
	case org.DepartmentStaff.Has(actor.Role):
		return q.Where(column+" = ?", actor.DepartmentID), nil
	}
	return nil, fmt.Errorf("%s may not list these: %w", actor.Role, ErrForbidden)
}

// Follow closes the extension request still waiting on a ticket that is resolved, answered or
// closed: nothing is left to extend, so the request can be neither approved nor refused. It
// runs in the transaction of the ticket's action, and says why on the ticket's timeline.
func (s *Service) Follow(ctx context.Context, tx bun.Tx, t *tickets.Ticket, a tickets.Action) error {
	if a == tickets.ActResolve {
		if err := s.ratingSMS(ctx, tx, t); err != nil { // the citizen's rating link
			return err
		}
	}
	switch a {
	case tickets.ActResolve, tickets.ActAnswer, tickets.ActClose: // the actions that end the handling
	default:
		return nil // a note on a resolved ticket, say, has nothing to close
	}
	now := s.clock.Now()
	// Chinese and English, as the note is shown as it is in either language.
	note := "工单已" + tickets.StatusZh(t.Status) + "，待审批的延期申请自动关闭 closed: the ticket is " + string(t.Status)
	var ids []int64
	if err := tx.NewUpdate().Model((*Extension)(nil)).
		Set("status = 'closed', decided_at = ?, decision_note = ?", now, note).
		Where("x.ticket_id = ? AND x.status = 'pending'", t.ID).Returning("x.id").Scan(ctx, &ids); err != nil {
		return wrap("close pending extension requests", err)
	}
	for _, id := range ids {
		if err := s.event(ctx, tx, t, tickets.System, "extension_closed", note,
			map[string]any{"extension_id": id, "action": string(a)}); err != nil {
			return err
		}
	}
	return nil
}
