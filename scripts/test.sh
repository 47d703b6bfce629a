#!/usr/bin/env bash
# `make test`: builds bkflow, lints, starts a private PostgreSQL when
# DATABASE_URL is unset, and runs every test (unit, integration against the
# real stack, the dev-stack process tests, fuzz seed corpora).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
scripts/ensure-postgres.sh
go mod download
make --no-print-directory build tools
scripts/lint.sh

pg_pid=""
pg_dir=""
cleanup() {
  if [[ -n "$pg_pid" ]]; then
    kill -TERM "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  if [[ -n "$pg_dir" ]]; then
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

if [[ -z "${DATABASE_URL:-}" ]]; then
  pg_dir=$(mktemp -d /tmp/bkflow-test-pg.XXXXXX)
  chmod 755 "$pg_dir"
  bin/bkflow dev postgres --data-dir "$pg_dir" --url-file "$pg_dir/url" --ephemeral \
    --log-format text --log-level warn >"$pg_dir/stdout" 2>"$pg_dir/stderr" &
  pg_pid=$!
  for _ in $(seq 1 600); do
    [[ -s "$pg_dir/url" ]] && break
    if ! kill -0 "$pg_pid" 2>/dev/null; then
      echo "the test PostgreSQL cluster failed to start:" >&2
      cat "$pg_dir/stderr" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ ! -s "$pg_dir/url" ]]; then
    echo "the test PostgreSQL cluster did not start within 60 s" >&2
    cat "$pg_dir/stderr" >&2
    exit 1
  fi
  DATABASE_URL=$(cat "$pg_dir/url")
  export DATABASE_URL
fi

export BKFLOW_BIN="$PWD/bin/bkflow"
go test -count=1 -timeout 30m ./...
echo "make test finished in $(( $(date +%s) - start )) s"
