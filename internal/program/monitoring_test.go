package program

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/mesh"
	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/mockgraph"
)

// A rule over a metric nothing scrapes never fires: its alert has no data, which looks like health. These tests
// take every alerting and recording rule the program ships (SLOs, Vault, and any rule a chart's values carry, such
// as future DCGM or autoscaling rules) and require each metric it reads to come from a scrape target the program
// configures.

// metricSources says which scrape target exposes a metric family. Each source is a target the program may
// configure; configuredSources finds out whether it did.
var metricSources = []struct {
	pattern *regexp.Regexp
	source  string
}{
	{regexp.MustCompile(`^istio_`), "envoy-podmonitor"}, // Envoy's standard metrics (sidecars, gateways)
	{regexp.MustCompile(`^(pilot|galley|citadel|istiod)_`), "istiod-servicemonitor"},
	{regexp.MustCompile(`^vault_`), "vault-servicemonitor"}, // Vault's sys/metrics
	{regexp.MustCompile(`^DCGM_`), "dcgm-servicemonitor"},   // NVIDIA DCGM exporter
	{regexp.MustCompile(`^loki_`), "loki-servicemonitor"},
	{regexp.MustCompile(`^(tempo|tempodb)_`), "tempo-servicemonitor"},
	{regexp.MustCompile(`^traces_(service_graph|spanmetrics)_`), "tempo-metrics-generator"}, // remote-written
	{regexp.MustCompile(`^kube_`), "kube-state-metrics"},                                    // kube-prometheus-stack's own targets
	{regexp.MustCompile(`^node_`), "node-exporter"},
	{regexp.MustCompile(`^(container|kubelet)_`), "kubelet"},
	{regexp.MustCompile(`^apiserver_`), "apiserver"},
	// Trivy Operator's report metrics (pkg/metrics/collector.go at v0.30.1: trivy_image_vulnerabilities,
	// trivy_resource_configaudits, ...), served by the operator and scraped through the chart's ServiceMonitor.
	{regexp.MustCompile(`^trivy_`), "trivy-servicemonitor"},
	{regexp.MustCompile(`^up$`), "any-target"}, // synthetic, per target: the selector's job must exist (checked below)
}

var (
	quoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers  = regexp.MustCompile(`\{[^}]*\}`)
	ranges    = regexp.MustCompile(`\[[^\]]*\]`)
	grouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	ident     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	operators = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true, "atan2": true}
)

// metricNames returns the metric names a PromQL expression selects (identifiers that are not functions,
// keywords, label names in grouping clauses, matchers or string literals).
func metricNames(expr string) []string {
	s := quoted.ReplaceAllString(expr, `""`)
	s = matchers.ReplaceAllString(s, " ")
	s = ranges.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range ident.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if operators[strings.ToLower(name)] || (loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.')) {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function or aggregation
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	require.Equal(t, []string{"istio_requests_total", "istio_requests_total"},
		metricNames(`sum by (pod) (rate(istio_requests_total{a="b", response_code=~"5.."}[5m])) / sum(rate(istio_requests_total[5m]))`))
	require.Equal(t, []string{"slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate5m"},
		metricNames("slo:sli_error:ratio_rate1h{x=\"y\"} > (14.4 * 0.001)\nand\nslo:sli_error:ratio_rate5m > (1e-3)"))
	require.Equal(t, []string{"vault_core_active", "vault_core_active"},
		metricNames(`sum(vault_core_active{namespace="vault"}) < 1 or absent(vault_core_active{namespace="vault"})`))
}

type shippedRule struct{ where, name, expr, record string }

// shippedRules walks every chart input for rules ({alert|record, expr}), skipping subtrees switched off with
// enabled: false (a chart renders nothing there), plus every PrometheusRule object.
func shippedRules(t *testing.T, g mockgraph.Graph) []shippedRule {
	var out []shippedRule
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if e, ok := x["enabled"].(bool); ok && !e {
				return
			}
			if expr, ok := x["expr"].(string); ok {
				name, _ := x["alert"].(string)
				rec, _ := x["record"].(string)
				if name == "" {
					name = rec
				}
				out = append(out, shippedRule{where, name, expr, rec})
				return
			}
			for _, c := range x {
				walk(where, c)
			}
		case []any:
			for _, c := range x {
				walk(where, c)
			}
		}
	}
	for _, r := range g.Resources {
		switch {
		case r.Type == chartstest.ChartV4 || r.Type == chartstest.ReleaseV3:
			walk(r.Name, chartstest.Values(t, r.Inputs))
		case r.Type == "kubernetes:monitoring.coreos.com/v1:PrometheusRule":
			walk(r.Name, r.Inputs["spec"].Mappable())
		}
	}
	return out
}

