package secrets

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func newTestSealer(t *testing.T, keys ...string) *Sealer {
	t.Helper()
	s, err := NewSealer(keys)
	require.NoError(t, err)
	return s
}

func testKey(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), KeyBytes)))
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s := newTestSealer(t, testKey('a'))
	tok, err := s.Seal("p@ss word")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tok, "{{bkflow-secret:v1:"), tok)
	require.NotContains(t, tok, "p@ss")
	plain, err := s.Open(tok)
	require.NoError(t, err)
	require.Equal(t, "p@ss word", plain)

	again, err := s.Seal("p@ss word")
	require.NoError(t, err)
	require.NotEqual(t, tok, again, "every seal uses a fresh nonce")
}

func TestOpenStringInsideText(t *testing.T) {
	t.Parallel()
	s := newTestSealer(t, testKey('a'))
	a, err := s.Seal("alpha")
	require.NoError(t, err)
	b, err := s.Seal("beta")
	require.NoError(t, err)
	got, err := s.OpenString("Basic " + a + ":" + b + " end")
	require.NoError(t, err)
	require.Equal(t, "Basic alpha:beta end", got)
	require.Equal(t, "Basic ******:****** end", MaskString("Basic "+a+":"+b+" end"))
	require.Equal(t, "no secrets", MaskString("no secrets"))
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	old := newTestSealer(t, testKey('o'))
	tok, err := old.Seal("kept")
	require.NoError(t, err)

	rotated := newTestSealer(t, testKey('n'), testKey('o'))
	plain, err := rotated.Open(tok)
	require.NoError(t, err)
	require.Equal(t, "kept", plain)

	newTok, err := rotated.Seal("kept")
	require.NoError(t, err)
	_, err = old.Open(newTok)
	require.ErrorIs(t, err, ErrUnknownKey)
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	var none Sealer
	_, err := none.Seal("x")
	require.ErrorIs(t, err, ErrNoKey)
	require.False(t, none.CanSeal())

	for _, tc := range []struct {
		name, key, msg string
	}{
		{"not base64", "!!!", "must be base64"},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), "must be 32 bytes, got 5"},
	} {
		_, err := NewSealer([]string{tc.key})
		require.ErrorContains(t, err, "secret key 1: "+tc.msg, tc.name)
	}

	s := newTestSealer(t, testKey('a'))
	tok, err := s.Seal("x")
	require.NoError(t, err)
	tampered := tok[:len(tok)-4] + "AAAA}}"
	_, err = s.Open(tampered)
	require.Error(t, err)
	_, err = s.Open("plain")
	require.EqualError(t, err, "not a sealed secret")
}

func TestValues(t *testing.T) {
	t.Parallel()
	s := newTestSealer(t, testKey('a'))
	in := map[string]any{"bk_app_code": "app", "bk_app_secret": "s3cret", "n": 3, "list": []any{"x", true}}
	sealed, err := s.SealValue(in)
	require.NoError(t, err)
	m := sealed.(map[string]any)
	require.Equal(t, 3, m["n"])
	require.True(t, IsSealed(m["bk_app_secret"].(string)))
	require.True(t, ContainsSealed(sealed))
	require.False(t, ContainsSealed(in))
	require.Equal(t, map[string]any{"bk_app_code": Mask, "bk_app_secret": Mask, "n": 3, "list": []any{Mask, true}},
		MaskValue(sealed))

	opened, err := s.OpenValue(sealed)
	require.NoError(t, err)
	require.Equal(t, in, opened)

	other := newTestSealer(t, testKey('b'))
	_, err = other.OpenValue(sealed)
	require.True(t, errors.Is(err, ErrUnknownKey))
}

// FuzzOpenString checks that text which is not a valid token passes through
// unchanged and that opening never panics.
func FuzzOpenString(f *testing.F) {
	s, err := NewSealer([]string{testKey('f')})
	if err != nil {
		f.Fatal(err)
	}
	tok, err := s.Seal("secret")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("plain text")
	f.Add(tok)
	f.Add("x" + tok + "y")
	f.Add("{{bkflow-secret:v1:00000000:AAAA}}")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := s.OpenString(in)
		if !IsSealed(in) {
			if err != nil || out != in {
				t.Fatalf("OpenString(%q) = %q, %v; want it unchanged", in, out, err)
			}
		}
		if masked := MaskString(in); IsSealed(masked) {
			t.Fatalf("MaskString(%q) = %q still holds a token", in, masked)
		}
	})
}
