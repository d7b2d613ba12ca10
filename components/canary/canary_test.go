package canary

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
)

func run(t *testing.T, args Args) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewCanaryRelease(ctx, "checkout", &args, pulumi.Provider(kp))
		return err
	}, mockgraph.Options{})
	return g, err
}

func TestWeightedSplitBetweenSubsets(t *testing.T) {
	g, err := run(t, Args{Namespace: "shop", Service: "checkout", StableVersion: "v1", CanaryVersion: "v2", CanaryWeight: 10, Port: 8080})
	require.NoError(t, err)

	dr := g.Only(t, "kubernetes:networking.istio.io/v1:DestinationRule")
	spec := dr.Inputs["spec"].ObjectValue()
	require.Equal(t, "checkout.shop.svc.cluster.local", spec["host"].StringValue())
	subsets := map[string]string{}
	for _, s := range spec["subsets"].ArrayValue() {
		o := s.ObjectValue()
		subsets[o["name"].StringValue()] = o["labels"].ObjectValue()["version"].StringValue()
	}
	require.Equal(t, map[string]string{"stable": "v1", "canary": "v2"}, subsets)
	require.NotEmpty(t, dr.Provider)

	vs := g.Only(t, "kubernetes:networking.istio.io/v1:VirtualService")
	routes := vs.Inputs["spec"].ObjectValue()["http"].ArrayValue()[0].ObjectValue()["route"].ArrayValue()
	weights := map[string]float64{}
	for _, r := range routes {
		o := r.ObjectValue()
		d := o["destination"].ObjectValue()
		require.EqualValues(t, 8080, d["port"].ObjectValue()["number"].NumberValue())
		weights[d["subset"].StringValue()] = o["weight"].NumberValue()
	}
	require.Equal(t, map[string]float64{"stable": 90, "canary": 10}, weights)
	require.Equal(t, "mesh", vs.Inputs["spec"].ObjectValue()["gateways"].ArrayValue()[0].StringValue())
}

func TestFullPromotion(t *testing.T) {
	g, err := run(t, Args{Namespace: "shop", Service: "checkout", StableVersion: "v1", CanaryVersion: "v2", CanaryWeight: 100,
		Gateways: []string{"istio-ingress/public"}, Hosts: []string{"shop.example.com"}})
	require.NoError(t, err)
	vs := g.Only(t, "kubernetes:networking.istio.io/v1:VirtualService").Inputs["spec"].ObjectValue()
	require.Equal(t, "shop.example.com", vs["hosts"].ArrayValue()[0].StringValue())
	routes := vs["http"].ArrayValue()[0].ObjectValue()["route"].ArrayValue()
	require.EqualValues(t, 0, routes[0].ObjectValue()["weight"].NumberValue())
	require.EqualValues(t, 100, routes[1].ObjectValue()["weight"].NumberValue())
}

func TestValidationReportsEveryProblemAndCreatesNothing(t *testing.T) {
	g, err := run(t, Args{Namespace: "Shop", Service: "", StableVersion: "v1", CanaryVersion: "v1", CanaryWeight: 120, Port: -1})
	for _, want := range []string{`namespace "Shop" must be a DNS-1123 label`, `service "" must be a DNS-1123 label`,
		`both "v1"`, "canaryWeight 120 must be within [0, 100]", "port -1"} {
		require.ErrorContains(t, err, want)
	}
	require.Empty(t, g.OfType("kubernetes:networking.istio.io/v1:VirtualService"))
	require.Empty(t, g.OfType("kubernetes:networking.istio.io/v1:DestinationRule"))
}
