// Package mesh provides the Mesh component: Istio (base CRDs, a revisioned istiod and an ingress gateway
// behind an AWS NLB), a mesh-wide STRICT mTLS PeerAuthentication, a Telemetry resource sending traces to
// the OpenTelemetry collector, and the security group rules the EKS control plane needs to reach istiod's
// webhook (15017) and xDS (15012) ports on the nodes.
//
// It does not label application namespaces for injection (teams opt in with istio.io/rev=<revision tag>)
// and does not route application traffic; see package canary for weighted canary routing.
package mesh

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
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
	componentType = "platform:mesh:Mesh"
	// SystemNamespace is Istio's root namespace: mesh-wide policies live here.
	SystemNamespace = "istio-system"
	// DefaultGatewayNamespace holds the ingress gateway, apart from the control plane.
	DefaultGatewayNamespace = "istio-ingress"
	// TracingProvider is the extension provider name the Telemetry resource refers to.
	TracingProvider = "otel-tracing"
	// WebhookPort is istiod's sidecar-injection and validation webhook port, called by the API server.
	WebhookPort = 15017
	// XDSPort is istiod's xDS/CA port; the control plane reaches it for remote/validation traffic.
	XDSPort = 15012
)

// Replicas bounds an autoscaled deployment.
type Replicas struct {
	Min int
	Max int
}

// Args configures the mesh.
type Args struct {
	// AWSProvider is the explicit aws provider (security group rules). Required.
	AWSProvider *aws.Provider
	// KubeProvider is the explicit provider for the cluster. Required.
	KubeProvider *kubernetes.Provider
	// NodeSecurityGroupId is the security group the EKS managed nodes use (the EKS cluster security group).
	// Required.
	NodeSecurityGroupId pulumi.StringInput
	// ControlPlaneSecurityGroupId is the source allowed to reach 15017/15012. Default: NodeSecurityGroupId
	// itself, since the EKS cluster security group is attached to both the control-plane ENIs and the nodes.
	ControlPlaneSecurityGroupId pulumi.StringInput
	// Tags for AWS resources that take tags. Default: none.
	Tags pulumi.StringMapInput
	// Revision names this control plane (istio.io/rev). Default: the Istio chart version with dots as
	// dashes, e.g. "1-27-3", so an upgrade installs a new revision side by side.
	Revision string
	// RevisionTag is the stable alias namespaces label themselves with (istio.io/rev=<tag>); moving it to a
	// new revision is the canary upgrade's cut-over. Default: "stable".
	RevisionTag string
	// Istiod replicas (HPA bounds). Default: {1, 3}.
	Istiod Replicas
	// Gateway replicas (HPA bounds). Default: {1, 3}.
	Gateway Replicas
	// GatewayNamespace for the ingress gateway. Default: "istio-ingress".
	GatewayNamespace string
	// InternetFacing puts the gateway's NLB on public subnets. Default: false (internal NLB).
	InternetFacing bool
	// LoadBalancerSourceRanges restricts who may reach an internet-facing NLB. Required when InternetFacing.
	LoadBalancerSourceRanges []string
	// TracingService is the OTLP gRPC host of the OpenTelemetry collector (FQDN). Default: none (no tracing).
	TracingService string
	// TracingPort is the collector's OTLP gRPC port. Default: 4317.
	TracingPort int
	// TracingSamplingPercent of requests traced. Default: 1.
	TracingSamplingPercent float64
	// Monitoring creates a PodMonitor for every Envoy (sidecars and gateways: the istio_* metrics SLOs read) and
	// a ServiceMonitor for istiod (monitors.go). Needs the Prometheus Operator CRDs: order the mesh after
	// observability. Default: false.
	Monitoring bool
	// MonitorLabels are put on those monitors so the cluster's Prometheus selects them. Default: none.
	MonitorLabels map[string]string
}

// Mesh is the component.
type Mesh struct {
	pulumi.ResourceState

	// Revision of the installed control plane.
	Revision pulumi.StringOutput `pulumi:"revision"`
	// RevisionTag namespaces use for injection.
	RevisionTag pulumi.StringOutput `pulumi:"revisionTag"`
	// GatewayNamespace holds the ingress gateway Service (type LoadBalancer).
	GatewayNamespace pulumi.StringOutput `pulumi:"gatewayNamespace"`
}

// DefaultRevisionFor names a revision after an Istio version (revisions must be DNS labels: no dots).
func DefaultRevisionFor(version string) string {
	return strings.ReplaceAll(version, ".", "-")
}

func (a *Args) applyDefaults() {
	if a.Revision == "" {
		if c, err := charts.Lookup(charts.Istiod); err == nil {
			a.Revision = DefaultRevisionFor(c.Version)
		}
	}
	if a.RevisionTag == "" {
		a.RevisionTag = "stable"
	}
	if a.Istiod == (Replicas{}) {
		a.Istiod = Replicas{Min: 1, Max: 3}
	}
	if a.Gateway == (Replicas{}) {
		a.Gateway = Replicas{Min: 1, Max: 3}
	}
	if a.GatewayNamespace == "" {
		a.GatewayNamespace = DefaultGatewayNamespace
	}
	if a.TracingPort == 0 {
		a.TracingPort = 4317
	}
	if a.TracingSamplingPercent == 0 {
		a.TracingSamplingPercent = 1
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if a.AWSProvider == nil {
		p = append(p, "awsProvider is required")
	}
	if a.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if a.NodeSecurityGroupId == nil {
		p = append(p, "nodeSecurityGroupId is required")
	}
	for _, r := range []struct {
		name string
		r    Replicas
	}{{"istiod", a.Istiod}, {"gateway", a.Gateway}} {
		if r.r.Min < 1 || r.r.Max < r.r.Min {
			p = append(p, fmt.Sprintf("%s replicas: need 1 <= min (%d) <= max (%d)", r.name, r.r.Min, r.r.Max))
		}
	}
	if a.InternetFacing && len(a.LoadBalancerSourceRanges) == 0 {
		p = append(p, "loadBalancerSourceRanges is required for an internet-facing gateway")
	}
	for _, cidr := range a.LoadBalancerSourceRanges {
		if cidr == "0.0.0.0/0" || cidr == "::/0" {
			p = append(p, fmt.Sprintf("loadBalancerSourceRanges: %s opens the gateway to the internet; list client CIDRs", cidr))
		}
	}
	if a.TracingSamplingPercent < 0 || a.TracingSamplingPercent > 100 {
		p = append(p, fmt.Sprintf("tracingSamplingPercent %v must be within [0, 100]", a.TracingSamplingPercent))
	}
	if len(p) > 0 {
		return fmt.Errorf("mesh: %s", strings.Join(p, "; "))
	}
	return nil
}

func install(ctx *pulumi.Context, name, key, chartName, namespace string, values map[string]any, opts ...pulumi.ResourceOption) (*helmv4.Chart, error) {
	c, err := charts.Lookup(chartName)
	if err != nil {
		return nil, err
	}
	ch, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, key), chartv4.Args(c, key, namespace, values), opts...)
	if err != nil {
		return nil, fmt.Errorf("mesh %s: %w", key, err)
	}
	return ch, nil
}

// chartResources is the chart's rendered objects as a dependency list: depending on them (rather than on
// the remote Chart component) makes a dependent wait until every object, CRDs included, is created.
func chartResources(c *helmv4.Chart) pulumi.ResourceArrayOutput {
	return c.Resources.ApplyT(func(objs []any) []pulumi.Resource {
		out := make([]pulumi.Resource, 0, len(objs))
		for _, o := range objs {
			if r, ok := o.(pulumi.Resource); ok {
				out = append(out, r)
			}
		}
		return out
	}).(pulumi.ResourceArrayOutput)
}

// NewMesh creates the mesh.
func NewMesh(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Mesh, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &Mesh{}
	opts = append(opts, pulumi.Providers(a.AWSProvider, a.KubeProvider))
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// Security group rules first: without them the API server cannot call the injection webhook and
	// every pod creation in an injected namespace times out.
	source := a.ControlPlaneSecurityGroupId
	for _, port := range []struct {
		key  string
		port int
		desc string
	}{
		{"istiod-webhook", WebhookPort, "EKS control plane to istiod webhook"},
		{"istiod-xds", XDSPort, "EKS control plane to istiod xDS"},
	} {
		ruleArgs := &ec2.SecurityGroupRuleArgs{
			Type:            pulumi.String("ingress"),
			Protocol:        pulumi.String("tcp"),
			FromPort:        pulumi.Int(port.port),
			ToPort:          pulumi.Int(port.port),
			SecurityGroupId: a.NodeSecurityGroupId,
			Description:     pulumi.String(port.desc),
		}
		if source != nil {
			ruleArgs.SourceSecurityGroupId = source
		} else {
			ruleArgs.Self = pulumi.Bool(true)
		}
		if _, err := ec2.NewSecurityGroupRule(ctx, fmt.Sprintf("%s-%s", name, port.key), ruleArgs, parent); err != nil {
			return nil, fmt.Errorf("mesh %s rule: %w", port.key, err)
		}
	}

	sysNs, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "system-namespace"), podsecurity.NamespaceArgs{
		Name: SystemNamespace, Enforce: podsecurity.Baseline,
		Reason: "istiod chart defaults are not verified against restricted; warn/audit report any gap",
	}, parent)
	if err != nil {
		return nil, err
	}
	gwNs, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "gateway-namespace"), podsecurity.NamespaceArgs{
		Name: a.GatewayNamespace, Enforce: podsecurity.Baseline,
		Reason: "the injected gateway proxy sets the unprivileged-port sysctl, allowed by baseline",
		Labels: map[string]string{"istio.io/rev": a.RevisionTag},
	}, parent)
	if err != nil {
		return nil, err
	}

	base, err := install(ctx, name, "base", charts.IstioBase, SystemNamespace, BaseValues(&a), parent, pulumi.DependsOn([]pulumi.Resource{sysNs}))
	if err != nil {
		return nil, err
	}
	istiod, err := install(ctx, name, "istiod", charts.Istiod, SystemNamespace, IstiodValues(&a), parent,
		pulumi.DependsOnInputs(chartResources(base)))
	if err != nil {
		return nil, err
	}
	if _, err := install(ctx, name, "gateway", charts.IstioGateway, a.GatewayNamespace, GatewayValues(&a), parent,
		pulumi.DependsOn([]pulumi.Resource{gwNs}), pulumi.DependsOnInputs(chartResources(istiod))); err != nil {
		return nil, err
	}

	if a.Monitoring {
		if err := newMonitors(ctx, name, &a, parent, pulumi.DependsOn([]pulumi.Resource{sysNs})); err != nil {
			return nil, err
		}
	}

	crdReady := pulumi.DependsOnInputs(chartResources(base))
	if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, "mtls-strict"), &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("security.istio.io/v1"),
		Kind:       pulumi.String("PeerAuthentication"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String("default"), Namespace: pulumi.String(SystemNamespace)},
		OtherFields: map[string]any{
			"spec": map[string]any{"mtls": map[string]any{"mode": "STRICT"}},
		},
	}, parent, crdReady); err != nil {
		return nil, fmt.Errorf("mesh peer authentication: %w", err)
	}

	if a.TracingService != "" {
		if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, "telemetry"), &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("telemetry.istio.io/v1"),
			Kind:       pulumi.String("Telemetry"),
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String("mesh-default"), Namespace: pulumi.String(SystemNamespace)},
			OtherFields: map[string]any{
				"spec": map[string]any{"tracing": []any{map[string]any{
					"providers":                []any{map[string]any{"name": TracingProvider}},
					"randomSamplingPercentage": a.TracingSamplingPercent,
				}}},
			},
		}, parent, crdReady); err != nil {
			return nil, fmt.Errorf("mesh telemetry: %w", err)
		}
	}

	comp.Revision = pulumi.String(a.Revision).ToStringOutput()
	comp.RevisionTag = pulumi.String(a.RevisionTag).ToStringOutput()
	comp.GatewayNamespace = gwNs.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"revision":         comp.Revision,
		"revisionTag":      comp.RevisionTag,
		"gatewayNamespace": comp.GatewayNamespace,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// BaseValues are the istio base chart values: the default revision's validation webhook points at ours.
func BaseValues(a *Args) map[string]any {
	return map[string]any{"defaultRevision": a.Revision}
}

// IstiodValues are the istiod chart values (keys checked against the pinned chart archive).
func IstiodValues(a *Args) map[string]any {
	mesh := map[string]any{
		"enablePrometheusMerge": true,
		"accessLogFile":         "/dev/stdout",
		"accessLogEncoding":     "JSON",
	}
	if a.TracingService != "" {
		mesh["extensionProviders"] = []any{map[string]any{
			"name": TracingProvider,
			"opentelemetry": map[string]any{
				"service": a.TracingService,
				"port":    a.TracingPort,
			},
		}}
	}
	return map[string]any{
		"revision":     a.Revision,
		"revisionTags": []any{a.RevisionTag},
		"pilot": map[string]any{
			"autoscaleEnabled": true,
			"autoscaleMin":     a.Istiod.Min,
			"autoscaleMax":     a.Istiod.Max,
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "500m", "memory": "2Gi"},
				"limits":   map[string]any{"cpu": "2", "memory": "4Gi"},
			},
		},
		"meshConfig": mesh,
		"global": map[string]any{"proxy": map[string]any{"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
			"limits":   map[string]any{"cpu": "2", "memory": "1Gi"},
		}}},
	}
}

// GatewayValues are the istio gateway chart values (keys checked against the pinned chart archive).
func GatewayValues(a *Args) map[string]any {
	annotations := map[string]any{
		// The in-tree AWS cloud provider creates an NLB for this annotation; nothing else is needed in the
		// cluster. (With the AWS Load Balancer Controller installed, "external" plus target-type "ip" is the
		// better choice; the platform does not install it.)
		"service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
	}
	if !a.InternetFacing {
		annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] = "true"
	}
	service := map[string]any{"type": "LoadBalancer", "annotations": annotations}
	if len(a.LoadBalancerSourceRanges) > 0 {
		ranges := append([]string(nil), a.LoadBalancerSourceRanges...)
		sort.Strings(ranges)
		anyRanges := make([]any, len(ranges))
		for i, r := range ranges {
			anyRanges[i] = r
		}
		service["loadBalancerSourceRanges"] = anyRanges
	}
	return map[string]any{
		"revision": a.Revision,
		"service":  service,
		"autoscaling": map[string]any{
			"enabled":     true,
			"minReplicas": a.Gateway.Min,
			"maxReplicas": a.Gateway.Max,
		},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
			"limits":   map[string]any{"cpu": "2", "memory": "1Gi"},
		},
	}
}
