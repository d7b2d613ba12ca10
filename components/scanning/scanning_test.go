package scanning

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
		_, err = NewScanning(ctx, "prod-scanning", &args)
		return err
	}, mockgraph.Options{})
	return g, err
}

// The operator comes from the catalogue with every values key known to chart 0.32.1; vulnerability and
// misconfiguration scanning are on, the node collector (host paths) is off, and the ServiceMonitor is on with the
// labels the stack's Prometheus selects and honorLabels, so `namespace` stays the scanned workload's.
func TestOperatorScansAndIsScraped(t *testing.T) {
	g, err := run(t, Args{MonitorLabels: map[string]string{"release": "kps"}, AlertSeverity: "critical"})
	require.NoError(t, err)
	c := g.ByName(t, "prod-scanning-trivy-operator")
	chartstest.AssertCatalogue(t, c.Type, c.Inputs, charts.TrivyOperator)
	v := chartstest.Values(t, c.Inputs)
	chartstest.AssertKnownKeys(t, charts.TrivyOperator, v)
	require.Equal(t, DefaultNamespace, c.Inputs["namespace"].StringValue())
	require.NotEmpty(t, c.Provider)
	for _, on := range []string{"vulnerabilityScannerEnabled", "configAuditScannerEnabled", "metricsFindingsEnabled"} {
		require.Equal(t, true, chartstest.Lookup(v, "operator", on), on)
	}
	require.Equal(t, false, chartstest.Lookup(v, "operator", "infraAssessmentScannerEnabled"), "node-collector needs host paths")
	require.EqualValues(t, 1, chartstest.Lookup(v, "operator", "replicas"))
	require.Equal(t, true, chartstest.Lookup(v, "serviceMonitor", "enabled"))
	require.Equal(t, true, chartstest.Lookup(v, "serviceMonitor", "honorLabels"))
	require.Equal(t, map[string]any{"release": "kps"}, chartstest.Lookup(v, "serviceMonitor", "labels"))
	require.Contains(t, chartstest.Lookup(v, "trivy", "severity"), "CRITICAL")

	ns := g.Only(t, "kubernetes:core/v1:Namespace").Inputs["metadata"].ObjectValue()
	require.Equal(t, DefaultNamespace, ns["name"].StringValue())
	require.Equal(t, "baseline", ns["labels"].ObjectValue()["pod-security.kubernetes.io/enforce"].StringValue())
	require.Contains(t, c.DependsOn, g.Only(t, "kubernetes:core/v1:Namespace").URN, "the chart waits for its namespace")
}

// The alert reads the operator's own metric (trivy_image_vulnerabilities, severity "Critical" as the operator
// writes it), keeps the workload's namespace, and pages only when asked (prod).
func TestCriticalVulnerabilityAlert(t *testing.T) {
	for _, tc := range []struct {
		args     Args
		severity string
		nsMatch  string
	}{
		{Args{AlertSeverity: "critical"}, "critical", ""},
		{Args{}, "warning", ""},
		{Args{AlertSeverity: "critical", AlertNamespaces: []string{"inference", "payments"}}, "critical", `namespace=~"inference|payments"`},
	} {
		tc.args.MonitorLabels = map[string]string{"release": "kps"}
		g, err := run(t, tc.args)
		require.NoError(t, err)
		r := g.Only(t, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
		meta := r.Inputs["metadata"].ObjectValue()
		require.Equal(t, "kps", meta["labels"].ObjectValue()["release"].StringValue())
		require.Equal(t, DefaultNamespace, meta["namespace"].StringValue())
		rules := r.Inputs["spec"].Mappable().(map[string]any)["groups"].([]any)[0].(map[string]any)["rules"].([]any)
		require.Len(t, rules, 1)
		rule := rules[0].(map[string]any)
		require.Equal(t, CriticalVulnerabilitiesAlert, rule["alert"])
		expr := rule["expr"].(string)
		require.Contains(t, expr, `trivy_image_vulnerabilities{severity="Critical"`)
		require.Contains(t, expr, "sum by (namespace,")
		require.Contains(t, expr, "> 0")
		if tc.nsMatch != "" {
			require.Contains(t, expr, tc.nsMatch)
		} else {
			require.NotContains(t, expr, "namespace=~")
		}
		require.Equal(t, tc.severity, rule["labels"].(map[string]any)["severity"])
	}
}

func TestValidation(t *testing.T) {
	_, err := run(t, Args{AlertSeverity: "page", ConcurrentScanJobs: -1, AlertNamespaces: []string{"prod-.*"}})
	require.ErrorContains(t, err, `alertSeverity must be critical or warning (got "page")`)
	require.ErrorContains(t, err, "concurrentScanJobs must be >= 1 (got -1)")
	require.ErrorContains(t, err, `alertNamespaces[0]: "prod-.*" must be one namespace name`)
	require.ErrorContains(t, ValidateArgs(&Args{AlertSeverity: "warning", ConcurrentScanJobs: 1}), "kubeProvider is required")
}
