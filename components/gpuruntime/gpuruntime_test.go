package gpuruntime

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
		_, err = NewGPURuntime(ctx, "dev-gpu", &args)
		return err
	}, mockgraph.Options{})
	return g, err
}

func TestDevicePluginFromCatalogueOnGPUNodesOnly(t *testing.T) {
	g, err := run(t, Args{})
	require.NoError(t, err)

	dp := g.ByName(t, "dev-gpu-device-plugin")
	chartstest.AssertCatalogue(t, dp.Type, dp.Inputs, charts.NvidiaDevicePlugin)
	values := chartstest.Values(t, dp.Inputs)
	chartstest.AssertKnownKeys(t, charts.NvidiaDevicePlugin, values)
	require.Equal(t, map[string]any{"nvidia.com/gpu.present": "true"}, values["nodeSelector"])
	require.Equal(t, []any{map[string]any{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}}, values["tolerations"])
	require.Equal(t, DevicePluginImageTag, chartstest.Lookup(values, "image", "tag"))
	require.NotEmpty(t, chartstest.Lookup(values, "resources", "limits"))
	require.NotEmpty(t, dp.Provider, "chart must use the explicit kubernetes provider")

	require.Len(t, g.OfType(chartstest.ChartV4), 1, "DCGM exporter is off unless enabled")
}

func TestNamespaceIsPrivilegedWithReason(t *testing.T) {
	g, err := run(t, Args{Namespace: "gpu"})
	require.NoError(t, err)
	ns := g.Only(t, "kubernetes:core/v1:Namespace")
	md := ns.Inputs["metadata"].ObjectValue()
	require.Equal(t, "gpu", md["name"].StringValue())
	require.Equal(t, "privileged", md["labels"].ObjectValue()["pod-security.kubernetes.io/enforce"].StringValue())
	require.NotEmpty(t, md["annotations"].ObjectValue()["platform.io/pod-security-reason"].StringValue())
}

func TestDCGMExporterWithServiceMonitor(t *testing.T) {
	g, err := run(t, Args{
		EnableDCGMExporter: true, ServiceMonitor: true, TaintKey: "gpu",
		NodeSelector:         map[string]string{"accelerator": "nvidia"},
		ServiceMonitorLabels: map[string]string{"release": "kps"},
	})
	require.NoError(t, err)
	dc := g.ByName(t, "dev-gpu-dcgm-exporter")
	chartstest.AssertCatalogue(t, dc.Type, dc.Inputs, charts.DCGMExporter)
	values := chartstest.Values(t, dc.Inputs)
	chartstest.AssertKnownKeys(t, charts.DCGMExporter, values)
	require.Equal(t, true, chartstest.Lookup(values, "serviceMonitor", "enabled"))
	require.Equal(t, "kps", chartstest.Lookup(values, "serviceMonitor", "additionalLabels", "release"))
	// The GPU dashboard joins DCGM samples to kube_node_labels on `node`.
	relabel := chartstest.Lookup(values, "serviceMonitor", "relabelings").([]any)[0].(map[string]any)
	require.Equal(t, "node", relabel["targetLabel"])
	require.Equal(t, []any{"__meta_kubernetes_pod_node_name"}, relabel["sourceLabels"])
	require.Equal(t, map[string]any{"accelerator": "nvidia"}, values["nodeSelector"])
	require.Equal(t, "gpu", values["tolerations"].([]any)[0].(map[string]any)["key"])
}

func TestValidation(t *testing.T) {
	a := Args{ServiceMonitor: true}
	a.applyDefaults()
	err := ValidateArgs(&a)
	require.ErrorContains(t, err, "kubeProvider is required")
	require.ErrorContains(t, err, "serviceMonitor requires enableDcgmExporter")

	_, err = run(t, Args{ServiceMonitor: true})
	require.ErrorContains(t, err, "serviceMonitor requires enableDcgmExporter")
}
