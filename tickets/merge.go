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

// Timeline event kinds of merging (并单): a ticket merged into a master, a merged ticket
// following its master to resolved or closed, and a wrong merge undone.
const (
	KindMerge        = "merge"
	KindFollowMaster = "follow_master"
	KindUnmerge      = "unmerge"
)

// MergedResolution is the result a merged ticket carries once its master is resolved: in its
// own citizen's terms, with nothing of the master's citizen (their words, name or number).
const MergedResolution = "您反映的事项已与同一事项的其他诉求合并办理，现已办结。"

// Merge merges ticket number into ticket masterNumber (并单): a repeat request about the same
// matter is handled once. The merged ticket keeps its number and its citizen, gets MasterID,
// and from then on follows its master: it leaves every queue, its clocks stop, and when the
// master is resolved or closed, so is it (see followMaster). Its citizen sees that it is
// handled together with the same matter; neither citizen sees the other's ticket.
func (s *Service) Merge(ctx context.Context, actor Actor, number, masterNumber, note string) (*Ticket, error) {
	if !org.Centre.Has(actor.Role) {
		return nil, fmt.Errorf("merge %s: %s may not merge tickets: %w", number, actor.Role, ErrForbidden)
	}
	masterNumber = strings.TrimSpace(masterNumber)
	switch {
	case masterNumber == "":
		return nil, invalid("master", "is required: the number of the ticket to merge into")
	case masterNumber == number:
		return nil, invalid("master", "a ticket cannot be merged into itself")
	}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var both []Ticket
		// Locked in id order, so two merges of the same pair cannot deadlock.
		if err := tx.NewSelect().Model(&both).Where("t.number IN (?, ?)", number, masterNumber).
			Order("t.id").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		var child, master *Ticket
		for i := range both {
			switch both[i].Number {
			case number:
				child = &both[i]
			case masterNumber:
				master = &both[i]
			}
		}
		switch {
		case child == nil:
			return fmt.Errorf("ticket %s: %w", number, ErrNotFound)
		case master == nil:
			return invalid("master", fmt.Sprintf("no ticket %s", masterNumber))
		case child.MasterID != nil:
			return fmt.Errorf("ticket %s is merged already: %w", number, ErrTransition)
		case master.MasterID != nil:
			return invalid("master", fmt.Sprintf("ticket %s is itself merged into another ticket: merge into that one", masterNumber))
		case child.Status == StatusClosed:
			return fmt.Errorf("ticket %s is closed: %w", number, ErrTransition)
		case master.Status == StatusClosed:
			return invalid("master", fmt.Sprintf("ticket %s is closed", masterNumber))
		}
		hasOwn, err := tx.NewSelect().Model((*Ticket)(nil)).Where("master_id = ?", child.ID).Exists(ctx)
		if err != nil {
			return err
		}
		if hasOwn {
			return fmt.Errorf("ticket %s has tickets merged into it: %w", number, ErrTransition)
		}
		if err := s.setMaster(ctx, tx, child, &master.ID); err != nil {
			return err
		}
		data := map[string]any{"master": master.Number, "merged": child.Number}
		if note = strings.TrimSpace(note); note != "" {
			data["note"] = note
		}
		// The merged ticket's citizen reads that their matter is handled together with the same
		// matter; the other ticket is named only in the data, which staff read.
		if err := s.addMergeEvent(ctx, tx, child, actor, KindMerge, true,
			"您的诉求与同一事项合并办理 handled together with another request about the same matter", child.Status, data); err != nil {
			return err
		}
		if err := s.addMergeEvent(ctx, tx, master, actor, KindMerge, false,
			fmt.Sprintf("同一事项的工单 %s 已并入本工单 ticket %s about the same matter was merged into this one", child.Number, child.Number),
			master.Status, data); err != nil {
			return err
		}
		return s.followMaster(ctx, tx, master)
	})
	if err != nil {
		return nil, fmt.Errorf("merge %s into %s: %w", number, masterNumber, err)
	}
	s.log.InfoContext(ctx, "ticket merged", "ticket_no", number, "master_no", masterNumber)
	return s.Get(ctx, number)
}

