// Package scanning provides the Scanning component: Trivy Operator, which scans every workload's images for
// vulnerabilities (and exposed secrets) and every workload, Service, Role and NetworkPolicy for
// misconfiguration, writes the findings as VulnerabilityReport / ConfigAuditReport objects next to the workload,
// and exports them as Prometheus metrics. Its ServiceMonitor puts those metrics into the stack's Prometheus, and a
// PrometheusRule alerts on critical vulnerabilities.
//
// It does not block anything: admission is the policy engine's job. The scan jobs themselves (image pulls, the
// vulnerability database download) only run on a real cluster.
package scanning

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/podsecurity"
)

const (
	componentType = "platform:scanning:Scanning"
	// DefaultNamespace runs the operator and (scanJobsInSameNamespace false) every scan job.
	DefaultNamespace = "trivy-system"
	release          = "trivy-operator"
	// RuleName is the PrometheusRule holding the scanning alerts.
	RuleName = "trivy-operator-alerts"
	// CriticalVulnerabilitiesAlert fires while a workload runs an image with critical vulnerabilities.
	CriticalVulnerabilitiesAlert = "ContainerImageCriticalVulnerabilities"
)

// Trivy Operator's metrics (pkg/metrics/collector.go at tag v0.30.1, the chart's appVersion: BuildFQName("trivy",
// "image", "vulnerabilities") and ("trivy", "resource", "configaudits")). trivy_image_vulnerabilities is a gauge
// per VulnerabilityReport and severity, labelled namespace (the report's, which is the workload's), name,
// resource_kind, resource_name, container_name, image_registry, image_repository, image_tag, image_digest and
// severity, whose values are "Critical", "High", "Medium", "Low" and "Unknown" (pkg/metrics/types.go).
const (
	ImageVulnerabilitiesMetric = "trivy_image_vulnerabilities"
	ConfigAuditsMetric         = "trivy_resource_configaudits"
	SeverityCritical           = "Critical"
)

// Args configures scanning.
type Args struct {
	// KubeProvider is the explicit provider. Required.
	KubeProvider *kubernetes.Provider
	// Namespace of the operator and its scan jobs. Default: "trivy-system".
	Namespace string
	// MonitorLabels go on the ServiceMonitor and the PrometheusRule, so the stack's Prometheus selects them even
	// with the chart's default selectors. Default: none.
	MonitorLabels map[string]string
	// AlertSeverity of the critical-vulnerability alert: "critical" pages (prod), "warning" opens a ticket.
	// Default: "warning".
	AlertSeverity string
	// AlertNamespaces limits the alert to these namespaces. Default: none (every namespace the operator scans).
	AlertNamespaces []string
	// ConcurrentScanJobs caps the scan jobs running at once. Default: 3.
	ConcurrentScanJobs int
}

// Scanning is the component.
type Scanning struct {
	pulumi.ResourceState

	// Namespace of the operator.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
}

func (a *Args) applyDefaults() {
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if a.AlertSeverity == "" {
		a.AlertSeverity = "warning"
	}
	if a.ConcurrentScanJobs == 0 {
		a.ConcurrentScanJobs = 3
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if a.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if a.AlertSeverity != "critical" && a.AlertSeverity != "warning" {
		p = append(p, fmt.Sprintf("alertSeverity must be critical or warning (got %q)", a.AlertSeverity))
	}
	if a.ConcurrentScanJobs < 1 {
		p = append(p, fmt.Sprintf("concurrentScanJobs must be >= 1 (got %d)", a.ConcurrentScanJobs))
	}
	for i, ns := range a.AlertNamespaces {
		if ns == "" || strings.ContainsAny(ns, `|.*+?()[]{}\"`) {
			p = append(p, fmt.Sprintf("alertNamespaces[%d]: %q must be one namespace name", i, ns))
		}
	}
	if len(p) > 0 {
		return fmt.Errorf("scanning: %s", strings.Join(p, "; "))
	}
	return nil
}

// NewScanning installs Trivy Operator and its alert. The ServiceMonitor and PrometheusRule need the Prometheus
// CRDs: create it after observability.
func NewScanning(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Scanning, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &Scanning{}
	opts = append(opts, pulumi.Providers(a.KubeProvider))
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	ns, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Baseline,
		Reason: "scan jobs run with the chart's pod template (no runAsNonRoot or seccomp profile), not verified against restricted",
	}, parent)
	if err != nil {
		return nil, err
	}
	inNs := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{ns})}
	c, err := charts.Lookup(charts.TrivyOperator)
	if err != nil {
		return nil, err
	}
	if _, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, release), chartv4.Args(c, release, a.Namespace, Values(&a)), inNs...); err != nil {
		return nil, fmt.Errorf("scanning chart: %w", err)
	}
	if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, "alerts"), &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("PrometheusRule"),
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(RuleName), Namespace: pulumi.String(a.Namespace),
			Labels: pulumi.ToStringMap(a.MonitorLabels),
		},
		OtherFields: map[string]any{"spec": RuleSpec(&a)},
	}, inNs...); err != nil {
		return nil, fmt.Errorf("scanning alerts: %w", err)
	}
	comp.Namespace = ns.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": comp.Namespace}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Values are the trivy-operator chart values (keys checked against the pinned chart archive).
