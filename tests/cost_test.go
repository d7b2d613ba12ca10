package tests

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/cost"
	"github.com/platform-team/platform/policies/pack"
)

// TestEachStackIsPricedWithoutUnknowns runs each stack file through the program and prices what it registers the
// way the budget policy does: every item has a rate in the snapshot, the control plane is counted once, every NAT
// gateway and interface endpoint has its line, and the ceiling is never below idle. `make cost` prices the
// sandbox's real plan the same way; the figures are logged for the README.
func TestEachStackIsPricedWithoutUnknowns(t *testing.T) {
	prices, err := cost.Snapshot()
	require.NoError(t, err)
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, err := runStack(t, env, false)
			require.NoError(t, err)
			rs := pack.CostResources(packResources(g))
			region := ""
			for _, r := range rs {
				if r.Region != "" {
					region = r.Region
				}
			}
			e := prices.Estimate(rs, cost.Options{DefaultRegion: region})
			var out bytes.Buffer
			require.NoError(t, e.WriteText(&out, "stack "+env+" (mock graph)"))
			t.Log("\n" + out.String())
			assert.Empty(t, e.Unknown(), "every item of %s is priced", env)

			count := map[string]int{}
			for _, it := range e.Items {
				count[it.What]++
			}
			assert.Equal(t, 1, count["EKS control plane"], "one control plane line")
			assert.Equal(t, len(g.OfType("aws:ec2/natGateway:NatGateway")), count["NAT gateway"])
			assert.Equal(t, len(g.OfType("aws:ec2/eip:Eip")), count["public IPv4 address (Elastic IP)"])
			assert.Equal(t, len(g.OfType("aws:kms/key:Key")), count["KMS customer-managed key"])
			assert.GreaterOrEqual(t, e.Ceiling, e.Idle)
			assert.Greater(t, e.Idle, 0.0)
		})
	}
}

// TestTheBudgetBlocksAProdChangeThatRaisesAGPUPoolsMinimum: prod's budget (policies/config/prod.json) lets the
// stack idle with one L4 node; keeping four warm (3 more g6.2xlarge at $713.65 a month each, and their roots)
// takes idle past maxIdleMonthlyUSD, and the mandatory violation names the pool as the biggest item.
func TestTheBudgetBlocksAProdChangeThatRaisesAGPUPoolsMinimum(t *testing.T) {
	g, err := runStack(t, "prod", false)
	require.NoError(t, err)
	cfg, err := pack.LoadConfigFile(filepath.Join(Root(), "policies", "config", "prod.json"))
	require.NoError(t, err)
	res := packResources(g)
	assert.Empty(t, budgetViolations(pack.Evaluate(pack.Prod, cfg, res)), "prod as committed is within its budget")

	for i, r := range res {
		if r.Type == "aws:eks/nodeGroup:NodeGroup" && r.Name == "platform-prod-gpu-inference-l4" {
			for _, props := range []*resource.PropertyMap{&res[i].Properties, &res[i].Outputs} {
				if *props == nil {
					continue
				}
				p := props.Copy()
				sc := p["scalingConfig"].ObjectValue().Copy()
				sc["minSize"] = resource.NewNumberProperty(4)
				p["scalingConfig"] = resource.NewObjectProperty(sc)
				*props = p
			}
		}
	}
	blocking := budgetViolations(pack.Blocking(pack.Evaluate(pack.Prod, cfg, res)))
	require.Len(t, blocking, 1)
	assert.Contains(t, blocking[0].Message, "exceeds maxIdleMonthlyUSD $2,000.00")
	assert.Contains(t, blocking[0].Message, `Biggest items: NodeGroup "platform-prod-gpu-inference-l4" 4-8 x g6.2xlarge on-demand`)
}

func budgetViolations(ds []pack.Diagnostic) []pack.Diagnostic {
	var out []pack.Diagnostic
	for _, d := range ds {
		if d.PolicyID == "budget" {
			out = append(out, d)
		}
	}
	return out
}