// setMaster writes t's master (nil: none), with the version check.
func (s *Service) setMaster(ctx context.Context, tx bun.Tx, t *Ticket, master *int64) error {
	seen := t.Version
	t.MasterID, t.Version, t.UpdatedAt = master, t.Version+1, s.clock.Now()
	res, err := tx.NewUpdate().Model(t).Column("master_id", "version", "updated_at").
		Where("id = ? AND version = ?", t.ID, seen).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	return nil
}

// followedState is what a merged ticket was before it followed its master, kept in the
// follow_master event's data so that Unmerge can put it back.
type followedState struct {
	Status      Status     `json:"status"`
	Resolution  string     `json:"resolution"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CallbackDue *time.Time `json:"callback_due"`
	VisitedAt   *time.Time `json:"visited_at"`
}

// followMaster brings the tickets merged into master to its status once it is resolved or
// closed, and tells each citizen on a public event. The merged tickets skip the status machine
// on purpose: they are handled as part of their master, not on their own. They carry
// MergedResolution, not the master's result (another citizen's case), and no return-visit
// deadline: the master's visit and rating stand for the matter, which counts once.
func (s *Service) followMaster(ctx context.Context, tx bun.Tx, master *Ticket) error {
	if master.Status != StatusResolved && master.Status != StatusClosed {
		return nil
	}
	var children []Ticket
	if err := tx.NewSelect().Model(&children).Where("t.master_id = ? AND t.status NOT IN (?, ?)", master.ID, master.Status, StatusClosed).
		Order("t.id").For("UPDATE").Scan(ctx); err != nil {
		return fmt.Errorf("merged tickets of %s: %w", master.Number, err)
	}
	now := s.clock.Now()
	for i := range children {
		c := &children[i]
		before := followedState{Status: c.Status, Resolution: c.Resolution, ResolvedAt: c.ResolvedAt, ClosedAt: c.ClosedAt,
			CallbackDue: c.CallbackDue, VisitedAt: c.VisitedAt}
		from, seen := c.Status, c.Version
		c.Status, c.Version, c.UpdatedAt = master.Status, c.Version+1, now
		c.Resolution, c.CallbackDue = MergedResolution, nil
		if c.ResolvedAt == nil {
			c.ResolvedAt = ptr(now)
		}
		if master.Status == StatusClosed {
			c.ClosedAt = ptr(now)
		}
		res, err := tx.NewUpdate().Model(c).
			Column("status", "version", "updated_at", "resolution", "resolved_at", "callback_due", "closed_at").
			Where("id = ? AND version = ?", c.ID, seen).Exec(ctx)
		if err != nil {
			return fmt.Errorf("follow master %s: %w", master.Number, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("follow master %s: %s: %w", master.Number, c.Number, ErrConflict)
		}
		body := "与您的诉求合并办理的同一事项已办结 the matter your request was handled with is resolved"
		if master.Status == StatusClosed {
			body = "与您的诉求合并办理的同一事项已结案 the matter your request was handled with is closed"
		}
		if err := s.addMergeEvent(ctx, tx, c, System, KindFollowMaster, true, body, from,
			map[string]any{"master": master.Number, "before": before}); err != nil {
			return err
		}
		// The followers hear of it as of the action that ended the master's handling, so what
		// they keep of the merged ticket (a pending extension request, say) ends with it.
		a := ActResolve
		if master.Status == StatusClosed {
			a = ActClose
		}
		for _, f := range s.followers {
			if err := f.Follow(ctx, tx, c, a); err != nil {
				return fmt.Errorf("follow master %s: %s: %w", master.Number, c.Number, err)
			}
		}
	}
	return nil
}

// Unmerge undoes a wrong merge (并单): the ticket is handled on its own again, where it was
// before it followed its master (its status, result and deadlines), so its clocks run again
// and it is back in its department's queue. Both timelines show it. Centre roles only.
func (s *Service) Unmerge(ctx context.Context, actor Actor, number, note string) (*Ticket, error) {
	if !org.Centre.Has(actor.Role) {
		return nil, fmt.Errorf("unmerge %s: %s may not unmerge tickets: %w", number, actor.Role, ErrForbidden)
	}
	note = strings.TrimSpace(note)
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		child := new(Ticket)
		if err := tx.NewSelect().Model(child).Where("t.number = ?", number).For("UPDATE").Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("ticket %s: %w", number, ErrNotFound)
			}
			return err
		}
		if child.MasterID == nil {
			return fmt.Errorf("ticket %s is not merged into another: %w", number, ErrTransition)
		}
		master := new(Ticket)
		if err := tx.NewSelect().Model(master).Where("t.id = ?", *child.MasterID).Scan(ctx); err != nil {
			return fmt.Errorf("master of %s: %w", number, err)
		}
		from := child.Status
		if err := s.restoreFollowed(ctx, tx, child); err != nil {
			return err
		}
		if err := s.setMaster(ctx, tx, child, nil); err != nil {
			return err
		}
		data := map[string]any{"master": master.Number, "merged": child.Number}
		if note != "" {
			data["note"] = note
		}
		if err := s.addMergeEvent(ctx, tx, child, actor, KindUnmerge, true,
			"经核实不属同一事项，您的诉求恢复单独办理 not the same matter after all: your request is handled on its own again", from, data); err != nil {
			return err
		}
		return s.addMergeEvent(ctx, tx, master, actor, KindUnmerge, false,
			fmt.Sprintf("工单 %s 已撤销并单，恢复单独办理 ticket %s was unmerged and is handled on its own again", child.Number, child.Number),
			master.Status, data)
	})
	if err != nil {
		return nil, fmt.Errorf("unmerge %s: %w", number, err)
	}
	s.log.InfoContext(ctx, "ticket unmerged", "ticket_no", number)
	return s.Get(ctx, number)
}

// restoreFollowed puts back what t was before it last followed its master, if it did since it
// was merged: the follow_master event after the latest merge keeps it.
func (s *Service) restoreFollowed(ctx context.Context, tx bun.Tx, t *Ticket) error {
	var ev Event
	err := tx.NewSelect().Model(&ev).Where("e.ticket_id = ? AND e.kind = ?", t.ID, KindFollowMaster).
		Where("e.id > coalesce((SELECT max(m.id) FROM ticket_events m WHERE m.ticket_id = ? AND m.kind = ?), 0)", t.ID, KindMerge).
		Order("e.id").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // it never followed: it is where it was
	} else if err != nil {
		return fmt.Errorf("what %s was before it followed its master: %w", t.Number, err)
	}
	var d struct {
		Before *followedState `json:"before"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Before == nil || d.Before.Status == "" {
		return fmt.Errorf("ticket %s followed its master without keeping what it was: %w", t.Number, ErrTransition)
	}
	b := d.Before
	t.Status, t.Resolution, t.ResolvedAt, t.ClosedAt, t.CallbackDue, t.VisitedAt = b.Status, b.Resolution, b.ResolvedAt, b.ClosedAt, b.CallbackDue, b.VisitedAt
	_, err = tx.NewUpdate().Model(t).Column("status", "resolution", "resolved_at", "closed_at", "callback_due", "visited_at").
		WherePK().Exec(ctx)
	return err
}

