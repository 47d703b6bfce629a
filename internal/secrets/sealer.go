// Package secrets seals secrets (space credentials, task credentials) with
// AES-256-GCM so that they are encrypted wherever they rest: in PostgreSQL
// and in Temporal's workflow histories.
//
// A sealed value is a token, {{bkflow-secret:v1:<key id>:<base64url>}}, that
// can travel inside any string. Workflows only ever see tokens; the component
// runtime opens them right before a component runs, and the API masks them in
// every response. Several keys can be configured: the first seals, all open,
// so keys can be rotated without re-encrypting stored data at once.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrNoKey means no secret key is configured, so nothing can be sealed.
var ErrNoKey = errors.New("no secret key is configured (--secret-keys)")

// ErrUnknownKey means a token was sealed with a key that is not configured.
var ErrUnknownKey = errors.New("sealed with a key that is not configured")

// Mask is what responses show instead of a secret.
const Mask = "******"

// KeyBytes is the length of a key: AES-256.
const KeyBytes = 32

const (
	tokenPrefix = "{{bkflow-secret:v1:"
	tokenSuffix = "}}"
)

var tokenPattern = regexp.MustCompile(`\{\{bkflow-secret:v1:([0-9a-f]{8}):([A-Za-z0-9_-]+)\}\}`)

type key struct {
	id   string
	aead cipher.AEAD
}

// Sealer seals and opens secrets. The zero value has no key: Seal fails with
// ErrNoKey and Open fails on every token.
type Sealer struct {
	keys []key
}

// NewSealer returns a Sealer over base64-encoded 32-byte keys (standard or
// URL alphabet, padded or not). The first key seals; every key opens. No
// keys gives a Sealer that cannot seal.
func NewSealer(encoded []string) (*Sealer, error) {
	s := &Sealer{}
	seen := map[string]bool{}
	for i, e := range encoded {
		raw, err := decodeKey(strings.TrimSpace(e))
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", i+1, err)
		}
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:4])
		if seen[id] {
			continue
		}
		seen[id] = true
		s.keys = append(s.keys, key{id: id, aead: aead})
	}
	return s, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != KeyBytes {
				return nil, fmt.Errorf("must be %d bytes, got %d", KeyBytes, len(raw))
			}
			return raw, nil
		}
	}
	return nil, errors.New("must be base64 (generate one with `openssl rand -base64 32`)")
}

// GenerateKey returns a new random key, base64-encoded.
func GenerateKey() (string, error) {
	raw := make([]byte, KeyBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate secret key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// CanSeal reports whether a key is configured.
func (s *Sealer) CanSeal() bool { return s != nil && len(s.keys) > 0 }

// Seal encrypts plain into a token.
func (s *Sealer) Seal(plain string) (string, error) {
	if !s.CanSeal() {
		return "", ErrNoKey
	}
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	ct := k.aead.Seal(nonce, nonce, []byte(plain), nil)
	return tokenPrefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(ct) + tokenSuffix, nil
}

// Open decrypts a token made by Seal.
func (s *Sealer) Open(token string) (string, error) {
	m := tokenPattern.FindStringSubmatch(token)
	if m == nil || m[0] != token {
		return "", errors.New("not a sealed secret")
	}
	return s.open(m[1], m[2])
}

func (s *Sealer) open(id, payload string) (string, error) {
	if s == nil {
		return "", ErrUnknownKey
	}
	for _, k := range s.keys {
		if k.id != id {
			continue
		}
		ct, err := base64.RawURLEncoding.DecodeString(payload)
		if err != nil || len(ct) < k.aead.NonceSize() {
			return "", errors.New("sealed secret is corrupt")
		}
		plain, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], nil)
		if err != nil {
			return "", errors.New("sealed secret is corrupt or was sealed with another key")
		}
		return string(plain), nil
	}
	return "", fmt.Errorf("key %s: %w", id, ErrUnknownKey)
}

// IsSealed reports whether s contains a token.
func IsSealed(s string) bool {
	return strings.Contains(s, tokenPrefix) && tokenPattern.MatchString(s)
}

// OpenString replaces every token inside s by its plain text.
func (s *Sealer) OpenString(str string) (string, error) {
	if !strings.Contains(str, tokenPrefix) {
		return str, nil
	}
	var firstErr error
	out := tokenPattern.ReplaceAllStringFunc(str, func(tok string) string {
		m := tokenPattern.FindStringSubmatch(tok)
		plain, err := s.open(m[1], m[2])
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return tok
		}
		return plain
	})
	return out, firstErr
}

// MaskString replaces every token inside s by Mask.
func MaskString(s string) string {
	if !strings.Contains(s, tokenPrefix) {
		return s
	}
	return tokenPattern.ReplaceAllString(s, Mask)
}
