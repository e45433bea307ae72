# Targets mirror CI: fmt vet lint test race e2e bench.
GO ?= go
PKGS := ./...

.PHONY: all build test race lint fmt vet e2e bench deps demo clean

all: build

build:
	$(GO) build -buildvcs=auto -o bin/migrate ./cmd/migrate

deps:
	./scripts/deps.sh

# The README's test command: installs what the tests need, then runs every
# test (unit, golden, fuzz seeds, testscript end to end) with the race
# detector.
test: deps fmt vet lint
	$(GO) test -race -count=1 -timeout 40m $(PKGS)

race: deps
	$(GO) test -race -count=1 $(PKGS)

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# golangci-lint with the repo's .golangci.yml; deps installs it (pinned). In
# CI a missing linter is a failure, never a skip.
LINT := $(shell command -v golangci-lint 2>/dev/null || echo $$($(GO) env GOPATH)/bin/golangci-lint)
lint: fmt vet
	@if [ -x "$(LINT)" ]; then "$(LINT)" run --timeout 15m; \
	elif [ "$$CI" = true ]; then echo "golangci-lint missing (make deps installs it)"; exit 1; \
	else echo "golangci-lint not installed (make deps installs it); ran gofmt and go vet"; fi

e2e: deps
	$(GO) test -count=1 -run 'TestScript' ./internal/cli/...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# The README's main job: a full migration of the sample estate on the
# embedded simulator.
# The simulator runs on the forecast's timing model: the sample estate's
# migration takes about 80 simulated minutes, which the demo compresses a
# thousandfold (MIGRATE_SIM_TIME_SCALE) into a few seconds.
DEMO_TIME_SCALE := 0.001
demo: build
	rm -rf .migrate-demo
	@echo "demo: simulated time runs $(DEMO_TIME_SCALE) times real time (MIGRATE_SIM_TIME_SCALE=$(DEMO_TIME_SCALE)): the forecast's hours take seconds"
	./bin/migrate --state-dir .migrate-demo --inventory testdata/estates/contoso.json plan
	MIGRATE_SIM_TIME_SCALE=$(DEMO_TIME_SCALE) ./bin/migrate --state-dir .migrate-demo --inventory testdata/estates/contoso.json run --yes --convert-disks
	./bin/migrate --state-dir .migrate-demo --inventory testdata/estates/contoso.json status

clean:
	rm -rf bin .migrate-demo
