package escalation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Notice is a supervision notice (督办单): a numbered, formal demand on the department handling
// a ticket, with its own deadline for a reply. An unanswered notice warns and escalates like
// any other clock.
type Notice struct {
	bun.BaseModel `bun:"table:supervision_notices,alias:sn"`

	ID           int64      `bun:"id,pk" json:"-"`
	Number       string     `bun:"number" json:"number"`
	TicketID     int64      `bun:"ticket_id" json:"-"`
	DepartmentID int64      `bun:"department_id" json:"-"`
	IssuedBy     *int64     `bun:"issued_by" json:"issued_by,omitempty"`
	IssuedAt     time.Time  `bun:"issued_at" json:"issued_at"`
	Body         string     `bun:"body" json:"body"`
	Due          time.Time  `bun:"due" json:"due"`
	Status       string     `bun:"status" json:"status"`
	Reply        string     `bun:"reply" json:"reply"`
	RepliedBy    *int64     `bun:"replied_by" json:"replied_by,omitempty"`
	RepliedAt    *time.Time `bun:"replied_at" json:"replied_at,omitempty"`

	TicketNumber string `bun:"ticket_number,scanonly" json:"ticket"`
	Department   string `bun:"department_code,scanonly" json:"department"`
	IssuerName   string `bun:"issuer_name,scanonly" json:"-"`
	ReplierName  string `bun:"replier_name,scanonly" json:"-"`
}

// selectNotices selects notices into dst with their ticket's number, the department's code and
// the names of who issued and who replied.
func selectNotices(db bun.IDB, dst any) *bun.SelectQuery {
	return db.NewSelect().Model(dst).ColumnExpr("sn.*").ColumnExpr("t.number AS ticket_number, d.code AS department_code").
		ColumnExpr("iss.display_name AS issuer_name, rp.display_name AS replier_name").
		Join("JOIN tickets AS t ON t.id = sn.ticket_id").Join("JOIN departments AS d ON d.id = sn.department_id").
		Join("LEFT JOIN staff AS iss ON iss.id = sn.issued_by").Join("LEFT JOIN staff AS rp ON rp.id = sn.replied_by")
}

// NoticeInput is a new supervision notice: what is demanded and by when (a time, or a number
// of working days from now).
type NoticeInput struct {
	Text     string
	Due      time.Time
	Workdays int
}

// IssueNotice issues a supervision notice on a ticket to its lead department.
func (s *Service) IssueNotice(ctx context.Context, actor tickets.Actor, number string, in NoticeInput) (*Notice, error) {
	if !org.Supervisors.Has(actor.Role) {
		return nil, fmt.Errorf("%s may not issue supervision notices: %w", actor.Role, ErrForbidden)
	}
	in.Text = strings.TrimSpace(in.Text)
	if in.Text == "" {
		return nil, invalid("text", "a supervision notice says what is demanded")
	}
	now := s.clock.Now()
	switch {
	case in.Workdays < 0 || in.Workdays > 60:
		return nil, invalid("workdays", "must be between 1 and 60")
	case in.Workdays > 0:
		in.Due = s.cal.AddWorkdays(now, in.Workdays)
	case in.Due.IsZero():
		return nil, invalid("due", "give the reply deadline or a number of working days")
	case !in.Due.After(now):
		return nil, invalid("due", "must be in the future")
	}
	t, err := s.tickets.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if t.DepartmentID == nil {
		return nil, fmt.Errorf("ticket %s has no department to supervise yet: %w", number, ErrTransition)
	}
	n := &Notice{TicketID: t.ID, DepartmentID: *t.DepartmentID, IssuedBy: actorID(actor), IssuedAt: now, Body: in.Text,
		Due: in.Due, Status: "open", TicketNumber: t.Number, Department: t.Department.Code}
	err = s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT nextval('supervision_notices_id_seq')").Scan(&n.ID); err != nil {
			return wrap("number the notice", err)
		}
		// Numbered by year and a sequence that never hands a number out twice: 督办 2026-000042.
		n.Number = fmt.Sprintf("DB%d-%06d", now.In(s.loc).Year(), n.ID)
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return wrap("save notice", err)
		}
		dir, err := loadDirectory(ctx, tx)
		if err != nil {
			return err
		}
		dept := n.DepartmentID
		c := &clockRow{TicketID: t.ID, Clock: ClockNotice, NoticeID: n.ID, DepartmentID: &dept, StartedAt: now, Due: n.Due, Stage: -1}
		c.NextAt = s.nextAt(now, n.Due, ClockNotice, -1, dir.top(&dept))
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return wrap("start the notice's clock", err)
		}
		body := fmt.Sprintf("督办单 %s，请于 %s 前答复：%s", n.Number, s.fmtTime(n.Due), n.Body)
		if err := s.event(ctx, tx, t, actor, "supervision_issued", body, map[string]any{"notice": n.Number, "due": n.Due}); err != nil {
			return err
		}
		to, err := org.NewStore(tx).StaffByRole(ctx, dept, org.RoleHead, org.RoleHandler)
		if err != nil {
			return wrap("find the department's staff", err)
		}
		return s.queue(ctx, tx, message{kind: "supervision_issued", subject: fmt.Sprintf("[12345] 督办单 %s（工单 %s）", n.Number, t.Number),
			body: body, ticketID: t.ID, urgent: true}, to)
	})
	if err != nil {
		return nil, fmt.Errorf("issue supervision notice on %s: %w", number, err)
	}
	s.hub.Queued()
	return n, nil
}