// configuredSources are the scrape targets the program sets up: monitor objects it creates, chart monitors its
// values switch on, and kube-prometheus-stack's own default targets.
func configuredSources(t *testing.T, g mockgraph.Graph, env string) map[string]bool {
	got := map[string]bool{"any-target": true}
	for _, typ := range []string{"PodMonitor", "ServiceMonitor"} {
		for _, r := range g.OfType("kubernetes:monitoring.coreos.com/v1:" + typ) {
			switch r.Inputs["metadata"].ObjectValue()["name"].StringValue() {
			case mesh.EnvoyPodMonitor:
				got["envoy-podmonitor"] = true
			case mesh.IstiodServiceMonitor:
				got["istiod-servicemonitor"] = true
			}
		}
	}
	on := func(name string, path ...string) bool {
		for _, r := range g.Resources {
			if r.Name == name {
				return chartstest.Lookup(chartstest.Values(t, r.Inputs), path...) == true
			}
		}
		return false
	}
	p := "platform-" + env
	got["vault-servicemonitor"] = on(p+"-vault-vault", "serverTelemetry", "serviceMonitor", "enabled")
	got["dcgm-servicemonitor"] = on(p+"-gpu-runtime-dcgm-exporter", "serviceMonitor", "enabled")
	got["loki-servicemonitor"] = on(p+"-observability-loki", "monitoring", "serviceMonitor", "enabled")
	got["tempo-servicemonitor"] = on(p+"-observability-tempo", "serviceMonitor", "enabled")
	got["tempo-metrics-generator"] = on(p+"-observability-tempo", "tempo", "metricsGenerator", "enabled")
	got["trivy-servicemonitor"] = on(p+"-scanning-trivy-operator", "serviceMonitor", "enabled")
	for _, s := range []string{"kube-state-metrics", "node-exporter", "kubelet", "apiserver"} {
		got[s] = true // kube-prometheus-stack's defaults, which the program leaves on
	}
	return got
}

func TestEveryRuleMetricHasAScrapeTarget(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, _ := runWithServices(t, env)
			rules := shippedRules(t, g)
			sources := configuredSources(t, g, env)
			recorded := map[string]bool{}
			for _, r := range rules {
				if r.record != "" {
					recorded[r.record] = true
				}
			}
			var problems []string
			seen := map[string]bool{}
			for _, r := range rules {
				seen[r.where] = true
				for _, m := range metricNames(r.expr) {
					if recorded[m] {
						continue // another shipped rule records it
					}
					src := ""
					for _, s := range metricSources {
						if s.pattern.MatchString(m) {
							src = s.source
							break
						}
					}
					switch {
					case src == "":
						problems = append(problems, fmt.Sprintf("%s: rule %s reads %s, which no known scrape target exposes", r.where, r.name, m))
					case !sources[src]:
						problems = append(problems, fmt.Sprintf("%s: rule %s reads %s, but the program configures no %s", r.where, r.name, m, src))
					}
				}
			}
			sort.Strings(problems)
			require.Empty(t, problems)
			// The rules this test must have seen: the SLOs' (kube-prometheus-stack values) and Vault's.
			require.True(t, seen["platform-"+env+"-observability-kps"], "SLO rules reached the test")
			require.True(t, seen["platform-"+env+"-vault-vault"], "Vault's rules reached the test")
			require.True(t, seen["platform-"+env+"-scanning-alerts"], "the scanning alert reached the test")
		})
	}
}