//
// Scanners on: vulnerabilities (with exposed secrets, which the same image scan finds), configuration audit
// and RBAC assessment. Off: the infrastructure assessment, whose node-collector job mounts the node's
// /var/lib/kubelet, /etc/kubernetes and /etc/systemd (values.yaml nodeCollector.volumes), which the namespace's
// baseline Pod Security level refuses, and the cluster compliance reports, whose CIS and NSA specs read those
// node results. The operator is a single leader-elected replica (operator.leaderElectionId): a scanner that
// restarts loses nothing, so it gets no PodDisruptionBudget that would block a node drain (the chart has none).
func Values(a *Args) map[string]any {
	sm := map[string]any{
		"enabled": true,
		// honorLabels keeps the exported `namespace` label (the report's, i.e. the scanned workload's) instead of
		// overwriting it with the operator's namespace: the alert's namespace is the workload's.
		"honorLabels": true,
	}
	if len(a.MonitorLabels) > 0 {
		l := map[string]any{}
		for k, v := range a.MonitorLabels {
			l[k] = v
		}
		sm["labels"] = l
	}
	return map[string]any{
		"operator": map[string]any{
			"replicas":                      1,
			"vulnerabilityScannerEnabled":   true,
			"exposedSecretScannerEnabled":   true,
			"configAuditScannerEnabled":     true,
			"rbacAssessmentScannerEnabled":  true,
			"infraAssessmentScannerEnabled": false,
			"clusterComplianceEnabled":      false,
			// The metrics the alert reads: per-severity counts per report (on by default; set so a chart default
			// change cannot silently empty the alert).
			"metricsFindingsEnabled":  true,
			"scanJobsConcurrentLimit": a.ConcurrentScanJobs,
		},
		"trivy": map[string]any{
			// Reports keep every severity (the alert picks Critical); unfixed findings count too, since a
			// critical without a fix is still a risk someone must accept.
			"severity":      "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
			"ignoreUnfixed": false,
			"resources":     resourceBlock("100m", "128Mi", "500m", "512Mi"),
		},
		"resources":      resourceBlock("100m", "128Mi", "500m", "512Mi"),
		"serviceMonitor": sm,
	}
}

func resourceBlock(reqCPU, reqMem, limCPU, limMem string) map[string]any {
	return map[string]any{
		"requests": map[string]any{"cpu": reqCPU, "memory": reqMem},
		"limits":   map[string]any{"cpu": limCPU, "memory": limMem},
	}
}

// CriticalVulnerabilitiesExpr is the alert's expression: one series per workload container whose current image
// has at least one critical vulnerability, in AlertNamespaces if any.
func CriticalVulnerabilitiesExpr(a *Args) string {
	sel := fmt.Sprintf(`severity=%q`, SeverityCritical)
	if len(a.AlertNamespaces) > 0 {
		sel += fmt.Sprintf(`,namespace=~%q`, strings.Join(a.AlertNamespaces, "|"))
	}
	return fmt.Sprintf(`sum by (namespace, resource_kind, resource_name, container_name, image_repository, image_tag) (%s{%s}) > 0`,
		ImageVulnerabilitiesMetric, sel)
}

// RuleSpec is the PrometheusRule spec: the critical-vulnerability alert. `for: 15m` lets a rollout that replaces
// the image (and its report) finish before anyone is told; the report is rewritten when the operator rescans
// (scannerReportTTL, 24h by default), so a fixed image clears the alert within a day at the latest.
func RuleSpec(a *Args) map[string]any {
	return map[string]any{"groups": []any{map[string]any{
		"name": "trivy-operator",
		"rules": []any{map[string]any{
			"alert":  CriticalVulnerabilitiesAlert,
			"expr":   CriticalVulnerabilitiesExpr(a),
			"for":    "15m",
			"labels": map[string]any{"severity": a.AlertSeverity},
			"annotations": map[string]any{
				"summary":     "{{ $labels.namespace }}/{{ $labels.resource_name }} ({{ $labels.container_name }}) runs {{ $labels.image_repository }}:{{ $labels.image_tag }} with {{ $value }} critical vulnerabilities",
				"description": "kubectl -n {{ $labels.namespace }} get vulnerabilityreports -o wide lists the report; rebuild or bump the image to a fixed version.",
			},
		}},
	}}}
}
