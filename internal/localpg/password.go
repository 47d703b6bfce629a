package localpg

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// loadOrCreatePassword returns the password kept in path, creating it (32
// random hex characters, mode 0600) on first use.
func loadOrCreatePassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", fmt.Errorf("password file %s is empty; delete it together with the data directory to start over", path)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return "", fmt.Errorf("chmod password file: %w", err)
		}
		return pw, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read password: %w", err)
	}

	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	pw := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create password file: %w", err)
	}
	if _, err := f.WriteString(pw + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write password file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write password file: %w", err)
	}
	return pw, nil
}
