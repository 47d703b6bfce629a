package localpg

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// serverUser is the system user initdb and postgres run as when the caller
// is root.
const serverUser = "postgres"

// account is the user the server programs run as when the caller is root;
// a nil *account means "as the caller".
type account struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups
}

// serverAccount returns the account to run the server as: nil when the
// caller is not root, else the postgres system user.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("running as root, initdb and postgres must run as the %q system user, "+
			"which was not found (%w); the postgresql package creates it: apt-get install -y postgresql",
			serverUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", serverUser, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", serverUser, u.Gid, err)
	}
	a := &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				a.groups = append(a.groups, uint32(g))
			}
		}
	}
	return a, nil
}

// sysProcAttr is how every server program is started: in its own process
// group (a terminal's Ctrl-C reaches only the caller), sent deathSig when the
// caller dies, and as a when a is not nil.
func (a *account) sysProcAttr(deathSig syscall.Signal) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSig}
	if a != nil {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
	}
	return attr
}

// chown gives path to a (no-op when a is nil).
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Chown(path, int(a.uid), int(a.gid))
}

// owns reports whether a is the owner of fi (always true for a nil account,
// which is the caller).
func (a *account) owns(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	if a == nil {
		return int(st.Uid) == os.Geteuid()
	}
	return st.Uid == a.uid
}

// canTraverse reports whether a may search (x permission) fi by the
// classic owner/group/other rules; ACLs are not consulted.
func (a *account) canTraverse(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case st.Gid == a.gid || slices.Contains(a.groups, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// blockingDir returns the first directory among dir and its ancestors (both
// as written and with symlinks resolved) that a cannot traverse, or "" when
// every one is traversable.
func (a *account) blockingDir(dir string) (string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	for _, start := range []string{dir, real} {
		for p := start; ; p = filepath.Dir(p) {
			fi, err := os.Stat(p)
			if err != nil {
				return "", err
			}
			if !a.canTraverse(fi) {
				return p, nil
			}
			if p == filepath.Dir(p) {
				break
			}
		}
	}
	return "", nil
}
