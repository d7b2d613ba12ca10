package mesh

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/mockgraph"
)

func run(t *testing.T, args Args, preview bool) (mockgraph.Graph, error) {
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
		if args.NodeSecurityGroupId == nil {
			if preview {
				args.NodeSecurityGroupId = pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput)
			} else {
				args.NodeSecurityGroupId = pulumi.String("sg-0123456789abcdef0")
			}
		}
		_, err = NewMesh(ctx, "dev-mesh", &args)
		return err
	}, mockgraph.Options{Preview: preview})
	return g, err
}

func TestChartsFromCatalogueWithVerifiedKeys(t *testing.T) {
	g, err := run(t, Args{TracingService: "otel-collector.observability.svc.cluster.local"}, false)
	require.NoError(t, err)
	for key, chart := range map[string]string{"base": charts.IstioBase, "istiod-1-30-3": charts.Istiod, "gateway": charts.IstioGateway, "cni": charts.IstioCNI} {
		r := g.ByName(t, "dev-mesh-"+key)
		chartstest.AssertCatalogue(t, r.Type, r.Inputs, chart)
		chartstest.AssertKnownKeys(t, chart, chartstest.Values(t, r.Inputs))
		require.NotEmpty(t, r.Provider)
	}
}

func TestRevisionedControlPlane(t *testing.T) {
	g, err := run(t, Args{}, false)
	require.NoError(t, err)
	c, _ := charts.Lookup(charts.Istiod)
	require.Equal(t, "1-30-3", DefaultRevisionFor(c.Version))
	istiod := chartstest.Values(t, g.ByName(t, "dev-mesh-istiod-1-30-3").Inputs)
	require.Equal(t, DefaultRevisionFor(c.Version), istiod["revision"])
	require.Equal(t, []any{}, istiod["revisionTags"], "no release renders the tag: the mesh owns it")
	gw := chartstest.Values(t, g.ByName(t, "dev-mesh-gateway").Inputs)
	require.Equal(t, "stable", gw["revision"], "the gateway follows the tag")
	base := chartstest.Values(t, g.ByName(t, "dev-mesh-base").Inputs)
	require.Equal(t, istiod["revision"], base["defaultRevision"])
	require.Equal(t, map[string]string{"stable": "istiod-1-30-3"}, tagTargets(t, g))
}

// tagTargets maps each revision tag webhook to the istiod Service its injection calls, checking both its
// webhooks agree and the tag Service selects the same revision.
func tagTargets(t *testing.T, g mockgraph.Graph) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range g.OfType("kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration") {
		md := r.Inputs["metadata"].ObjectValue()
		tag := md["labels"].ObjectValue()["istio.io/tag"].StringValue()
		whs := r.Inputs["webhooks"].ArrayValue()
		require.Len(t, whs, 2)
		for _, wh := range whs {
			svc := wh.ObjectValue()["clientConfig"].ObjectValue()["service"].ObjectValue()["name"].StringValue()
			if prev, ok := out[tag]; ok {
				require.Equal(t, prev, svc)
			}
			out[tag] = svc
		}
		require.Equal(t, RevisionTagWebhookName(tag), md["name"].StringValue())
	}
	for _, r := range g.OfType("kubernetes:core/v1:Service") {
		sel := r.Inputs["spec"].ObjectValue()["selector"].ObjectValue()
		tag := r.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()["istio.io/tag"].StringValue()
		require.Equal(t, out[tag], "istiod-"+sel["istio.io/rev"].StringValue(), "tag Service selects the tagged revision")
	}
	return out
}

// Listing two revisions runs both istiod releases; the tag points where tagRevision says, and moving it
// changes neither release nor the tag's resource names (an in-place update), so no step deletes the
// revision live sidecars use.
func TestTwoRevisionsKeepBothAndTheTagMovesSeparately(t *testing.T) {
	revs := []Revision{{Name: "1-30-3"}, {Name: "1-30-3-canary"}}
	revisions := func(g mockgraph.Graph) map[string]string {
		out := map[string]string{}
		for _, r := range g.OfType(chartstest.ChartV4) {
			v := chartstest.Values(t, r.Inputs)
			if r.Inputs["chart"].StringValue() == "istiod" {
				out[r.Name] = v["revision"].(string)
			}
		}
		return out
	}
	resources := func(g mockgraph.Graph) []string {
		var out []string
		for _, r := range g.Resources {
			out = append(out, r.Type+"::"+r.Name)
		}
		sort.Strings(out)
		return out
	}
	before, err := run(t, Args{Revisions: revs, TagRevision: "1-30-3"}, false)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"dev-mesh-istiod-1-30-3": "1-30-3", "dev-mesh-istiod-1-30-3-canary": "1-30-3-canary"}, revisions(before))
	require.Equal(t, map[string]string{"stable": "istiod-1-30-3"}, tagTargets(t, before))
	require.Equal(t, "1-30-3", chartstest.Values(t, before.ByName(t, "dev-mesh-base").Inputs)["defaultRevision"])

	after, err := run(t, Args{Revisions: revs, TagRevision: "1-30-3-canary"}, false)
	require.NoError(t, err)
	require.Equal(t, revisions(before), revisions(after), "moving the tag keeps both revisions")
	require.Equal(t, map[string]string{"stable": "istiod-1-30-3-canary"}, tagTargets(t, after))
	require.Equal(t, resources(before), resources(after), "moving the tag creates and deletes nothing")
}

