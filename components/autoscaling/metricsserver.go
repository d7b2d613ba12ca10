package autoscaling

import (
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
)

const (
	// MetricsServerNamespace is where metrics-server runs: kube-system, as the EKS add-on and upstream manifests
	// place it (its priority class is system-cluster-critical).
	MetricsServerNamespace = "kube-system"
	metricsServerRelease   = "metrics-server"
)

// metricsServerSelector are the chart's pod selector labels (templates/_helpers.tpl, metrics-server.selectorLabels,
// with the release named metricsServerRelease).
func metricsServerSelector() map[string]any {
	return map[string]any{"app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": metricsServerRelease}
}

// MetricsServerValues are the metrics-server chart values (keys checked against the pinned chart archive). EKS
// does not install metrics-server, and without it the resource metrics API (metrics.k8s.io) does not exist: every
// HorizontalPodAutoscaler on CPU or memory (istiod's, the gateway's) and KEDA's cpu/memory triggers stay at their
// minimum, reporting FailedGetResourceMetric. With more than one replica the pods spread over nodes (required
// anti-affinity, as upstream's high-availability manifest does) and a PodDisruptionBudget keeps one serving through
// node drains; metrics-server is stateless and needs no leader election. One replica carries no budget, so it never
// blocks a drain.
func MetricsServerValues(a *Args) map[string]any {
	v := map[string]any{
		"replicas": a.MetricsServerReplicas,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "200Mi"},
			"limits":   map[string]any{"memory": "400Mi"},
		},
		"podDisruptionBudget": map[string]any{"enabled": false},
	}
	if a.MetricsServerReplicas > 1 {
		v["podDisruptionBudget"] = map[string]any{"enabled": true, "minAvailable": 1}
		v["affinity"] = map[string]any{"podAntiAffinity": map[string]any{
			"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
				"topologyKey":   "kubernetes.io/hostname",
				"labelSelector": map[string]any{"matchLabels": metricsServerSelector()},
			}},
		}}
		// Replace one pod at a time without a surge pod that the anti-affinity could leave unschedulable.
		v["updateStrategy"] = map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": 0, "maxUnavailable": 1}}
	}
	return v
}

func newMetricsServer(ctx *pulumi.Context, name string, a *Args, opts ...pulumi.ResourceOption) error {
	c, err := charts.Lookup(charts.MetricsServer)
	if err != nil {
		return err
	}
	if _, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, metricsServerRelease),
		chartv4.Args(c, metricsServerRelease, MetricsServerNamespace, MetricsServerValues(a)), opts...); err != nil {
		return fmt.Errorf("autoscaling %s: %w", metricsServerRelease, err)
	}
	return nil
}
