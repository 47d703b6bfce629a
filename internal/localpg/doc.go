// Package localpg runs a private PostgreSQL cluster from the locally
// installed PostgreSQL server binaries, for bkflow's one-command dev stack
// (`bkflow dev`) and for tests. It needs no Docker and no network: the
// server listens on 127.0.0.1 only (no unix socket) and is a child process
// of the caller.
//
// # Layout
//
// A cluster lives in Options.Dir:
//
//	<Dir>/data/        the PostgreSQL data directory (initdb'ed on first Start)
//	<Dir>/password     the password of the superuser "bkflow" (mode 0600)
//	<Dir>/postgres.log the server's stdout and stderr, appended
//	<Dir>/location     only when the data directory was redirected (see below)
//
// Authentication is scram-sha-256, never trust. The password is random,
// generated on the first Start and reused afterwards.
//
// # Running as root
//
// initdb and postgres refuse to run as root. When the caller's effective uid
// is 0 they run as the "postgres" system user (created by the distribution's
// postgresql package), and the data directory is owned by that user with
// mode 0700. That user must be able to traverse every directory above the
// data directory. Directories such as /root or the ones t.TempDir creates
// are 0700 and owned by root, so when Dir is not reachable the data
// directory is redirected to /var/tmp/bkflow-pg-<12 hex digits of
// sha256(absolute Dir)>, and that path is written into <Dir>/location so
// later Starts find the same cluster. The password file and postgres.log
// stay in Dir. Start logs where the data is. Removing Dir does not remove
// the redirected data directory; remove both to start over.
//
// # Lifecycle
//
// The server is started directly (not through pg_ctl) in its own process
// group, so a terminal's Ctrl-C reaches only the caller, which is expected
// to call Stop. If the caller dies, even by SIGKILL, the kernel sends the
// server SIGINT (a fast shutdown). Should a server from an earlier run
// still be running on the data directory, Start stops it before starting
// its own.
package localpg
