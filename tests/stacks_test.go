package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/cluster"
	"github.com/platform-team/platform/components/gpupools"
	"github.com/platform-team/platform/components/network"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/program"
)

// expectation is what each environment must look like, from the per-environment table.
type expectation struct {
	azs, nats      int
	publicEndpoint bool
	logTypes       int
	gpuCapacity    string
	gpuMinZero     bool // every pool scales to zero
}

var expectations = map[string]expectation{
	"dev":     {azs: 2, nats: 1, publicEndpoint: true, logTypes: 3, gpuCapacity: "SPOT", gpuMinZero: true},
	"staging": {azs: 2, nats: 2, publicEndpoint: false, logTypes: 5, gpuCapacity: "ON_DEMAND", gpuMinZero: true},
	"prod":    {azs: 3, nats: 3, publicEndpoint: false, logTypes: 5, gpuCapacity: "ON_DEMAND"},
}

func runStack(t *testing.T, env string, preview bool) (mockgraph.Graph, error) {
	t.Helper()
	st, err := LoadStack(filepath.Join(Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
	require.NoError(t, err)
	g, _, err := mockgraph.Run(t, program.Run, mockgraph.Options{Stack: env, Config: st.Config, SecretKeys: st.SecretKeys, Preview: preview})
	return g, err
}

func TestEachStackMeetsItsEnvironmentsInvariants(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			want := expectations[env]
			g, err := runStack(t, env, false)
			require.NoError(t, err)
			t.Logf("%s: %d resources (%d custom)", env, len(g.Resources), len(g.Custom()))

			zones := map[string]bool{}
			for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
				zones[s.Inputs["availabilityZone"].StringValue()] = true
			}
			assert.Len(t, zones, want.azs, "availability zones")
			assert.Len(t, g.OfType("aws:ec2/natGateway:NatGateway"), want.nats, "NAT gateways")

			cp := g.Only(t, "eks:index:Cluster")
			assert.True(t, cp.Remote, "the pulumi-eks cluster is a remote component")
			assert.True(t, cp.Inputs["endpointPrivateAccess"].BoolValue(), "private endpoint always on")
			assert.Equal(t, want.publicEndpoint, cp.Inputs["endpointPublicAccess"].BoolValue(), "public endpoint")
			if want.publicEndpoint {
				for _, c := range cp.Inputs["publicAccessCidrs"].ArrayValue() {
					assert.NotEqual(t, "0.0.0.0/0", c.StringValue())
				}
			}
			assert.Len(t, cp.Inputs["enabledClusterLogTypes"].ArrayValue(), want.logTypes, "control-plane log types")
			assert.True(t, cp.Inputs["skipDefaultNodeGroup"].BoolValue(), "no launch-configuration default node group")
			assert.Equal(t, "API", cp.Inputs["authenticationMode"].StringValue())
			assert.False(t, cp.Inputs["createOidcProvider"].BoolValue(), "the component owns the OIDC provider")
			assert.True(t, isSet(cp.Inputs["encryptionConfigKeyArn"]), "secrets envelope encryption with a CMK")
			for _, k := range g.OfType("aws:kms/key:Key") {
				assert.True(t, k.Inputs["enableKeyRotation"].BoolValue(), "%s rotation", k.Name)
				assert.Contains(t, k.Inputs["policy"].StringValue(), "AccountAdministers", "%s: every key is made by internal/kmskey", k.Name)
			}

			for _, lt := range g.OfType("aws:ec2/launchTemplate:LaunchTemplate") {
				md := lt.Inputs["metadataOptions"].ObjectValue()
				assert.Equal(t, "required", md["httpTokens"].StringValue(), "%s IMDSv2", lt.Name)
				assert.Equal(t, 1.0, md["httpPutResponseHopLimit"].NumberValue(), "%s hop limit", lt.Name)
				ebs := lt.Inputs["blockDeviceMappings"].ArrayValue()[0].ObjectValue()["ebs"].ObjectValue()
				assert.Equal(t, "true", ebs["encrypted"].StringValue(), "%s root volume encrypted", lt.Name)
				assert.Equal(t, "gp3", ebs["volumeType"].StringValue())
			}

			gpuGroups := 0
			for _, ng := range g.OfType("aws:eks/nodeGroup:NodeGroup") {
				assert.Contains(t, ng.IgnoreChanges, "scalingConfig.desiredSize", "%s: the autoscaler owns the size", ng.Name)
				if ng.ParentType() != gpupools.Type {
					assert.Equal(t, "AL2023_x86_64_STANDARD", ng.Inputs["amiType"].StringValue())
					continue
				}
				gpuGroups++
				assert.Equal(t, "AL2023_x86_64_NVIDIA", ng.Inputs["amiType"].StringValue())
				assert.Equal(t, want.gpuCapacity, ng.Inputs["capacityType"].StringValue(), ng.Name)
				taints := ng.Inputs["taints"].ArrayValue()
				require.Len(t, taints, 1, ng.Name)
				assert.Equal(t, "nvidia.com/gpu", taints[0].ObjectValue()["key"].StringValue())
				assert.Equal(t, "NO_SCHEDULE", taints[0].ObjectValue()["effect"].StringValue())
				if want.gpuMinZero {
					assert.Equal(t, 0.0, ng.Inputs["scalingConfig"].ObjectValue()["minSize"].NumberValue(), "%s scales to zero", ng.Name)
				}
			}
			assert.Positive(t, gpuGroups, "GPU pools exist")
			assert.NotEmpty(t, caTaintTags(g), "cluster-autoscaler node-template tags let pools scale from zero")

			assertExplicitProviderAndTags(t, g, env)
		})
	}
}

