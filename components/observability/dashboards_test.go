package observability

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/gpupools"
	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
)

// Every shipped dashboard reaches Grafana: one ConfigMap each in the observability namespace, labelled as the
// sidecar the chart values configure expects, holding the file's JSON.
func TestDashboardsAreProvisionedThroughTheSidecar(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	ds, err := Dashboards()
	require.NoError(t, err)
	require.Subset(t, keys(ds), []string{"slo", "gpu-pools", "cluster-capacity"})

	kps := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	chartstest.AssertKnownKeys(t, charts.KubePrometheusStack, kps)
	sidecar := chartstest.Lookup(kps, "grafana", "sidecar", "dashboards").(map[string]any)
	require.Equal(t, true, sidecar["enabled"])

	found := map[string]bool{}
	for _, r := range g.OfType("kubernetes:core/v1:ConfigMap") {
		meta := r.Inputs["metadata"].ObjectValue()
		labels := meta["labels"].ObjectValue()
		if labels[DashboardLabel].IsNull() {
			continue
		}
		require.Equal(t, sidecar["labelValue"], labels[resource.PropertyKey(sidecar["label"].(string))].StringValue(), r.Name)
		require.Equal(t, DefaultNamespace, meta["namespace"].StringValue())
		for k, v := range r.Inputs["data"].ObjectValue() {
			name := strings.TrimSuffix(string(k), ".json")
			require.JSONEq(t, string(ds[name]), v.StringValue(), r.Name)
			found[name] = true
		}
	}
	require.Len(t, found, len(ds), "one ConfigMap per dashboard")
}

// The GPU dashboard groups by the pool label as kube-state-metrics exports it, which requires that label in the
// chart's metricLabelsAllowlist: both derive from the label the GPU pools put on their nodes.
func TestGPUDashboardGroupsByThePoolLabelKubeStateMetricsExports(t *testing.T) {
	v := KubePrometheusStackValues(&Args{Namespace: DefaultNamespace})
	require.Equal(t, []any{"nodes=[" + gpupools.LabelPool + "]"}, chartstest.Lookup(v, "kube-state-metrics", "metricLabelsAllowlist"))
	// kube-state-metrics turns a label into label_<name> with every character outside [a-zA-Z0-9_] replaced by _.
	ksmLabel := "label_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, gpupools.LabelPool)
	ds, err := Dashboards()
	require.NoError(t, err)
	require.Contains(t, string(ds["gpu-pools"]), ksmLabel)
	var d map[string]any
	require.NoError(t, json.Unmarshal(ds["gpu-pools"], &d))
	require.Equal(t, "platform-gpu", d["uid"])
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The Alertmanager configuration and the Secrets it reads reach the chart's values; without them the chart's
// default (everything to null) stays.
func TestAlertmanagerConfigAndSecretsReachValues(t *testing.T) {
	a := devArgs()
	a.AlertmanagerConfig = map[string]any{"route": map[string]any{"receiver": "pagerduty"}}
	a.AlertmanagerSecrets = []string{"alertmanager-receivers"}
	v := KubePrometheusStackValues(&a)
	chartstest.AssertKnownKeys(t, charts.KubePrometheusStack, v)
	require.Equal(t, a.AlertmanagerConfig, chartstest.Lookup(v, "alertmanager", "config"))
	require.Equal(t, []any{"alertmanager-receivers"}, chartstest.Lookup(v, "alertmanager", "alertmanagerSpec", "secrets"))

	v = KubePrometheusStackValues(&Args{Namespace: DefaultNamespace})
	require.Nil(t, chartstest.Lookup(v, "alertmanager", "config"))
	require.Nil(t, chartstest.Lookup(v, "alertmanager", "alertmanagerSpec", "secrets"), "a listed Secret that does not exist blocks Alertmanager pods")
}