func (s *Service) addMergeEvent(ctx context.Context, db bun.IDB, t *Ticket, actor Actor, kind string, public bool, body string, from Status, data map[string]any) error {
	ev := &Event{TicketID: t.ID, Kind: kind, ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
		DepartmentID: actor.deptPtr(), At: s.clock.Now(), Public: public, FromStatus: string(from), ToStatus: string(t.Status), Body: body}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("event data: %w", err)
	}
	ev.Data = raw
	return AppendEvent(ctx, db, ev)
}

// Merged lists the tickets merged into the ticket with id masterID.
func (s *Service) Merged(ctx context.Context, masterID int64) ([]Ticket, error) {
	var ts []Ticket
	if err := s.db.NewSelect().Model(&ts).Where("t.master_id = ?", masterID).Order("t.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("merged tickets: %w", err)
	}
	return ts, nil
}

// MasterNumber is the number of the ticket t is merged into; "" when it is handled on its own.
func (s *Service) MasterNumber(ctx context.Context, t *Ticket) (string, error) {
	if t.MasterID == nil {
		return "", nil
	}
	var number string
	if err := s.db.NewSelect().Model((*Ticket)(nil)).Column("number").Where("id = ?", *t.MasterID).Scan(ctx, &number); err != nil {
		return "", fmt.Errorf("master of %s: %w", t.Number, err)
	}
	return number, nil
}
