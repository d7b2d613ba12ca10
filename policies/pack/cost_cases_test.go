package pack_test

import (
	"github.com/platform-team/platform/policies/pack"
)

const (
	eksClusterT = "aws:eks/cluster:Cluster"
)

// inRegion gives a resource the stack's aws provider, whose region the budget prices it in.
func inRegion(r pack.Resource, region string) pack.Resource {
	r.Provider = &pack.ProviderInfo{Type: "pulumi:providers:aws", URN: urn("pulumi:providers:aws", "aws"), Name: "aws",
		Properties: props(obj{"region": region})}
	return r
}

func pool(name, instanceType string, minSize, maxSize any) pack.Resource {
	return inRegion(mk(nodeGroup, name, obj{"instanceTypes": arr{instanceType}, "capacityType": "ON_DEMAND",
		"scalingConfig": obj{"minSize": minSize, "desiredSize": minSize, "maxSize": maxSize}}), "us-east-1")
}

func budgetCfg(idle, ceiling int) pack.Config {
	return pack.Config{Policies: map[string]pack.PolicyConfig{"budget": {Properties: map[string]any{
		"maxIdleMonthlyUSD": float64(idle), "maxCeilingMonthlyUSD": float64(ceiling)}}}}
}

// The figures below use the snapshot's us-east-1 rates (internal/cost/prices.json); a refresh that moves a rate
// moves them, and this table says by how much.
func init() {
	cp := inRegion(mk(eksClusterT, "cp", obj{"version": "1.34"}), "us-east-1")
	// With the snapshot's us-east-1 rates, 730 h: control plane 0.10 x 730 = 73.00; system 3-6 x m6i.xlarge at 0.192:
	// idle 3 x 140.16 = 420.48, ceiling 6 x 140.16 = 840.96 (no launch template: EKS's 20 GiB gp2 roots at 0.10,
	// 3 x 2.00 = 6.00 and 6 x 2.00 = 12.00). Idle 73 + 420.48 + 6 = 499.48, ceiling 73 + 840.96 + 12 = 925.96.
	system := pool("system", "m6i.xlarge", 3, 6)
	// One g6.2xlarge at 0.9776 idle: 713.648 -> 713.65 a month more, plus its 2.00 root: idle 499.48 + 715.65 = 1215.13;
	// at most 8: 8 x 0.9776 x 730 = 5709.18. 40 g6e.2xlarge at 2.24208: 65468.74 + 40 roots 80.00 + 73 = 65621.74.
	gpu := pool("gpu", "g6.2xlarge", 1, 8)
	addTable("budget", [3]pack.Level{A, M, M},
		tc{name: "unpriced-instance-type", res: stack(cp, pool("exotic", "p5.48xlarge", 0, 1)), want: violates,
			msg: `the budget cannot be judged: 1 item(s) have no price (NodeGroup "exotic": no on-demand rate for p5.48xlarge in us-east-1`},
		tc{name: "over-every-default-ceiling", res: stack(cp, pool("huge", "g6e.2xlarge", 0, 40)), want: violates,
			msg: `ceiling $65,621.74/month exceeds maxCeilingMonthlyUSD`},
		tc{name: "within", res: stack(cp, system), cfg: budgetCfg(600, 1000), want: passes},
		tc{name: "gpu-pool-over-idle", res: stack(cp, system, gpu), cfg: budgetCfg(600, 10000), want: violates,
			msg: `. Biggest items: NodeGroup "gpu" 1-8 x g6.2xlarge on-demand (idle $713.65, ceiling $5,709.18)`},
		tc{name: "over-ceiling-only", res: stack(cp, system), cfg: budgetCfg(600, 900), want: violates,
			msg: `. Biggest items: NodeGroup "system" 3-6 x m6i.xlarge on-demand (idle $420.48, ceiling $840.96)`},
		tc{name: "unknown-size-in-a-preview", res: stack(cp, system, pool("later", "g6.2xlarge", unk, 2)), cfg: budgetCfg(600, 1000), want: undecided},
		tc{name: "region-not-in-the-snapshot", res: stack(inRegion(mk(eksClusterT, "cp", obj{"version": "1.34"}), "eu-west-1")), want: undecided},
		tc{name: "over-even-without-the-unknown", res: stack(cp, system, gpu, pool("later", "g6.2xlarge", unk, 2)), cfg: budgetCfg(600, 10000), want: violates,
			msg: `idle at least $1,215.13/month exceeds maxIdleMonthlyUSD $600.00`},
	)
}
