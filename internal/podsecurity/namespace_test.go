package podsecurity

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
)

func TestLabelsAuditAndWarnRestricted(t *testing.T) {
	l := Labels(Privileged)
	require.Equal(t, "privileged", l["pod-security.kubernetes.io/enforce"])
	require.Equal(t, "restricted", l["pod-security.kubernetes.io/audit"])
	require.Equal(t, "restricted", l["pod-security.kubernetes.io/warn"])
}

func TestNamespaceValidation(t *testing.T) {
	for _, tc := range []struct {
		args NamespaceArgs
		want string
	}{
		{NamespaceArgs{Name: "a", Enforce: "open"}, `enforce level "open"`},
		{NamespaceArgs{Name: "a", Enforce: Baseline}, "a reason is required"},
		{NamespaceArgs{Enforce: Restricted}, "name is required"},
	} {
		_, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
			_, err := NewNamespace(ctx, "ns", tc.args)
			return err
		}, mockgraph.Options{})
		require.ErrorContains(t, err, tc.want)
	}
}

func TestNamespaceCarriesLabelsAndReason(t *testing.T) {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewNamespace(ctx, "ns", NamespaceArgs{Name: "istio-ingress", Enforce: Baseline, Reason: "sysctl",
			Labels: map[string]string{"istio.io/rev": "stable"}})
		return err
	}, mockgraph.Options{})
	require.NoError(t, err)
	md := g.Only(t, "kubernetes:core/v1:Namespace").Inputs["metadata"].ObjectValue()
	labels := md["labels"].ObjectValue()
	require.Equal(t, "baseline", labels["pod-security.kubernetes.io/enforce"].StringValue())
	require.Equal(t, "stable", labels["istio.io/rev"].StringValue())
	require.Equal(t, "sysctl", md["annotations"].ObjectValue()[ReasonAnnotation].StringValue())
}
