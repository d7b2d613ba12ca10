package autoscaling

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/clusterref"
	"github.com/platform-team/platform/internal/mockgraph"
)

const (
	issuer      = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	providerArn = "arn:aws:iam::111122223333:oidc-provider/" + issuer
)

func unknownString() pulumi.StringOutput {
	return pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput)
}

func run(t *testing.T, args Args, unknownCluster bool) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		ap, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.AWSProvider, args.KubeProvider = ap, kp
		if unknownCluster {
			args.ClusterName, args.OidcProviderArn, args.OidcIssuer = unknownString(), unknownString(), unknownString()
		} else {
			args.ClusterName, args.OidcProviderArn, args.OidcIssuer = pulumi.String("platform-dev"), pulumi.String(providerArn), pulumi.String(issuer)
		}
		_, err = NewAutoscaling(ctx, "dev-autoscaling", &args)
		return err
	}, mockgraph.Options{Preview: unknownCluster})
	return g, err
}

func baseArgs() Args {
	return Args{Ref: clusterref.Ref{Region: "eu-west-1"}, ClusterAutoscalerImageTag: "v1.33.0", EnableKEDA: true}
}

func TestClusterAutoscalerChartAndValues(t *testing.T) {
	g, err := run(t, baseArgs(), false)
	require.NoError(t, err)
	ca := g.ByName(t, "dev-autoscaling-cluster-autoscaler")
	chartstest.AssertCatalogue(t, ca.Type, ca.Inputs, charts.ClusterAutoscaler)
	v := chartstest.Values(t, ca.Inputs)
	chartstest.AssertKnownKeys(t, charts.ClusterAutoscaler, v)
	require.Equal(t, "platform-dev", chartstest.Lookup(v, "autoDiscovery", "clusterName"))
	require.Equal(t, "eu-west-1", v["awsRegion"])
	require.Equal(t, "v1.33.0", chartstest.Lookup(v, "image", "tag"))
	require.Equal(t, ClusterAutoscalerServiceAccount, chartstest.Lookup(v, "rbac", "serviceAccount", "name"))
	require.NotEmpty(t, chartstest.Lookup(v, "rbac", "serviceAccount", "annotations", "eks.amazonaws.com/role-arn"))
	require.Equal(t, "least-waste", chartstest.Lookup(v, "extraArgs", "expander"))
	require.NotEmpty(t, chartstest.Lookup(v, "resources", "limits"))

	keda := g.ByName(t, "dev-autoscaling-keda")
	chartstest.AssertCatalogue(t, keda.Type, keda.Inputs, charts.KEDA)
	chartstest.AssertKnownKeys(t, charts.KEDA, chartstest.Values(t, keda.Inputs))
}

// The role is assumable only by the autoscaler's service account of this cluster.
func TestIRSATrustIsScopedToServiceAccount(t *testing.T) {
	g, err := run(t, baseArgs(), false)
	require.NoError(t, err)
	role := g.Only(t, "aws:iam/role:Role")
	var doc struct {
		Statement []struct {
			Principal map[string]string
			Action    string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].StringValue()), &doc))
	require.Len(t, doc.Statement, 1)
	s := doc.Statement[0]
	require.Equal(t, providerArn, s.Principal["Federated"])
	require.Equal(t, "sts:AssumeRoleWithWebIdentity", s.Action)
	require.Equal(t, "system:serviceaccount:autoscaling:cluster-autoscaler", s.Condition["StringEquals"][issuer+":sub"])
	require.Equal(t, "sts.amazonaws.com", s.Condition["StringEquals"][issuer+":aud"])
	require.NotEmpty(t, role.Provider, "IAM role must use the explicit aws provider")
}

// Scaling actions are limited to groups tagged as owned by this cluster; nothing is *:*.
func TestPolicyScopedByClusterTag(t *testing.T) {
	g, err := run(t, baseArgs(), false)
	require.NoError(t, err)
	pol := g.Only(t, "aws:iam/rolePolicy:RolePolicy")
	var doc struct {
		Statement []struct {
			Sid       string
			Action    []string
			Resource  string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(pol.Inputs["policy"].StringValue()), &doc))
	found := false
	for _, s := range doc.Statement {
		require.NotContains(t, s.Action, "*")
		for _, a := range s.Action {
			if a == "autoscaling:SetDesiredCapacity" {
				found = true
				require.Equal(t, "owned", s.Condition["StringEquals"]["aws:ResourceTag/k8s.io/cluster-autoscaler/platform-dev"])
			}
		}
		if s.Sid == "DescribeOwnNodegroups" {
			require.Equal(t, "arn:aws:eks:*:*:nodegroup/platform-dev/*/*", s.Resource)
		}
	}
	require.True(t, found, "SetDesiredCapacity statement missing")
}

func TestKEDAOptional(t *testing.T) {
	a := baseArgs()
	a.EnableKEDA = false
	g, err := run(t, a, false)
	require.NoError(t, err)
	require.Len(t, g.OfType(chartstest.ChartV4), 2, "cluster-autoscaler and metrics-server")
	for _, c := range g.OfType(chartstest.ChartV4) {
		require.NotEqual(t, "dev-autoscaling-keda", c.Name)
	}
}

// A first preview has no cluster yet: every cluster output is unknown and the component must still plan.
func TestEvaluatesWithUnknownClusterOutputs(t *testing.T) {
	g, err := run(t, baseArgs(), true)
	require.NoError(t, err)
	require.Len(t, g.OfType(chartstest.ChartV4), 3, "cluster-autoscaler, metrics-server and KEDA")
	g.Only(t, "aws:iam/role:Role")
}

func TestValidationReportsEveryProblem(t *testing.T) {
	a := Args{ClusterAutoscalerImageTag: "latest", Expander: "cheapest", ClusterAutoscalerReplicas: -1}
	a.applyDefaults()
	err := ValidateArgs(&a)
	for _, want := range []string{"awsProvider is required", "kubeProvider is required", "clusterName is required",
		"region is required", `clusterAutoscalerImageTag "latest"`, `expander "cheapest"`, "clusterAutoscalerReplicas must be >= 1"} {
		require.ErrorContains(t, err, want)
	}
}

// KEDA's operator always elects a leader; more than one operator gets a PodDisruptionBudget, one gets none.
func TestKEDAOperatorBudgetOnlyWithMoreThanOneReplica(t *testing.T) {
	for _, replicas := range []int{1, 2} {
		a := baseArgs()
		a.KEDAOperatorReplicas = replicas
		g, err := run(t, a, false)
		require.NoError(t, err)
		v := chartstest.Values(t, g.ByName(t, "dev-autoscaling-keda").Inputs)
		chartstest.AssertKnownKeys(t, charts.KEDA, v)
		pdb, has := v["podDisruptionBudget"]
		if replicas == 1 {
			require.False(t, has, "a single operator must not carry a budget that blocks drains")
			continue
		}
		require.Equal(t, map[string]any{"operator": map[string]any{"minAvailable": float64(1)}}, pdb)
	}
}
