package observability

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
	"github.com/platform-team/platform/internal/charts/chartstest"
)

// chartFiles reads every file of the catalogue's archive of chart name from the offline chart mirror.
func chartFiles(t *testing.T, name string) map[string][]byte {
	t.Helper()
	c, err := charts.Lookup(name)
	require.NoError(t, err)
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	files, err := chartmirror.Files(dir, c.Chart, c.Version)
	require.NoError(t, err)
	return files
}

// EKS serves none of these to Prometheus; each key must switch off the chart's scrape objects and rules for it.
var eksUnservable = map[string]struct{ exporterDir, rules []string }{
	"kubeScheduler":         {[]string{"kube-scheduler"}, []string{"kube-scheduler.rules.yaml", "kubernetes-system-scheduler.yaml"}},
	"kubeControllerManager": {[]string{"kube-controller-manager"}, []string{"kubernetes-system-controller-manager.yaml"}},
	"kubeEtcd":              {[]string{"kube-etcd"}, []string{"etcd.yaml"}},
	"kubeProxy":             {[]string{"kube-proxy"}, []string{"kubernetes-system-kube-proxy.yaml"}},
}

// TestEKSUnservableTargetsAreOff: the chart would scrape the scheduler, controller-manager, etcd and kube-proxy,
// which EKS does not expose, and page forever with critical ...Down alerts. The values switch each off, and the
// pinned archive shows the switch gates its Service/Endpoints/ServiceMonitor and its rules.
func TestEKSUnservableTargetsAreOff(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	files := chartFiles(t, charts.KubePrometheusStack)
	for key, where := range eksUnservable {
		require.Equal(t, false, chartstest.Lookup(v, key, "enabled"), key)
		gate := ".Values." + key + ".enabled"
		var gated int
		for path, body := range files {
			for _, d := range where.exporterDir {
				if strings.Contains(path, "/templates/exporters/"+d+"/") {
					require.Contains(t, firstAction(body), gate, path)
					gated++
				}
			}
			for _, r := range where.rules {
				if strings.HasSuffix(path, "/templates/prometheus/rules-1.14/"+r) {
					require.Contains(t, string(body), "if and", path)
					require.Contains(t, string(body), gate, path)
					gated++
				}
			}
		}
		require.GreaterOrEqual(t, gated, len(where.rules)+1, "%s: the archive no longer has the templates this test reads", key)
	}
}

// firstAction is the first `{{- if ...}}` of a template, skipping a leading comment.
func firstAction(body []byte) string {
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, "{{") && strings.Contains(line, " if ") {
			return line
		}
	}
	return ""
}

