package intake

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"
)

// Keys lists every Open311 API key, live and revoked, newest first, for the administrators'
// page. Key texts are never stored, so none is returned.
func (s *Service) Keys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT k.id, k.organisation_id, o.name, k.label, k.rate_per_minute, k.burst, k.created_at, k.revoked_at
		FROM intake_api_keys k JOIN intake_organisations o ON o.id = k.organisation_id ORDER BY k.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var rpm, burst sql.NullInt64
		if err := rows.Scan(&k.ID, &k.OrganisationID, &k.Organisation, &k.Label, &rpm, &burst, &k.CreatedAt, &k.RevokedAt); err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		k.RatePerMinute, k.Burst = int(rpm.Int64), int(burst.Int64)
		out = append(out, k)
	}
	return out, rows.Err()
}

// IssueKeyTx is IssueKey on db, the transaction of a change that must stand or fall with the
// key (the administrators' audit entry). A fresh key cannot be in the look-up cache, so there
// is nothing to forget.
func (s *Service) IssueKeyTx(ctx context.Context, db bun.IDB, organisation, label string, perMinute, burst int) (string, *Key, error) {
	text := NewKeyText()
	k, err := PutKey(ctx, db, organisation, text, label, perMinute, burst, s.clock.Now())
	return text, k, err
}

// RevokeKeyTx is RevokeKey on db, the transaction of the change around it. The caller calls
// ForgetKeys after the commit: forgetting before it would let a request in between cache the
// key as still live.
func (s *Service) RevokeKeyTx(ctx context.Context, db bun.IDB, id int64) error {
	res, err := db.ExecContext(ctx, "UPDATE intake_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", s.clock.Now(), id)
	if err != nil {
		return fmt.Errorf("revoke api key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke api key %d: %w", id, ErrNotFound)
	}
	return nil
}

// ForgetKeys empties this process's cache of key look-ups, so a revocation takes effect here
// at once; other processes see it within the cache time.
func (s *Service) ForgetKeys() { s.keys.clear() }
