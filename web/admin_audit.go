package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// auditEntry is a row of the audit trail (audit_log).
type auditEntry struct {
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

// audit writes one entry of the audit trail on db, which is the transaction of the change when
// there is one, so a change and its entry stand or fall together. A failure to write an entry
// outside a transaction is logged, not shown: the change it describes has happened.
func (s *Server) audit(ctx context.Context, db bun.IDB, by *org.Staff, action, objType, objKey string, detail any) error {
	raw := json.RawMessage("{}")
	if detail != nil {
		if b, err := json.Marshal(detail); err == nil {
			raw = b
		}
	}
	e := &auditEntry{At: s.Clock.Now(), Action: action, ObjectType: objType, ObjectKey: objKey, Detail: raw}
	if by != nil {
		e.ActorID, e.ActorName = &by.ID, by.Username
	}
	if addr, ok := ctx.Value(remoteAddrKey{}).(string); ok {
		e.RemoteAddr = addr
	}
	if _, err := db.NewInsert().Model(e).Exec(ctx); err != nil {
		s.log.ErrorContext(ctx, "write audit entry", "action", action, "err", err)
		return err
	}
	return nil
}

type remoteAddrKey struct{}

// withRemoteAddr keeps the client's address in the context for the audit trail.
func withRemoteAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), remoteAddrKey{}, r.RemoteAddr)))
	})
}
