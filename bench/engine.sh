#!/usr/bin/env bash
# Engine figures on the dev stack: 100 concurrent 17-node pipelines, one
# 1,000-node pipeline, and the interpreter's overhead against a hand-written
# workflow calling the same 50 activities. Uses DATABASE_URL when set, else a
# private PostgreSQL. Prints go test's benchmark lines.
#   bench/engine.sh [COUNT]      (default 3 runs of each)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
make --no-print-directory build >/dev/null
export BKFLOW_BIN="$PWD/bin/bkflow"
go test -run '^$' -bench 'ConcurrentPipelines|LinearPipeline|InterpreterOverhead' -benchtime 1x -count "$count" \
  -timeout 60m ./bench/ | grep -E '^(Benchmark|goos|goarch|cpu|ok|FAIL)'
