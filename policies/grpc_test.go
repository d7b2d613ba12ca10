package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/platform-team/platform/policies/pack"
)

// dial connects to a started pack as the engine does.
func dial(t *testing.T, port int) pulumirpc.AnalyzerClient {
	t.Helper()
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewAnalyzerClient(conn)
}

func marshal(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	pm := resource.NewPropertyMapFromMapRepl(m, nil, func(v any) (resource.PropertyValue, bool) {
		pv, ok := v.(resource.PropertyValue)
		return pv, ok
	})
	s, err := plugin.MarshalProperties(pm, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepOutputValues: true})
	require.NoError(t, err)
	return s
}

// engineConfig turns a policies/config file into the Configure request the engine sends: every policy, at the
// level GetAnalyzerInfo reported unless the file overrides it, with the file's settings.
func engineConfig(t *testing.T, info *pulumirpc.AnalyzerInfo, file string) *pulumirpc.ConfigureAnalyzerRequest {
	t.Helper()
	cfg, err := pack.LoadConfigFile(file)
	require.NoError(t, err)
	req := &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{}}
	for _, p := range info.GetPolicies() {
		pc := &pulumirpc.PolicyConfig{EnforcementLevel: p.GetEnforcementLevel()}
		if o, ok := cfg.Policies[p.GetName()]; ok {
			if o.Level != "" {
				pc.EnforcementLevel = toRPCLevel(o.Level)
			}
			if len(o.Properties) > 0 {
				pc.Properties, err = structpb.NewStruct(o.Properties)
				require.NoError(t, err)
			}
		}
		req.PolicyConfig[p.GetName()] = pc
	}
	return req
}

func policyLevels(info *pulumirpc.AnalyzerInfo) map[string]pulumirpc.EnforcementLevel {
	out := map[string]pulumirpc.EnforcementLevel{}
	for _, p := range info.GetPolicies() {
		out[p.GetName()] = p.GetEnforcementLevel()
	}
	return out
}