// TestVaultMonitoredAfterObservability: Vault's release renders a ServiceMonitor and a PrometheusRule, so it is
// monitored and waits for observability, whose chart installs those CRDs.
func TestVaultMonitoredAfterObservability(t *testing.T) {
	g, _ := runWithServices(t, "prod")
	v := chartstest.Values(t, g.ByName(t, "platform-prod-vault-vault").Inputs)
	require.Equal(t, true, chartstest.Lookup(v, "serverTelemetry", "serviceMonitor", "enabled"))
	require.Equal(t, true, chartstest.Lookup(v, "serverTelemetry", "prometheusRules", "enabled"))
	// A dependency on a component is recorded as one on its children: the kube-prometheus-stack release among them.
	require.Contains(t, g.Only(t, "platform:vault:Vault").DependsOn, g.ByName(t, "platform-prod-observability-kps").URN)
	// The mesh's monitors and the DCGM exporter's carry the labels the stack's Prometheus selects by default.
	for _, typ := range []string{"PodMonitor", "ServiceMonitor"} {
		for _, r := range g.OfType("kubernetes:monitoring.coreos.com/v1:" + typ) {
			require.Equal(t, "kps", r.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()["release"].StringValue(), r.Name)
		}
	}
}

// TestMetricsServerHAInProd: the resource metrics API exists on every stack (EKS does not install it); prod runs two
// replicas apart with a budget, dev one without a budget that would block node drains.
func TestMetricsServerHAInProd(t *testing.T) {
	for env, replicas := range map[string]int{"dev": 1, "prod": 2} {
		g, _ := runWithServices(t, env)
		v := chartstest.Values(t, g.ByName(t, "platform-"+env+"-autoscaling-metrics-server").Inputs)
		require.EqualValues(t, replicas, v["replicas"], env)
		require.Equal(t, replicas > 1, chartstest.Lookup(v, "podDisruptionBudget", "enabled"), env)
	}
}

// labelValues is Grafana's variable query label_values(<series selector>, <label>); only the selector is PromQL.
var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$`)

type dashboardQuery struct{ where, expr, datasourceUID string }

// dashboardQueries returns every PromQL expression of a Grafana dashboard (panel targets, nested rows, template
// variables) with the datasource uid it runs against (the target's, else the panel's or variable's).
func dashboardQueries(t *testing.T, name string, raw []byte) []dashboardQuery {
	var d struct {
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name       string         `json:"name"`
				Type       string         `json:"type"`
				Datasource map[string]any `json:"datasource"`
				Query      any            `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []json.RawMessage `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &d), name)
	uid := func(ds map[string]any) string { s, _ := ds["uid"].(string); return s }
	var out []dashboardQuery
	var panel func(raw json.RawMessage)
	panel = func(raw json.RawMessage) {
		var p struct {
			Title      string            `json:"title"`
			Datasource map[string]any    `json:"datasource"`
			Panels     []json.RawMessage `json:"panels"`
			Targets    []struct {
				Expr       string         `json:"expr"`
				Datasource map[string]any `json:"datasource"`
			} `json:"targets"`
		}
		require.NoError(t, json.Unmarshal(raw, &p), name)
		for _, tg := range p.Targets {
			ds := uid(tg.Datasource)
			if ds == "" {
				ds = uid(p.Datasource)
			}
			out = append(out, dashboardQuery{name + ": panel " + p.Title, tg.Expr, ds})
		}
		for _, c := range p.Panels {
			panel(c)
		}
	}
	for _, p := range d.Panels {
		panel(p)
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		if g := labelValues.FindStringSubmatch(q); g != nil {
			q = g[1]
		}
		out = append(out, dashboardQuery{name + ": variable " + v.Name, q, uid(v.Datasource)})
	}
	return out
}

// grafanaDatasourceUIDs are the datasource uids the program provisions: the chart sidecar's Prometheus datasource
// (grafana.sidecar.datasources.uid) and every additional datasource.
func grafanaDatasourceUIDs(t *testing.T, kps map[string]any) map[string]bool {
	out := map[string]bool{}
	if u, ok := chartstest.Lookup(kps, "grafana", "sidecar", "datasources", "uid").(string); ok {
		out[u] = true
	}
	for _, d := range chartstest.Lookup(kps, "grafana", "additionalDataSources").([]any) {
		if u, ok := d.(map[string]any)["uid"].(string); ok {
			out[u] = true
		}
	}
	return out
}

// dcgmCounters are the DCGM fields the exporter exports as the program installs it: the uncommented lines of the
// chart's metrics ConfigMap (dcgm-exporter templates/metrics-configmap.yaml, mounted over default-counters.csv by
// extraConfigMapVolumes), which applies while the values set no customMetrics. A dashboard or rule over a field
// outside it shows no data.
func dcgmCounters(t *testing.T, g mockgraph.Graph, env string) map[string]bool {
	t.Helper()
	v := chartstest.Values(t, g.ByName(t, "platform-"+env+"-gpu-runtime-dcgm-exporter").Inputs)
	require.Nil(t, v["customMetrics"], "the counters come from the chart's default ConfigMap")
	c, err := charts.Lookup(charts.DCGMExporter)
	require.NoError(t, err)
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	files, err := chartmirror.Files(dir, c.Chart, c.Version)
	require.NoError(t, err)
	cm, ok := files[c.Chart+"/templates/metrics-configmap.yaml"]
	require.True(t, ok, "dcgm-exporter %s has templates/metrics-configmap.yaml", c.Version)
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(DCGM_[A-Z0-9_]+)\s*,`).FindAllStringSubmatch(string(cm), -1) {
		out[m[1]] = true
	}
	require.NotEmpty(t, out)
	return out
}

