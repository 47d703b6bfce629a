#!/usr/bin/env bash
# API figures on the dev stack (issue 4): create_task + operate_task/start
# at 100 requests/s for 60 s (open loop), get_task_list and
# get_template_list with filters over 100,000 tasks and 100,000 templates,
# get_tasks_states of 50 finished tasks. Prints go test's benchmark lines,
# then a table of p50/p99/max (ms), errors, samples and rows per figure.
#   bench/api.sh [BENCH_REGEXP]   (default 'CreateStartLoad|ListsAt100k')
# The stack runs its own PostgreSQL, as `make run` does: DATABASE_URL is
# ignored, since the test server trades durability for speed (fsync off),
# which would flatter every write. Knobs: BKFLOW_BENCH_RATE (100),
# BKFLOW_BENCH_DURATION (60s), BKFLOW_BENCH_SAMPLES (1000 per list figure).
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=${1:-'CreateStartLoad|ListsAt100k'}
make --no-print-directory build >/dev/null
export BKFLOW_BIN="$PWD/bin/bkflow"
unset DATABASE_URL BKFLOW_DATABASE_URL
out=$(mktemp /tmp/bkflow-bench-api.XXXXXX)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench "$pattern" -benchtime 1x -count 1 -v -timeout 90m ./bench/ | tee "$out" |
  grep -E '^(Benchmark|goos|goarch|cpu|ok|FAIL|---|\s+api)'
echo
awk '
  /^Benchmark[^ ]*\/[^ ]* / {
    name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
    delete m
    for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
    if (!header) {
      printf "%-62s %9s %9s %9s %7s %8s %7s\n", "figure", "p50 ms", "p99 ms", "max ms", "errors", "samples", "rows"
      header = 1
    }
    printf "%-62s %9s %9s %9s %7s %8s %7s\n", name, m["p50-ms"], m["p99-ms"], m["max-ms"], m["errors"], m["samples"], \
      ("rows" in m ? m["rows"] : "-")
  }' "$out"
