//go:build e2e

package driver_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/sandbox/driver"
)

// repoRoot finds the repository root (for bin/pulumi and the stand-in).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found")
		dir = parent
	}
}

// tinyProject writes a minimal project whose program the test supplies, so the
// driver is tested without the platform program.
func tinyProject(t *testing.T, cidr string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: tiny\nruntime: go\n"), 0o644))
	stack := "config:\n  tiny:cidr: " + cidr + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte(stack), 0o644))
	return dir
}

// tinyProgram uses generic registrations (no provider SDK), an explicit aws
// provider, an invoke, and a remote eks component with a key child.
func tinyProgram(ctx *pulumi.Context) error {
	var prov pulumi.ProviderResourceState
	if err := ctx.RegisterResource("pulumi:providers:aws", "aws", pulumi.Map{
		"region":      pulumi.String("eu-west-1"),
		"defaultTags": pulumi.Map{"tags": pulumi.Map{"Environment": pulumi.String("dev")}},
	}, &prov); err != nil {
		return err
	}
	var azs map[string]any
	// The stand-in region holds an opted-in Local Zone that sorts first; ask only for AZs, as the program does.
	zoneOnly := map[string]any{"filters": []map[string]any{{"name": "zone-type", "values": []string{"availability-zone"}}}}
	if err := ctx.Invoke("aws:index/getAvailabilityZones:getAvailabilityZones", zoneOnly, &azs, pulumi.Provider(&prov)); err != nil {
		return err
	}
	cidr, _ := ctx.GetConfig("tiny:cidr")
	var vpc pulumi.CustomResourceState
	if err := ctx.RegisterResource("aws:ec2/vpc:Vpc", "vpc", pulumi.Map{
		"cidrBlock": pulumi.String(cidr),
		"tags":      pulumi.Map{"Name": pulumi.String("tiny"), "Zone": pulumi.String(azs["names"].([]any)[0].(string))},
	}, &vpc, pulumi.Provider(&prov)); err != nil {
		return err
	}
	var cluster pulumi.ResourceState
	if err := ctx.RegisterRemoteComponentResource("eks:index:Cluster", "tiny", pulumi.Map{
		"name":                   pulumi.String("tiny"),
		"version":                pulumi.String("1.34"),
		"subnetIds":              pulumi.StringArray{pulumi.String("subnet-1"), pulumi.String("subnet-2")},
		"vpcId":                  vpc.ID(),
		"skipDefaultNodeGroup":   pulumi.Bool(true),
		"useDefaultVpcCni":       pulumi.Bool(true),
		"authenticationMode":     pulumi.String("API"),
		"enabledClusterLogTypes": pulumi.StringArray{pulumi.String("api"), pulumi.String("audit")},
	}, &cluster, pulumi.Providers(&prov)); err != nil {
		return err
	}
	// A managed node group that finds its cluster through a resource reference.
	var ng pulumi.ResourceState
	if err := ctx.RegisterRemoteComponentResource("eks:index:ManagedNodeGroup", "tiny-gpu", pulumi.Map{
		"cluster":       pulumi.NewResourceInput(&cluster),
		"nodeRoleArn":   pulumi.String("arn:aws:iam::123456789012:role/node"),
		"subnetIds":     pulumi.StringArray{pulumi.String("subnet-1")},
		"instanceTypes": pulumi.StringArray{pulumi.String("g6.xlarge")},
		"amiType":       pulumi.String("AL2023_x86_64_NVIDIA"),
		"scalingConfig": pulumi.Map{"minSize": pulumi.Int(0), "desiredSize": pulumi.Int(0), "maxSize": pulumi.Int(2)},
	}, &ng, pulumi.Providers(&prov)); err != nil {
		return err
	}
	// Kubernetes objects and charts go through the real provider and API server: the whole-program e2e
	// tests (tests/e2e) cover them.
	return nil
}

type resources []struct {
	Type     string         `json:"type"`
	ID       string         `json:"id"`
	Inputs   map[string]any `json:"inputs"`
	Outputs  map[string]any `json:"outputs"`
	Provider string         `json:"provider"`
}

