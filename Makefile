# platform: Pulumi Go program for per-environment AWS platforms. `make help` lists the targets.
#
# Topic targets live in mk/*.mk (policy pack, Pulumi CLI build, sandbox); this file ties them together.
SHELL := /bin/bash
GO ?= go
BIN_DIR ?= bin
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true

.DEFAULT_GOAL := help
include $(sort $(wildcard mk/*.mk))

.PHONY: help test unit fmt-check vet ci

help:
	@echo "make preview STACK=dev|staging|prod   real pulumi preview against the offline sandbox, with the policy pack"
	@echo "make test                             every test: unit, whole-program (mocks), policy pack, end-to-end"
	@echo "make cost STACK=dev|staging|prod      monthly cost (idle and ceiling, itemized, prices' date) of the sandbox's plan of the stack"
	@echo "make cost-prices                      refresh internal/cost/prices.json from the AWS Price List API (AWS credentials)"
	@echo "make up|destroy|export STACK=...      sandbox deploys (stand-in cloud providers, real Kubernetes on 127.0.0.1, state under .sandbox/)"
	@echo "make kubernetes-provider controlplane  build the real pulumi-kubernetes provider and the local Kubernetes control plane"
	@echo "make kyverno                          build the Kyverno CLI (the admission engine's, tools/kyverno) into bin/kyverno"
	@echo "make policy-pack                      build bin/platform-policy"
	@echo "make pulumi                           build the pinned Pulumi CLI into bin/pulumi"
	@echo "make program                          build bin/platform, the program plain pulumi runs (Pulumi.yaml runtime.options.binary);"
	@echo "                                      first build ~10 min on 2 cores with a cold Go build cache, a minute or two after make test/preview"

# Unit and mock-based tests of every package; the policy pack's protocol test drives the real CLI, and the
# admission rules are evaluated by the Kyverno CLI (mk/kyverno.mk).
unit: pulumi policy-pack kyverno
	PLATFORM_PULUMI_CLI=$(abspath $(BIN_DIR)/pulumi) PLATFORM_KYVERNO_CLI=$(abspath $(KYVERNO_CLI)) $(GO) test -count=1 ./...

test: unit test-e2e

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./tests/e2e/ ./sandbox/driver/ ./sandbox/controlplane/

# What CI runs (.ci/run).
ci: fmt-check vet actionlint test
