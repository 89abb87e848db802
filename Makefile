# The two commands of README.md: `make run` and `make test`.
GO      ?= go
BIN     := bin/hotline
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
TESTFLAGS ?= -race -count=1 -timeout 14m

.PHONY: run test build lint deps deps-test bench clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/hotline

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

# run: build, migrate, load the demo city and serve web on :8080 and SIP on :5060.
run: deps build
	$(BIN) migrate
	$(BIN) seed --demo
	exec $(BIN) serve

# test: install what the tests need, run every test with the race detector, stop the test
# database. The inner loop is `go test -short ./...`: it skips the SIPp and browser journeys.
test: deps-test
	@status=0; $(GO) test $(TESTFLAGS) ./... || status=$$?; \
	$(GO) run ./cmd/pgtest stop || true; \
	exit $$status

# lint: gofmt, go vet, staticcheck (pinned in go.mod as a tool), and go.mod kept tidy.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff

bench:
	@for s in bench/*.sh; do echo "== $$s"; bash $$s; done

clean:
	rm -rf bin
