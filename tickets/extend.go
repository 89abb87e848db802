package tickets

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
)

// ActExtend is an approved extension (延期) of the resolution deadline. It is not in the status
// machine because it changes no status; ExtendTx checks its own rules.
const ActExtend Action = "extend"

// ExtendTx moves the resolution deadline of a dispatched or accepted ticket to newDue inside
// the caller's transaction, with its public timeline event, so that the citizen sees the new
// date. Only the centre (supervisors, administrators) or the system may extend; escalation calls
// it when a supervisor approves a department's request.
func (s *Service) ExtendTx(ctx context.Context, tx bun.Tx, actor Actor, number string, newDue time.Time, reason string) (*Ticket, error) {
	if !org.Deciders.Has(actor.Role) && actor.Role != org.RoleSystem {
		return nil, fmt.Errorf("%s may not extend: %w", actor.Role, ErrForbidden)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, invalid("reason", "an extension needs a reason")
	}
	t := new(Ticket)
	if err := tx.NewSelect().Model(t).Where("t.number = ?", number).For("UPDATE").Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("extend %s: %w", number, ErrNotFound)
		}
		return nil, fmt.Errorf("extend %s: %w", number, err)
	}
	if t.Status != StatusDispatched && t.Status != StatusAccepted {
		return nil, fmt.Errorf("cannot extend a ticket that is %s: %w", statusName(t.Status), ErrTransition)
	}
	if t.Merged() {
		return nil, fmt.Errorf("extend %s: the ticket is merged into another and follows it: %w", number, ErrMerged)
	}
	if t.ResolveDue != nil && !newDue.After(*t.ResolveDue) {
		return nil, invalid("new_due", "an extension must move the deadline later")
	}
	old := t.ResolveDue
	seen := t.Version
	t.ResolveDue, t.Version, t.UpdatedAt = &newDue, t.Version+1, s.clock.Now()
	res, err := tx.NewUpdate().Model(t).Column("resolve_due", "version", "updated_at").
		Where("id = ? AND version = ?", t.ID, seen).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("extend %s: %w", number, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, fmt.Errorf("extend %s: %w", number, ErrConflict)
	}
	raw, err := json.Marshal(map[string]any{"resolve_due": newDue, "extended_from": old})
	if err != nil {
		return nil, fmt.Errorf("event data: %w", err)
	}
	ev := &Event{
		TicketID: t.ID, Kind: string(ActExtend), ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
		DepartmentID: actor.deptPtr(), At: s.clock.Now(), Public: true,
		FromStatus: string(t.Status), ToStatus: string(t.Status), Body: strings.TrimSpace(reason), Data: raw,
	}
	if err := AppendEvent(ctx, tx, ev); err != nil {
		return nil, err
	}
	return t, nil
}

// AppendEvents writes many timeline events in one statement, for domains that act on many
// tickets in one transaction (the escalation sweep).
func AppendEvents(ctx context.Context, db bun.IDB, evs []*Event) error {
	if len(evs) == 0 {
		return nil
	}
	for _, ev := range evs {
		if len(ev.Data) == 0 {
			ev.Data = json.RawMessage("{}")
		}
	}
	if _, err := db.NewInsert().Model(&evs).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("append %d events: %w", len(evs), err)
	}
	return nil
}
