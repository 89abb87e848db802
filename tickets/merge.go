package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// Timeline event kinds of merging (并单): a ticket merged into a master, and a merged ticket
// following its master to resolved or closed.
const (
	KindMerge        = "merge"
	KindFollowMaster = "follow_master"
)

// Merge merges ticket number into ticket masterNumber (并单): a repeat request about the same
// matter is handled once. The merged ticket keeps its number and its citizen, gets MasterID,
// and from then on follows its master: when the master is resolved or closed, so is it (see
// followMaster). Both citizens see a public event saying so.
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
	var child *Ticket
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var both []Ticket
		// Locked in id order, so two merges of the same pair cannot deadlock.
		if err := tx.NewSelect().Model(&both).Where("t.number IN (?, ?)", number, masterNumber).
			Order("t.id").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		var master *Ticket
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
		now := s.clock.Now()
		seen := child.Version
		child.MasterID, child.Version, child.UpdatedAt = &master.ID, child.Version+1, now
		res, err := tx.NewUpdate().Model(child).Column("master_id", "version", "updated_at").
			Where("id = ? AND version = ?", child.ID, seen).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrConflict
		}
		data := map[string]any{"master": master.Number, "merged": child.Number}
		if note = strings.TrimSpace(note); note != "" {
			data["note"] = note
		}
		if err := s.addMergeEvent(ctx, tx, child, actor, KindMerge,
			fmt.Sprintf("您的诉求与工单 %s 为同一事项，已合并办理，进展以该工单为准 merged with ticket %s about the same matter; it is handled there", master.Number, master.Number),
			child.Status, data); err != nil {
			return err
		}
		if err := s.addMergeEvent(ctx, tx, master, actor, KindMerge,
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

// followMaster brings the tickets merged into master to its status once it is resolved or
// closed, with its result, and tells each citizen on a public event. The merged tickets skip
// the status machine on purpose: they are handled as part of their master, not on their own.
func (s *Service) followMaster(ctx context.Context, tx bun.IDB, master *Ticket) error {
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
		from, seen := c.Status, c.Version
		c.Status, c.Version, c.UpdatedAt = master.Status, c.Version+1, now
		c.Resolution = master.Resolution
		if c.ResolvedAt == nil {
			c.ResolvedAt = ptr(now)
		}
		c.CallbackDue = master.CallbackDue
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
		what := "已办结 resolved"
		if master.Status == StatusClosed {
			what = "已结案 closed"
		}
		body := fmt.Sprintf("合并办理的主工单 %s %s：%s the ticket this one was merged into is %s", master.Number, what, master.Resolution, what)
		if err := s.addMergeEvent(ctx, tx, c, System, KindFollowMaster, body, from,
			map[string]any{"master": master.Number}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) addMergeEvent(ctx context.Context, db bun.IDB, t *Ticket, actor Actor, kind, body string, from Status, data map[string]any) error {
	ev := &Event{TicketID: t.ID, Kind: kind, ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
		DepartmentID: actor.deptPtr(), At: s.clock.Now(), Public: true, FromStatus: string(from), ToStatus: string(t.Status), Body: body}
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
