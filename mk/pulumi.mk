# Pulumi CLI and actionlint, built from pinned tools modules: tools/go.mod for
# the CLI, tools/actionlint/go.mod for actionlint (its own module because it
# needs a go.yaml.in/yaml/v4 release candidate older than the one the CLI's
# dependencies select, and the two APIs differ).
#
# The CLI cannot be downloaded here, so it is compiled from
# github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the version tools/go.mod pins.
# The Automation API refuses a CLI that reports no version, hence the ldflags.
# bin/pulumi depends only on tools/go.mod and tools/go.sum: bumping the pin
# rebuilds it, anything else leaves it alone (the cold build is ~6 minutes).

GO ?= go
BIN_DIR ?= bin
PULUMI_VERSION := $(shell awk '$$1 == "github.com/pulumi/pulumi/pkg/v3" { print $$2 }' tools/go.mod)
PULUMI_LDFLAGS := -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)
PULUMI := $(BIN_DIR)/pulumi
ACTIONLINT := $(BIN_DIR)/actionlint

.PHONY: pulumi actionlint

pulumi: $(PULUMI)

$(PULUMI): tools/go.mod tools/go.sum
	@mkdir -p $(BIN_DIR)
	@echo ">> building the Pulumi CLI $(PULUMI_VERSION) from source into $@ (cold: ~6 min on 2 cores; later runs reuse it)"
	cd tools && $(GO) build -ldflags "$(PULUMI_LDFLAGS)" -o ../$@ github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	@./$@ version

$(ACTIONLINT): tools/actionlint/go.mod tools/actionlint/go.sum
	@mkdir -p $(BIN_DIR)
	cd tools/actionlint && $(GO) build -o ../../$@ github.com/rhysd/actionlint/cmd/actionlint

# Lints every workflow under .github/workflows (actionlint finds them itself).
actionlint: $(ACTIONLINT)
	./$(ACTIONLINT) -no-color
