package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// Token is a script's bearer token (a row of api_tokens); only its hash is stored.
type Token struct {
	bun.BaseModel `bun:"table:api_tokens,alias:tok"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	StaffID    int64      `bun:"staff_id" json:"staff_id"`
	Name       string     `bun:"name" json:"name"`
	TokenHash  string     `bun:"token_hash" json:"-"`
	CreatedAt  time.Time  `bun:"created_at" json:"created_at"`
	ExpiresAt  *time.Time `bun:"expires_at" json:"expires_at,omitempty"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
	Username   string     `bun:"username,scanonly" json:"username,omitempty"`
}

// TokenLifetime is how long a script's token lasts.
const TokenLifetime = 90 * 24 * time.Hour

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// IssueToken issues a token for st; only its hash is stored, so the token is shown once.
func (s *Service) IssueToken(ctx context.Context, st *org.Staff, name string) (string, *Token, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	tok := "hl_" + base64.RawURLEncoding.EncodeToString(b)
	now := s.clock.Now()
	exp := now.Add(TokenLifetime)
	row := &Token{StaffID: st.ID, Name: name, TokenHash: hashToken(tok), CreatedAt: now, ExpiresAt: &exp}
	if _, err := s.db.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	return tok, row, nil
}

// TokenStaff returns the active account of a valid token. A token unknown, revoked or expired,
// or whose account is gone or disabled, is ErrNotFound; a database failure is an error.
func (s *Service) TokenStaff(ctx context.Context, tok string) (*org.Staff, error) {
	if tok == "" {
		return nil, fmt.Errorf("empty token: %w", ErrNotFound)
	}
	var row Token
	now := s.clock.Now()
	err := s.db.NewSelect().Model(&row).
		Where("token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", hashToken(tok), now).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	st, err := s.SessionStaff(ctx, row.StaffID)
	if err != nil {
		return nil, err
	}
	// last_used_at is a hint for administrators; a minute's precision spares a write per call.
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		if _, err := s.db.NewUpdate().Model((*Token)(nil)).Set("last_used_at = ?", now).Where("id = ?", row.ID).Exec(ctx); err != nil {
			s.log.WarnContext(ctx, "note token use", "token_id", row.ID, "err", err)
		}
	}
	return st, nil
}

// Tokens lists the tokens of the account staffID, or every account's with their usernames when
// staffID is 0.
func (s *Service) Tokens(ctx context.Context, staffID int64) ([]Token, error) {
	rows := []Token{}
	q := s.db.NewSelect().Model(&rows).Order("tok.id")
	if staffID != 0 {
		q = q.Where("tok.staff_id = ?", staffID)
	} else {
		q = q.ColumnExpr("tok.*, u.username").Join("JOIN staff AS u ON u.id = tok.staff_id")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return rows, nil
}

// RevokeToken revokes token id on db (the caller's transaction, or the service's database
// when nil). owner, when not 0, limits it to that account's tokens. ErrNotFound when no live
// token matches.
func (s *Service) RevokeToken(ctx context.Context, db bun.IDB, owner, id int64) error {
	if db == nil {
		db = s.db
	}
	q := db.NewUpdate().Model((*Token)(nil)).Set("revoked_at = ?", s.clock.Now()).
		Where("id = ? AND revoked_at IS NULL", id)
	if owner != 0 {
		q = q.Where("staff_id = ?", owner)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}

// RevokeTokens revokes every live token of the account staffID.
func (s *Service) RevokeTokens(ctx context.Context, staffID int64) error {
	_, err := RevokeTokens(ctx, s.db, staffID, s.clock.Now())
	return err
}

// RevokeTokens revokes at now every live token of the account on db (the transaction of the
// change that calls for it) and returns how many it revoked.
func RevokeTokens(ctx context.Context, db bun.IDB, staffID int64, now time.Time) (int64, error) {
	res, err := db.NewUpdate().Model((*Token)(nil)).Set("revoked_at = ?", now).
		Where("staff_id = ? AND revoked_at IS NULL", staffID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of account %d: %w", staffID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
