package telephony

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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

// nonces issues and checks stateless digest nonces: a nonce is its issue time and an HMAC of
// it under a per-process secret, so no nonce table is kept and a flood of REGISTERs costs no
// memory. Several processes behind one proxy need the same secret; a random one per process
// means a phone re-authenticates when it lands on another process, which phones do anyway.
type nonces struct {
	secret []byte
}

func newNonces() (*nonces, error) {
	s := make([]byte, 32)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("nonce secret: %w", err)
	}
	return &nonces{secret: s}, nil
}

func (n *nonces) mac(ts []byte) []byte {
	m := hmac.New(sha256.New, n.secret)
	m.Write(ts)
	return m.Sum(nil)[:16]
}

// issue returns a new nonce for time now.
func (n *nonces) issue(now time.Time) string {
	ts := binary.BigEndian.AppendUint64(nil, uint64(now.Unix()))
	b64 := base64.RawURLEncoding
	return b64.EncodeToString(ts) + "." + b64.EncodeToString(n.mac(ts))
}

// check verifies that nonce was issued by us and is still fresh at now.
func (n *nonces) check(nonce string, now time.Time) error {
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
	if err != nil || !hmac.Equal(mac, n.mac(ts)) {
		return errNonceBad
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(ts)), 0)
	if age := now.Sub(issued); age > nonceTTL || age < -time.Minute {
		return errNonceStale
	}
	return nil
}

// challenge returns the WWW-Authenticate value for realm.
func (n *nonces) challenge(realm string, now time.Time, stale bool) string {
	c := digest.Challenge{Realm: realm, Nonce: n.issue(now), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
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
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}
