package chartv4

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CRDTypes are the type tokens of a CustomResourceDefinition as a v4 Chart registers it.
var CRDTypes = []string{
	"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
	"kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition",
}

// KeepCRDs is a resource transform that gives every CustomResourceDefinition retainOnDelete, and protect when
// protect is set. Deleting a CRD deletes every custom resource of its kind in the cluster, so turning a chart
// off, renaming its release or replacing it must never take the CRDs with it: Pulumi forgets a retained CRD
// instead of deleting it, and refuses to delete a protected one at all. Charts that install CRDs (Istio base,
// External Secrets, KEDA, kube-prometheus-stack) render them as children of the v4 Chart, which is a packaged
// component; transforms reach packaged components' children (Pulumi docs, resource option "transforms"),
// where the older transformations and chart values cannot: of these charts' CRDs only some take annotations
// from values, and kube-prometheus-stack's come from a crds/ directory Helm never templates. (The v4 Chart
// itself turns a rendered "helm.sh/resource-policy: keep" into retainOnDelete, pulumi-kubernetes
// provider/pkg/provider/helm/v4/chart.go preregister, but has no such switch for protect.)
//
// A chart turned back on finds its CRDs still there: the provider's server-side apply takes over the existing
// object rather than failing on create.
func KeepCRDs(protect bool) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if !isCRD(args.Type) {
			return nil
		}
		opts := args.Opts
		opts.RetainOnDelete = true
		if protect {
			opts.Protect = true
		}
		return &pulumi.ResourceTransformResult{Props: args.Props, Opts: opts}
	}
}

func isCRD(typ string) bool {
	for _, t := range CRDTypes {
		if t == typ {
			return true
		}
	}
	return false
}
