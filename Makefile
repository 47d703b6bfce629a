# The two commands a newcomer needs: `make run` (the whole stack) and
# `make test` (the whole test suite). Both install what they need.
SHELL := /bin/bash
GO ?= go
BIN := bin/bkflow
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/bkflow/bkflow/internal/version.Version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0

.PHONY: all build run test lint fmt vet tools bench clean

all: build

## build: compile bin/bkflow
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/bkflow

## run: the whole stack in one process (bkflow dev), PostgreSQL installed/started when needed
run: build
	@scripts/ensure-postgres.sh
	./$(BIN) dev

## test: vet, lint and every test, with a private PostgreSQL when DATABASE_URL is unset
test:
	scripts/test.sh

## lint: gofmt, go vet, staticcheck and workflowcheck (determinism of workflow code)
lint: tools
	scripts/lint.sh

## tools: install pinned developer tools into bin/
tools:
	@test -x bin/staticcheck || GOBIN=$(CURDIR)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x bin/workflowcheck || GOBIN=$(CURDIR)/bin $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

## bench: run the benchmarks under bench/ and print their figures
bench: build
	scripts/bench.sh

clean:
	rm -rf bin
