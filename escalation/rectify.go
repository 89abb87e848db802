package escalation

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// ClockRectify names the deadline of a rectification (差评整改) in what a sweep prints.
const ClockRectify = "rectify"

// sweepRectifications escalates, once each, the rectifications past their deadline and not
// accepted: the department's head and the centre's supervisors hear of it (level 1). Each is
// claimed and marked in the transaction that writes its event and notifications, so a second
// sweep, or one running beside it, finds nothing left to do.
func (s *Service) sweepRectifications(ctx context.Context, now time.Time, dir *directory, emit func(Action)) (int, error) {
	total := 0
	for {
		var done []Action
		err := s.retry(ctx, func() error {
			done = nil
			return s.runTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				rs, err := tickets.ClaimOverdueRectifications(ctx, tx, now, s.opt.Batch)
				if err != nil {
					return err
				}
				var notes []*Notification
				for _, r := range rs {
					dept := r.DepartmentID
					to := dir.recipients(&dept, 1)
					subject := fmt.Sprintf("差评整改逾期：工单 %s（%s）", r.TicketNumber, dir.deptName(&dept))
					body := fmt.Sprintf("工单 %s 的差评整改已于 %s 到期，尚未完成。The rectification of ticket %s was due %s and is not done.",
						r.TicketNumber, s.fmtTime(r.Due), r.TicketNumber, s.fmtTime(r.Due))
					key := fmt.Sprintf("rectify:%d", r.ID)
					notes = append(notes, s.rowsFor(message{kind: "rectification_overdue", subject: subject, body: body,
						ticketID: r.TicketID, urgent: true, dedup: key}, to, now)...)
					a := Action{Ticket: r.TicketNumber, Clock: ClockRectify, Action: ActionEscalated, Level: 1, Due: r.Due.In(s.loc), At: now.In(s.loc),
						Department: dir.deptCode(&dept), Recipients: []string{}}
					for _, u := range to {
						a.Recipients = append(a.Recipients, u.Username)
					}
					done = append(done, a)
				}
				return insertNotifications(ctx, tx, notes)
			})
		})
		if err != nil {
			return total, fmt.Errorf("sweep rectifications: %w", err)
		}
		for _, a := range done {
			if emit != nil {
				emit(a)
			}
		}
		total += len(done)
		if len(done) > 0 {
			s.hub.Queued()
		}
		if len(done) < s.opt.Batch {
			return total, nil
		}
	}
}