func caTaintTags(g mockgraph.Graph) []string {
	var out []string
	for _, r := range g.OfType("aws:autoscaling/tag:Tag") {
		k := r.Inputs["tag"].ObjectValue()["key"].StringValue()
		if strings.Contains(k, "node-template/taint/nvidia.com/gpu") {
			out = append(out, k)
		}
	}
	return out
}

// assertExplicitProviderAndTags: every AWS resource uses the stack's own provider (never a default one), and
// every taggable resource is tagged with a display Name; the provider carries the environment-wide tags.
func assertExplicitProviderAndTags(t *testing.T, g mockgraph.Graph, env string) {
	t.Helper()
	prov := g.Only(t, "pulumi:providers:aws")
	assert.Equal(t, "aws-"+env, prov.Name)
	dt := prov.Inputs["defaultTags"].ObjectValue()["tags"].ObjectValue()
	for _, k := range []resource.PropertyKey{"Environment", "Owner", "CostCenter", "ManagedBy"} {
		require.True(t, isSet(dt[k]), "provider default tag %s", k)
	}
	assert.Equal(t, env, dt["Environment"].StringValue())

	// These resource types take no tags argument in pulumi-aws v6.83.4.
	untaggable := map[string]bool{
		"aws:ec2/routeTableAssociation:RouteTableAssociation": true, "aws:iam/rolePolicy:RolePolicy": true,
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment": true, "aws:kms/alias:Alias": true, "aws:autoscaling/tag:Tag": true,
		"aws:ec2/securityGroupRule:SecurityGroupRule": true, "aws:s3/bucketPolicy:BucketPolicy": true,
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     true,
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       true,
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": true,
		"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               true,
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     true,
		"aws:s3/bucketLoggingV2:BucketLoggingV2":                                                     true,
		"aws:codebuild/webhook:Webhook":                                                              true,
	}
	for _, r := range g.Custom() {
		if !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		assert.True(t, strings.Contains(r.Provider, "::pulumi:providers:aws::aws-"+env+"::"),
			"%s %s uses provider %q, not the stack's explicit one", r.Type, r.Name, r.Provider)
		if !untaggable[r.Type] {
			tg, ok := r.Inputs["tags"]
			assert.True(t, ok && tg.IsObject() && isSet(tg.ObjectValue()["Name"]), "%s %s has no Name tag", r.Type, r.Name)
		}
	}
	// Remote components and non-AWS resources are the other places a default provider could sneak in.
	for _, r := range g.Resources {
		assert.NotContains(t, r.Provider, "::default_", "%s %s uses a default provider", r.Type, r.Name)
		// Custom resources and remote components (served by a provider plugin) need an explicit provider.
		if (r.Custom || r.Remote) && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			assert.NotEmpty(t, r.Provider, "%s %s has no explicit provider", r.Type, r.Name)
		}
	}
}