// A stack made when the mesh had one istiod release ("dev-mesh-istiod", which rendered the tag) keeps those
// identities: the release of the catalogue's version and the tag objects alias them.
func TestSingleReleaseStacksUpgradeInPlace(t *testing.T) {
	g, err := run(t, Args{}, false)
	require.NoError(t, err)
	const mesh = "platform:mesh:Mesh"
	const chart = "kubernetes:helm.sh/v4:Chart"
	urn := func(types, name string) string {
		return "urn:pulumi:dev::" + mockgraph.Project + "::" + types + "::" + name
	}
	require.Contains(t, g.ByName(t, "dev-mesh-istiod-1-30-3").Aliases, urn(mesh+"$"+chart, "dev-mesh-istiod"))
	require.Contains(t, g.ByName(t, "dev-mesh-revision-tag-webhook").Aliases,
		urn(mesh+"$"+chart+"$kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration", "dev-mesh-istiod:istio-revision-tag-stable"))
	require.Contains(t, g.ByName(t, "dev-mesh-revision-tag-service").Aliases,
		urn(mesh+"$"+chart+"$kubernetes:core/v1:Service", "dev-mesh-istiod:istio-system/istiod-revision-tag-stable"))
}

// Injected pods need no NET_ADMIN/NET_RAW: istio-cni is installed (kube-system, privileged DaemonSet) and
// every revision's injection relies on it.
func TestIstioCNIInstalledAndIstiodUsesIt(t *testing.T) {
	g, err := run(t, Args{Revisions: []Revision{{Name: "a"}, {Name: "b"}}, TagRevision: "a"}, false)
	require.NoError(t, err)
	cni := g.ByName(t, "dev-mesh-cni")
	require.Equal(t, "cni", cni.Inputs["chart"].StringValue())
	require.Equal(t, CNINamespace, cni.Inputs["namespace"].StringValue())
	for _, name := range []string{"dev-mesh-istiod-a", "dev-mesh-istiod-b"} {
		r := g.ByName(t, name)
		require.Equal(t, true, chartstest.Lookup(chartstest.Values(t, r.Inputs), "pilot", "cni", "enabled"), name)
		require.Contains(t, r.DependsOn, cni.URN, "%s waits for istio-cni", name)
	}
}

func TestStrictMTLSMeshWide(t *testing.T) {
	g, err := run(t, Args{}, false)
	require.NoError(t, err)
	var found bool
	for _, r := range g.OfType("kubernetes:security.istio.io/v1:PeerAuthentication") {
		md := r.Inputs["metadata"].ObjectValue()
		if md["namespace"].StringValue() == SystemNamespace && md["name"].StringValue() == "default" {
			found = true
			mode := r.Inputs["spec"].ObjectValue()["mtls"].ObjectValue()["mode"].StringValue()
			require.Equal(t, "STRICT", mode)
			_, hasSelector := r.Inputs["spec"].ObjectValue()["selector"]
			require.False(t, hasSelector, "mesh-wide policy must not have a selector")
		}
	}
	require.True(t, found, "mesh-wide PeerAuthentication in istio-system missing")
}

func TestControlPlaneCanReachIstiod(t *testing.T) {
	g, err := run(t, Args{}, false)
	require.NoError(t, err)
	ports := map[float64]bool{}
	for _, r := range g.OfType("aws:ec2/securityGroupRule:SecurityGroupRule") {
		require.Equal(t, "ingress", r.Inputs["type"].StringValue())
		require.Equal(t, "sg-0123456789abcdef0", r.Inputs["securityGroupId"].StringValue())
		require.Equal(t, r.Inputs["fromPort"].NumberValue(), r.Inputs["toPort"].NumberValue())
		require.True(t, r.Inputs["self"].BoolValue(), "source defaults to the shared cluster security group")
		require.NotEmpty(t, r.Provider)
		ports[r.Inputs["fromPort"].NumberValue()] = true
	}
	require.Equal(t, map[float64]bool{15017: true, 15012: true}, ports)
}

func TestExplicitControlPlaneSource(t *testing.T) {
	g, err := run(t, Args{ControlPlaneSecurityGroupId: pulumi.String("sg-cp")}, false)
	require.NoError(t, err)
	for _, r := range g.OfType("aws:ec2/securityGroupRule:SecurityGroupRule") {
		require.Equal(t, "sg-cp", r.Inputs["sourceSecurityGroupId"].StringValue())
	}
}

