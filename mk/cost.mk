# Monthly cost of a stack (issue 11). internal/cost prices a plan's resources from the dated price snapshot
# internal/cost/prices.json: idle (every autoscaled group at its minimum) and ceiling (at its maximum), itemized,
# with the snapshot's date, and the delta between the stack as it is and as planned.
#
#   make cost STACK=prod    offline: the sandbox's preview of the stack (real engine, stand-in providers, with the
#                           policy pack, so the budget policy's verdict shows too), then the estimate of its plan
#   make cost-prices        rewrite internal/cost/prices.json from the AWS Price List API (needs AWS credentials
#                           allowed pricing:GetProducts); commit the result with its new date
#
# A real stack needs no sandbox: pulumi preview --stack prod --json | go run ./cmd/cost -stack prod

GO ?= go
STACK ?= dev
PLAN ?= .sandbox/$(STACK).plan.json

.PHONY: cost cost-prices

# The plan is written even when a mandatory policy (budget included) blocks the preview: the estimate is then
# what the reviewer needs, and make still fails with the sandbox's status afterwards.
cost: pulumi sandbox sandbox-driver policy-pack kubernetes-provider controlplane
	@rm -f $(PLAN)
	@status=0; ./$(SANDBOX) $(SANDBOX_FLAGS) -out $(abspath $(PLAN)) plan || status=$$?; \
	if [ -s $(PLAN) ]; then echo; $(GO) run ./cmd/cost -stack $(STACK) $(PLAN) || status=$$?; fi; \
	exit $$status

cost-prices:
	$(GO) run ./cmd/cost refresh-prices -out internal/cost/prices.json