// ReplyNotice records the department's reply to a notice, which stops its clock.
func (s *Service) ReplyNotice(ctx context.Context, actor tickets.Actor, number, text string) (*Notice, error) {
	if !org.DepartmentStaff.Has(actor.Role) {
		return nil, fmt.Errorf("%s may not reply to supervision notices: %w", actor.Role, ErrForbidden)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, invalid("text", "a reply needs text")
	}
	var n *Notice
	err := s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if n, err = s.notice(ctx, tx, number, true); err != nil {
			return err
		}
		if n.DepartmentID != actor.DepartmentID {
			return fmt.Errorf("notice %s is addressed to another department: %w", number, ErrForbidden)
		}
		if n.Status != "open" {
			return fmt.Errorf("notice %s is already answered: %w", number, ErrTransition)
		}
		now := s.clock.Now()
		n.Status, n.Reply, n.RepliedBy, n.RepliedAt = "replied", text, actorID(actor), &now
		if _, err := tx.NewUpdate().Model(n).Column("status", "reply", "replied_by", "replied_at").WherePK().Exec(ctx); err != nil {
			return wrap("save reply", err)
		}
		if _, err := tx.NewDelete().Model((*clockRow)(nil)).Where("ticket_id = ? AND clock = ? AND notice_id = ?", n.TicketID, ClockNotice, n.ID).Exec(ctx); err != nil {
			return wrap("stop the notice's clock", err)
		}
		t, err := s.tickets.Get(ctx, n.TicketNumber)
		if err != nil {
			return err
		}
		body := fmt.Sprintf("督办单 %s 答复：%s", n.Number, text)
		if err := s.event(ctx, tx, t, actor, "supervision_replied", body, map[string]any{"notice": n.Number}); err != nil {
			return err
		}
		var to []org.Staff
		if n.IssuedBy != nil {
			u, err := org.NewStore(tx).StaffByID(ctx, *n.IssuedBy)
			if err != nil {
				return wrap("find the issuer", err)
			}
			to = append(to, *u)
		}
		return s.queue(ctx, tx, message{kind: "supervision_replied", subject: fmt.Sprintf("[12345] 督办单 %s 已答复", n.Number), body: body, ticketID: t.ID}, to)
	})
	if err != nil {
		return nil, fmt.Errorf("reply to notice %s: %w", number, err)
	}
	s.hub.Queued()
	return n, nil
}

func (s *Service) notice(ctx context.Context, db bun.IDB, number string, lock bool) (*Notice, error) {
	n := new(Notice)
	q := selectNotices(db, n).Where("sn.number = ?", number)
	if lock {
		q = q.For("UPDATE OF sn")
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notice %s: %w", number, ErrNotFound)
	} else if err != nil {
		return nil, wrap("read notice", err)
	}
	return n, nil
}

// Notice reads a notice the actor may see: the centre and leadership all, a department its own.
func (s *Service) Notice(ctx context.Context, actor tickets.Actor, number string) (*Notice, error) {
	n, err := s.notice(ctx, s.db, number, false)
	if err != nil {
		return nil, err
	}
	if org.DepartmentStaff.Has(actor.Role) && n.DepartmentID != actor.DepartmentID {
		return nil, fmt.Errorf("notice %s: %w", number, ErrForbidden)
	}
	return n, nil
}

// Notices lists the notices the actor may see (status "" for all), newest first.
func (s *Service) Notices(ctx context.Context, actor tickets.Actor, status string, limit int) ([]Notice, error) {
	var ns []Notice
	q := selectNotices(s.db, &ns).OrderExpr("sn.id DESC").Limit(int64(clampLimit(limit)))
	if status != "" {
		q = q.Where("sn.status = ?", status)
	}
	q, err := scopeDept(q, actor, "sn.department_id")
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap("list notices", err)
	}
	return ns, nil
}
