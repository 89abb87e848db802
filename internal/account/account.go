// Package account owns what staff sign in with and what they leave behind: browser sessions
// (staff_sessions), scripts' bearer tokens (api_tokens), the password check with its lock-out,
// and the audit trail of administrative changes (audit_log). No other package writes these
// tables.
package account

import "errors"

// ErrNotFound means no such token, session or entry; for a token, also one revoked or expired,
// or one whose account is disabled. It is never returned for a database failure.
var ErrNotFound = errors.New("not found")
