package org

import (
	"context"
	"crypto/md5" // #nosec G501 -- SIP digest authentication (RFC 3261, RFC 2617) is MD5.
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// ErrBadHash means a stored password hash cannot be read.
var ErrBadHash = errors.New("unreadable password hash")

// ErrBusy means too many password checks are waiting already: the caller should answer 503
// and let the client retry, rather than queue without end.
var ErrBusy = errors.New("too many password checks at once")

// Each argon2id computation holds its memory (19 MiB at the production cost) while it runs.
// hashing bounds how many run at once to the CPUs that can run them anyway, and how many may
// wait, so a crowd of logins costs a bounded amount of memory instead of taking the process
// (and the phones it serves) down.
var hashing = newHashGate(runtime.GOMAXPROCS(0), 64*runtime.GOMAXPROCS(0))

type hashGate struct {
	slots   chan struct{}
	waiting atomic.Int64
	maxWait int64
	// running and peak count computations in progress, for tests.
	running atomic.Int64
	peak    atomic.Int64
}

func newHashGate(slots, maxWait int) *hashGate {
	return &hashGate{slots: make(chan struct{}, max(1, slots)), maxWait: int64(maxWait)}
}

// do runs f in a free slot, waiting for one while ctx allows.
func (g *hashGate) do(ctx context.Context, f func()) error {
	if g.waiting.Add(1) > g.maxWait {
		g.waiting.Add(-1)
		return ErrBusy
	}
	select {
	case g.slots <- struct{}{}:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	n := g.running.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	defer g.running.Add(-1)
	f()
	return nil
}

// HashPassword returns an argon2id hash in the PHC string format, at the production work
// factor.
func HashPassword(password string) (string, error) {
	return HashPasswordCost(password, argonMemory, argonTime)
}

// HashPasswordCost is HashPassword at another work factor: memory in KiB and passes. The hash
// names its parameters, so CheckPassword checks it at the cost it was made with; tests hash
// their accounts light.
func HashPasswordCost(password string, memoryKiB, passes uint32) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	var key []byte
	if err := hashing.do(context.Background(), func() { key = argon2.IDKey([]byte(password), salt, passes, memoryKiB, argonThreads, argonKeyLen) }); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC-format hash, in constant time. It
// waits for a free hashing slot while ctx allows, and answers ErrBusy when too many wait.
func CheckPassword(ctx context.Context, hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	var got []byte
	if err := hashing.do(ctx, func() { got = argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want))) }); err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// DigestHA1 is the HA1 of SIP digest authentication, MD5(user:realm:password) (RFC 2617). It is
// what the registrar needs, so the SIP password itself is never stored.
func DigestHA1(user, realm, password string) string {
	sum := md5.Sum([]byte(user + ":" + realm + ":" + password)) // #nosec G401 -- the HA1 SIP digest authentication needs.
	return hex.EncodeToString(sum[:])
}
