# The CrossGuard policy pack (policies/, issue 4).
#
#   make policy-pack    builds the analyzer executable bin/platform-policy
#                       (use: pulumi preview --policy-pack bin/platform-policy --policy-pack-config policies/config/<env>.json)
#   make policy-test    runs the pack's tests; the protocol test drives bin/pulumi (`pulumi policy analyze`),
#                       so it depends on `make pulumi` and never skips here
#   make policy-readme  regenerates policies/README.md from the catalogue (a test fails while it is stale)
#
# policy-pack is phony on purpose: `go build` knows better than make whether a Go source changed, and with a warm
# cache a no-op rebuild costs about a second.

GO ?= go
BIN_DIR ?= bin
POLICY_PACK := $(BIN_DIR)/platform-policy

.PHONY: policy-pack policy-test policy-readme

policy-pack:
	@mkdir -p $(BIN_DIR)
	$(GO) build -o $(POLICY_PACK) ./policies

policy-test: pulumi policy-pack
	PLATFORM_PULUMI_CLI=$(abspath $(BIN_DIR)/pulumi) $(GO) test ./policies/...

policy-readme:
	UPDATE_POLICY_README=1 $(GO) test ./policies/pack -run TestREADMEIsCurrent
