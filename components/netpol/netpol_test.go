package netpol

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/netpol"
)

var testNet = netpol.Network{ControlPlaneCIDRs: []string{"10.0.144.0/22"}, APIServiceIP: "172.20.0.1", PrivateCIDRs: []string{"10.0.0.0/19"}}

func TestEachPolicyIsAChildLabelledWithItsFlow(t *testing.T) {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewNetworkPolicies(ctx, "np", &Args{
			KubeProvider: kp,
			Namespaces:   map[string]pulumi.StringInput{"vault": pulumi.String("vault")},
			Network:      testNet,
			Flows: []netpol.Flow{
				{Name: "webhook", From: netpol.APIServer, To: netpol.PodsIn("vault", "component", "webhook"), Ports: netpol.TCP(8080), Why: "x"},
			},
		})
		return err
	}, mockgraph.Options{})
	require.NoError(t, err)
	comp := g.Only(t, Type)
	var names []string
	for _, r := range g.OfType("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		names = append(names, r.Name)
		require.Equal(t, comp.URN, r.Parent)
		require.Contains(t, r.Provider, "pulumi:providers:kubernetes")
		meta := r.Inputs["metadata"].ObjectValue()
		require.Equal(t, "vault", meta["namespace"].StringValue())
		flow := meta["labels"].ObjectValue()[FlowLabel].StringValue()
		require.Equal(t, map[string]string{"np-vault-default-deny": "default-deny", "np-vault-ingress-webhook": "webhook"}[r.Name], flow)
	}
	require.ElementsMatch(t, []string{"np-vault-default-deny", "np-vault-ingress-webhook"}, names)
	deny := g.Named(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "np-vault-default-deny").Inputs["spec"].ObjectValue()
	require.True(t, deny["podSelector"].IsObject() && len(deny["podSelector"].ObjectValue()) == 0, "the deny selects every pod: %v", deny["podSelector"])
	require.False(t, deny.HasValue("ingress"))
	require.False(t, deny.HasValue("egress"))
}

func TestArgsAreRequiredAndTheFlowTableChecked(t *testing.T) {
	_, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewNetworkPolicies(ctx, "np", &Args{})
		return err
	}, mockgraph.Options{})
	require.ErrorContains(t, err, "a kube provider and at least one namespace are required")

	_, _, err = mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewNetworkPolicies(ctx, "np", &Args{
			KubeProvider: kp, Namespaces: map[string]pulumi.StringInput{"vault": pulumi.String("vault")},
			Flows: []netpol.Flow{{Name: "x", From: netpol.APIServer, To: netpol.PodsIn("vault"), Why: "x"}},
		})
		return err
	}, mockgraph.Options{})
	require.ErrorContains(t, err, "controlPlaneCidrs: required by the flows")
}