func TestChildrenAreParentedToTheirComponents(t *testing.T) {
	g, err := runStack(t, "dev", false)
	require.NoError(t, err)
	for _, r := range g.Custom() {
		assert.True(t, strings.HasPrefix(r.ParentType(), "platform:"), "%s %s is parented to %q, not a platform component", r.Type, r.Name, r.ParentType())
	}
	for _, typ := range []string{network.Type, cluster.Type, gpupools.Type} {
		assert.Equal(t, "pulumi:pulumi:Stack", g.Only(t, typ).ParentType(), "%s sits at the top of the stack", typ)
	}
}

// A first preview: nothing exists, so every output the providers compute is unknown. The SDK's mock monitor
// cannot carry an unknown value that is also secret (the kubeconfig the services' Kubernetes provider takes:
// "malformed RPC secret"), so this runs the foundation; the services' components test unknown cluster
// outputs themselves, and the end-to-end tests run a real first preview of whole stacks through the engine.
func TestAFirstPreviewOfTheFoundationEvaluatesWithUnknownOutputs(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		cfg, err := StackConfig(filepath.Join(Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
		require.NoError(t, err)
		g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
			c, err := config.Load(ctx)
			if err != nil {
				return err
			}
			_, err = program.Build(ctx, c)
			return err
		}, mockgraph.Options{Stack: env, Config: cfg, Preview: true})
		require.NoError(t, err, env)
		assert.NotEmpty(t, g.OfType("aws:eks/nodeGroup:NodeGroup"), "%s: node groups are planned even before the cluster exists", env)
		assert.NotEmpty(t, g.OfType("aws:iam/openIdConnectProvider:OpenIdConnectProvider"), "%s: the OIDC provider is planned with an unknown issuer", env)
	}
}

func TestKubeconfigIsASecretAndOutputsAreWired(t *testing.T) {
	cfg, err := StackConfig(filepath.Join(Root(), "Pulumi.prod.yaml"))
	require.NoError(t, err)
	var kube, oidc internals.UnsafeAwaitOutputResult
	_, _, err = mockgraph.Run(t, func(ctx *pulumi.Context) error {
		c, err := config.Load(ctx)
		if err != nil {
			return err
		}
		p, err := program.Build(ctx, c)
		if err != nil {
			return err
		}
		if kube, err = internals.UnsafeAwaitOutput(context.Background(), p.Cluster.KubeconfigJSON); err != nil {
			return err
		}
		oidc, err = internals.UnsafeAwaitOutput(context.Background(), p.Cluster.OidcProviderArn)
		return err
	}, mockgraph.Options{Stack: "prod", Config: cfg})
	require.NoError(t, err)
	assert.True(t, kube.Secret, "kubeconfig must be a secret")
	assert.Contains(t, kube.Value, "platform-prod")
	assert.Equal(t, "arn:aws:iam::"+mockgraph.Account+":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/"+mockgraph.OIDCID, oidc.Value)
}

