package chartv4

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeepCRDsRetainsEveryCRDAndProtectsThemWhenAsked(t *testing.T) {
	for _, protect := range []bool{false, true} {
		tr := KeepCRDs(protect)
		for _, typ := range CRDTypes {
			got := tr(context.Background(), &pulumi.ResourceTransformArgs{
				Custom: true, Type: typ, Name: "kps:prometheuses.monitoring.coreos.com",
				Props: pulumi.Map{"metadata": pulumi.Map{"name": pulumi.String("prometheuses.monitoring.coreos.com")}},
				Opts:  pulumi.ResourceOptions{IgnoreChanges: []string{"x"}},
			})
			require.NotNil(t, got, typ)
			assert.True(t, got.Opts.RetainOnDelete, "%s retained", typ)
			assert.Equal(t, protect, got.Opts.Protect, "%s protected", typ)
			assert.Equal(t, []string{"x"}, got.Opts.IgnoreChanges, "other options are kept")
			assert.Contains(t, got.Props, "metadata", "properties are kept")
		}
		for _, typ := range []string{"kubernetes:apps/v1:Deployment", "kubernetes:helm.sh/v4:Chart", "kubernetes:monitoring.coreos.com/v1:Prometheus"} {
			assert.Nil(t, tr(context.Background(), &pulumi.ResourceTransformArgs{Type: typ}), "%s is left alone", typ)
		}
	}
}
