package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// ActCalendar is a resolution deadline moved because the working-day calendar changed: the
// State Council's notice for a year was entered after the deadline had been counted. Like
// ActExtend it changes no status.
const ActCalendar Action = "calendar_moved"

// DueMove is one ticket's resolution deadline before and after a change of the calendar.
type DueMove struct {
	TicketID int64     `json:"-"`
	Status   Status    `json:"-"`
	Number   string    `json:"number"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// PlanDueMoves returns how move would shift the resolution deadlines still ahead of now of
// the tickets in handling (dispatched or accepted), in deadline order; tickets whose deadline
// stays are left out. With lock the tickets are locked for the caller's transaction, as
// MoveDuesTx does before writing.
func PlanDueMoves(ctx context.Context, db bun.IDB, now time.Time, move func(time.Time) time.Time, lock bool) ([]DueMove, error) {
	var rows []struct {
		ID         int64     `bun:"id"`
		Status     Status    `bun:"status"`
		Number     string    `bun:"number"`
		ResolveDue time.Time `bun:"resolve_due"`
	}
	q := db.NewSelect().Table("tickets").Column("id", "status", "number", "resolve_due").
		Where("status IN (?, ?)", StatusDispatched, StatusAccepted).
		Where("resolve_due > ?", now).
		OrderExpr("resolve_due, id")
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("tickets: open deadlines: %w", err)
	}
	var out []DueMove
	for _, r := range rows {
		if to := move(r.ResolveDue); !to.Equal(r.ResolveDue) {
			out = append(out, DueMove{TicketID: r.ID, Status: r.Status, Number: r.Number, From: r.ResolveDue, To: to})
		}
	}
	return out, nil
}

// MoveDuesTx moves the resolution deadlines PlanDueMoves finds inside the caller's
// transaction, each with a public event on its ticket's timeline so that the department and
// the citizen see the new date. Only administrators, who keep the calendar, or the system may.
func (s *Service) MoveDuesTx(ctx context.Context, tx bun.Tx, actor Actor, now time.Time, move func(time.Time) time.Time, year int) ([]DueMove, error) {
	if actor.Role != org.RoleAdmin && actor.Role != org.RoleSystem {
		return nil, fmt.Errorf("%s may not change the calendar: %w", actor.Role, ErrForbidden)
	}
	moves, err := PlanDueMoves(ctx, tx, now, move, true)
	if err != nil {
		return nil, err
	}
	at := s.clock.Now()
	evs := make([]*Event, 0, len(moves))
	for _, m := range moves {
		if _, err := tx.NewUpdate().Table("tickets").
			Set("resolve_due = ?", m.To).Set("version = version + 1").Set("updated_at = ?", at).
			Where("id = ?", m.TicketID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("move deadline of %s: %w", m.Number, err)
		}
		raw, err := json.Marshal(map[string]any{"resolve_due": m.To, "moved_from": m.From, "calendar_year": year})
		if err != nil {
			return nil, fmt.Errorf("event data: %w", err)
		}
		evs = append(evs, &Event{
			TicketID: m.TicketID, Kind: string(ActCalendar), ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
			DepartmentID: actor.deptPtr(), At: at, Public: true,
			FromStatus: string(m.Status), ToStatus: string(m.Status), Data: raw,
		})
	}
	if err := AppendEventsTx(ctx, tx, evs); err != nil {
		return nil, err
	}
	return moves, nil
}
