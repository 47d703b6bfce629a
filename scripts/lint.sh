#!/usr/bin/env bash
# gofmt, go vet and staticcheck over the whole module; workflowcheck over the
# workflow code (time.Now, randomness, goroutines, map order...).
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
bin/staticcheck ./...
bin/workflowcheck -config workflowcheck.config.yaml ./workflows/
