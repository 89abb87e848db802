package tickets

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// The answers a return visit (回访) records.
var (
	VisitChannels     = []string{"phone", "sms", "web", "ivr"}
	VisitOutcomes     = []string{"reached", "no_answer", "refused", "wrong_number"}
	VisitSolved       = []string{"solved", "partly", "unsolved"}
	VisitSatisfaction = []string{"satisfied", "basically", "dissatisfied"}
)

// VisitInput is one attempt to reach the citizen about a resolved ticket. When Outcome is
// "reached", Contacted (did the department contact you?), Solved and Satisfaction are the
// citizen's answers; otherwise they stay unset.
type VisitInput struct {
	// Department is the code of the part visited about: empty or the lead department (主办)
	// for the ticket's own visit, or a co-handling department (协办) for its part.
	Department   string
	Channel      string
	Outcome      string
	Contacted    *bool
	Solved       string
	Satisfaction string
	Comment      string
}

// Visit is a recorded return visit attempt.
type Visit struct {
	bun.BaseModel `bun:"table:return_visits,alias:rv"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	TicketID     int64     `bun:"ticket_id" json:"-"`
	Resolution   int       `bun:"resolution" json:"resolution"`
	DepartmentID *int64    `bun:"department_id" json:"-"`
	Channel      string    `bun:"channel" json:"channel"`
	Outcome      string    `bun:"outcome" json:"outcome"`
	Contacted    *bool     `bun:"contacted" json:"contacted"`
	Solved       *string   `bun:"solved" json:"solved"`
	Satisfaction *string   `bun:"satisfaction" json:"satisfaction"`
	Comment      string    `bun:"comment" json:"comment"`
	Valid        bool      `bun:"valid" json:"valid"`
	ActorID      *int64    `bun:"actor_id" json:"-"`
	ActorName    string    `bun:"actor_name" json:"actor"`
	At           time.Time `bun:"at" json:"at"`
	// DepartmentCode is the department whose part was visited about.
	DepartmentCode string `bun:"department_code,scanonly" json:"department"`
}

func (in *VisitInput) check(l *LoopSettings) error {
	in.Comment = strings.TrimSpace(in.Comment)
	switch {
	case !slices.Contains(VisitChannels, in.Channel):
		return invalid("channel", "must be phone, sms, web or ivr")
	case !slices.Contains(VisitOutcomes, in.Outcome):
		return invalid("outcome", "must be reached, no_answer, refused or wrong_number")
	case utf8.RuneCountInString(in.Comment) > 2000:
		return invalid("comment", "at most 2000 characters")
	}
	if in.Outcome != "reached" {
		if in.Contacted != nil || in.Solved != "" || in.Satisfaction != "" {
			return invalid("outcome", "answers are recorded only when the citizen was reached")
		}
		return nil
	}
	// An answer the settings ask of a valid visit is required; one given must be one of its values.
	switch {
	case in.Contacted == nil && l.ValidNeedsContacted:
		return invalid("contacted", "is required when the citizen was reached (true or false)")
	case (in.Solved != "" || l.ValidNeedsSolved) && !slices.Contains(VisitSolved, in.Solved):
		return invalid("solved", "must be solved, partly or unsolved")
	case (in.Satisfaction != "" || l.ValidNeedsSatisfaction) && !slices.Contains(VisitSatisfaction, in.Satisfaction):
		return invalid("satisfaction", "must be satisfied, basically or dissatisfied")
	}
	return nil
}

// RecordVisit records one return visit attempt on a resolved (or closed) ticket, with its event
// on the timeline, in one transaction. A visit that reached the citizen is the visit of the
// current resolution (it stops the 回访 clock); one that found the matter unsolved or the
// citizen dissatisfied sends the ticket back to be handled again (重办) with the citizen's words.
func (s *Service) RecordVisit(ctx context.Context, actor Actor, number string, in VisitInput) (*Visit, *Ticket, error) {
	var v *Visit
	t, err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) {
		var t *Ticket
		var err error
		v, t, err = s.RecordVisitTx(ctx, tx, actor, number, in)
		return t, err
	})
	if err != nil {
		return nil, nil, err
	}
	return v, t, nil
}

// RecordVisitTx is RecordVisit inside the caller's transaction (the citizen's own rating on
// /track is a visit of the web channel, written with the rating). A ticket that never had a
// department (a consultation answered at once) is not sent back: there is nobody to redo it.
func (s *Service) RecordVisitTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in VisitInput) (*Visit, *Ticket, error) {
	l, err := LoadLoopSettings(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	if err := in.check(l); err != nil {
		return nil, nil, err
	}
	t := new(Ticket)
	if err := tx.NewSelect().Model(t).Where("t.number = ?", number).For("UPDATE").Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("visit %s: %w", number, ErrNotFound)
		}
		return nil, nil, fmt.Errorf("visit %s: %w", number, err)
	}
	if err := s.inScope(ctx, tx, actor, t, ActVisit); err != nil {
		return nil, nil, err
	}
	if t.Merged() {
		return nil, nil, fmt.Errorf("visit %s: the ticket is merged into another and follows it: %w", number, ErrMerged)
	}
	if _, err := Next(t.Status, ActVisit, actor.Role); err != nil {
		return nil, nil, fmt.Errorf("a return visit is for a resolved ticket, %s is %s: %w", number, t.Status, err)
	}
	part, lead, err := visitPart(ctx, tx, t, in.Department)
	if err != nil {
		return nil, nil, err
	}
	v := &Visit{TicketID: t.ID, Resolution: t.ReopenCount, DepartmentID: part, Channel: in.Channel, Outcome: in.Outcome,
		Contacted: in.Contacted, Comment: in.Comment, ActorID: actor.idPtr(), ActorName: actor.Name, At: s.clock.Now()}
	if in.Outcome == "reached" {
		v.Valid = l.validVisit(&in)
		if in.Solved != "" {
			v.Solved = &in.Solved
		}
		if in.Satisfaction != "" {
			v.Satisfaction = &in.Satisfaction
		}
	}
	if _, err := tx.NewInsert().Model(v).Returning("id").Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("record visit of %s: %w", number, err)
	}
	data, _ := json.Marshal(map[string]any{"visit_id": v.ID, "channel": v.Channel, "outcome": v.Outcome,
		"contacted": v.Contacted, "solved": v.Solved, "satisfaction": v.Satisfaction, "valid": v.Valid, "department": in.Department})
	if !lead {
		// A co-handling department's part (协办): evaluated for that department, and a named
		// citizen's 不满意 is its rectification; the ticket's own visit and handling stay the lead's.
		ev := &Event{TicketID: t.ID, Kind: "visit_part", ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
			DepartmentID: part, At: v.At, FromStatus: string(t.Status), ToStatus: string(t.Status), Body: in.Comment, Data: data}
		if err := AppendEvent(ctx, tx, ev); err != nil {
			return nil, nil, err
		}
		if in.Satisfaction == "dissatisfied" && named(t) {
			reason := "协办回访：" + visitAnswersZh(in)
			if in.Comment != "" {
				reason += "。" + in.Comment
			}
			if err := s.openRectification(ctx, tx, actor, t, *part, v, reason, l); err != nil {
				return nil, nil, err
			}
		}
		return v, t, nil
	}
	if v.Valid {
		// A valid visit is the return visit of this resolution: it stops the visit clock.
		if t, err = s.VisitTx(ctx, tx, actor, number, ActInput{Text: in.Comment, Data: map[string]any{"visit": json.RawMessage(data)}}); err != nil {
			return nil, nil, err
		}
	} else {
		// An attempt that did not count is on the timeline; after MaxAttempts that reached
		// nobody the citizen is unreachable: the visit is over (the clock stops, the ticket
		// leaves the queue) and the unrated rule decides how it counts.
		ev := &Event{TicketID: t.ID, Kind: "visit_attempt", ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
			DepartmentID: actor.deptPtr(), At: v.At, FromStatus: string(t.Status), ToStatus: string(t.Status), Body: in.Comment, Data: data}
		if err := AppendEvent(ctx, tx, ev); err != nil {
			return nil, nil, err
		}
		if in.Outcome != "reached" && t.VisitedAt == nil && t.Status == StatusResolved {
			var failed int
			if err := tx.NewSelect().Model((*Visit)(nil)).ColumnExpr("count(*)").
				Where("ticket_id = ? AND resolution = ? AND outcome <> 'reached' AND department_id IS NOT DISTINCT FROM ?", t.ID, t.ReopenCount, t.DepartmentID).
				Scan(ctx, &failed); err != nil {
				return nil, nil, fmt.Errorf("count visit attempts of %s: %w", number, err)
			}
			if failed >= l.MaxAttempts {
				if t, err = s.VisitTx(ctx, tx, actor, number, ActInput{Text: fmt.Sprintf("%d 次回访未联系上市民 the citizen was not reached in %d attempts", failed, failed),
					Data: map[string]any{"unreachable": true, "attempts": failed}}); err != nil {
					return nil, nil, err
				}
			}
		}
		if in.Outcome != "reached" {
			return v, t, nil
		}
	}
	if (in.Solved == "unsolved" || in.Satisfaction == "dissatisfied") && t.DepartmentID != nil {
		reason := "回访：" + visitAnswersZh(in)
		if in.Comment != "" {
			reason += "。" + in.Comment
		}
		dept := *t.DepartmentID
		if t, err = s.ReopenTx(ctx, tx, actor, number, ActInput{Text: reason, Data: map[string]any{"visit_id": v.ID}}); err != nil {
			return nil, nil, err
		}
		// A named citizen's 不满意 also obliges the department to rectify (差评整改).
		if in.Satisfaction == "dissatisfied" && named(t) {
			if err := s.openRectification(ctx, tx, actor, t, dept, v, reason, l); err != nil {
				return nil, nil, err
			}
		}
	}
	return v, t, nil
}

// visitAnswersZh are the answers given, in the words of a reopening's reason.
func visitAnswersZh(in VisitInput) string {
	var parts []string
	if w := visitSolvedZh[in.Solved]; w != "" {
		parts = append(parts, w)
	}
	if w := visitSatisfactionZh[in.Satisfaction]; w != "" {
		parts = append(parts, w)
	}
	return strings.Join(parts, "，")
}

// The answers in the words of the reason a reopening visit writes on the timeline.
var (
	visitSolvedZh       = map[string]string{"solved": "问题已解决", "partly": "问题部分解决", "unsolved": "问题未解决"}
	visitSatisfactionZh = map[string]string{"satisfied": "满意", "basically": "基本满意", "dissatisfied": "不满意"}
)

// visitPart resolves the part a visit is about: the lead department's (code empty or the
// lead's), or a co-handling department's; any other department is refused, naming the field.
func visitPart(ctx context.Context, tx bun.Tx, t *Ticket, code string) (part *int64, lead bool, err error) {
	if code == "" {
		return t.DepartmentID, true, nil
	}
	var id int64
	err = tx.NewRaw(`SELECT d.id FROM departments d WHERE d.code = ? AND (d.id = ? OR EXISTS (
			SELECT 1 FROM ticket_co_departments co WHERE co.ticket_id = ? AND co.department_id = d.id))`,
		code, t.DepartmentID, t.ID).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, invalid("department", "must be the ticket's lead or co-handling department")
	} else if err != nil {
		return nil, false, fmt.Errorf("visit %s: %w", t.Number, err)
	}
	return &id, t.DepartmentID != nil && id == *t.DepartmentID, nil
}

// VisitParts lists the co-handling departments (协办) of each of the tickets ids, whose parts
// the return visit may ask about besides the lead's.
func (s *Service) VisitParts(ctx context.Context, ids []int64) (map[int64][]CoHandler, error) {
	out := map[int64][]CoHandler{}
	if len(ids) == 0 {
		return out, nil
	}
	var cos []CoHandler
	if err := s.db.NewSelect().Model(&cos).Relation("Department").Where("co.ticket_id IN (?)", bun.List(ids)).
		OrderExpr("co.ticket_id, co.department_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("co-handlers: %w", err)
	}
	for _, c := range cos {
		out[c.TicketID] = append(out[c.TicketID], c)
	}
	return out, nil
}

// Visits lists a ticket's return visits, oldest first.
func (s *Service) Visits(ctx context.Context, ticketID int64) ([]Visit, error) {
	var vs []Visit
	if err := s.db.NewSelect().Model(&vs).ColumnExpr("rv.*").
		ColumnExpr("(SELECT d.code FROM departments d WHERE d.id = rv.department_id) AS department_code").
		Where("rv.ticket_id = ?", ticketID).OrderExpr("rv.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("visits: %w", err)
	}
	return vs, nil
}
