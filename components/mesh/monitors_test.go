package mesh

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
)

// TestMonitorsScrapeEveryEnvoyAndIstiod: the SLO rules read istio_* metrics, which exist only if Prometheus scrapes
// the Envoys (sidecars and gateways) — kube-prometheus-stack discovers nothing without a monitor object.
func TestMonitorsScrapeEveryEnvoyAndIstiod(t *testing.T) {
	g, err := run(t, Args{Monitoring: true, MonitorLabels: map[string]string{"release": "kps"}}, false)
	require.NoError(t, err)

	pm := g.ByName(t, "dev-mesh-envoy-podmonitor")
	require.Equal(t, "kubernetes:monitoring.coreos.com/v1:PodMonitor", pm.Type)
	md := pm.Inputs["metadata"].ObjectValue()
	require.Equal(t, SystemNamespace, md["namespace"].StringValue())
	require.Equal(t, "kps", md["labels"].ObjectValue()["release"].StringValue())
	spec := pm.Inputs["spec"].ObjectValue()
	require.True(t, spec["namespaceSelector"].ObjectValue()["any"].BoolValue(), "sidecars live in every namespace")
	require.Empty(t, spec["selector"].ObjectValue(), "no pod label narrows it: gateways and sidecars alike")
	ep := spec["podMetricsEndpoints"].ArrayValue()
	require.Len(t, ep, 1)
	require.Equal(t, "http-envoy-prom", ep[0].ObjectValue()["port"].StringValue())
	require.Equal(t, "/stats/prometheus", ep[0].ObjectValue()["path"].StringValue())

	sm := g.ByName(t, "dev-mesh-istiod-servicemonitor")
	require.Equal(t, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", sm.Type)
	require.Equal(t, "kps", sm.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()["release"].StringValue())
	sspec := sm.Inputs["spec"].ObjectValue()
	require.Equal(t, "istiod", sspec["selector"].ObjectValue()["matchLabels"].ObjectValue()["app"].StringValue())
	require.Equal(t, "http-monitoring", sspec["endpoints"].ArrayValue()[0].ObjectValue()["port"].StringValue())

	// Without the CRDs (Monitoring off) nothing is created.
	g, err = run(t, Args{}, false)
	require.NoError(t, err)
	require.Empty(t, g.OfType("kubernetes:monitoring.coreos.com/v1:PodMonitor"))
	require.Empty(t, g.OfType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor"))
}

// TestMonitorPortsExistInThePinnedIstio: the port names the monitors use are the ones the pinned istiod chart
// gives the sidecar, the gateway proxy and istiod's Service; revision-tag Services carry istio.io/tag (excluded,
// so each istiod is scraped once).
func TestMonitorPortsExistInThePinnedIstio(t *testing.T) {
	files := istiodFiles(t)
	envoy := regexp.MustCompile(`containerPort: 15090\s+protocol: TCP\s+name: ` + EnvoyStatsPort)
	for _, f := range []string{"istiod/files/injection-template.yaml", "istiod/files/gateway-injection-template.yaml"} {
		require.Regexp(t, envoy, string(files[f]), f)
	}
	require.Regexp(t, regexp.MustCompile(`port: 15014\s+name: `+IstiodMonitoringPort), string(files["istiod/templates/service.yaml"]))
	require.Contains(t, string(files["istiod/templates/service.yaml"]), "app: istiod")
	require.Contains(t, string(files["istiod/templates/revision-tags-svc.yaml"]), "istio.io/tag:")
}

func istiodFiles(t *testing.T) map[string][]byte {
	t.Helper()
	c, err := charts.Lookup(charts.Istiod)
	require.NoError(t, err)
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	files, err := chartmirror.Files(dir, c.Chart, c.Version)
	require.NoError(t, err)
	return files
}
