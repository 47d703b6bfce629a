#!/usr/bin/env bash
# `make bench`: every benchmark script under bench/, one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/*.sh; do
  echo "== $b"
  "$b"
done
