#!/usr/bin/env bash
# Measures `bkflow dev`: time from process start to /readyz 200 (cold data
# dir once, then warm restarts) and the idle RSS of the whole process tree
# (bkflow + its PostgreSQL). Prints one line per figure.
#   bench/devstart.sh [RUNS]     (default 5 warm runs; needs bin/bkflow)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${BKFLOW_BIN:-bin/bkflow}
[[ -x "$bin" ]] || { echo "build first: make build" >&2; exit 1; }

dir=$(mktemp -d /tmp/bkflow-bench-devstart.XXXXXX)
chmod 755 "$dir"
pid=""
cleanup() { [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
http=$(port); tport=$(port); uport=$(port)
export BKFLOW_DATA_DIR=$dir BKFLOW_HTTP_ADDR=127.0.0.1:$http BKFLOW_TEMPORAL_PORT=$tport BKFLOW_UI_PORT=$uport
unset DATABASE_URL BKFLOW_DATABASE_URL

now_ms() { date +%s%3N; }
elapsed=0
start_once() {
  local t0; t0=$(now_ms)
  "$bin" dev >"$dir/out.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/out.log" >&2; exit 1; }
    sleep 0.02
  done
  elapsed=$(( $(now_ms) - t0 ))
}
stop_once() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

descendants() {
  local p=$1 c
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do descendants "$c"; done
}
tree_rss_kb() {
  local total=0 p
  for p in $(descendants "$1" | sort -u); do
    total=$(( total + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}

start_once
echo "cold start (empty data dir, initdb + Temporal schema): ${elapsed} ms"
stop_once
warm=()
for i in $(seq 1 "$runs"); do
  start_once
  warm+=("$elapsed")
  if [[ $i -eq $runs ]]; then
    sleep 10
    rss=$(tree_rss_kb "$pid")
    echo "idle RSS of the process tree after 10 s: $(( rss / 1024 )) MiB"
  fi
  stop_once
done
sorted=$(printf '%s\n' "${warm[@]}" | sort -n)
echo "warm start to /readyz 200 over $runs runs (ms): $(echo $sorted | tr '\n' ' ')"
echo "warm start median: $(printf '%s\n' "${warm[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms"
