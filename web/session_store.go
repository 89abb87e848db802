package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/uptrace/bun"
)

// sessionStore keeps scs sessions in the staff_sessions table, so every process on the database
// serves every session and a restart logs nobody out.
type sessionStore struct {
	db    bun.IDB
	codec scs.Codec
}

var _ scs.CtxStore = (*sessionStore)(nil)

type sessionRow struct {
	bun.BaseModel `bun:"table:staff_sessions"`

	Token   string    `bun:"token,pk"`
	Data    []byte    `bun:"data"`
	Expiry  time.Time `bun:"expiry"`
	StaffID *int64    `bun:"staff_id"`
}

// sessionStaffKey is the session key holding the signed-in account's id.
const sessionStaffKey = "staff_id"

func (s *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var row sessionRow
	err := s.db.NewSelect().Model(&row).Column("data").
		Where("token = ? AND expiry > now()", token).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return row.Data, true, nil
}

// CommitCtx saves a session. The account id is read back out of the encoded data so that all
// sessions of one account can be ended together.
func (s *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	row := &sessionRow{Token: token, Data: b, Expiry: expiry}
	if _, values, err := s.codec.Decode(b); err == nil {
		if id, ok := values[sessionStaffKey].(int64); ok {
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

func (s *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("token = ?", token).Exec(ctx); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// deleteForStaff ends every session of one account ("log out everywhere", a disabled account).
func (s *sessionStore) deleteForStaff(ctx context.Context, staffID int64) (int64, error) {
	res, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("staff_id = ?", staffID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// deleteExpired removes sessions past their expiry; the staff web runs it now and then.
func (s *sessionStore) deleteExpired(ctx context.Context) error {
	_, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("expiry <= now()").Exec(ctx)
	return err
}

func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *sessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }
