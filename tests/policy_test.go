package tests

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/policies/pack"
)

// packResources turns a recorded graph into what the policy pack sees from the engine: inputs, state,
// options, parent and the provider's own inputs.
func packResources(g mockgraph.Graph) []pack.Resource {
	providers := map[string]*pack.ProviderInfo{}
	for _, r := range g.Resources {
		if strings.HasPrefix(r.Type, "pulumi:providers:") {
			providers[r.URN] = &pack.ProviderInfo{Type: r.Type, URN: r.URN, Name: r.Name, Properties: r.Inputs}
		}
	}
	out := make([]pack.Resource, 0, len(g.Resources))
	for _, r := range g.Resources {
		pr := pack.Resource{
			Type: r.Type, URN: r.URN, Name: r.Name, ID: r.ID,
			Properties: r.Inputs, Outputs: r.Outputs, Protect: r.Protect, Parent: r.Parent,
			PropertyDependencies: r.PropertyDependencies,
		}
		if r.Provider != "" {
			urn := r.Provider[:strings.LastIndex(r.Provider, "::")]
			pr.Provider = providers[urn]
		}
		out = append(out, pr)
	}
	return out
}

func TestEveryStackPassesThePolicyPackInItsEnvironment(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, err := runStack(t, env, false)
			require.NoError(t, err)
			cfg, err := pack.LoadConfigFile(filepath.Join(Root(), "policies", "config", env+".json"))
			require.NoError(t, err)
			penv, ok := pack.ParseEnv(env)
			require.True(t, ok)

			diags := pack.Evaluate(penv, cfg, packResources(g))
			for _, d := range diags {
				t.Logf("%s %s: %s", d.Level, d.PolicyID, d.Message)
			}
			var blocking []string
			for _, d := range pack.Blocking(diags) {
				blocking = append(blocking, fmt.Sprintf("%s %s: %s", d.PolicyID, d.URN, d.Message))
			}
			assert.Empty(t, blocking, "mandatory violations in %s", env)
		})
	}
}

func TestThePolicyPackBlocksADeliberatelyBadGraph(t *testing.T) {
	g, err := runStack(t, "prod", false)
	require.NoError(t, err)
	res := packResources(g)
	// Tamper with what the program asked for: open the API endpoint to the internet.
	for i, r := range res {
		if r.Type == "eks:index:Cluster" {
			props := r.Properties.Copy()
			props["endpointPublicAccess"] = boolProp(true)
			props["publicAccessCidrs"] = stringsProp("0.0.0.0/0")
			res[i].Properties = props
		}
	}
	blocking := pack.Blocking(pack.Evaluate(pack.Env("prod"), pack.Config{}, res))
	require.NotEmpty(t, blocking)
	var ids []string
	for _, d := range blocking {
		ids = append(ids, d.PolicyID)
	}
	assert.Contains(t, strings.Join(ids, " "), "endpoint")
}
