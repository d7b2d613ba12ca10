package kubeprovider

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
)

func TestKubeconfigStaysSecret(t *testing.T) {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		_, err := New(ctx, "dev-k8s", pulumi.String(`{"apiVersion":"v1","kind":"Config"}`))
		return err
	}, mockgraph.Options{})
	require.NoError(t, err)
	p := g.Only(t, "pulumi:providers:kubernetes")
	require.True(t, p.Inputs["kubeconfig"].IsSecret(), "kubeconfig must be a secret input")
	require.True(t, p.Inputs["enableServerSideApply"].BoolValue())
}

// An unknown kubeconfig (first preview) is not tested here: the SDK's mock monitor disables the
// "outputValues" feature, and without it an unknown *secret* provider input cannot be marshalled
// ("malformed RPC secret: missing value"). The real engine supports output values. Components are tested
// with unknown cluster outputs instead (see components/*: TestEvaluatesWithUnknownClusterOutputs).

func TestNilKubeconfig(t *testing.T) {
	_, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		_, err := New(ctx, "dev-k8s", nil)
		return err
	}, mockgraph.Options{})
	require.ErrorContains(t, err, "kubeconfig is required")
}
