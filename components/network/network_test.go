package network

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/subnets"
	"github.com/platform-team/platform/internal/tags"
)

func build(args NetworkArgs) pulumi.RunFunc { return buildIn("eu-west-1", args) }

func buildIn(region string, args NetworkArgs) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String(region)})
		if err != nil {
			return err
		}
		_, err = NewNetwork(ctx, "net", &args, pulumi.Provider(p))
		return err
	}
}

func args(azs int, nat string) NetworkArgs {
	return NetworkArgs{
		CIDR: "10.10.0.0/16", AZCount: azs, NATGateways: nat,
		NewBits:              map[subnets.Tier]int{subnets.Private: 3, subnets.Public: 6, subnets.Intra: 6},
		FlowLogRetentionDays: 30, InterfaceEndpoints: []string{"sts", "ecr.api"},
		ClusterName: "platform-dev", Tags: tags.New("dev", "team", "cc", nil),
	}
}

func TestSubnetsSpanEachAZWithTheTagsEKSDiscovers(t *testing.T) {
	g, _, err := mockgraph.Run(t, build(args(3, NATPerAZ)), mockgraph.Options{})
	require.NoError(t, err)

	sns := g.OfType("aws:ec2/subnet:Subnet")
	require.Len(t, sns, 9, "three tiers in three AZs")
	zones := map[string]int{}
	for _, s := range sns {
		zones[s.Inputs["availabilityZone"].StringValue()]++
		tg := s.Inputs["tags"].ObjectValue()
		assert.Equal(t, "shared", tg["kubernetes.io/cluster/platform-dev"].StringValue(), s.Name)
		assert.False(t, s.Inputs["mapPublicIpOnLaunch"].BoolValue(), "%s must not hand out public IPs", s.Name)
		switch tg["platform.io/tier"].StringValue() {
		case "public":
			assert.Equal(t, "1", tg["kubernetes.io/role/elb"].StringValue())
		case "private":
			assert.Equal(t, "1", tg["kubernetes.io/role/internal-elb"].StringValue())
		}
	}
	assert.Equal(t, map[string]int{"eu-west-1a": 3, "eu-west-1b": 3, "eu-west-1c": 3}, zones)
	assert.Equal(t, "10.10.0.0/19", g.Named(t, "aws:ec2/subnet:Subnet", "net-private-a").Inputs["cidrBlock"].StringValue())
	assert.Equal(t, "eu-west-1c", g.Named(t, "aws:ec2/subnet:Subnet", "net-intra-c").Inputs["availabilityZone"].StringValue())
}

func TestNATStrategy(t *testing.T) {
	for _, tc := range []struct {
		nat  string
		want int
	}{{NATSingle, 1}, {NATPerAZ, 3}} {
		g, _, err := mockgraph.Run(t, build(args(3, tc.nat)), mockgraph.Options{})
		require.NoError(t, err)
		assert.Len(t, g.OfType("aws:ec2/natGateway:NatGateway"), tc.want, tc.nat)
		assert.Len(t, g.OfType("aws:ec2/routeTable:RouteTable"), 3+2, "a private table per AZ, one public, one intra")
	}
}

