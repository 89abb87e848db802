package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReserveLogin counts an attempt on the account with id before its password is checked, so
// that parallel guesses cannot outrun the count: the first free attempts in a row go through
// at once; after them each attempt makes the account wait a delay that doubles with every
// further failure, up to maxDelay. It reports the failures in a row so far, this attempt
// counted, and ok=false, counting nothing, while the account must still wait. A right
// password clears the count (RecordLoginSuccess).
func (s *Store) ReserveLogin(ctx context.Context, id int64, now time.Time, free int, maxDelay time.Duration) (failures int, ok bool, err error) {
	err = s.db.NewRaw(`UPDATE staff SET
			failed_logins = failed_logins + 1,
			locked_until  = CASE WHEN failed_logins + 1 >= ?
				THEN ?::timestamptz + make_interval(secs => least(power(2, least(failed_logins + 1 - ?, 30)), ?))
				ELSE NULL END
		WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)
		RETURNING failed_logins`, free, now, free, maxDelay.Seconds(), id, now).Scan(ctx, &failures)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("reserve login attempt: %w", err)
	}
	return failures, true, nil
}

// RecordLoginSuccess clears the account's failure count and wait.
func (s *Store) RecordLoginSuccess(ctx context.Context, id int64) error {
	_, err := s.db.NewRaw(`UPDATE staff SET failed_logins = 0, locked_until = NULL
		WHERE id = ? AND (failed_logins <> 0 OR locked_until IS NOT NULL)`, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}
