// Package apps registers access systems (apps) and authenticates their calls.
// Secrets are random, shown once, and stored only as argon2id hashes; a
// successful verification is remembered briefly (keyed by a keyed hash of the
// presented secret, never the secret) so that steady API traffic does not pay
// the password hash on every request.
package apps

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/bkflow/bkflow/internal/store"
)

var (
	// ErrInvalidCredentials means the app code is unknown or the secret wrong.
	// The two are deliberately indistinguishable to callers.
	ErrInvalidCredentials = errors.New("invalid app credentials")
	// ErrInvalidCode means an app code breaks the naming rule.
	ErrInvalidCode = errors.New("app code must be 1-32 characters of letters, digits, '-' or '_', starting with a letter or digit")
	// ErrExists means an app with that code is already registered.
	ErrExists = errors.New("app already exists")
)

// hashParams follow OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane):
// about 20 ms per hash on the target machines.
func hashParams() *argon2id.Params {
	return &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// cacheTTL bounds how long a verified secret is trusted without re-hashing;
// a rotated secret takes effect within it on other replicas.
const cacheTTL = 5 * time.Minute

// rowTTL is how long a verified secret is trusted without reading the app's
// row again: a replaced or removed secret stops working within it. Reading
// the row on every request cost a PostgreSQL round trip per API call.
const rowTTL = 5 * time.Second

// Service creates and authenticates apps.
type Service struct {
	q   *store.Store
	now func() time.Time
	key []byte // per-process key for the verification cache

	mu    sync.Mutex
	cache map[string]cacheEntry // app code -> last verified secret digest
}

type cacheEntry struct {
	digest  [32]byte
	hash    string // the stored hash it was verified against
	expires time.Time
	// rowChecked is when hash was last read from PostgreSQL.
	rowChecked time.Time
}

// New returns a Service over st. now is time.Now outside tests.
func New(st *store.Store, now func() time.Time) (*Service, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("cache key: %w", err)
	}
	return &Service{q: st, now: now, key: key, cache: map[string]cacheEntry{}}, nil
}

// ValidCode reports whether code can name an app.
func ValidCode(code string) bool { return codePattern.MatchString(code) }

// NewSecret returns a random secret: 64 hex characters (256 bits).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Create registers a new app with a fresh secret and returns the secret; it
// is not recoverable afterwards.
func (s *Service) Create(ctx context.Context, code string) (string, error) {
	if !ValidCode(code) {
		return "", ErrInvalidCode
	}
	secret, err := NewSecret()
	if err != nil {
		return "", err
	}
	h, err := argon2id.CreateHash(secret, hashParams())
	if err != nil {
		return "", fmt.Errorf("hash secret: %w", err)
	}
	if _, err := s.q.AppCreate(ctx, code, h); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", fmt.Errorf("%w: %s", ErrExists, code)
		}
		return "", fmt.Errorf("create app %s: %w", code, err)
	}
	return secret, nil
}

// Ensure makes app code exist with exactly secret (creating it or replacing
// its secret when it differs). The dev stack uses it for its own app.
func (s *Service) Ensure(ctx context.Context, code, secret string) error {
	if !ValidCode(code) {
		return ErrInvalidCode
	}
	if err := s.Authenticate(ctx, code, secret); err == nil {
		return nil
	} else if !errors.Is(err, ErrInvalidCredentials) {
		return err
	}
	h, err := argon2id.CreateHash(secret, hashParams())
	if err != nil {
		return fmt.Errorf("hash secret: %w", err)
	}
	if _, err := s.q.AppUpsert(ctx, code, h); err != nil {
		return fmt.Errorf("ensure app %s: %w", code, err)
	}
	s.mu.Lock()
	delete(s.cache, code) // other processes notice within rowTTL
	s.mu.Unlock()
	return nil
}

// Authenticate checks code and secret. It returns ErrInvalidCredentials for an
// unknown code or a wrong secret.
func (s *Service) Authenticate(ctx context.Context, code, secret string) error {
	if code == "" || secret == "" {
		return ErrInvalidCredentials
	}
	digest := s.digest(code, secret)
	now := s.now()
	s.mu.Lock()
	e, ok := s.cache[code]
	s.mu.Unlock()
	if ok && now.Before(e.expires) && now.Sub(e.rowChecked) < rowTTL && hmac.Equal(e.digest[:], digest[:]) {
		return nil
	}
	app, err := s.q.AppGet(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return ErrInvalidCredentials
	}
	if err != nil {
		return fmt.Errorf("load app %s: %w", code, err)
	}
	if ok && e.hash == app.SecretHash && now.Before(e.expires) && hmac.Equal(e.digest[:], digest[:]) {
		s.mu.Lock()
		e.rowChecked = now
		s.cache[code] = e
		s.mu.Unlock()
		return nil
	}
	match, err := argon2id.ComparePasswordAndHash(secret, app.SecretHash)
	if err != nil {
		return fmt.Errorf("verify app %s: %w", code, err)
	}
	if !match {
		return ErrInvalidCredentials
	}
	s.mu.Lock()
	s.cache[code] = cacheEntry{digest: digest, hash: app.SecretHash, expires: now.Add(cacheTTL), rowChecked: now}
	s.mu.Unlock()
	return nil
}

func (s *Service) digest(code, secret string) [32]byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(code))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	var d [32]byte
	copy(d[:], m.Sum(nil))
	return d
}
