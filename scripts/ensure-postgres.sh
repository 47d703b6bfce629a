#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries are installed when bkflow has to start
# its own cluster (DATABASE_URL unset). As root it installs Debian's
# `postgresql` package; otherwise it says exactly what to run.
set -euo pipefail

if [[ -n "${DATABASE_URL:-}" || -n "${BKFLOW_DATABASE_URL:-}" ]]; then
  exit 0
fi
for d in /usr/lib/postgresql/*/bin; do
  if [[ -x "$d/initdb" && -x "$d/postgres" ]]; then
    exit 0
  fi
done
if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries not found: installing the postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
PostgreSQL server binaries not found. Install them, then run this again:
    sudo apt-get install -y postgresql
or point bkflow at an existing server with DATABASE_URL=postgres://user:pass@host:5432/db
MSG
exit 1
