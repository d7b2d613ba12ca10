// Package gpuruntime provides the GPURuntime component: the NVIDIA device plugin (so pods can request
// nvidia.com/gpu) and NVIDIA's DCGM exporter (GPU metrics for Prometheus), both scheduled only onto the GPU
// node pools via a node selector plus a toleration for the pools' nvidia.com/gpu NoSchedule taint.
//
// It does not install drivers or the container toolkit: the AL2023 NVIDIA EKS AMI ships both, which is why
// the device plugin chart is used instead of the GPU operator. It does not create node pools (gpupools does).
package gpuruntime

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/podsecurity"
)

// Default values, also stated on the Args fields.
const (
	DefaultNamespace       = "gpu-runtime"
	DefaultTaintKey        = "nvidia.com/gpu"
	DefaultNodeLabelKey    = "nvidia.com/gpu.present"
	DefaultNodeLabelValue  = "true"
	DevicePluginImageTag   = "v0.20.0"
	DCGMExporterImageTag   = "4.5.3-4.8.2-distroless"
	componentType          = "platform:gpuruntime:GPURuntime"
	devicePluginRelease    = "device-plugin"
	dcgmExporterRelease    = "dcgm-exporter"
	privilegedReasonDevice = "device plugin and DCGM exporter mount kubelet and driver host paths and DCGM needs SYS_ADMIN"
)

// Args configures the GPU runtime.
type Args struct {
	// KubeProvider is the explicit provider for the target cluster. Required.
	KubeProvider *kubernetes.Provider
	// Namespace for both workloads. Default: "gpu-runtime".
	Namespace string
	// NodeSelector selects GPU nodes; it must match a label the GPU pools put on their nodes.
	// Default: {"nvidia.com/gpu.present": "true"}.
	NodeSelector map[string]string
	// TaintKey is the key of the NoSchedule taint on GPU nodes, tolerated by both daemonsets.
	// Default: "nvidia.com/gpu".
	TaintKey string
	// EnableDCGMExporter installs the DCGM exporter. Default: false (zero value); the program enables it.
	EnableDCGMExporter bool
	// ServiceMonitor creates a Prometheus Operator ServiceMonitor for the DCGM exporter. Requires the
	// monitoring CRDs (observability component) to exist first. Default: false.
	ServiceMonitor bool
	// ServiceMonitorLabels are added to the ServiceMonitor so Prometheus selects it. Default: none.
	ServiceMonitorLabels map[string]string
}

// GPURuntime is the component.
type GPURuntime struct {
	pulumi.ResourceState

	// Namespace the GPU runtime runs in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// DevicePluginVersion is the device plugin chart version installed.
	DevicePluginVersion pulumi.StringOutput `pulumi:"devicePluginVersion"`
}

func (a *Args) applyDefaults() {
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if len(a.NodeSelector) == 0 {
		a.NodeSelector = map[string]string{DefaultNodeLabelKey: DefaultNodeLabelValue}
	}
	if a.TaintKey == "" {
		a.TaintKey = DefaultTaintKey
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var problems []string
	if a.KubeProvider == nil {
		problems = append(problems, "kubeProvider is required")
	}
	if a.ServiceMonitor && !a.EnableDCGMExporter {
		problems = append(problems, "serviceMonitor requires enableDcgmExporter")
	}
	if len(problems) > 0 {
		return fmt.Errorf("gpuruntime: %v", problems)
	}
	return nil
}

// NewGPURuntime creates the namespace and both charts.
func NewGPURuntime(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*GPURuntime, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &GPURuntime{}
	opts = append(opts, pulumi.Providers(a.KubeProvider))
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	ns, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Privileged, Reason: privilegedReasonDevice,
	}, parent)
	if err != nil {
		return nil, err
	}
	inNs := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{ns})}

	dp, err := charts.Lookup(charts.NvidiaDevicePlugin)
	if err != nil {
		return nil, err
	}
	if _, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, devicePluginRelease), chartv4.Args(dp, devicePluginRelease, a.Namespace, DevicePluginValues(&a)), inNs...); err != nil {
		return nil, fmt.Errorf("gpuruntime %s: %w", devicePluginRelease, err)
	}

	if a.EnableDCGMExporter {
		dc, err := charts.Lookup(charts.DCGMExporter)
		if err != nil {
			return nil, err
		}
		if _, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, dcgmExporterRelease), chartv4.Args(dc, dcgmExporterRelease, a.Namespace, DCGMExporterValues(&a)), inNs...); err != nil {
			return nil, fmt.Errorf("gpuruntime %s: %w", dcgmExporterRelease, err)
		}
	}

	comp.Namespace = ns.Metadata.Name().Elem()
	comp.DevicePluginVersion = pulumi.String(dp.Version).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace":           comp.Namespace,
		"devicePluginVersion": comp.DevicePluginVersion,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func gpuToleration(taintKey string) []any {
	return []any{map[string]any{"key": taintKey, "operator": "Exists", "effect": "NoSchedule"}}
}

func selector(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// DevicePluginValues are the nvidia-device-plugin chart values (keys checked against the pinned chart
// archive).
func DevicePluginValues(a *Args) map[string]any {
	return map[string]any{
		"image":        map[string]any{"tag": DevicePluginImageTag},
		"nodeSelector": selector(a.NodeSelector),
		"tolerations":  gpuToleration(a.TaintKey),
		// GPU feature discovery would pull in node-feature-discovery; the pools already label their nodes.
		"gfd": map[string]any{"enabled": false},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "50m", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "200m", "memory": "128Mi"},
		},
	}
}

// DCGMExporterValues are the dcgm-exporter chart values (keys checked against the pinned chart archive).
func DCGMExporterValues(a *Args) map[string]any {
	sm := map[string]any{
		"enabled": a.ServiceMonitor,
		// Every sample gets the node it was measured on as `node`, the label kube-state-metrics puts on
		// kube_node_labels: the GPU dashboard joins on it to group GPUs by pool. (The chart's ServiceMonitor adds
		// no such label by default: templates/service-monitor.yaml renders serviceMonitor.relabelings as given.)
		"relabelings": []any{map[string]any{
			"action": "replace", "sourceLabels": []any{"__meta_kubernetes_pod_node_name"}, "targetLabel": "node",
		}},
	}
	if len(a.ServiceMonitorLabels) > 0 {
		sm["additionalLabels"] = selector(a.ServiceMonitorLabels)
	}
	return map[string]any{
		"image":          map[string]any{"tag": DCGMExporterImageTag},
		"nodeSelector":   selector(a.NodeSelector),
		"tolerations":    gpuToleration(a.TaintKey),
		"serviceMonitor": sm,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "256Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "512Mi"},
		},
	}
}