func TestABadStackCreatesNothingAndNamesEveryProblem(t *testing.T) {
	cfg, err := StackConfig(filepath.Join(Root(), "tests", "testdata", "Pulumi.bad.yaml"))
	require.NoError(t, err)
	g, _, err := mockgraph.Run(t, program.Run, mockgraph.Options{Stack: "bad", Config: cfg})
	require.Error(t, err)
	for _, want := range []string{
		"network.azCount: must be >= 3",
		"network.natGateways: must be \"perAz\"",
		"cluster.endpoint.publicAccessCidrs[0]: \"0.0.0.0/0\" opens the API server",
		"cluster.endpoint.publicAccess: must be false in prod",
		"gpuPools.inference.instanceTypes[0]: \"m6i.large\" has no NVIDIA GPU",
		"vault.replicas:",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Empty(t, g.Resources, "nothing may be registered for an invalid configuration")
}

func TestPulumiYamlDocumentsEveryConfigKey(t *testing.T) {
	cfg, err := StackConfig(filepath.Join(Root(), "Pulumi.prod.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, cfg)
	proj, err := loadProject()
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(Root(), "Pulumi.yaml"))
	require.NoError(t, err)
	var missing []string
	known := map[string]bool{}
	for _, k := range config.Keys {
		full := config.Namespace + ":" + k.Name
		known[full] = true
		decl, ok := proj.Config[full]
		if k.Undeclared {
			// Documented in the comment block: declaring it would make it required or give a secret a default.
			assert.False(t, ok, "%s is declared in Pulumi.yaml although the loader says it is not", full)
			assert.Contains(t, string(raw), "#   "+full, "%s: Pulumi.yaml's comment block must document it", full)
			continue
		}
		if !ok || decl.Description == "" {
			missing = append(missing, k.Name)
			continue
		}
		// The CLI requires every declared key without a default, so required-ness must agree with the loader.
		assert.Equal(t, k.Required, decl.Default == nil, "%s: required in the loader <=> no default in Pulumi.yaml", k.Name)
		assert.False(t, k.Secret && !decl.Secret, "%s: a credential declared in Pulumi.yaml must be declared secret", k.Name)
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "Pulumi.yaml config: block must document these keys")
	// The other way round: a key Pulumi.yaml declares reaches every stack's config (its default is merged in),
	// so the loader must know it or every stack would be refused.
	for full := range proj.Config {
		if strings.HasPrefix(full, config.Namespace+":") {
			assert.True(t, known[full], "Pulumi.yaml declares %s, which internal/config.Keys does not know", full)
		}
	}
	dp, ok := proj.Config["pulumi:disable-default-providers"]
	require.True(t, ok, "default providers must be disabled")
	assert.Equal(t, []any{"*"}, dp.Value)
}

func isSet(v resource.PropertyValue) bool {
	if v.IsSecret() {
		return true
	}
	return !v.IsNull() && !(v.IsString() && v.StringValue() == "")
}

func TestProdProtectsWhatCannotBeRecreated(t *testing.T) {
	for env, want := range map[string]bool{"dev": false, "prod": true} {
		g, err := runStack(t, env, false)
		require.NoError(t, err)
		critical := append(g.OfType("aws:ec2/vpc:Vpc"), g.OfType("aws:kms/key:Key")...)
		critical = append(critical, g.Only(t, "eks:index:Cluster"))
		for _, r := range critical {
			assert.Equal(t, want, r.Protect, "%s: %s %s protect", env, r.Type, r.Name)
		}
	}
}

func TestAStackWithoutARequiredKeyIsRefusedAsTheCLIWould(t *testing.T) {
	f := filepath.Join(t.TempDir(), "Pulumi.partial.yaml")
	require.NoError(t, os.WriteFile(f, []byte("config:\n  platform:environment: dev\n"), 0o600))
	_, err := StackConfig(f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "platform:aws, platform:cluster, platform:network, platform:tags")
	assert.NotContains(t, err.Error(), "platform:gpuPools", "optional keys have defaults")
}
