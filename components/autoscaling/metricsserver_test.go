package autoscaling

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
)

// TestMetricsServerServesTheResourceMetricsAPI: EKS does not install metrics-server, so without this chart every
// CPU/memory HPA (istiod's, the gateway's) and KEDA cpu/memory trigger has no metrics.
func TestMetricsServerServesTheResourceMetricsAPI(t *testing.T) {
	g, err := run(t, baseArgs(), false)
	require.NoError(t, err)
	ms := g.ByName(t, "dev-autoscaling-metrics-server")
	chartstest.AssertCatalogue(t, ms.Type, ms.Inputs, charts.MetricsServer)
	v := chartstest.Values(t, ms.Inputs)
	chartstest.AssertKnownKeys(t, charts.MetricsServer, v)
	require.Equal(t, "kube-system", ms.Inputs["namespace"].StringValue())
	require.NotEmpty(t, ms.Provider)
	// One replica: no budget that would block a node drain, no anti-affinity.
	require.EqualValues(t, 1, v["replicas"])
	require.Equal(t, false, chartstest.Lookup(v, "podDisruptionBudget", "enabled"))
	require.Nil(t, v["affinity"])
}

func TestMetricsServerHighlyAvailable(t *testing.T) {
	a := baseArgs()
	a.MetricsServerReplicas = 2
	g, err := run(t, a, false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-autoscaling-metrics-server").Inputs)
	chartstest.AssertKnownKeys(t, charts.MetricsServer, v)
	require.EqualValues(t, 2, v["replicas"])
	require.Equal(t, true, chartstest.Lookup(v, "podDisruptionBudget", "enabled"))
	require.EqualValues(t, 1, chartstest.Lookup(v, "podDisruptionBudget", "minAvailable"))
	terms := chartstest.Lookup(v, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution").([]any)
	require.Len(t, terms, 1)
	term := terms[0].(map[string]any)
	require.Equal(t, "kubernetes.io/hostname", term["topologyKey"])
	require.Equal(t, map[string]any{"app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": "metrics-server"},
		chartstest.Lookup(term, "labelSelector", "matchLabels"), "the chart's selector labels for release metrics-server")

	a.MetricsServerReplicas = -1
	_, err = run(t, a, false)
	require.ErrorContains(t, err, "metricsServerReplicas must be >= 1 (got -1)")
}