// Flow logs go to S3 by default at ten-minute aggregation: a KMS-encrypted bucket with a lifecycle, written by
// the log delivery service of this account only; outside prod the bucket is destroyed with its objects.
func TestFlowLogsGoToAnEncryptedBucketWithALifecycleByDefault(t *testing.T) {
	g, _, err := mockgraph.Run(t, build(args(2, NATSingle)), mockgraph.Options{})
	require.NoError(t, err)
	fl := g.Only(t, "aws:ec2/flowLog:FlowLog")
	assert.Equal(t, "ALL", fl.Inputs["trafficType"].StringValue())
	assert.Equal(t, "s3", fl.Inputs["logDestinationType"].StringValue())
	assert.Equal(t, 600.0, fl.Inputs["maxAggregationInterval"].NumberValue())
	_, hasRole := fl.Inputs["iamRoleArn"]
	assert.False(t, hasRole, "S3 delivery needs no IAM role")
	assert.Empty(t, g.OfType("aws:cloudwatch/logGroup:LogGroup"))

	bucket := g.Only(t, "aws:s3/bucketV2:BucketV2")
	assert.Equal(t, "platform-dev-flow-logs-", bucket.Inputs["bucketPrefix"].StringValue())
	assert.True(t, bucket.Inputs["forceDestroy"].BoolValue(), "outside prod the bucket is destroyed with its objects")
	enc := g.Only(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	rule := enc.Inputs["rules"].ArrayValue()[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()
	assert.Equal(t, "aws:kms", rule["sseAlgorithm"].StringValue())
	lc := g.Only(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
	assert.Equal(t, 30.0, lc.Inputs["rules"].ArrayValue()[0].ObjectValue()["expiration"].ObjectValue()["days"].NumberValue())
	pol := g.Only(t, "aws:s3/bucketPolicy:BucketPolicy").Inputs["policy"].StringValue()
	assert.Contains(t, pol, "delivery.logs.amazonaws.com")
	assert.Contains(t, pol, `"aws:SecureTransport":"false"`)
	key := g.Only(t, "aws:kms/key:Key")
	assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	assert.Contains(t, key.Inputs["policy"].StringValue(), "delivery.logs.amazonaws.com", "log delivery may encrypt with the key")
}

func TestFlowLogsToCloudWatchByConfigAndProdBucketKept(t *testing.T) {
	a := args(2, NATSingle)
	a.FlowLogDestination, a.FlowLogAggregationSeconds = FlowLogsToCloudWatch, 60
	g, _, err := mockgraph.Run(t, build(a), mockgraph.Options{})
	require.NoError(t, err)
	fl := g.Only(t, "aws:ec2/flowLog:FlowLog")
	assert.Equal(t, "cloud-watch-logs", fl.Inputs["logDestinationType"].StringValue())
	assert.Equal(t, 60.0, fl.Inputs["maxAggregationInterval"].NumberValue())
	lg := g.Only(t, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, 30.0, lg.Inputs["retentionInDays"].NumberValue())
	assert.True(t, lg.Inputs["kmsKeyId"].IsString() && lg.Inputs["kmsKeyId"].StringValue() != "", "log group must name its KMS key")
	assert.Contains(t, g.Only(t, "aws:kms/key:Key").Inputs["policy"].StringValue(), "logs.eu-west-1.amazonaws.com")
	assert.Empty(t, g.OfType("aws:s3/bucketV2:BucketV2"))

	a = args(2, NATSingle)
	a.Protect = true
	g, _, err = mockgraph.Run(t, build(a), mockgraph.Options{})
	require.NoError(t, err)
	b := g.Only(t, "aws:s3/bucketV2:BucketV2")
	assert.False(t, b.Inputs["forceDestroy"].BoolValue(), "prod keeps its flow logs")
	assert.True(t, b.Protect)

	a = args(2, NATSingle)
	a.FlowLogAggregationSeconds = 300
	_, _, err = mockgraph.Run(t, build(a), mockgraph.Options{})
	require.ErrorContains(t, err, "flow log aggregation must be 60 or 600 seconds, got 300")
}

func TestDefaultSecurityGroupHasNoRulesAndEndpointsArePrivate(t *testing.T) {
	g, _, err := mockgraph.Run(t, build(args(2, NATSingle)), mockgraph.Options{})
	require.NoError(t, err)
	dsg := g.Only(t, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	for _, k := range []resource.PropertyKey{"ingress", "egress"} {
		v, ok := dsg.Inputs[k]
		require.True(t, ok && v.IsArray(), "%s must be set explicitly to no rules", k)
		assert.Empty(t, v.ArrayValue(), k)
	}

	services := map[string]string{}
	for _, e := range g.OfType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		services[e.Inputs["serviceName"].StringValue()] = e.Inputs["vpcEndpointType"].StringValue()
	}
	assert.Equal(t, map[string]string{
		"com.amazonaws.eu-west-1.s3": "Gateway", "com.amazonaws.eu-west-1.sts": "Interface", "com.amazonaws.eu-west-1.ecr.api": "Interface",
	}, services)
}

func TestEveryChildIsParentedAndUsesTheExplicitProvider(t *testing.T) {
	g, _, err := mockgraph.Run(t, build(args(2, NATSingle)), mockgraph.Options{})
	require.NoError(t, err)
	comp := g.Only(t, Type)
	for _, r := range g.Custom() {
		assert.Equal(t, comp.URN, r.Parent, "%s %s must be a child of the network component", r.Type, r.Name)
		assert.Contains(t, r.Provider, "pulumi:providers:aws::aws::", "%s %s must use the explicit provider", r.Type, r.Name)
	}
}

func TestTooFewZonesInTheRegionFailsClearly(t *testing.T) {
	_, _, err := mockgraph.Run(t, buildIn("us-west-1", args(3, NATPerAZ)), mockgraph.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "azCount is 3 but the region offers only 2 availability zones that need no opt-in (us-west-1a, us-west-1b)")
}

// The stand-in region has an opted-in Local Zone whose name sorts before every AZ ("eu-west-1-sbx-1a" <
// "eu-west-1a") and a Wavelength Zone. Asking only for available zones picked the Local Zone first.
func TestSubnetsUseOnlyAvailabilityZonesThatNeedNoOptIn(t *testing.T) {
	g, _, err := mockgraph.Run(t, build(args(2, NATSingle)), mockgraph.Options{})
	require.NoError(t, err)
	zones := map[string]bool{}
	for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
		zones[s.Inputs["availabilityZone"].StringValue()] = true
	}
	assert.Equal(t, map[string]bool{"eu-west-1a": true, "eu-west-1b": true}, zones)
}

// Growing network.azCount from 2 to 3 adds the third AZ's subnets and leaves every existing subnet, keyed by
// its resource name, with the same zone and CIDR, so the preview of the change replaces nothing.
func TestRaisingAZCountAddsSubnetsWithoutMovingAny(t *testing.T) {
	cidrs := func(azs int) map[string]string {
		g, _, err := mockgraph.Run(t, build(args(azs, NATPerAZ)), mockgraph.Options{})
		require.NoError(t, err)
		out := map[string]string{}
		for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
			out[s.Name] = s.Inputs["availabilityZone"].StringValue() + " " + s.Inputs["cidrBlock"].StringValue()
		}
		return out
	}
	two, three := cidrs(2), cidrs(3)
	require.Len(t, two, 6)
	require.Len(t, three, 9)
	for name, was := range two {
		assert.Equal(t, was, three[name], "%s changed when a third AZ was added", name)
	}
	assert.Equal(t, map[string]string{
		"net-private-c": "eu-west-1c 10.10.64.0/19",
		"net-public-c":  "eu-west-1c 10.10.136.0/22",
		"net-intra-c":   "eu-west-1c 10.10.152.0/22",
	}, func() map[string]string {
		added := map[string]string{}
		for name, v := range three {
			if _, ok := two[name]; !ok {
				added[name] = v
			}
		}
		return added
	}())
}