// TestPluginHostProtocol drives the built executable over gRPC exactly as the engine's plugin host does for a
// stack run: Handshake, ConfigureStack, GetAnalyzerInfo, Configure, then Remediate/Analyze per resource and
// AnalyzeStack at the end.
func TestPluginHostProtocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := dial(t, startPack(t))

	dir := "/work/bin"
	_, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: "127.0.0.1:1", RootDirectory: &dir, ProgramDirectory: &dir})
	require.NoError(t, err)
	_, err = client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
		Stack: "acme-staging", Project: "platform", DryRun: true, Config: map[string]string{"platform:environment": "staging"},
	})
	require.NoError(t, err)

	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, packName, info.GetName())
	assert.True(t, info.GetSupportsConfig())
	assert.Contains(t, info.GetDescription(), `environment staging, from platform:environment`)
	require.Len(t, info.GetPolicies(), len(pack.Policies()))
	levels := policyLevels(info)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, levels["nat-per-az"], "staging default")
	assert.Equal(t, pulumirpc.EnforcementLevel_DISABLED, levels["gpu-pool-scale-to-zero"], "staging default")
	for _, p := range info.GetPolicies() {
		if p.GetName() == "multi-az" {
			assert.Equal(t, pulumirpc.PolicyType_POLICY_TYPE_STACK, p.GetPolicyType())
			assert.Contains(t, p.GetConfigSchema().GetProperties().AsMap(), "minAzs")
		}
		if p.GetName() == "eks-endpoint-restricted" {
			assert.Equal(t, "5.4.1", p.GetFramework().GetReference())
		}
	}

	plugInfo, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, packVersion, plugInfo.GetVersion())

	req := engineConfig(t, info, filepath.Join("config", "staging.json"))
	req.PolicyConfig["nat-per-az"].EnforcementLevel = pulumirpc.EnforcementLevel_MANDATORY
	_, err = client.Configure(ctx, req)
	require.NoError(t, err)

	// A GPU node group over the staging cap (8, from config/staging.json) and without the taint.
	gpu := &pulumirpc.AnalyzeRequest{
		Type: "aws:eks/nodeGroup:NodeGroup", Name: "staging-gpu-inference",
		Urn: "urn:pulumi:acme-staging::platform::platform:gpupools:GPUPools$aws:eks/nodeGroup:NodeGroup::staging-gpu-inference",
		Properties: marshal(t, map[string]any{
			"amiType": "AL2023_x86_64_NVIDIA", "instanceTypes": []any{"g6e.xlarge"},
			"scalingConfig":  map[string]any{"minSize": 0, "desiredSize": 0, "maxSize": 12},
			"launchTemplate": map[string]any{"id": "lt-1", "version": "1"},
			"subnetIds":      []any{"subnet-a", "subnet-b"},
			"tags":           map[string]any{"Environment": "staging", "Owner": "ml", "CostCenter": "cc-7"},
		}),
		Options: &pulumirpc.AnalyzerResourceOptions{Parent: "urn:pulumi:acme-staging::platform::platform:gpupools:GPUPools::staging-gpu"},
	}
	rem, err := client.Remediate(ctx, gpu)
	require.NoError(t, err)
	assert.Empty(t, rem.GetRemediations())
	resp, err := client.Analyze(ctx, gpu)
	require.NoError(t, err)
	got := map[string]*pulumirpc.AnalyzeDiagnostic{}
	for _, d := range resp.GetDiagnostics() {
		got[d.GetPolicyName()] = d
	}
	require.Contains(t, got, "gpu-pool-max-size")
	require.Contains(t, got, "gpu-nodegroup-taint")
	assert.Len(t, got, 2, "only the two faults")
	d := got["gpu-pool-max-size"]
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, d.GetEnforcementLevel())
	assert.Equal(t, gpu.GetUrn(), d.GetUrn())
	assert.Equal(t, packName, d.GetPolicyPackName())
	assert.Contains(t, d.GetMessage(), `aws:eks/nodeGroup:NodeGroup "staging-gpu-inference": scalingConfig.maxSize is 12, above the staging cap of 8`)

	// Unknown values during a preview: not applicable, never a violation. A secret is never echoed.
	preview := &pulumirpc.AnalyzeRequest{
		Type: "aws:eks/cluster:Cluster", Name: "staging", Urn: "urn:pulumi:acme-staging::platform::aws:eks/cluster:Cluster::staging",
		Properties: marshal(t, map[string]any{
			"version":   resource.MakeSecret(resource.NewStringProperty("1.19")),
			"vpcConfig": map[string]any{"endpointPublicAccess": resource.MakeComputed(resource.NewStringProperty("")), "endpointPrivateAccess": true},
			"encryptionConfig": map[string]any{"resources": []any{"secrets"},
				"provider": map[string]any{"keyArn": resource.NewOutputProperty(resource.Output{Known: false})}},
			"enabledClusterLogTypes": []any{"api", "audit", "authenticator"},
			"accessConfig":           map[string]any{"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": false},
			"tags":                   map[string]any{"Environment": "staging", "Owner": "platform", "CostCenter": "cc"},
		}),
		Options: &pulumirpc.AnalyzerResourceOptions{Protect: true},
	}
	resp, err = client.Analyze(ctx, preview)
	require.NoError(t, err)
	names := []string{}
	for _, d := range resp.GetDiagnostics() {
		names = append(names, d.GetPolicyName())
		assert.NotContains(t, d.GetMessage(), "1.19", "secret echoed")
	}
	assert.Equal(t, []string{"eks-supported-version"}, names, "only the decidable fault")
	assert.Contains(t, resp.GetDiagnostics()[0].GetMessage(), "version is [secret]")
	na := map[string]string{}
	for _, n := range resp.GetNotApplicable() {
		na[n.GetPolicyName()] = n.GetReason()
	}
	assert.Contains(t, na, "eks-endpoint-restricted")
	assert.Contains(t, na, "eks-secrets-encryption")
	assert.Contains(t, na["eks-endpoint-restricted"], "vpcConfig.endpointPublicAccess is unknown until apply")

	// AnalyzeStack gets state (outputs): one NAT for three AZs fails nat-per-az, made mandatory above.
	var stack []*pulumirpc.AnalyzerResource
	for _, az := range []string{"a", "b", "c"} {
		stack = append(stack, &pulumirpc.AnalyzerResource{
			Type: "aws:ec2/subnet:Subnet", Name: "private-" + az,
			Urn:        "urn:pulumi:acme-staging::platform::aws:ec2/subnet:Subnet::private-" + az,
			Properties: marshal(t, map[string]any{"id": "subnet-" + az, "availabilityZone": "eu-west-1" + az, "mapPublicIpOnLaunch": false}),
		})
	}
	stack = append(stack, &pulumirpc.AnalyzerResource{
		Type: "aws:ec2/natGateway:NatGateway", Name: "nat", Urn: "urn:pulumi:acme-staging::platform::aws:ec2/natGateway:NatGateway::nat",
		Properties: marshal(t, map[string]any{"id": "nat-1"}),
	})
	sresp, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: stack})
	require.NoError(t, err)
	var nat *pulumirpc.AnalyzeDiagnostic
	for _, d := range sresp.GetDiagnostics() {
		if d.GetPolicyName() == "nat-per-az" {
			nat = d
		}
	}
	require.NotNil(t, nat, "nat-per-az violation")
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, nat.GetEnforcementLevel(), "config override applied")
	assert.Contains(t, nat.GetMessage(), "1 NAT gateway(s)")

	// A bad config is refused with every problem named.
	bad := engineConfig(t, info, filepath.Join("config", "staging.json"))
	bad.PolicyConfig["multi-az"].Properties, _ = structpb.NewStruct(map[string]any{"minAZs": 3})
	_, err = client.Configure(ctx, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "policies.multi-az.minAZs: unknown setting; allowed: minAzs")
}

// TestWithoutConfigureStack: `pulumi policy analyze` never calls ConfigureStack or Handshake first; the pack
// answers anyway, at prod levels, or at the environment named by PLATFORM_POLICY_ENVIRONMENT.
func TestWithoutConfigureStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for env, wantNAT := range map[string]pulumirpc.EnforcementLevel{
		"":    pulumirpc.EnforcementLevel_MANDATORY,
		"dev": pulumirpc.EnforcementLevel_DISABLED,
	} {
		var extra []string
		if env != "" {
			extra = append(extra, "PLATFORM_POLICY_ENVIRONMENT="+env)
		}
		client := dial(t, startPack(t, extra...))
		plugInfo, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
		require.NoError(t, err)
		assert.Equal(t, packVersion, plugInfo.GetVersion())
		info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
		require.NoError(t, err)
		assert.Equal(t, wantNAT, policyLevels(info)["nat-per-az"], "env %q", env)
		resp, err := client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
			Type: "aws:kms/key:Key", Name: "k", Urn: "urn:pulumi:x::platform::aws:kms/key:Key::k",
			Properties: marshal(t, map[string]any{"enableKeyRotation": false}),
		})
		require.NoError(t, err)
		var ids []string
		for _, d := range resp.GetDiagnostics() {
			ids = append(ids, d.GetPolicyName())
		}
		assert.Contains(t, ids, "kms-key-rotation", strings.Join(ids, ","))
	}
}
