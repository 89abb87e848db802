package intake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Signed tokens carry state through a citizen's browser without a session: the complaint form's
// token (proof the form came from us, and the idempotency key of its submission) and the
// tracking page's access token (proof the holder gave the ticket's number and phone).

const (
	formTokenTTL   = 24 * time.Hour
	accessTokenTTL = time.Hour
)

var b64 = base64.RawURLEncoding

func (s *Service) sign(purpose, payload string, exp time.Time) string {
	body := b64.EncodeToString([]byte(payload)) + "." + strconv.FormatInt(exp.Unix(), 10)
	return body + "." + s.mac(purpose, body)
}

func (s *Service) mac(purpose, body string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(body))
	return b64.EncodeToString(m.Sum(nil)[:18])
}

func (s *Service) verify(purpose, tok string) (string, bool) {
	if len(tok) > 512 {
		return "", false
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return "", false
	}
	body, sig := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(purpose, body))) {
		return "", false
	}
	p, expText, ok := strings.Cut(body, ".")
	if !ok {
		return "", false
	}
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil || s.clock.Now().Unix() > exp {
		return "", false
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return "", false
	}
	return string(payload), true
}

// FormToken returns a new token for one complaint form.
func (s *Service) FormToken() string {
	nonce := make([]byte, 16)
	rand.Read(nonce)
	return s.sign("form", hex.EncodeToString(nonce), s.clock.Now().Add(formTokenTTL))
}

// CheckFormToken reports whether tok is a form token we issued that has not expired, and returns
// the idempotency key of the submission it carries.
func (s *Service) CheckFormToken(tok string) (string, bool) {
	nonce, ok := s.verify("form", tok)
	if !ok || len(nonce) != 32 {
		return "", false
	}
	return "web:" + nonce, true
}

func (s *Service) accessToken(number string) string {
	return s.sign("track", number, s.clock.Now().Add(accessTokenTTL))
}
