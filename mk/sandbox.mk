# Offline proving ground: the real Pulumi engine (bin/pulumi) runs the real
# program against STAND-IN providers for aws, eks, vault, random and tls
# (bin/pulumi-resource-standin) and the REAL pulumi-kubernetes provider against
# a local kube-apiserver per stack (mk/kubernetes.mk), with the policy pack, on a
# local backend under .sandbox/. See docs/sandbox.md.
#
#   make preview STACK=prod        plan + policy verdict; fails on a mandatory violation
#   make up STACK=dev              deploy into the sandbox
#   make destroy STACK=dev         tear the sandbox stack down
#   make export STACK=prod OUT=f   up, then write the state as `pulumi stack export` does
#   make test-e2e                  the end-to-end tests (part of `make test`)

GO ?= go
BIN_DIR ?= bin
STACK ?= dev
OUT ?= .sandbox/$(STACK).export.json
POLICY_PACK ?= $(BIN_DIR)/platform-policy
# The stack's policy levels, thresholds and recorded exceptions, as CI passes them.
POLICY_CONFIG ?= $(wildcard policies/config/$(STACK).json)
STANDIN := $(BIN_DIR)/pulumi-resource-standin
SANDBOX := $(BIN_DIR)/sandbox
SANDBOX_FLAGS = -stack $(STACK) -policy-pack $(POLICY_PACK) $(if $(POLICY_CONFIG),-policy-pack-config $(POLICY_CONFIG))

.PHONY: sandbox sandbox-driver preview up destroy export test-e2e

# go build is a no-op (no relink) when the binary is current, so these are
# always-run recipes rather than file targets with hand-kept source lists.
sandbox:
	@mkdir -p $(BIN_DIR)
	$(GO) build -o $(STANDIN) ./sandbox/cmd/pulumi-resource-standin
	$(GO) build -o $(BIN_DIR)/aws ./sandbox/cmd/aws

sandbox-driver:
	@mkdir -p $(BIN_DIR)
	@test -x $(SANDBOX) || echo ">> building the sandbox driver (links the program and its SDKs; the first build compiles pulumi-aws, ~10 min cold)"
	$(GO) build -o $(SANDBOX) ./sandbox/cmd/sandbox

preview up destroy: pulumi sandbox sandbox-driver policy-pack kubernetes-provider controlplane
	./$(SANDBOX) $(SANDBOX_FLAGS) $@

export: pulumi sandbox sandbox-driver policy-pack kubernetes-provider controlplane
	./$(SANDBOX) $(SANDBOX_FLAGS) -out $(OUT) export

# End-to-end tests: real engine, stand-in providers, policy pack. Kept behind
# the e2e build tag so `go test ./...` never links the Automation API driver.
E2E_TIMEOUT ?= 60m
test-e2e: pulumi sandbox policy-pack kubernetes-provider controlplane
	$(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) ./tests/e2e/ ./sandbox/driver/ ./sandbox/controlplane/
