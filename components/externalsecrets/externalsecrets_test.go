package externalsecrets

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/mockgraph"
)

func run(t *testing.T, args Args) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.KubeProvider = kp
		_, err = NewExternalSecrets(ctx, "dev-eso", &args)
		return err
	}, mockgraph.Options{})
	return g, err
}

func TestOperatorFromCatalogueInRestrictedNamespace(t *testing.T) {
	g, err := run(t, Args{Replicas: 2})
	require.NoError(t, err)
	c := g.ByName(t, "dev-eso-external-secrets")
	chartstest.AssertCatalogue(t, c.Type, c.Inputs, charts.ExternalSecrets)
	v := chartstest.Values(t, c.Inputs)
	chartstest.AssertKnownKeys(t, charts.ExternalSecrets, v)
	require.Equal(t, ServiceAccount, chartstest.Lookup(v, "serviceAccount", "name"))
	require.EqualValues(t, 2, v["replicaCount"])
	require.NotEmpty(t, c.Provider)
	labels := g.Only(t, "kubernetes:core/v1:Namespace").Inputs["metadata"].ObjectValue()["labels"].ObjectValue()
	require.Equal(t, "restricted", labels["pod-security.kubernetes.io/enforce"].StringValue())
}

func TestValidation(t *testing.T) {
	_, err := run(t, Args{Replicas: -1})
	require.ErrorContains(t, err, "replicas must be >= 1")
	require.ErrorContains(t, ValidateArgs(&Args{Replicas: 1}), "kubeProvider is required")
}

// The chart elects a leader only when leaderElect is set: two replicas without it reconcile every
// ExternalSecret twice. More than one replica also gets budgets; one replica gets none (it would block drains).
func TestReplicasAreLeaderElectedAndBudgetedOnlyWhenHA(t *testing.T) {
	for _, tc := range []struct {
		replicas int
		ha       bool
	}{{1, false}, {2, true}, {3, true}} {
		g, err := run(t, Args{Replicas: tc.replicas})
		require.NoError(t, err)
		v := chartstest.Values(t, g.ByName(t, "dev-eso-external-secrets").Inputs)
		chartstest.AssertKnownKeys(t, charts.ExternalSecrets, v)
		require.Equal(t, tc.ha, v["leaderElect"], "replicas %d: leaderElect", tc.replicas)
		require.Equal(t, tc.ha, chartstest.Lookup(v, "podDisruptionBudget", "enabled"), "replicas %d: controller PDB", tc.replicas)
		require.Equal(t, tc.ha, chartstest.Lookup(v, "webhook", "podDisruptionBudget", "enabled"), "replicas %d: webhook PDB", tc.replicas)
		require.EqualValues(t, tc.replicas, chartstest.Lookup(v, "webhook", "replicaCount"))
	}
}
