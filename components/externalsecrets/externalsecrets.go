// Package externalsecrets provides the ExternalSecrets component: the External Secrets Operator (ESO), so
// workloads consume secrets from Vault as ordinary Kubernetes Secrets.
//
// It does not connect ESO to any secret store: the per-team ClusterSecretStores that point at Vault are
// created by package vaultconfig once Vault is initialised and has the roles they log in with.
package externalsecrets

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/podsecurity"
)

const (
	componentType = "platform:externalsecrets:ExternalSecrets"
	// DefaultNamespace for the operator.
	DefaultNamespace = "external-secrets"
	// ServiceAccount is the operator's service account; Vault roles for ESO bind exactly this name.
	ServiceAccount = "external-secrets"
	release        = "external-secrets"
)

// Args configures the operator.
type Args struct {
	// KubeProvider is the explicit provider. Required.
	KubeProvider *kubernetes.Provider
	// Namespace. Default: "external-secrets".
	Namespace string
	// Replicas of the controller (leader-elected when > 1). Default: 1.
	Replicas int
}

// ExternalSecrets is the component.
type ExternalSecrets struct {
	pulumi.ResourceState

	// Namespace and ServiceAccount the operator runs as (what Vault roles bind).
	Namespace      pulumi.StringOutput `pulumi:"namespace"`
	ServiceAccount pulumi.StringOutput `pulumi:"serviceAccount"`
	// Ready resolves to the chart's objects (CRDs included): depend on it before creating stores.
	Ready pulumi.ResourceArrayOutput
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if a.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if a.Replicas < 1 {
		p = append(p, fmt.Sprintf("replicas must be >= 1 (got %d)", a.Replicas))
	}
	if len(p) > 0 {
		return fmt.Errorf("externalsecrets: %s", strings.Join(p, "; "))
	}
	return nil
}

// NewExternalSecrets installs the operator.
func NewExternalSecrets(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ExternalSecrets, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	if a.Namespace == "" {
		a.Namespace = DefaultNamespace
	}
	if a.Replicas == 0 {
		a.Replicas = 1
	}
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &ExternalSecrets{}
	opts = append(opts, pulumi.Providers(a.KubeProvider))
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	// The chart's defaults already meet the restricted profile (non-root, no capabilities, seccomp).
	ns, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Restricted,
	}, parent)
	if err != nil {
		return nil, err
	}
	c, err := charts.Lookup(charts.ExternalSecrets)
	if err != nil {
		return nil, err
	}
	chart, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, release), chartv4.Args(c, release, a.Namespace, Values(&a)), parent, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, fmt.Errorf("externalsecrets chart: %w", err)
	}
	comp.Namespace = ns.Metadata.Name().Elem()
	comp.ServiceAccount = pulumi.String(ServiceAccount).ToStringOutput()
	comp.Ready = chart.Resources.ApplyT(func(objs []any) []pulumi.Resource {
		out := make([]pulumi.Resource, 0, len(objs))
		for _, o := range objs {
			if r, ok := o.(pulumi.Resource); ok {
				out = append(out, r)
			}
		}
		return out
	}).(pulumi.ResourceArrayOutput)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace":      comp.Namespace,
		"serviceAccount": comp.ServiceAccount,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// Values are the external-secrets chart values (keys checked against the pinned chart archive).
func Values(a *Args) map[string]any {
	res := func(cpu, mem string) map[string]any {
		return map[string]any{
			"requests": map[string]any{"cpu": cpu, "memory": mem},
			"limits":   map[string]any{"cpu": "500m", "memory": "256Mi"},
		}
	}
	// The chart runs its controller (and cert controller) with leader election only when leaderElect is set
	// (templates/deployment.yaml, cert-controller-deployment.yaml: --enable-leader-election), so two replicas
	// without it reconcile every ExternalSecret twice at once. With more than one replica the controller and
	// the (stateless) webhook also get a PodDisruptionBudget; a single replica gets none, which would block
	// every node drain.
	ha := a.Replicas > 1
	pdb := map[string]any{"enabled": ha, "minAvailable": 1}
	return map[string]any{
		"installCRDs":         true,
		"replicaCount":        a.Replicas,
		"leaderElect":         ha,
		"podDisruptionBudget": pdb,
		"serviceAccount":      map[string]any{"create": true, "name": ServiceAccount},
		"resources":           res("50m", "64Mi"),
		"webhook": map[string]any{
			"replicaCount":        a.Replicas,
			"podDisruptionBudget": pdb,
			"resources":           res("20m", "64Mi"),
		},
		"certController": map[string]any{"resources": res("20m", "64Mi")},
	}
}
