#!/usr/bin/env bash
# Permission figures (issue 5): an in-process decision with 10,000 policies
# stored (the user holding 100 for the action), /api/v1/policy/auth over HTTP
# on loopback for 60 s from 64 closed-loop clients on the same machine, and
# the permission-filtered task list over 100,000 tasks. Prints go test's
# benchmark lines (p50/p99/max in µs or ms, req/s, errors, samples).
#   bench/policy.sh [BENCH_REGEXP]   (default 'PolicyDecision|PolicyAuthHTTP|PolicyFilteredList')
# Knobs: BKFLOW_BENCH_DURATION (60s), BKFLOW_BENCH_CONCURRENCY (64).
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=${1:-'PolicyDecision|PolicyAuthHTTP|PolicyFilteredList'}
make --no-print-directory build >/dev/null
export BKFLOW_BIN="$PWD/bin/bkflow"
unset DATABASE_URL BKFLOW_DATABASE_URL
go test -run '^$' -bench "$pattern" -benchtime 1x -count 1 -v -timeout 60m ./bench/ |
  grep -E '^(Benchmark|goos|goarch|cpu|ok|FAIL|---|\s+policy)'
