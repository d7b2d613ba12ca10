package mesh

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Scrape targets the mesh offers Prometheus (istiod chart: files/injection-template.yaml and
// files/gateway-injection-template.yaml name the istio-proxy container's Envoy stats port; templates/service.yaml
// names istiod's monitoring port).
const (
	// EnvoyStatsPort is the istio-proxy container port (15090) where Envoy serves its own metrics, the standard
	// istio_* request metrics included, in sidecars and gateways alike. The injector excludes it from inbound
	// capture, so Prometheus scrapes it in plain HTTP under STRICT mTLS.
	EnvoyStatsPort = "http-envoy-prom"
	// EnvoyStatsPath is Envoy's Prometheus exposition path.
	EnvoyStatsPath = "/stats/prometheus"
	// IstiodMonitoringPort is istiod's Service port (15014) for its own metrics.
	IstiodMonitoringPort = "http-monitoring"
	// EnvoyPodMonitor and IstiodServiceMonitor are the monitors' names in istio-system.
	EnvoyPodMonitor      = "envoy-stats"
	IstiodServiceMonitor = "istiod"
)

// EnvoyPodMonitorSpec scrapes every Envoy in the cluster: application sidecars and gateway proxies in any
// namespace. The empty pod selector takes every pod; the operator keeps only those with a container port named
// EnvoyStatsPort, which only istio-proxy containers have.
func EnvoyPodMonitorSpec() map[string]any {
	return map[string]any{
		"namespaceSelector": map[string]any{"any": true},
		"selector":          map[string]any{},
		"jobLabel":          "app.kubernetes.io/name",
		"podMetricsEndpoints": []any{map[string]any{
			"port": EnvoyStatsPort,
			"path": EnvoyStatsPath,
		}},
	}
}

// IstiodServiceMonitorSpec scrapes every istiod revision through its own Service (istiod-<revision>, labelled
// app=istiod). Revision-tag Services (istio.io/tag) select the same pods, so they are excluded: each istiod is
// scraped once.
func IstiodServiceMonitorSpec() map[string]any {
	return map[string]any{
		"namespaceSelector": map[string]any{"matchNames": []any{SystemNamespace}},
		"selector": map[string]any{
			"matchLabels":      map[string]any{"app": "istiod"},
			"matchExpressions": []any{map[string]any{"key": "istio.io/tag", "operator": "DoesNotExist"}},
		},
		"endpoints": []any{map[string]any{"port": IstiodMonitoringPort}},
	}
}

// newMonitors creates the PodMonitor for every Envoy and the ServiceMonitor for istiod. They need the Prometheus
// Operator CRDs (kube-prometheus-stack), which is why Monitoring is opt-in and the program orders the mesh after
// observability.
func newMonitors(ctx *pulumi.Context, name string, a *Args, opts ...pulumi.ResourceOption) error {
	labels := pulumi.StringMap{}
	for k, v := range a.MonitorLabels {
		labels[k] = pulumi.String(v)
	}
	for _, m := range []struct {
		key, kind, name string
		spec            map[string]any
	}{
		{"envoy-podmonitor", "PodMonitor", EnvoyPodMonitor, EnvoyPodMonitorSpec()},
		{"istiod-servicemonitor", "ServiceMonitor", IstiodServiceMonitor, IstiodServiceMonitorSpec()},
	} {
		if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, m.key), &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String("monitoring.coreos.com/v1"),
			Kind:        pulumi.String(m.kind),
			Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(m.name), Namespace: pulumi.String(SystemNamespace), Labels: labels},
			OtherFields: map[string]any{"spec": m.spec},
		}, opts...); err != nil {
			return fmt.Errorf("mesh %s: %w", m.key, err)
		}
	}
	return nil
}
