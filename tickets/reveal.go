package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotline-city/hotline/internal/org"

	"github.com/uptrace/bun"
)

// RevealPhone returns the caller's full number of ticket number to actor, who must be able to
// see the ticket, and writes why on its internal timeline in the same transaction: no number
// is shown without its entry.
func (s *Service) RevealPhone(ctx context.Context, actor Actor, number, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", invalid("reason", "say why you need the full number")
	}
	t, err := s.GetFor(ctx, actor, number)
	if err != nil {
		return "", err
	}
	// A confidential ticket's (保密) contact details stay with the centre.
	if t.Confidential && !org.Centre.Has(actor.Role) {
		return "", fmt.Errorf("%w: the citizen asked for confidentiality; their contact details stay with the centre", ErrForbidden)
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ev := &Event{TicketID: t.ID, Kind: "phone_revealed", ActorID: actor.idPtr(), ActorName: actor.Name,
			ActorRole: string(actor.Role), DepartmentID: actor.deptPtr(), At: s.clock.Now(), Public: false, Body: reason}
		return AppendEvent(ctx, tx, ev)
	})
	if err != nil {
		return "", fmt.Errorf("reveal phone of %s: %w", number, err)
	}
	return t.CallerPhone, nil
}
