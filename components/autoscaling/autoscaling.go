// Package autoscaling provides the Autoscaling component: cluster-autoscaler (node autoscaling, with
// auto-discovery of the cluster's managed node groups so GPU pools scale up from zero using the node-template
// tags the gpupools component sets) through an IRSA role scoped by the cluster's tag, KEDA for
// event-driven workload scaling, and metrics-server, which serves the resource metrics API that
// HorizontalPodAutoscalers and KEDA's cpu/memory triggers read (EKS does not install it).
//
// It does not create node groups or the tags auto-discovery reads; it does not scale anything by itself.
package autoscaling

import (
	"fmt"
	"strings"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/clusterref"
	"github.com/platform-team/platform/internal/irsa"
	"github.com/platform-team/platform/internal/podsecurity"
)

const (
	componentType = "platform:autoscaling:Autoscaling"
	// DefaultNamespace holds both cluster-autoscaler and KEDA.
	DefaultNamespace = "autoscaling"
	// ClusterAutoscalerServiceAccount is the fixed service account name the IRSA role trusts.
	ClusterAutoscalerServiceAccount = "cluster-autoscaler"
	caRelease                       = "cluster-autoscaler"
	kedaRelease                     = "keda"
)

// Args configures autoscaling.
type Args struct {
	// Ref is the cluster the service runs on (providers, name, region, OIDC, tags). Required.
	clusterref.Ref
	// Namespace for both charts. Default: "autoscaling".
	Namespace string
	// ClusterAutoscalerImageTag must match the cluster's Kubernetes minor version (e.g. v1.33.0). Required.
	ClusterAutoscalerImageTag string
	// ClusterAutoscalerReplicas runs that many autoscaler pods (leader-elected). Default: 1.
	ClusterAutoscalerReplicas int
	// Expander picks the node group to grow: least-waste, priority, random, most-pods, price.
	// Default: "least-waste".
	Expander string
	// ScaleDownUnneededTime is how long a node must be unneeded before removal. Default: "10m".
	ScaleDownUnneededTime string
	// EnableKEDA installs KEDA. Default: false (zero value); the program enables it from config.
	EnableKEDA bool
	// KEDAOperatorReplicas runs that many KEDA operators. Default: 1.
	KEDAOperatorReplicas int
	// MetricsServerReplicas runs that many metrics-server pods in kube-system (the resource metrics API HPAs and
	// KEDA's cpu/memory triggers read; see metricsserver.go). More than one adds anti-affinity and a
	// PodDisruptionBudget. Default: 1.
	MetricsServerReplicas int
}

// Autoscaling is the component.
type Autoscaling struct {
	pulumi.ResourceState

	// ClusterAutoscalerRoleArn is the IRSA role the autoscaler assumes.
	ClusterAutoscalerRoleArn pulumi.StringOutput `pulumi:"clusterAutoscalerRoleArn"`
	// Namespace both charts run in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
}

var allowedExpanders = map[string]bool{"least-waste": true, "priority": true, "random": true, "most-pods": true, "price": true}

func (a *Args) applyDefaults() {
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if a.ClusterAutoscalerReplicas == 0 {
		a.ClusterAutoscalerReplicas = 1
	}
	if a.Expander == "" {
		a.Expander = "least-waste"
	}
	if a.ScaleDownUnneededTime == "" {
		a.ScaleDownUnneededTime = "10m"
	}
	if a.KEDAOperatorReplicas == 0 {
		a.KEDAOperatorReplicas = 1
	}
	if a.MetricsServerReplicas == 0 {
		a.MetricsServerReplicas = 1
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	p := a.Ref.Problems()
	if !strings.HasPrefix(a.ClusterAutoscalerImageTag, "v1.") {
		p = append(p, fmt.Sprintf("clusterAutoscalerImageTag %q must be a pinned v1.x.y tag matching the cluster version", a.ClusterAutoscalerImageTag))
	}
	if a.ClusterAutoscalerReplicas < 1 {
		p = append(p, "clusterAutoscalerReplicas must be >= 1")
	}
	if !allowedExpanders[a.Expander] {
		p = append(p, fmt.Sprintf("expander %q must be one of least-waste, priority, random, most-pods, price", a.Expander))
	}
	if a.KEDAOperatorReplicas < 1 {
		p = append(p, "kedaOperatorReplicas must be >= 1")
	}
	if a.MetricsServerReplicas < 1 {
		p = append(p, fmt.Sprintf("metricsServerReplicas must be >= 1 (got %d)", a.MetricsServerReplicas))
	}
	if len(p) > 0 {
		return fmt.Errorf("autoscaling: %s", strings.Join(p, "; "))
	}
	return nil
}

// ClusterAutoscalerPolicy is the IAM policy for cluster-autoscaler: read-only discovery calls (which IAM
// cannot scope by resource) plus scaling actions allowed only on auto scaling groups tagged as owned by this
// cluster, and node group descriptions only for this cluster's node groups.
func ClusterAutoscalerPolicy(clusterName string) (string, error) {
	return irsa.PolicyDocument(
		map[string]any{
			"Sid":    "Discover",
			"Effect": "Allow",
			"Action": []string{
				"autoscaling:DescribeAutoScalingGroups",
				"autoscaling:DescribeAutoScalingInstances",
				"autoscaling:DescribeLaunchConfigurations",
				"autoscaling:DescribeScalingActivities",
				"autoscaling:DescribeTags",
				"ec2:DescribeImages",
				"ec2:DescribeInstanceTypes",
				"ec2:DescribeLaunchTemplateVersions",
				"ec2:GetInstanceTypesFromInstanceRequirements",
			},
			"Resource": "*",
		},
		map[string]any{
			"Sid":      "DescribeOwnNodegroups",
			"Effect":   "Allow",
			"Action":   []string{"eks:DescribeNodegroup"},
			"Resource": fmt.Sprintf("arn:aws:eks:*:*:nodegroup/%s/*/*", clusterName),
		},
		map[string]any{
			"Sid":      "ScaleOwnGroups",
			"Effect":   "Allow",
			"Action":   []string{"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"},
			"Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{
				fmt.Sprintf("aws:ResourceTag/k8s.io/cluster-autoscaler/%s", clusterName): "owned",
			}},
		},
	)
}

