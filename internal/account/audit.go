package account

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// Entry is one entry of the audit trail (audit_log), which a trigger keeps append-only.
type Entry struct {
	bun.BaseModel `bun:"table:audit_log,alias:a"`

	ID         int64           `bun:"id,pk,autoincrement" json:"id"`
	At         time.Time       `bun:"at" json:"at"`
	ActorID    *int64          `bun:"actor_id" json:"-"`
	ActorName  string          `bun:"actor_name" json:"actor"`
	Action     string          `bun:"action" json:"action"`
	ObjectType string          `bun:"object_type" json:"object_type"`
	ObjectKey  string          `bun:"object_key" json:"object_key"`
	Detail     json.RawMessage `bun:"detail,type:jsonb" json:"detail"`
	RemoteAddr string          `bun:"remote_addr" json:"-"`
}

// Change is what an audit entry says: who did what to which object, and the detail worth
// keeping (marshalled to JSON; nil is an empty object).
type Change struct {
	ActorID    int64 // 0: nobody signed in (a failed login) or the system
	ActorName  string
	Action     string
	ObjectType string
	ObjectKey  string
	Detail     any
}

// By fills the actor of c from a staff account (nil: nobody signed in).
func (c Change) By(st *org.Staff) Change {
	if st != nil {
		c.ActorID, c.ActorName = st.ID, st.Username
	}
	return c
}

type remoteAddrKey struct{}

// WithRemoteAddr keeps the client's address in ctx, for the audit entries written under it.
func WithRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteAddrKey{}, addr)
}

// Record writes one entry of the audit trail on db. Pass the transaction of the change it
// describes, so the change and its entry stand or fall together.
func Record(ctx context.Context, db bun.IDB, at time.Time, c Change) error {
	raw := json.RawMessage("{}")
	if c.Detail != nil {
		b, err := json.Marshal(c.Detail)
		if err != nil {
			return fmt.Errorf("audit %s: %w", c.Action, err)
		}
		raw = b
	}
	e := &Entry{At: at, ActorName: c.ActorName, Action: c.Action, ObjectType: c.ObjectType, ObjectKey: c.ObjectKey, Detail: raw}
	if c.ActorID != 0 {
		id := c.ActorID
		e.ActorID = &id
	}
	if addr, ok := ctx.Value(remoteAddrKey{}).(string); ok {
		e.RemoteAddr = addr
	}
	if _, err := db.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("audit %s: %w", c.Action, err)
	}
	return nil
}

// Entries returns the newest limit entries of the audit trail, newest first.
func Entries(ctx context.Context, db bun.IDB, limit int) ([]Entry, error) {
	es := []Entry{}
	if err := db.NewSelect().Model(&es).Order("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	return es, nil
}

// Audited runs change in a transaction on the service's database and records the audit entry
// it returns, by by, in the same transaction: the change and its entry stand or fall together.
func (s *Service) Audited(ctx context.Context, by *org.Staff, change func(ctx context.Context, tx bun.Tx) (Change, error)) (Change, error) {
	var c Change
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = change(ctx, tx); err != nil {
			return err
		}
		c = c.By(by)
		return s.Record(ctx, tx, c)
	})
	if err != nil {
		return Change{}, err
	}
	return c, nil
}
