package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// ResolveTx is Resolve inside the caller's transaction, so what the department attaches to its
// result is stored in the transaction that records the result and its event.
func (s *Service) ResolveTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "say how it was resolved")
	}
	return s.actTx(ctx, tx, actor, number, ActResolve, in, func(t *Ticket, ev map[string]any) error {
		now := s.clock.Now()
		p := t.Profile
		if p == nil {
			return fmt.Errorf("deadline profile %q missing", t.ProfileCode)
		}
		t.ResolvedAt, t.Resolution = &now, in.Text
		t.CallbackDue = ptr(s.cal.AddWorkdays(now, p.CallbackWorkdays))
		ev["callback_due"] = t.CallbackDue
		return nil
	})
}

// FeedbackTx is Feedback inside the caller's transaction, for feedback with attachments.
func (s *Service) FeedbackTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "say what the citizen was told")
	}
	return s.actTx(ctx, tx, actor, number, ActFeedback, in, func(t *Ticket, ev map[string]any) error {
		if t.FeedbackAt == nil {
			t.FeedbackAt = ptr(s.clock.Now())
			ev["first"] = true
		}
		return nil
	})
}