func TestGatewayNLBScheme(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         Args
		wantInternal bool
	}{
		{"internal by default", Args{}, true},
		{"internet-facing with source ranges", Args{InternetFacing: true, LoadBalancerSourceRanges: []string{"203.0.113.0/24"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := run(t, tc.args, false)
			require.NoError(t, err)
			v := chartstest.Values(t, g.ByName(t, "dev-mesh-gateway").Inputs)
			ann := chartstest.Lookup(v, "service", "annotations").(map[string]any)
			require.Equal(t, "nlb", ann["service.beta.kubernetes.io/aws-load-balancer-type"])
			_, internal := ann["service.beta.kubernetes.io/aws-load-balancer-internal"]
			require.Equal(t, tc.wantInternal, internal)
		})
	}
}

func TestTracingToCollector(t *testing.T) {
	g, err := run(t, Args{TracingService: "otel.observability.svc.cluster.local", TracingSamplingPercent: 5}, false)
	require.NoError(t, err)
	v := chartstest.Values(t, g.ByName(t, "dev-mesh-istiod-1-30-3").Inputs)
	providers := chartstest.Lookup(v, "meshConfig", "extensionProviders").([]any)
	otel := providers[0].(map[string]any)["opentelemetry"].(map[string]any)
	require.Equal(t, "otel.observability.svc.cluster.local", otel["service"])
	require.EqualValues(t, 4317, otel["port"])
	tel := g.Only(t, "kubernetes:telemetry.istio.io/v1:Telemetry")
	tr := tel.Inputs["spec"].ObjectValue()["tracing"].ArrayValue()[0].ObjectValue()
	require.EqualValues(t, 5, tr["randomSamplingPercentage"].NumberValue())
}

func TestNamespacesCarryPSALabels(t *testing.T) {
	g, err := run(t, Args{}, false)
	require.NoError(t, err)
	nss := g.OfType("kubernetes:core/v1:Namespace")
	require.Len(t, nss, 2)
	for _, ns := range nss {
		labels := ns.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()
		require.Equal(t, "baseline", labels["pod-security.kubernetes.io/enforce"].StringValue())
		require.Equal(t, "restricted", labels["pod-security.kubernetes.io/warn"].StringValue())
	}
}

func TestEvaluatesWithUnknownClusterOutputs(t *testing.T) {
	g, err := run(t, Args{}, true)
	require.NoError(t, err)
	require.Len(t, g.OfType("aws:ec2/securityGroupRule:SecurityGroupRule"), 2)
	require.Len(t, g.OfType(chartstest.ChartV4), 4)
}

func TestValidationReportsEveryProblem(t *testing.T) {
	a := Args{Istiod: Replicas{Min: 3, Max: 1}, InternetFacing: true, TracingSamplingPercent: 150}
	a.applyDefaults()
	err := ValidateArgs(&a)
	for _, want := range []string{"awsProvider is required", "kubeProvider is required", "nodeSecurityGroupId is required",
		"istiod replicas: need 1 <= min (3) <= max (1)", "loadBalancerSourceRanges is required", "tracingSamplingPercent 150"} {
		require.ErrorContains(t, err, want)
	}
	a = Args{Revisions: []Revision{{Name: "1-30-3"}, {Name: "Canary", Version: "1.0.0"}, {Name: "1-30-3"}}}
	a.applyDefaults()
	err = ValidateArgs(&a)
	for _, want := range []string{`revisions[1].name "Canary" must be a DNS label`, `revisions[1].version: istiod "1.0.0" is not a version`,
		`revisions[2].name "1-30-3" is listed twice`, "tagRevision is required with more than one revision"} {
		require.ErrorContains(t, err, want)
	}
	a = Args{Revisions: []Revision{{Name: "old"}}, TagRevision: "new"}
	a.applyDefaults()
	require.ErrorContains(t, ValidateArgs(&a), `tagRevision "new" is not one of the revisions`)
	a = Args{InternetFacing: true, LoadBalancerSourceRanges: []string{"0.0.0.0/0"}}
	a.applyDefaults()
	require.ErrorContains(t, ValidateArgs(&a), "0.0.0.0/0 opens the gateway to the internet")
}

// The gateway chart renders no budget unless asked: with two or more replicas a drain takes one at a time;
// a single replica gets none, which would block drains of its node.
func TestGatewayBudgetOnlyWithMoreThanOneReplica(t *testing.T) {
	for _, min := range []int{1, 2} {
		g, err := run(t, Args{Gateway: Replicas{Min: min, Max: 3}}, false)
		require.NoError(t, err)
		v := chartstest.Values(t, g.ByName(t, "dev-mesh-gateway").Inputs)
		chartstest.AssertKnownKeys(t, charts.IstioGateway, v)
		pdb, has := v["podDisruptionBudget"]
		if min == 1 {
			require.False(t, has)
			continue
		}
		require.Equal(t, map[string]any{"maxUnavailable": float64(1)}, pdb)
	}
}