// Every shipped dashboard's queries read metrics that a configured scrape target exposes or a shipped rule records,
// against a datasource the program provisions: a panel over a metric nothing scrapes, or a datasource uid Grafana
// does not have, shows "No data" and looks like a quiet system.
func TestDashboardsQueryScrapedMetricsThroughProvisionedDatasources(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, _ := runWithServices(t, env)
			sources := configuredSources(t, g, env)
			recorded := map[string]bool{}
			for _, r := range shippedRules(t, g) {
				if r.record != "" {
					recorded[r.record] = true
				}
			}
			kps := chartstest.Values(t, g.ByName(t, "platform-"+env+"-observability-kps").Inputs)
			uids := grafanaDatasourceUIDs(t, kps)
			label := chartstest.Lookup(kps, "grafana", "sidecar", "dashboards", "label").(string)
			dcgm := dcgmCounters(t, g, env)

			var problems []string
			dashboards := 0
			for _, r := range g.OfType("kubernetes:core/v1:ConfigMap") {
				labels := r.Inputs["metadata"].ObjectValue()["labels"]
				if !labels.IsObject() || labels.ObjectValue()[resource.PropertyKey(label)].IsNull() {
					continue
				}
				for k, v := range r.Inputs["data"].ObjectValue() {
					dashboards++
					qs := dashboardQueries(t, string(k), []byte(v.StringValue()))
					require.NotEmpty(t, qs, k)
					for _, q := range qs {
						if !uids[q.datasourceUID] {
							problems = append(problems, fmt.Sprintf("%s: datasource uid %q is not provisioned (have %v)", q.where, q.datasourceUID, uids))
						}
						names := metricNames(q.expr)
						if len(names) == 0 {
							problems = append(problems, fmt.Sprintf("%s: no metric in %q", q.where, q.expr))
						}
						for _, m := range names {
							if recorded[m] {
								continue
							}
							if strings.HasPrefix(m, "DCGM_") && !dcgm[m] {
								problems = append(problems, fmt.Sprintf("%s reads %s, which the DCGM exporter's default counters do not export", q.where, m))
							}
							src := ""
							for _, s := range metricSources {
								if s.pattern.MatchString(m) {
									src = s.source
									break
								}
							}
							switch {
							case src == "":
								problems = append(problems, fmt.Sprintf("%s reads %s, which no known scrape target exposes", q.where, m))
							case !sources[src]:
								problems = append(problems, fmt.Sprintf("%s reads %s, but the program configures no %s", q.where, m, src))
							}
						}
					}
				}
			}
			sort.Strings(problems)
			require.Empty(t, problems)
			require.GreaterOrEqual(t, dashboards, 3, "the SLO, GPU pool and capacity dashboards reached the test")
		})
	}
}
