package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/uptrace/bun"
)

// Sessions keeps scs sessions in the staff_sessions table, so every process on the database
// serves every session and a restart logs nobody out. The table holds each token's SHA-256,
// not the token, so reading the table (a backup, a replica) signs nobody in.
type Sessions struct {
	db    bun.IDB
	codec scs.Codec
}

var _ scs.CtxStore = (*Sessions)(nil)

// NewSessions returns the session store on db.
func NewSessions(db bun.IDB) *Sessions { return &Sessions{db: db, codec: scs.GobCodec{}} }

type sessionRow struct {
	bun.BaseModel `bun:"table:staff_sessions"`

	Token   string    `bun:"token,pk"`
	Data    []byte    `bun:"data"`
	Expiry  time.Time `bun:"expiry"`
	StaffID *int64    `bun:"staff_id"`
}

// SessionStaffKey is the session key holding the signed-in account's id.
const SessionStaffKey = "staff_id"

// FindCtx returns a live session's data.
func (s *Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var row sessionRow
	err := s.db.NewSelect().Model(&row).Column("data").
		Where("token = ? AND expiry > now()", hashToken(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return row.Data, true, nil
}

// CommitCtx saves a session. The account id is read back out of the encoded data so that all
// sessions of one account can be ended together.
func (s *Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	row := &sessionRow{Token: hashToken(token), Data: b, Expiry: expiry}
	if _, values, err := s.codec.Decode(b); err == nil {
		if id, ok := values[SessionStaffKey].(int64); ok {
			row.StaffID = &id
		}
	}
	_, err := s.db.NewInsert().Model(row).
		On("CONFLICT (token) DO UPDATE").
		Set("data = EXCLUDED.data, expiry = EXCLUDED.expiry, staff_id = EXCLUDED.staff_id").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// DeleteCtx ends one session.
func (s *Sessions) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("token = ?", hashToken(token)).Exec(ctx); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Find, Commit and Delete serve scs callers without a context.
func (s *Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *Sessions) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// EndSessions ends every session of one account ("log out everywhere", a disabled account, a
// new password) and says how many there were. Pass the transaction of the account's change.
func EndSessions(ctx context.Context, db bun.IDB, staffID int64) (int64, error) {
	res, err := db.NewDelete().Model((*sessionRow)(nil)).Where("staff_id = ?", staffID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("end sessions of account %d: %w", staffID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// deleteExpired removes sessions past their expiry.
func (s *Sessions) deleteExpired(ctx context.Context) error {
	if _, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("expiry <= now()").Exec(ctx); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}

// SweepSessions returns a background runner that removes expired sessions every hour until
// its context ends; serve runs it.
func SweepSessions(db bun.IDB, log *slog.Logger) func(ctx context.Context) error {
	s := NewSessions(db)
	return func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := s.deleteExpired(ctx); err != nil && ctx.Err() == nil {
				log.Warn("delete expired sessions", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}

// EndSessions ends every session of the account staffID.
func (s *Service) EndSessions(ctx context.Context, staffID int64) (int64, error) {
	return EndSessions(ctx, s.db, staffID)
}
