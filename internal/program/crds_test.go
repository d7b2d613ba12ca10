package program

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/tests"
)

// The charts that install CRDs render them as children of packaged v4 Charts, which the mock monitor does not
// expand; the stack transforms the program registers are applied here to the CRDs those charts would register,
// as the engine applies them to every resource of the stack.
func TestChartCRDsAreRetainedOnDeleteAndProtectedInProd(t *testing.T) {
	for env, protect := range map[string]bool{"dev": false, "staging": false, "prod": true} {
		raw, err := tests.StackConfig(filepath.Join(tests.Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
		require.NoError(t, err)
		g, rec, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
			cfg, err := config.Load(ctx)
			if err != nil {
				return err
			}
			p, err := Build(ctx, cfg)
			if err != nil {
				return err
			}
			_, err = buildServices(ctx, p, &cfg.Services)
			return err
		}, mockgraph.Options{Stack: env, Config: raw})
		require.NoError(t, err)

		charts := map[string]bool{}
		for _, r := range g.OfType("kubernetes:helm.sh/v4:Chart") {
			charts[r.Inputs["chart"].StringValue()] = true
		}
		for _, c := range []string{"base", "external-secrets", "keda", "trivy-operator"} {
			require.True(t, charts[c], "%s: chart %s installs CRDs", env, c)
		}
		// kube-prometheus-stack is a helm.sh/v3 Release whose CRDs come from its crds/ directory: Helm
		// installs those once and `helm uninstall` never deletes them (Helm docs, "Custom Resource
		// Definitions"), so removing the release keeps them without a transform.
		kps := false
		for _, r := range g.OfType("kubernetes:helm.sh/v3:Release") {
			kps = kps || r.Inputs["chart"].StringValue() == "kube-prometheus-stack"
		}
		require.True(t, kps, "%s: kube-prometheus-stack is a helm.sh/v3 Release", env)

		apply := func(typ, name string) pulumi.ResourceOptions {
			args := &pulumi.ResourceTransformArgs{Custom: true, Type: typ, Name: name, Props: pulumi.Map{}}
			for _, tr := range rec.StackTransforms() {
				if res := tr(context.Background(), args); res != nil {
					args.Props, args.Opts = res.Props, res.Opts
				}
			}
			return args.Opts
		}
		for _, crd := range []string{
			"dev-mesh-base:virtualservices.networking.istio.io",
			"platform-dev-external-secrets:externalsecrets.external-secrets.io",
			"platform-dev-autoscaling-keda:scaledobjects.keda.sh",
			// Trivy Operator's crds/ directory (vulnerabilityreports and the other report kinds): deleting it
			// would delete every report in the cluster.
			"platform-dev-scanning-trivy-operator:vulnerabilityreports.aquasecurity.github.io",
		} {
			o := apply("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", crd)
			assert.True(t, o.RetainOnDelete, "%s: %s must be retained on delete", env, crd)
			assert.Equal(t, protect, o.Protect, "%s: %s protected", env, crd)
		}
		o := apply("kubernetes:apps/v1:Deployment", "dev-mesh-istiod:istio-system/istiod-1-30-3")
		assert.False(t, o.RetainOnDelete || o.Protect, "%s: other chart objects are deleted with their chart", env)
	}
}
