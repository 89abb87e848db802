package intake

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Key is an Open311 API key of an integrating organisation. Its text is never stored.
type Key struct {
	ID             int64
	OrganisationID int64
	Organisation   string
	Label          string
	RatePerMinute  int // 0: no limit
	Burst          int
	CreatedAt      time.Time
	RevokedAt      *time.Time
}

func hashKey(plain string) [32]byte { return sha256.Sum256([]byte(plain)) }

// NewKeyText returns a fresh random API key: 160 bits, so a fast hash is safe to store.
func NewKeyText() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "h311_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// PutKey stores the key text for organisation (created if new) with a limit of perMinute
// requests a minute (0: none) and burst, and returns it. Storing the same text again updates
// its label and limit and changes nothing else, so seeding twice is harmless.
func PutKey(ctx context.Context, db bun.IDB, organisation, text, label string, perMinute, burst int, now time.Time) (*Key, error) {
	organisation, text = strings.TrimSpace(organisation), strings.TrimSpace(text)
	if organisation == "" || len(text) < 8 {
		return nil, errors.New("put api key: an organisation and a key of at least 8 characters are needed")
	}
	if perMinute < 0 || burst < 0 {
		return nil, errors.New("put api key: negative rate limit")
	}
	k := &Key{Organisation: organisation, Label: label, RatePerMinute: perMinute, Burst: burst}
	if err := db.QueryRowContext(ctx, `INSERT INTO intake_organisations (name, created_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`, organisation, now).Scan(&k.OrganisationID); err != nil {
		return nil, fmt.Errorf("put api key: organisation: %w", err)
	}
	h := hashKey(text)
	if err := db.QueryRowContext(ctx, `INSERT INTO intake_api_keys (organisation_id, key_hash, label, rate_per_minute, burst, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (key_hash) DO UPDATE SET label = EXCLUDED.label, rate_per_minute = EXCLUDED.rate_per_minute, burst = EXCLUDED.burst
		RETURNING id, created_at`,
		k.OrganisationID, h[:], label, nullInt(perMinute), nullInt(burst), now).Scan(&k.ID, &k.CreatedAt); err != nil {
		return nil, fmt.Errorf("put api key: %w", err)
	}
	return k, nil
}

// IssueKey creates a new random key for organisation and returns its text, shown only now.
func (s *Service) IssueKey(ctx context.Context, organisation, label string, perMinute, burst int) (string, *Key, error) {
	text := NewKeyText()
	k, err := PutKey(ctx, s.db, organisation, text, label, perMinute, burst, s.clock.Now())
	s.keys.clear()
	return text, k, err
}

// RevokeKey stops key id from working, at once in this process and within the cache time in
// the others.
func (s *Service) RevokeKey(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, "UPDATE intake_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", s.clock.Now(), id)
	if err != nil {
		return fmt.Errorf("revoke api key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke api key %d: %w", id, ErrNotFound)
	}
	s.keys.clear()
	s.log.InfoContext(context.WithoutCancel(ctx), "api key revoked", "api_key_id", id)
	return nil
}

// Authenticate returns the live key with text, or ErrKey.
func (s *Service) Authenticate(ctx context.Context, text string) (*Key, error) {
	if text == "" {
		return nil, fmt.Errorf("api_key is missing: %w", ErrKey)
	}
	h := hashKey(text)
	now := s.clock.Now()
	if k, ok := s.keys.get(h, now); ok {
		if k == nil {
			return nil, fmt.Errorf("unknown or revoked api_key: %w", ErrKey)
		}
		return k, nil
	}
	k := &Key{}
	var rpm, burst sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT k.id, k.organisation_id, o.name, k.label, k.rate_per_minute, k.burst, k.created_at, k.revoked_at
		FROM intake_api_keys k JOIN intake_organisations o ON o.id = k.organisation_id WHERE k.key_hash = ?`, h[:]).
		Scan(&k.ID, &k.OrganisationID, &k.Organisation, &k.Label, &rpm, &burst, &k.CreatedAt, &k.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && k.RevokedAt != nil) {
		s.keys.put(h, nil, now)
		return nil, fmt.Errorf("unknown or revoked api_key: %w", ErrKey)
	} else if err != nil {
		return nil, fmt.Errorf("api key: %w", err)
	}
	k.RatePerMinute, k.Burst = int(rpm.Int64), int(burst.Int64)
	s.keys.put(h, k, now)
	return k, nil
}

// AllowKey takes one request from key k's allowance, reporting how long to wait when none is
// left. A key without a limit is always allowed.
func (s *Service) AllowKey(k *Key) (bool, time.Duration) {
	if k.RatePerMinute <= 0 {
		return true, 0
	}
	burst := k.Burst
	if burst <= 0 {
		burst = k.RatePerMinute
	}
	l := Limit{Every: time.Minute / time.Duration(k.RatePerMinute), Burst: burst}
	return s.keyLimits.Allow(fmt.Sprintf("%d/%d/%d", k.ID, k.RatePerMinute, burst), l, s.clock.Now())
}

func nullInt(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// keyCache remembers look-ups of key hashes (found or not) for a short time, so a busy
// integration does not cost a query per request.
type keyCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[[32]byte]keyEntry
}

type keyEntry struct {
	k  *Key
	at time.Time
}

func (c *keyCache) get(h [32]byte, now time.Time) (*Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[h]
	if !ok || now.Sub(e.at) > c.ttl || now.Before(e.at) {
		return nil, false
	}
	return e.k, true
}

func (c *keyCache) put(h [32]byte, k *Key, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[h] = keyEntry{k: k, at: now}
}

func (c *keyCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
