package localpg

import "errors"

// ErrBinariesMissing means the PostgreSQL server binaries (initdb and
// postgres) were not found. Errors wrapping it say what to install.
var ErrBinariesMissing = errors.New("postgresql server binaries (initdb, postgres) not found")

// installHint tells a newcomer how to get the binaries (and, on Debian and
// Ubuntu, the postgres system user).
const installHint = "install the PostgreSQL server with: apt-get install -y postgresql (as root, or with sudo)"

// errPortInUse marks a server that could not bind its port, so Start may
// retry on another one when it picked the port itself.
var errPortInUse = errors.New("port already in use")
