// Package program is the Pulumi program: it loads and validates the stack configuration, builds the
// components in dependency order with explicit providers, and exports the stack outputs. main.go runs it
// with the Pulumi CLI; the sandbox and tests run the very same function through the Automation API or the
// mock monitor.
package program

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/components/cirunner"
	"github.com/platform-team/platform/components/cluster"
	"github.com/platform-team/platform/components/gpupools"
	"github.com/platform-team/platform/components/network"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/tags"
)

// Run is the program main.go and the sandbox execute.
func Run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		// Nothing has been registered yet: a bad configuration creates nothing.
		return err
	}
	p, err := Build(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = buildServices(ctx, p, &cfg.Services)
	return err
}

// Platform holds what Build created, for callers that wire more components on top (and for tests).
type Platform struct {
	Config   *config.Config
	Tags     tags.Set
	Provider *aws.Provider
	Network  *network.Network
	Cluster  *cluster.Cluster
	GPUPools *gpupools.GPUPools
	// CIRunner is CI's runner inside the VPC; nil where the stack has none (cluster.endpoint.ciRunner).
	CIRunner *cirunner.CIRunner
}

// Build creates the foundation (provider, network, cluster, GPU pools) from a validated configuration and
// exports its outputs; Run adds the platform services on top.
func Build(ctx *pulumi.Context, cfg *config.Config) (*Platform, error) {
	env := string(cfg.Environment)
	t := tags.New(env, cfg.Tags.Owner, cfg.Tags.CostCenter, cfg.Tags.Extra)
	provider, err := newAWSProvider(ctx, cfg, t)
	if err != nil {
		return nil, err
	}
	// pulumi-eks's component is served by its own plugin, which needs an explicit provider too (default
	// providers are disabled); it creates its children with the aws provider passed down here.
	eksProvider, err := eks.NewProvider(ctx, fmt.Sprintf("eks-%s", cfg.Environment), &eks.ProviderArgs{})
	if err != nil {
		return nil, err
	}
	withAWS := pulumi.Providers(provider, eksProvider)
	name := cfg.Cluster.Name
	// In prod the VPC, KMS keys and control plane are protected: deleting them takes a deliberate
	// `pulumi state unprotect`, never a mistaken destroy or a replacing diff.
	protect := cfg.Environment == config.Prod

	net, err := network.NewNetwork(ctx, name, &network.NetworkArgs{
		CIDR:                      cfg.Network.CIDR,
		AZCount:                   cfg.Network.AZCount,
		NATGateways:               cfg.Network.NATGateways,
		NewBits:                   config.NewBits(cfg.Network),
		FlowLogRetentionDays:      cfg.Network.FlowLogRetentionDays,
		FlowLogDestination:        cfg.Network.FlowLogDestination,
		FlowLogAggregationSeconds: cfg.Network.FlowLogAggregationSeconds,
		KMSDeletionWindowDays:     cfg.Cluster.KMSDeletionWindowDays,
		InterfaceEndpoints:        cfg.Network.InterfaceEndpoints,
		ClusterName:               name,
		Tags:                      t,
		Protect:                   protect,
	}, withAWS)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}

	c := cfg.Cluster
	sys := c.SystemNodeGroup
	// CI's path to a private-only API endpoint: GitHub Actions jobs run inside the VPC (docs/pipeline.md).
	// It comes before the cluster, which lets it into the API endpoint before pulumi-eks first calls the API,
	// so even the cluster's first `up` can run on it.
	var runner *cirunner.CIRunner
	if r := c.Endpoint.CIRunner; r != nil {
		runner, err = cirunner.NewCIRunner(ctx, name+"-ci-runner", &cirunner.Args{
			ProjectName:           name + "-ci-runner",
			VpcID:                 net.VpcID,
			SubnetIDs:             net.PrivateSubnetIDs,
			Repository:            r.Repository,
			ConnectionArn:         r.ConnectionArn,
			ComputeType:           r.ComputeType,
			Image:                 r.Image,
			LogRetentionDays:      r.LogRetentionDays,
			KMSDeletionWindowDays: c.KMSDeletionWindowDays,
			Tags:                  t,
			Protect:               protect,
			AllowedActorIDs:       r.AllowedActorIDs,
		}, withAWS)
		if err != nil {
			return nil, fmt.Errorf("ci runner: %w", err)
		}
		ctx.Export("ciRunnerLabel", runner.Label)
		ctx.Export("ciRunnerSecurityGroupId", runner.SecurityGroupID)
	}

	cl, err := cluster.NewCluster(ctx, name, &cluster.ClusterArgs{
		Name:                      name,
		KubernetesVersion:         c.KubernetesVersion,
		VpcID:                     net.VpcID,
		IntraSubnetIDs:            net.IntraSubnetIDs,
		PrivateSubnetIDs:          net.PrivateSubnetIDs,
		ServiceCIDR:               c.ServiceCIDR,
		PublicAccess:              c.Endpoint.PublicAccess,
		PublicAccessCidrs:         c.Endpoint.PublicAccessCidrs,
		LogTypes:                  c.LogTypes,
		LogRetentionDays:          c.LogRetentionDays,
		AdminPrincipalArns:        c.AdminPrincipalArns,
		ReadOnlyPrincipalArns:     readOnlyPrincipals(cfg),
		CreatorRoleArn:            cfg.AWS.AssumeRoleArn,
		Profile:                   cfg.AWS.Profile,
		Region:                    cfg.AWS.Region,
		APIClientSecurityGroupIDs: apiClients(runner),
		AddonVersions:             c.Addons,
		Addons:                    config.ManagedAddons,
		KMSDeletionWindowDays:     c.KMSDeletionWindowDays,
		NetworkPolicy:             *c.NetworkPolicy.Enforce,
		SystemNodeGroup: cluster.SystemNodeGroup{
			InstanceTypes: sys.InstanceTypes,
			MinSize:       *sys.MinSize, DesiredSize: *sys.DesiredSize, MaxSize: *sys.MaxSize,
			DiskSizeGiB: sys.DiskSizeGiB,
		},
		Tags:    t,
		Protect: protect,
	}, withAWS)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}

	pools := map[string]gpupools.Pool{}
	for key, p := range cfg.GPUPools {
		pools[key] = gpupools.Pool{
			InstanceTypes: p.InstanceTypes, AMIType: p.AMIType, CapacityType: p.CapacityType,
			MinSize: *p.MinSize, DesiredSize: *p.DesiredSize, MaxSize: *p.MaxSize,
			DiskSizeGiB: p.DiskSizeGiB, Labels: p.Labels,
		}
	}
	gpu, err := gpupools.NewGPUPools(ctx, name+"-gpu", &gpupools.GPUPoolsArgs{
		ClusterName:         cl.Name,
		NodeRoleArn:         cl.NodeRoleArn,
		NodeSecurityGroupID: cl.NodeSecurityGroupID,
		SubnetIDs:           net.PrivateSubnetIDs,
		Pools:               pools,
		Tags:                t,
		NamePrefix:          name,
	}, withAWS, pulumi.DependsOn([]pulumi.Resource{cl}))
	if err != nil {
		return nil, fmt.Errorf("gpu pools: %w", err)
	}

	ctx.Export("environment", pulumi.String(env))
	ctx.Export("region", pulumi.String(cfg.AWS.Region))
	ctx.Export("vpcId", net.VpcID)
	ctx.Export("publicSubnetIds", net.PublicSubnetIDs)
	ctx.Export("privateSubnetIds", net.PrivateSubnetIDs)
	ctx.Export("intraSubnetIds", net.IntraSubnetIDs)
	ctx.Export("clusterName", cl.Name)
	ctx.Export("kubeconfig", cl.KubeconfigJSON)
	ctx.Export("oidcProviderArn", cl.OidcProviderArn)
	ctx.Export("systemNodeGroupName", cl.SystemNodeGroupName)
	ctx.Export("gpuNodeGroupNames", gpu.NodeGroupNames)

	return &Platform{Config: cfg, Tags: t, Provider: provider, Network: net, Cluster: cl, GPUPools: gpu, CIRunner: runner}, nil
}

