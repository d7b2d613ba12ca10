// Package kubeprovider builds the one explicit Kubernetes provider every in-cluster component uses, from the
// cluster component's kubeconfig. Nothing in the program may fall back to an ambient ~/.kube/config or
// KUBECONFIG: default providers are disabled in Pulumi.yaml and this is the only place a Kubernetes provider
// is constructed. It does not create any Kubernetes object.
package kubeprovider

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// New returns a Kubernetes provider named name for the cluster whose kubeconfig (a secret JSON or YAML
// document, as pulumi-eks emits it) is given. The kubeconfig stays a secret in state.
func New(ctx *pulumi.Context, name string, kubeconfig pulumi.StringInput, opts ...pulumi.ResourceOption) (*kubernetes.Provider, error) {
	if kubeconfig == nil {
		return nil, fmt.Errorf("kubernetes provider %q: kubeconfig is required", name)
	}
	p, err := kubernetes.NewProvider(ctx, name, &kubernetes.ProviderArgs{
		Kubeconfig: pulumi.ToSecret(kubeconfig.ToStringOutput()).(pulumi.StringOutput),
		// Server-side apply lets large CRDs (Prometheus operator, Istio) apply without the
		// last-applied-configuration annotation limit and resolves field ownership with other controllers.
		EnableServerSideApply: pulumi.Bool(true),
		// Helm hook resources are deliberately handled per chart (see docs/services.md); the warning is noise.
		SuppressHelmHookWarnings: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider %q: %w", name, err)
	}
	return p, nil
}
