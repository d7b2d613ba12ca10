package program

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/tests"
)

// runWithServices runs the foundation and the services for one real stack file against the stand-in
// monitor, returning the graph and the number of resources the foundation alone registered.
func runWithServices(t *testing.T, env string) (mockgraph.Graph, int) {
	t.Helper()
	raw, err := tests.StackConfig(filepath.Join(tests.Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
	require.NoError(t, err)
	var foundation int
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		p, err := Build(ctx, cfg)
		if err != nil {
			return err
		}
		_, err = buildServices(ctx, p, &cfg.Services)
		return err
	}, mockgraph.Options{Stack: env, Config: raw})
	require.NoError(t, err)
	for _, r := range g.Resources {
		if !isService(r, g) {
			foundation++
		}
	}
	return g, foundation
}

// isService reports whether r belongs to a platform service component (or is the services' kube provider).
func isService(r mockgraph.Resource, g mockgraph.Graph) bool {
	for cur := r; ; {
		if strings.HasPrefix(cur.Type, "platform:") && !strings.HasPrefix(cur.Type, "platform:index:") {
			switch strings.Split(cur.Type, ":")[1] {
			case "admission", "mesh", "observability", "gpuruntime", "autoscaling", "vault", "vaultconfig", "externalsecrets", "scanning", "netpol", "alerting":
				return true
			}
		}
		if cur.Type == "pulumi:providers:kubernetes" {
			return true
		}
		if cur.Parent == "" {
			return false
		}
		parent, ok := byURN(g, cur.Parent)
		if !ok {
			return false
		}
		cur = parent
	}
}

func byURN(g mockgraph.Graph, urn string) (mockgraph.Resource, bool) {
	for _, r := range g.Resources {
		if r.URN == urn {
			return r, true
		}
	}
	return mockgraph.Resource{}, false
}

func TestServicesOnEveryStack(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, foundation := runWithServices(t, env)
			t.Logf("%s: %d resources with services, %d without", env, len(g.Resources), foundation)

			kp := g.Only(t, "pulumi:providers:kubernetes")
			require.True(t, kp.Inputs["kubeconfig"].IsSecret(), "kubeconfig reaches the provider as a secret")
			// Every in-cluster resource uses that provider, every AWS resource the stack's aws provider.
			for _, r := range g.Custom() {
				switch {
				case strings.HasPrefix(r.Type, "kubernetes:"):
					require.True(t, strings.HasPrefix(r.Provider, kp.URN), "%s %s uses %s", r.Type, r.Name, r.Provider)
				case strings.HasPrefix(r.Type, "aws:"):
					require.Contains(t, r.Provider, "pulumi:providers:aws", "%s %s", r.Type, r.Name)
				}
			}

			vault := chartstest.Values(t, g.ByName(t, fmt.Sprintf("platform-%s-vault-vault", env)).Inputs)
			replicas := chartstest.Lookup(vault, "server", "ha", "replicas")
			cfg := chartstest.Lookup(vault, "server", "ha", "raft", "config").(string)
			require.Contains(t, cfg, `seal "awskms"`)
			if env == "dev" {
				require.EqualValues(t, 1, replicas)
			} else {
				require.EqualValues(t, 3, replicas)
			}

			ports := map[float64]bool{}
			for _, r := range g.OfType("aws:ec2/securityGroupRule:SecurityGroupRule") {
				if strings.Contains(r.Name, "istiod") {
					ports[r.Inputs["fromPort"].NumberValue()] = true
					// The node security group is pulumi-eks's (a resource reference the mocks cannot serve, so
					// its ID is empty here): the rule's target must come from the pulumi-eks cluster.
					require.Contains(t, r.PropertyDependencies["securityGroupId"], g.Only(t, "eks:index:Cluster").URN, "rule targets the cluster's node security group")
				}
			}
			require.Equal(t, map[float64]bool{15017: true, 15012: true}, ports)

			var strict bool
			for _, pa := range g.OfType("kubernetes:security.istio.io/v1:PeerAuthentication") {
				strict = strict || pa.Inputs["spec"].ObjectValue()["mtls"].ObjectValue()["mode"].StringValue() == "STRICT"
			}
			require.True(t, strict)

			// IRSA roles trust the cluster's own OIDC provider.
			for _, r := range g.OfType("aws:iam/role:Role") {
				if strings.HasSuffix(r.Name, "-irsa") {
					require.Contains(t, r.Inputs["assumeRolePolicy"].StringValue(), "oidc-provider/", r.Name)
				}
			}
		})
	}
}