// newAWSProvider is the one aws provider of the stack: pinned region, the stack's AWS profile, the allowed
// accounts, and the environment's default tags on every taggable resource. Default providers are disabled in
// Pulumi.yaml, so a resource that forgets this provider fails instead of silently using ambient credentials.
//
// The run's role is not an input here: the profile resolves to it (the deploy role for `pulumi up`, the
// read-only role for previews and drift checks; see docs/pipeline.md). Provider inputs are stored in state
// and a refresh configures the provider from state, so a role ARN here would make every read-only run
// differ from the last deploy, and a read-only refresh would try to assume the deploy role.
func newAWSProvider(ctx *pulumi.Context, cfg *config.Config, t tags.Set) (*aws.Provider, error) {
	args := &aws.ProviderArgs{
		Region:      pulumi.String(cfg.AWS.Region),
		DefaultTags: aws.ProviderDefaultTagsArgs{Tags: t.Default()},
	}
	if cfg.AWS.Profile != "" {
		args.Profile = pulumi.String(cfg.AWS.Profile)
	}
	if len(cfg.AWS.AllowedAccountIDs) > 0 {
		args.AllowedAccountIds = pulumi.ToStringArray(cfg.AWS.AllowedAccountIDs)
	}
	return aws.NewProvider(ctx, fmt.Sprintf("aws-%s", cfg.Environment), args)
}

// readOnlyPrincipals are the stack's view-only principals plus the read-only role, which previews and drift
// checks run as and whose Kubernetes reads need a view access entry.
func readOnlyPrincipals(cfg *config.Config) []string {
	out := append([]string(nil), cfg.Cluster.ReadOnlyPrincipalArns...)
	if cfg.AWS.ReadOnlyRoleArn != "" {
		out = append(out, cfg.AWS.ReadOnlyRoleArn)
	}
	return out
}

// apiClients are the in-VPC clients of the cluster's private API endpoint: the CI runner, when there is one.
func apiClients(runner *cirunner.CIRunner) map[string]pulumi.StringInput {
	if runner == nil {
		return nil
	}
	return map[string]pulumi.StringInput{"ci-runner": runner.SecurityGroupID}
}