func exported(t *testing.T, sb *driver.Sandbox) resources {
	t.Helper()
	dep, err := sb.Export(context.Background())
	require.NoError(t, err)
	var d struct {
		Resources resources `json:"resources"`
	}
	require.NoError(t, json.Unmarshal(dep.Deployment, &d))
	return d.Resources
}

// openTiny opens the tiny project (a VPC with the given CIDR) in its own sandbox.
func openTiny(t *testing.T, cidr string) *driver.Sandbox {
	root := repoRoot(t)
	sb, err := driver.Open(context.Background(), driver.Options{
		RepoRoot:   tinyProject(t, cidr),
		StateDir:   t.TempDir(),
		PulumiBin:  filepath.Join(root, "bin", "pulumi"),
		StandinBin: filepath.Join(root, "bin", "pulumi-resource-standin"),
		BinDir:     filepath.Join(root, "bin"),
		// The tiny project lives in a temporary directory: name the repository's chart source.
		ChartSource: filepath.Join(filepath.Dir(root), "shared", "charts"),
		Program:     tinyProgram,
	})
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	return sb
}

func TestDriverLifecycleOnATinyProgram(t *testing.T) {
	ctx := context.Background()
	sb := openTiny(t, "10.0.0.0/16")

	pre, err := sb.Preview(ctx)
	require.NoError(t, err)
	assert.Greater(t, pre.Changes["create"], 4, "stack, provider, vpc, component and its children")

	up, err := sb.Up(ctx)
	require.NoError(t, err)
	assert.Equal(t, pre.Changes["create"], up.Changes["create"], "up creates what preview planned")

	again, err := sb.Preview(ctx)
	require.NoError(t, err)
	assert.Zero(t, again.Changed(), "second preview must show no changes: %v\n%s", again.Changes, again.Stdout)

	byType := map[string][]int{}
	res := exported(t, sb)
	for i, r := range res {
		byType[r.Type] = append(byType[r.Type], i)
	}
	require.Len(t, byType["aws:ec2/vpc:Vpc"], 1)
	vpc := res[byType["aws:ec2/vpc:Vpc"][0]]
	assert.True(t, strings.HasPrefix(vpc.ID, "vpc-"), vpc.ID)
	assert.Equal(t, "dev", vpc.Outputs["tagsAll"].(map[string]any)["Environment"], "default tags merged")
	assert.Equal(t, "eu-west-1a", vpc.Outputs["tags"].(map[string]any)["Zone"], "invoke answered with the provider's region")

	require.Len(t, byType["eks:index:Cluster"], 1)
	require.Len(t, byType["aws:eks/cluster:Cluster"], 1, "the component's key child is registered")
	eks := res[byType["aws:eks/cluster:Cluster"][0]]
	assert.Equal(t, []any{"api", "audit"}, eks.Inputs["enabledClusterLogTypes"], "the child carries the program's values")
	assert.True(t, strings.HasPrefix(eks.Provider, "urn:pulumi:dev::tiny::pulumi:providers:aws::aws::"), "the child uses the caller's aws provider: %s", eks.Provider)
	require.Len(t, byType["aws:eks/nodeGroup:NodeGroup"], 1)
	ng := res[byType["aws:eks/nodeGroup:NodeGroup"][0]]
	assert.Equal(t, "tiny", ng.Inputs["clusterName"], "the node group followed the cluster reference to its name")
	assert.Equal(t, "AL2023_x86_64_NVIDIA", ng.Inputs["amiType"])
	comp := res[byType["eks:index:Cluster"][0]]
	assert.Contains(t, comp.Outputs["kubeconfigJson"], "https://", "kubeconfig points at the cluster endpoint")

	_, err = sb.Destroy(ctx)
	require.NoError(t, err)
	for _, r := range exported(t, sb) {
		assert.Equal(t, "pulumi:pulumi:Stack", r.Type, "destroy leaves nothing but the stack")
	}
}

func TestDriverReportsStandInCheckFailuresAndCreatesNothing(t *testing.T) {
	ctx := context.Background()
	sb := openTiny(t, "10.0.0.1/16")
	_, err := sb.Up(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"10.0.0.1/16" has host bits set; AWS expects "10.0.0.0/16"`)
	for _, r := range exported(t, sb) {
		assert.NotEqual(t, "aws:ec2/vpc:Vpc", r.Type)
	}
}
