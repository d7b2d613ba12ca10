# The program binary the plain `pulumi` CLI runs (issue 14).
#
#   make program    builds bin/platform, the program main.go runs
#
# Pulumi.yaml's runtime.options.binary points the Go language host at
# mk/pulumi-program.sh, which runs this same `go build` (same flags as `go test`
# and the sandbox driver, so one Go build cache serves all three) and then the
# binary. `pulumi preview|up|destroy` therefore rebuild only what changed, and
# with nothing changed the build is a no-op. `make program` is there to pay the
# first build up front (or in CI) and see the compiler's progress; it is never
# required: the first pulumi command builds whatever is missing.

GO ?= go
BIN_DIR ?= bin
PROGRAM := $(BIN_DIR)/platform

.PHONY: program

# Phony like policy-pack: go build knows better than make whether a source changed.
program:
	@mkdir -p $(BIN_DIR)
	@test -x $(PROGRAM) || echo ">> building the program into $(PROGRAM) (first build: ~10 min on 2 cores with a cold Go build cache, a minute or two when make test or make preview already compiled the SDKs)"
	$(GO) build -o $(PROGRAM) .