// renderedSelector is the Prometheus object's monitor selector as templates/prometheus/prometheus.yaml renders it:
// the explicit selector if set, else `release: <release>` when <kind>SelectorNilUsesHelmValues (default true in the
// chart's values.yaml), else {} (every monitor). nil means "selects everything".
func renderedSelector(t *testing.T, defaults, values map[string]any, kind string) map[string]any {
	t.Helper()
	get := func(key string) any {
		if v := chartstest.Lookup(values, "prometheus", "prometheusSpec", key); v != nil {
			return v
		}
		return chartstest.Lookup(defaults, "prometheus", "prometheusSpec", key)
	}
	if sel, ok := get(kind + "Selector").(map[string]any); ok && len(sel) > 0 {
		return sel["matchLabels"].(map[string]any)
	}
	if nilUses, ok := get(kind + "SelectorNilUsesHelmValues").(bool); !ok || nilUses {
		return map[string]any{"release": kpsRelease}
	}
	return nil
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func selects(selector map[string]any, labels map[string]any) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestPrometheusSelectsThePlatformsMonitors: the Prometheus the stack renders selects every monitor the platform
// creates, under the values the program sets and under the chart's own defaults.
func TestPrometheusSelectsThePlatformsMonitors(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	kps := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	var defaults map[string]any
	require.NoError(t, yaml.Unmarshal(chartFiles(t, charts.KubePrometheusStack)["kube-prometheus-stack/values.yaml"], &defaults))
	loki := chartstest.Values(t, g.ByName(t, "dev-observability-loki").Inputs)
	tempo := chartstest.Values(t, g.ByName(t, "dev-observability-tempo").Inputs)
	platform := map[string]any{}
	for k, v := range MonitorLabels() {
		platform[k] = v
	}
	monitors := map[string]struct {
		kind   string
		labels map[string]any
	}{
		"loki":     {"serviceMonitor", asMap(chartstest.Lookup(loki, "monitoring", "serviceMonitor", "labels"))},
		"tempo":    {"serviceMonitor", asMap(chartstest.Lookup(tempo, "serviceMonitor", "additionalLabels"))},
		"platform": {"podMonitor", platform},
	}
	for _, vals := range []map[string]any{kps, {}} {
		for name, m := range monitors {
			sel := renderedSelector(t, defaults, vals, m.kind)
			require.True(t, sel == nil || selects(sel, m.labels), "%s: selector %v does not match labels %v", name, sel, m.labels)
		}
	}
	require.Equal(t, true, chartstest.Lookup(loki, "monitoring", "serviceMonitor", "enabled"))
	require.Equal(t, true, chartstest.Lookup(tempo, "serviceMonitor", "enabled"))
}

// TestTempoGeneratorFeedsGrafana: the service map and trace-to-metrics links Grafana's Tempo datasource shows read
// metrics that only Tempo's metrics generator produces, with both processors enabled, written to the Prometheus
// Grafana queries.
func TestTempoGeneratorFeedsGrafana(t *testing.T) {
	g, _, err := run(t, devArgs(), false)
	require.NoError(t, err)
	tempo := chartstest.Values(t, g.ByName(t, "dev-observability-tempo").Inputs)
	kps := chartstest.Values(t, g.ByName(t, "dev-observability-kps").Inputs)
	gen, _ := chartstest.Lookup(tempo, "tempo", "metricsGenerator").(map[string]any)
	require.Equal(t, true, gen["enabled"], "tempo.metricsGenerator.enabled")
	rw, _ := chartstest.Lookup(gen, "storage", "remote_write").([]any)
	require.Len(t, rw, 1)
	require.Equal(t, "http://kps-prometheus.observability.svc.cluster.local:9090/api/v1/write", rw[0].(map[string]any)["url"])
	require.Equal(t, true, rw[0].(map[string]any)["send_exemplars"])
	require.True(t, strings.HasPrefix(chartstest.Lookup(gen, "storage", "path").(string), "/var/tempo/"), "generator WAL on the volume")
	require.ElementsMatch(t, []any{"service-graphs", "span-metrics"},
		chartstest.Lookup(tempo, "tempo", "overrides", "defaults", "metrics_generator", "processors"))
	require.Equal(t, true, chartstest.Lookup(kps, "prometheus", "prometheusSpec", "enableRemoteWriteReceiver"))
	// The chart renders the generator block only from these keys (values.yaml's config template).
	cfg := string(chartFiles(t, charts.Tempo)["tempo/values.yaml"])
	for _, k := range []string{".Values.tempo.metricsGenerator.enabled", ".Values.tempo.metricsGenerator.storage.remote_write", ".Values.tempo.overrides"} {
		require.Contains(t, cfg, k)
	}
	for _, d := range chartstest.Lookup(kps, "grafana", "additionalDataSources").([]any) {
		if m := d.(map[string]any); m["uid"] == TempoUID {
			require.Equal(t, PrometheusUID, chartstest.Lookup(m, "jsonData", "serviceMap", "datasourceUid"))
			require.Equal(t, PrometheusUID, chartstest.Lookup(m, "jsonData", "tracesToMetrics", "datasourceUid"))
		}
	}
}
