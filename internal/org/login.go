package org

import (
	"context"
	"fmt"
	"time"
)

// RecordLoginFailure counts a wrong password for the account with id and locks it until
// now+lock once max failures in a row are reached. It returns the lock's end, or nil.
func (s *Store) RecordLoginFailure(ctx context.Context, id int64, now time.Time, max int, lock time.Duration) (*time.Time, error) {
	var until *time.Time
	err := s.db.NewRaw(`UPDATE staff SET
			failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
			locked_until  = CASE WHEN failed_logins + 1 >= ? THEN ?::timestamptz ELSE locked_until END
		WHERE id = ? RETURNING locked_until`, max, max, now.Add(lock), id).Scan(ctx, &until)
	if err != nil {
		return nil, fmt.Errorf("record login failure: %w", err)
	}
	if until != nil && !until.After(now) {
		until = nil
	}
	return until, nil
}

// RecordLoginSuccess clears the account's failure count and lock.
func (s *Store) RecordLoginSuccess(ctx context.Context, id int64) error {
	_, err := s.db.NewRaw(`UPDATE staff SET failed_logins = 0, locked_until = NULL
		WHERE id = ? AND (failed_logins <> 0 OR locked_until IS NOT NULL)`, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}
