package telephony

import (
	"crypto/hmac"
	"crypto/md5" // #nosec G501 -- SIP digest authentication (RFC 3261, RFC 2617) is MD5.
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// nonceTTL is how long a digest nonce is accepted. Phones re-register well within it; an
// older nonce gets a fresh challenge marked stale, which phones answer without asking the user.
const nonceTTL = 5 * time.Minute

// Errors of digest verification.
var (
	errNonceStale = errors.New("digest nonce expired")
	errNonceBad   = errors.New("digest nonce not issued by this server")
	errDigestBad  = errors.New("digest response does not match")
)

// nonces issues and checks digest nonces. A nonce is its issue time and an HMAC of it and of
// the address it was issued to, under a per-process secret: issuing keeps no state, so a
// flood of REGISTERs costs no memory, and a nonce is good only from the address that asked
// for it. Credentials that passed are remembered with their nonce count until the nonce
// expires, so a captured REGISTER cannot be played again, from anywhere: each nonce serves
// one request without qop, or rising nonce counts with qop=auth (RFC 2617 3.2.2). Several
// processes behind one proxy need the same secret; a random one per process means a phone
// re-authenticates when it lands on another process, which phones do anyway.
type nonces struct {
	secret []byte

	mu    sync.Mutex
	used  map[string]usedNonce
	swept time.Time
}

type usedNonce struct {
	nc      uint32
	expires time.Time
}

// errNonceReplayed means credentials came with a nonce and count seen already.
var errNonceReplayed = errors.New("digest nonce and count used already")

func newNonces() (*nonces, error) {
	s := make([]byte, 32)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("nonce secret: %w", err)
	}
	return &nonces{secret: s, used: map[string]usedNonce{}}, nil
}

func (n *nonces) mac(ts []byte, src netip.Addr) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write(ts)
	m.Write(src.AsSlice())
	return m.Sum(nil)[:16]
}

// issue returns a new nonce for time now and the source address src.
func (n *nonces) issue(now time.Time, src netip.Addr) string {
	ts := binary.BigEndian.AppendUint64(nil, uint64(now.Unix()))
	b64 := base64.RawURLEncoding
	return b64.EncodeToString(ts) + "." + b64.EncodeToString(n.mac(ts, src))
}

// check verifies that nonce was issued by us to src and is still fresh at now.
func (n *nonces) check(nonce string, now time.Time, src netip.Addr) error {
	tsPart, macPart, ok := strings.Cut(nonce, ".")
	if !ok {
		return errNonceBad
	}
	b64 := base64.RawURLEncoding
	ts, err := b64.DecodeString(tsPart)
	if err != nil || len(ts) != 8 {
		return errNonceBad
	}
	mac, err := b64.DecodeString(macPart)
	if err != nil || !hmac.Equal(mac, n.mac(ts, src)) {
		return errNonceBad
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(ts)), 0)
	if age := now.Sub(issued); age > nonceTTL || age < -time.Minute {
		return errNonceStale
	}
	return nil
}

// use records that credentials with c's user, nonce and count passed at now, refusing a nonce
// without qop seen before and a count with qop no higher than the last one seen.
func (n *nonces) use(c *digest.Credentials, now time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if now.Sub(n.swept) > nonceTTL {
		n.swept = now
		for k, u := range n.used {
			if now.After(u.expires) {
				delete(n.used, k)
			}
		}
	}
	// Per user: phones behind one proxy or NAT, challenged within one second, get one nonce,
	// and one phone's credentials are no replay of another's.
	key := c.Username + "\x00" + c.Nonce
	u, seen := n.used[key]
	if seen && (c.QOP == "" || uint32(c.Nc) <= u.nc) {
		return errNonceReplayed
	}
	n.used[key] = usedNonce{nc: uint32(c.Nc), expires: now.Add(nonceTTL + time.Minute)}
	return nil
}

// challenge returns the WWW-Authenticate value for realm, with a nonce for src.
func (n *nonces) challenge(realm string, now time.Time, src netip.Addr, stale bool) string {
	c := digest.Challenge{Realm: realm, Nonce: n.issue(now, src), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
	return c.String()
}

// verifyDigest checks the credentials of a request with method against the stored HA1
// (MD5 of extension:realm:password), in constant time. Only MD5 is supported, with or
// without qop=auth, as SIP phones use it.
func verifyDigest(c *digest.Credentials, method, ha1 string) error {
	if c.Algorithm != "" && !strings.EqualFold(c.Algorithm, "MD5") {
		return fmt.Errorf("digest algorithm %q: %w", c.Algorithm, errDigestBad)
	}
	ha2 := md5hex(method + ":" + c.URI)
	var want string
	switch c.QOP {
	case "":
		want = md5hex(ha1 + ":" + c.Nonce + ":" + ha2)
	case "auth":
		want = md5hex(fmt.Sprintf("%s:%s:%08x:%s:%s:%s", ha1, c.Nonce, c.Nc, c.Cnonce, c.QOP, ha2))
	default:
		return fmt.Errorf("digest qop %q: %w", c.QOP, errDigestBad)
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(c.Response)), []byte(want)) != 1 {
		return errDigestBad
	}
	return nil
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s)) // #nosec G401 -- SIP digest authentication is MD5; passwords are stored as argon2id.
	return hex.EncodeToString(h[:])
}
