# The Kyverno CLI (issue 11, in-cluster policy), built from the pinned tools module tools/kyverno:
#
#   bin/kyverno  kubectl-kyverno at github.com/kyverno/kyverno v1.19.0, the app version of the pinned chart
#                (internal/charts: kyverno 3.9.0). components/admission's tests evaluate the platform's
#                ClusterPolicies with it (`kyverno apply`). Cold build: see docs/services.md.
#
# It depends only on its tools module's files: bumping the pin rebuilds it, anything else leaves it alone.

GO ?= go
BIN_DIR ?= bin
KYVERNO_DIR := tools/kyverno
KYVERNO_VERSION := $(shell awk '$$1 == "github.com/kyverno/kyverno" && $$2 ~ /^v/ { print $$2 }' $(KYVERNO_DIR)/go.mod)
KYVERNO_CLI := $(BIN_DIR)/kyverno

.PHONY: kyverno

kyverno: $(KYVERNO_CLI)

$(KYVERNO_CLI): $(KYVERNO_DIR)/go.mod $(KYVERNO_DIR)/go.sum
	@mkdir -p $(BIN_DIR)
	@echo ">> building the Kyverno CLI $(KYVERNO_VERSION) into $@ (cold: see docs/services.md; later runs reuse it)"
	cd $(KYVERNO_DIR) && $(GO) build \
		-ldflags "-s -w -X github.com/kyverno/kyverno/pkg/version.BuildVersion=$(KYVERNO_VERSION)" \
		-o $(abspath $@) github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno
