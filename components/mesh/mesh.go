// Package mesh provides the Mesh component: Istio (base CRDs, one istiod release per revision, the revision
// tag namespaces inject with, istio-cni so injected pods need no NET_ADMIN/NET_RAW, and an ingress gateway
// behind an AWS NLB), a mesh-wide STRICT mTLS PeerAuthentication, a Telemetry resource sending traces to the
// OpenTelemetry collector, and the security group rules the EKS control plane needs to reach istiod's webhook
// (15017) and xDS (15012) ports on the nodes.
//
// Revisions are a list so an upgrade never deletes the control plane live sidecars use: add a revision, move
// the tag (TagRevision) in a separate change, restart workloads, then remove the old revision
// (docs/services.md). It does not label application namespaces for injection (teams opt in with
// istio.io/rev=<revision tag>) and does not route application traffic; see package canary.
package mesh

import (
	"fmt"
	"regexp"
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
	// Revisions are the istiod control planes to run side by side, each its own istiod release. Default: one
	// revision of the catalogue's istiod version, named after it ("1-30-3").
	Revisions []Revision
	// TagRevision is the revision RevisionTag points at (and the default revision: validation webhook,
	// gateway). Required when there is more than one revision, so adding a revision never moves the tag in
	// the same change. Default: the only revision.
	TagRevision string
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

// Revision is one istiod control plane.
type Revision struct {
	// Name is the revision (istio.io/rev), a DNS label. Default: Version with dots as dashes.
	Name string
	// Version of the istiod chart, one of charts.IstiodVersions(). Default: the catalogue's istiod version.
	Version string
}

// Mesh is the component.
type Mesh struct {
	pulumi.ResourceState

	// Revision the tag points at (the default revision).
	Revision pulumi.StringOutput `pulumi:"revision"`
	// Revisions installed, in the order given.
	Revisions pulumi.StringArrayOutput `pulumi:"revisions"`
	// RevisionTag namespaces use for injection.
	RevisionTag pulumi.StringOutput `pulumi:"revisionTag"`
	// GatewayNamespace holds the ingress gateway Service (type LoadBalancer).
	GatewayNamespace pulumi.StringOutput `pulumi:"gatewayNamespace"`
	// SystemNamespace is istiod's namespace (SystemNamespace), from the namespace resource.
	SystemNamespace pulumi.StringOutput `pulumi:"systemNamespace"`
}

// DefaultRevisionFor names a revision after an Istio version (revisions must be DNS labels: no dots).
func DefaultRevisionFor(version string) string {
	return strings.ReplaceAll(version, ".", "-")
}

func (a *Args) applyDefaults() {
	if len(a.Revisions) == 0 {
		a.Revisions = []Revision{{}}
	}
	revs := make([]Revision, len(a.Revisions))
	for i, r := range a.Revisions {
		if r.Version == "" {
			if c, err := charts.Lookup(charts.Istiod); err == nil {
				r.Version = c.Version
			}
		}
		if r.Name == "" {
			r.Name = DefaultRevisionFor(r.Version)
		}
		revs[i] = r
	}
	a.Revisions = revs
	if a.TagRevision == "" && len(a.Revisions) == 1 {
		a.TagRevision = a.Revisions[0].Name
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
	seen := map[string]bool{}
	for i, r := range a.Revisions {
		if !dnsLabelRe.MatchString(r.Name) {
			p = append(p, fmt.Sprintf("revisions[%d].name %q must be a DNS label (lowercase letters, digits, -)", i, r.Name))
		}
		if seen[r.Name] {
			p = append(p, fmt.Sprintf("revisions[%d].name %q is listed twice", i, r.Name))
		}
		seen[r.Name] = true
		if _, err := charts.IstiodAt(r.Version); err != nil {
			p = append(p, fmt.Sprintf("revisions[%d].version: %v", i, err))
		}
	}
	switch {
	case a.TagRevision == "" && len(a.Revisions) > 1:
		p = append(p, "tagRevision is required with more than one revision: name the revision the tag points at (moving it is its own change)")
	case a.TagRevision != "" && !seen[a.TagRevision]:
		p = append(p, fmt.Sprintf("tagRevision %q is not one of the revisions; the tag must point at an installed revision", a.TagRevision))
	}
	if a.TracingSamplingPercent < 0 || a.TracingSamplingPercent > 100 {
		p = append(p, fmt.Sprintf("tracingSamplingPercent %v must be within [0, 100]", a.TracingSamplingPercent))
	}
	if len(p) > 0 {
		return fmt.Errorf("mesh: %s", strings.Join(p, "; "))
	}
	return nil
}

var dnsLabelRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

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
	// istio-cni sets up each injected pod's traffic redirection from the node, so the injected init container
	// needs no NET_ADMIN/NET_RAW and pods in baseline or restricted namespaces can be injected. Its DaemonSet
	// is privileged, so it runs in kube-system rather than the baseline-enforced istio-system; istiod waits
	// for it so no pod is injected for CNI before the plugin is on the nodes.
	cni, err := install(ctx, name, "cni", charts.IstioCNI, CNINamespace, CNIValues(&a), parent, pulumi.DependsOnInputs(chartResources(base)))
	if err != nil {
		return nil, err
	}
	var tagged *helmv4.Chart
	for _, r := range a.Revisions {
		istiod, err := installRevision(ctx, name, &a, r, parent, pulumi.DependsOnInputs(chartResources(base)), pulumi.DependsOnInputs(chartResources(cni)))
		if err != nil {
			return nil, err
		}
		if r.Name == a.TagRevision {
			tagged = istiod
		}
	}
	if err := newRevisionTag(ctx, name, &a, comp, parent, pulumi.DependsOnInputs(chartResources(tagged))); err != nil {
		return nil, err
	}
	if _, err := install(ctx, name, "gateway", charts.IstioGateway, a.GatewayNamespace, GatewayValues(&a), parent,
		pulumi.DependsOn([]pulumi.Resource{gwNs}), pulumi.DependsOnInputs(chartResources(tagged))); err != nil {
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

	comp.Revision = pulumi.String(a.TagRevision).ToStringOutput()
	revNames := pulumi.StringArray{}
	for _, r := range a.Revisions {
		revNames = append(revNames, pulumi.String(r.Name))
	}
	comp.Revisions = revNames.ToStringArrayOutput()
	comp.RevisionTag = pulumi.String(a.RevisionTag).ToStringOutput()
	comp.GatewayNamespace = gwNs.Metadata.Name().Elem()
	comp.SystemNamespace = sysNs.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"revision":         comp.Revision,
		"revisions":        comp.Revisions,
		"revisionTag":      comp.RevisionTag,
		"gatewayNamespace": comp.GatewayNamespace,
		"systemNamespace":  comp.SystemNamespace,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// BaseValues are the istio base chart values: the default validation webhook points at the tagged revision.
func BaseValues(a *Args) map[string]any {
	return map[string]any{"defaultRevision": a.TagRevision}
}

// CNINamespace holds the istio-cni DaemonSet (privileged; kube-system has no Pod Security enforcement on EKS).
const CNINamespace = "kube-system"

// CNIValues are the istio cni chart values (keys checked against the pinned chart archive): the chart's
// defaults fit EKS's VPC CNI (chained plugin, /opt/cni/bin and /etc/cni/net.d); repair relabels a pod that
// started before the plugin was ready on its node instead of leaving it without redirection.
func CNIValues(_ *Args) map[string]any {
	return map[string]any{
		"cni": map[string]any{
			"chained": true,
			"repair":  map[string]any{"enabled": true},
		},
	}
}

// installRevision installs one istiod release. Its children keep the "<name>-istiod" prefix, and the
// revision named after the catalogue's version keeps the release's old resource name as an alias, so a stack
// created when the mesh had a single istiod release updates it in place instead of replacing it.
func installRevision(ctx *pulumi.Context, name string, a *Args, r Revision, opts ...pulumi.ResourceOption) (*helmv4.Chart, error) {
	c, err := charts.IstiodAt(r.Version)
	if err != nil {
		return nil, err
	}
	args := chartv4.Args(c, "istiod", SystemNamespace, IstiodValues(a, r))
	args.ResourcePrefix = pulumi.String(name + "-istiod")
	if latest, err := charts.Lookup(charts.Istiod); err == nil && r.Name == DefaultRevisionFor(latest.Version) {
		opts = append(opts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(name + "-istiod")}}))
	}
	ch, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-istiod-%s", name, r.Name), args, opts...)
	if err != nil {
		return nil, fmt.Errorf("mesh istiod revision %s: %w", r.Name, err)
	}
	return ch, nil
}

// IstiodValues are the istiod chart values of revision r (keys checked against the pinned chart archive).
// No release renders revision tags (revisionTags stays empty): the tag is the mesh's own resources
// (revisiontag.go), so moving it is an in-place change rather than objects moving between releases.
func IstiodValues(a *Args, r Revision) map[string]any {
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
		"revision":     r.Name,
		"revisionTags": []any{},
		"pilot": map[string]any{
			// Injection leaves traffic redirection to istio-cni: no istio-init container with NET_ADMIN/NET_RAW.
			"cni":              map[string]any{"enabled": true},
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
	values := map[string]any{
		// The gateway follows the tag, like the namespaces it serves: moving the tag and restarting the
		// gateway Deployment moves it to the new revision without a chart change.
		"revision": a.RevisionTag,
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
	// The chart renders no PodDisruptionBudget unless asked. With at least two replicas a drain may take one
	// at a time; a single replica gets none, which would block every drain of its node. (istiod's chart
	// adds its own budget exactly when autoscaleMin > 1, global.defaultPodDisruptionBudget.)
	if a.Gateway.Min > 1 {
		values["podDisruptionBudget"] = map[string]any{"maxUnavailable": 1}
	}
	return values
}