// NewAutoscaling creates the namespace, the IRSA role and both charts.
func NewAutoscaling(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Autoscaling, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &Autoscaling{}
	opts = append(opts, a.Ref.Providers())
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	ns, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Baseline,
		Reason: "chart defaults of KEDA's admission webhooks are not verified against restricted; warn/audit report any gap",
	}, parent)
	if err != nil {
		return nil, err
	}

	policy := a.ClusterName.ToStringOutput().ApplyT(ClusterAutoscalerPolicy).(pulumi.StringOutput)
	role, err := irsa.NewRole(ctx, fmt.Sprintf("%s-%s", name, "cluster-autoscaler-irsa"), irsa.RoleArgs{
		OidcProviderArn: a.OidcProviderArn,
		OidcIssuer:      a.OidcIssuer,
		Namespace:       a.Namespace,
		ServiceAccount:  ClusterAutoscalerServiceAccount,
		Policy:          policy,
		Tags:            a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}

	inNs := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{ns})}
	ca, err := charts.Lookup(charts.ClusterAutoscaler)
	if err != nil {
		return nil, err
	}
	if _, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, caRelease), chartv4.Args(ca, caRelease, a.Namespace, ClusterAutoscalerValues(&a, a.ClusterName, role.Role.Arn)), append(inNs, pulumi.DependsOn([]pulumi.Resource{role.Policy}))...); err != nil {
		return nil, fmt.Errorf("autoscaling %s: %w", caRelease, err)
	}

	// kube-system exists in every cluster: no namespace to wait for.
	if err := newMetricsServer(ctx, name, &a, parent); err != nil {
		return nil, err
	}

	if a.EnableKEDA {
		kd, err := charts.Lookup(charts.KEDA)
		if err != nil {
			return nil, err
		}
		if _, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, kedaRelease), chartv4.Args(kd, kedaRelease, a.Namespace, KEDAValues(&a)), inNs...); err != nil {
			return nil, fmt.Errorf("autoscaling %s: %w", kedaRelease, err)
		}
	}

	comp.ClusterAutoscalerRoleArn = role.Role.Arn
	comp.Namespace = ns.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterAutoscalerRoleArn": comp.ClusterAutoscalerRoleArn,
		"namespace":                comp.Namespace,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// restrictedContainer is a container security context that satisfies the restricted Pod Security Standard.
func restrictedContainer() map[string]any {
	return map[string]any{
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem":   true,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
	}
}

// ClusterAutoscalerValues are the cluster-autoscaler chart values (keys checked against the pinned chart
// archive).
// clusterName and roleArn may be outputs.
func ClusterAutoscalerValues(a *Args, clusterName, roleArn pulumi.StringInput) map[string]any {
	return map[string]any{
		"cloudProvider": "aws",
		"awsRegion":     a.Region,
		"autoDiscovery": map[string]any{"clusterName": clusterName},
		"image":         map[string]any{"tag": a.ClusterAutoscalerImageTag},
		"replicaCount":  a.ClusterAutoscalerReplicas,
		"rbac": map[string]any{"serviceAccount": map[string]any{
			"create":      true,
			"name":        ClusterAutoscalerServiceAccount,
			"annotations": map[string]any{irsa.AnnotationKey: roleArn},
		}},
		"extraArgs": map[string]any{
			"expander":                      a.Expander,
			"balance-similar-node-groups":   true,
			"skip-nodes-with-system-pods":   false,
			"scale-down-unneeded-time":      a.ScaleDownUnneededTime,
			"skip-nodes-with-local-storage": false,
		},
		"securityContext": map[string]any{
			"runAsNonRoot":   true,
			"runAsUser":      65534,
			"fsGroup":        65534,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"containerSecurityContext": restrictedContainer(),
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "300Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "600Mi"},
		},
	}
}

// KEDAValues are the keda chart values (keys checked against the pinned chart archive). Images default to the
// chart's appVersion, which the exact chart version pins.
func KEDAValues(a *Args) map[string]any {
	res := func(cpu, mem string) map[string]any {
		return map[string]any{
			"requests": map[string]any{"cpu": cpu, "memory": mem},
			"limits":   map[string]any{"cpu": "1", "memory": "1000Mi"},
		}
	}
	values := map[string]any{
		// The operator always runs with --leader-elect (chart templates/manager/deployment.yaml).
		"operator": map[string]any{"replicaCount": a.KEDAOperatorReplicas},
		"resources": map[string]any{
			"operator":     res("100m", "100Mi"),
			"metricServer": res("100m", "100Mi"),
			"webhooks":     res("50m", "100Mi"),
		},
	}
	// More than one operator gets a PodDisruptionBudget; a single one gets none, which would block drains.
	if a.KEDAOperatorReplicas > 1 {
		values["podDisruptionBudget"] = map[string]any{"operator": map[string]any{"minAvailable": 1}}
	}
	return values
}
