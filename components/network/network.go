// Package network provides the VPC an EKS cluster lives in: public, private (nodes) and intra subnets in N
// availability zones, NAT (one shared or one per AZ), KMS-encrypted VPC flow logs with bounded retention (to
// S3 by default, or CloudWatch Logs), an
// S3 gateway endpoint and interface endpoints so private nodes reach AWS APIs without NAT, the subnet tags
// EKS and the AWS Load Balancer Controller discover, and a default security group with no rules.
//
// It does not create transit gateways, peering or IPv6; a VPC shared with other clusters is out of scope.
package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/kmskey"
	"github.com/platform-team/platform/internal/subnets"
	"github.com/platform-team/platform/internal/tags"
)

// Type is the component's type token.
const Type = "platform:network:Network"

// Flow log destinations.
const (
	FlowLogsToS3         = "s3"
	FlowLogsToCloudWatch = "cloud-watch-logs"
)

// NATSingle and NATPerAZ are the NAT strategies.
const (
	NATSingle = "single"
	NATPerAZ  = "perAz"
)

// NetworkArgs configure the VPC.
type NetworkArgs struct {
	// CIDR of the VPC (IPv4). Required.
	CIDR string
	// AZCount is how many availability zones to span: the first N, by name, of the region's Availability
	// Zones that need no opt-in (no Local or Wavelength Zones), 1 to subnets.MaxAZs. Required.
	AZCount int
	// NATGateways is NATSingle or NATPerAZ. Default: NATPerAZ.
	NATGateways string
	// NewBits sizes each subnet tier relative to the VPC prefix. Required (config supplies defaults).
	NewBits map[subnets.Tier]int
	// FlowLogRetentionDays bounds the flow logs (the bucket's lifecycle expiration, or the log group's
	// retention). Default: 365.
	FlowLogRetentionDays int
	// FlowLogDestination is FlowLogsToS3 or FlowLogsToCloudWatch. S3 costs a fraction of CloudWatch Logs per GB
	// ingested and stored, and Athena queries it; CloudWatch Logs Insights is quicker for a live incident.
	// Default: FlowLogsToS3.
	FlowLogDestination string
	// FlowLogAggregationSeconds is the flow log's maximum aggregation interval, 60 or 600. Ten minutes gives
	// fewer, larger records (less to store); one minute is for chasing a live connectivity problem.
	// Default: 600.
	FlowLogAggregationSeconds int
	// KMSDeletionWindowDays of the flow log key. Default: 30.
	KMSDeletionWindowDays int
	// InterfaceEndpoints are AWS service names (ecr.api, sts, ...) reached through interface endpoints.
	// Default: none.
	InterfaceEndpoints []string
	// ClusterName is tagged on the subnets (kubernetes.io/cluster/<name>) for EKS and load balancers. Required.
	ClusterName string
	// Tags is the environment's tag set. Required.
	Tags tags.Set
	// Protect guards the VPC and the flow-log key against deletion (a mistaken destroy or a replacing diff).
	// Default: false; the program sets it in prod.
	Protect bool
}

// Network is the VPC and everything in it.
type Network struct {
	pulumi.ResourceState

	VpcID             pulumi.StringOutput      `pulumi:"vpcId"`
	VpcCIDR           pulumi.StringOutput      `pulumi:"vpcCidr"`
	AvailabilityZones pulumi.StringArrayOutput `pulumi:"availabilityZones"`
	PublicSubnetIDs   pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs  pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	IntraSubnetIDs    pulumi.StringArrayOutput `pulumi:"intraSubnetIds"`
	NatGatewayIDs     pulumi.StringArrayOutput `pulumi:"natGatewayIds"`
	// FlowLogGroupName is the CloudWatch log group ("" when flow logs go to S3).
	FlowLogGroupName pulumi.StringOutput `pulumi:"flowLogGroupName"`
	// FlowLogBucket is the S3 bucket ("" when flow logs go to CloudWatch Logs).
	FlowLogBucket pulumi.StringOutput `pulumi:"flowLogBucket"`
}

// NewNetwork creates the VPC. Pass the aws provider with pulumi.Provider or pulumi.Providers.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("network %s: args are required", name)
	}
	vpcPrefix, err := netip.ParsePrefix(args.CIDR)
	if err != nil {
		return nil, fmt.Errorf("network %s: cidr: %w", name, err)
	}
	layout, err := subnets.Layout(vpcPrefix, args.AZCount, args.NewBits)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	if args.ClusterName == "" {
		return nil, fmt.Errorf("network %s: ClusterName is required for the EKS subnet tags", name)
	}

	n := &Network{}
	if err := ctx.RegisterComponentResource(Type, name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	zones, err := availabilityZones(ctx, args.AZCount, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}

	t := args.Tags
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(vpcPrefix.String()),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               t.For(name),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	// Take over the default security group and leave it without rules, so nothing can use it by accident.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId:   vpc.ID(),
		Ingress: ec2.DefaultSecurityGroupIngressArray{},
		Egress:  ec2.DefaultSecurityGroupEgressArray{},
		Tags:    t.For(name + "-default-closed"),
	}, parent); err != nil {
		return nil, err
	}

	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  t.For(name),
	}, parent)
	if err != nil {
		return nil, err
	}

	clusterTag := "kubernetes.io/cluster/" + args.ClusterName
	tierTags := map[subnets.Tier]map[string]string{
		subnets.Public:  {clusterTag: "shared", "kubernetes.io/role/elb": "1", "platform.io/tier": "public"},
		subnets.Private: {clusterTag: "shared", "kubernetes.io/role/internal-elb": "1", "platform.io/tier": "private"},
		subnets.Intra:   {clusterTag: "shared", "platform.io/tier": "intra"},
	}
	created := map[subnets.Tier][]*ec2.Subnet{}
	for _, s := range layout {
		zone := zones[s.AZIndex]
		key := fmt.Sprintf("%s-%s", s.Tier, azSuffix(zone))
		sn, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-%s", name, key), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(s.Prefix.String()),
			AvailabilityZone: pulumi.String(zone),
			// Even public subnets hand out no public IPs by default: only NAT gateways and load balancers
			// live there and they get Elastic IPs or AWS-managed addresses.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                t.For(fmt.Sprintf("%s-%s", name, key), tierTags[s.Tier]),
		}, parent)
		if err != nil {
			return nil, err
		}
		created[s.Tier] = append(created[s.Tier], sn)
	}

	// Public routing: one table, default route to the internet gateway.
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   t.For(name + "-public"),
	}, parent)
	if err != nil {
		return nil, err
	}
	for i, sn := range created[subnets.Public] {
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-%s", name, azSuffix(zones[i])), &ec2.RouteTableAssociationArgs{
			SubnetId: sn.ID(), RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return nil, err
		}
	}

	// NAT: one per AZ (an AZ outage leaves the others' egress intact) or one shared (cheap, for dev).
	natCount := len(zones)
	if args.NATGateways == NATSingle {
		natCount = 1
	}
	var nats []*ec2.NatGateway
	for i := 0; i < natCount; i++ {
		key := fmt.Sprintf("%s-nat-%s", name, azSuffix(zones[i]))
		eip, err := ec2.NewEip(ctx, key, &ec2.EipArgs{Domain: pulumi.String("vpc"), Tags: t.For(key)}, parent)
		if err != nil {
			return nil, err
		}
		nat, err := ec2.NewNatGateway(ctx, key, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     created[subnets.Public][i].ID(),
			Tags:         t.For(key),
		}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return nil, err
		}
		nats = append(nats, nat)
	}

	// Private routing: a table per AZ so each AZ uses its own NAT gateway when there is one per AZ.
	var privateRTs []pulumi.StringInput
	for i, sn := range created[subnets.Private] {
		suffix := azSuffix(zones[i])
		nat := nats[0]
		if natCount > 1 {
			nat = nats[i]
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-%s", name, suffix), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   t.For(fmt.Sprintf("%s-private-%s", name, suffix)),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%s", name, suffix), &ec2.RouteTableAssociationArgs{
			SubnetId: sn.ID(), RouteTableId: rt.ID(),
		}, parent); err != nil {
			return nil, err
		}
		privateRTs = append(privateRTs, rt.ID())
	}

	// Intra routing: no route out of the VPC at all.
	intraRT, err := ec2.NewRouteTable(ctx, name+"-intra", &ec2.RouteTableArgs{VpcId: vpc.ID(), Tags: t.For(name + "-intra")}, parent)
	if err != nil {
		return nil, err
	}
	for i, sn := range created[subnets.Intra] {
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-intra-%s", name, azSuffix(zones[i])), &ec2.RouteTableAssociationArgs{
			SubnetId: sn.ID(), RouteTableId: intraRT.ID(),
		}, parent); err != nil {
			return nil, err
		}
	}

	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: looking up the region: %w", name, err)
	}
	if err := endpoints(ctx, name, args, region.Name, vpc, created, append(privateRTs, intraRT.ID()), parent); err != nil {
		return nil, err
	}
	groupName, bucketName, err := flowLogs(ctx, name, args, vpc, parent)
	if err != nil {
		return nil, err
	}

	n.VpcID = vpc.ID().ToStringOutput()
	n.VpcCIDR = vpc.CidrBlock
	n.AvailabilityZones = pulumi.ToStringArray(zones).ToStringArrayOutput()
	n.PublicSubnetIDs = ids(created[subnets.Public])
	n.PrivateSubnetIDs = ids(created[subnets.Private])
	n.IntraSubnetIDs = ids(created[subnets.Intra])
	natIDs := pulumi.StringArray{}
	for _, nat := range nats {
		natIDs = append(natIDs, nat.ID().ToStringOutput())
	}
	n.NatGatewayIDs = natIDs.ToStringArrayOutput()
	n.FlowLogGroupName = groupName
	n.FlowLogBucket = bucketName
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":             n.VpcID,
		"vpcCidr":           n.VpcCIDR,
		"availabilityZones": n.AvailabilityZones,
		"publicSubnetIds":   n.PublicSubnetIDs,
		"privateSubnetIds":  n.PrivateSubnetIDs,
		"intraSubnetIds":    n.IntraSubnetIDs,
		"natGatewayIds":     n.NatGatewayIDs,
		"flowLogGroupName":  n.FlowLogGroupName,
		"flowLogBucket":     n.FlowLogBucket,
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// endpoints creates the S3 gateway endpoint (free; image layers from ECR come from S3) and interface
// endpoints in the private subnets, reachable on 443 from inside the VPC only.
func endpoints(ctx *pulumi.Context, name string, args *NetworkArgs, region string, vpc *ec2.Vpc,
	created map[subnets.Tier][]*ec2.Subnet, routeTables []pulumi.StringInput, parent pulumi.ResourceOption,
) error {
	t := args.Tags
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.Sprintf("com.amazonaws.%s.s3", region),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   pulumi.StringArray(routeTables),
		Tags:            t.For(name + "-s3"),
	}, parent); err != nil {
		return err
	}
	if len(args.InterfaceEndpoints) == 0 {
		return nil
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-endpoints", &ec2.SecurityGroupArgs{
		VpcId:       vpc.ID(),
		Description: pulumi.String("HTTPS from inside the VPC to AWS interface endpoints"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("HTTPS from the VPC"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			CidrBlocks: pulumi.StringArray{vpc.CidrBlock},
		}},
		Tags: t.For(name + "-endpoints"),
	}, parent)
	if err != nil {
		return err
	}
	subnetIDs := pulumi.StringArray{}
	for _, s := range created[subnets.Private] {
		subnetIDs = append(subnetIDs, s.ID().ToStringOutput())
	}
	svcs := append([]string(nil), args.InterfaceEndpoints...)
	sort.Strings(svcs)
	for _, svc := range svcs {
		key := strings.ReplaceAll(svc, ".", "-")
		if _, err := ec2.NewVpcEndpoint(ctx, fmt.Sprintf("%s-%s", name, key), &ec2.VpcEndpointArgs{
			VpcId:             vpc.ID(),
			ServiceName:       pulumi.Sprintf("com.amazonaws.%s.%s", region, svc),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         subnetIDs,
			SecurityGroupIds:  pulumi.StringArray{sg.ID()},
			Tags:              t.For(fmt.Sprintf("%s-%s", name, key)),
		}, parent); err != nil {
			return err
		}
	}
	return nil
}

// flowLogs ships all VPC traffic metadata, KMS-encrypted with the network's own key, to an S3 bucket with a
// lifecycle (default) or a CloudWatch log group with retention. It returns the group's and the bucket's name,
// one of them empty.
func flowLogs(ctx *pulumi.Context, name string, args *NetworkArgs, vpc *ec2.Vpc, parent pulumi.ResourceOrInvokeOption) (pulumi.StringOutput, pulumi.StringOutput, error) {
	t := args.Tags
	none := pulumi.String("").ToStringOutput()
	retention := args.FlowLogRetentionDays
	if retention == 0 {
		retention = 365
	}
	interval := args.FlowLogAggregationSeconds
	if interval == 0 {
		interval = 600
	}
	if interval != 60 && interval != 600 {
		return none, none, fmt.Errorf("network %s: flow log aggregation must be 60 or 600 seconds, got %d", name, interval)
	}
	dest := args.FlowLogDestination
	if dest == "" {
		dest = FlowLogsToS3
	}
	groupName := fmt.Sprintf("/aws/vpc/%s/flow-logs", name)
	var statement map[string]any
	switch dest {
	case FlowLogsToS3:
		statement = kmskey.LogDeliveryStatement()
	case FlowLogsToCloudWatch:
		statement = kmskey.CloudWatchLogsStatement(groupName)
	default:
		return none, none, fmt.Errorf("network %s: flow log destination %q is not %q or %q", name, dest, FlowLogsToS3, FlowLogsToCloudWatch)
	}
	key, err := kmskey.New(ctx, name+"-flow-logs", kmskey.Args{
		Description:        pulumi.Sprintf("VPC flow logs of %s", name),
		DeletionWindowDays: args.KMSDeletionWindowDays,
		Alias:              pulumi.String(name + "-flow-logs"),
		ServiceStatements:  []map[string]any{statement},
		Tags:               t.For(name + "-flow-logs"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return none, none, err
	}
	flowArgs := &ec2.FlowLogArgs{
		VpcId:                  vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		MaxAggregationInterval: pulumi.Int(interval),
		Tags:                   t.For(name + "-flow-logs"),
	}
	if dest == FlowLogsToS3 {
		bucket, err := flowLogBucket(ctx, name, args, key.Arn, retention, parent)
		if err != nil {
			return none, none, err
		}
		flowArgs.LogDestinationType = pulumi.String("s3")
		flowArgs.LogDestination = bucket.Arn
		if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", flowArgs, parent); err != nil {
			return none, none, err
		}
		return none, bucket.Bucket, nil
	}

	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupName),
		RetentionInDays: pulumi.Int(retention),
		KmsKeyId:        key.Arn,
		Tags:            t.For(name + "-flow-logs"),
	}, parent)
	if err != nil {
		return none, none, err
	}
	trust, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	})
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		Description:      pulumi.String("Delivers VPC flow logs to CloudWatch Logs"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             t.For(name + "-flow-logs"),
	}, parent)
	if err != nil {
		return none, none, err
	}
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":   "Allow",
				"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"},
				"Resource": []any{arn, arn + ":*"},
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{Role: role.ID(), Policy: policy}, parent); err != nil {
		return none, none, err
	}
	flowArgs.LogDestinationType = pulumi.String("cloud-watch-logs")
	flowArgs.LogDestination = group.Arn
	flowArgs.IamRoleArn = role.Arn
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", flowArgs, parent); err != nil {
		return none, none, err
	}
	return group.Name, none, nil
}

// flowLogBucket is the flow logs' bucket: SSE-KMS with the flow-log key (bucket key on), every public access
// block, objects owned by the bucket owner, a policy letting only the log delivery service of this account
// write (and nothing without TLS), and a lifecycle that expires records after the retention. Outside prod
// (Protect false) it is destroyed with its objects, so a dev or staging stack tears down.
// The delivery permissions follow the VPC User Guide, "Flow logs to Amazon S3": bucket policy for
// delivery.logs.amazonaws.com (s3:PutObject scoped by aws:SourceAccount and aws:SourceArn, s3:GetBucketAcl,
// s3:ListBucket) and, for SSE-KMS, the key policy statement of kmskey.LogDeliveryStatement.
func flowLogBucket(ctx *pulumi.Context, name string, args *NetworkArgs, keyArn pulumi.StringInput, retention int, parent pulumi.ResourceOrInvokeOption) (*s3.BucketV2, error) {
	key := name + "-flow-logs"
	bucket, err := s3.NewBucketV2(ctx, key, &s3.BucketV2Args{
		BucketPrefix: pulumi.String(args.ClusterName + "-flow-logs-"),
		ForceDestroy: pulumi.Bool(!args.Protect),
		Tags:         args.Tags.For(key),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketPublicAccessBlock(ctx, key+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket: bucket.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, key+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, key+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("aws:kms"), KmsMasterKeyId: keyArn,
			},
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, parent); err != nil {
		return nil, err
	}
	ident, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: caller identity: %w", name, err)
	}
	part, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: partition: %w", name, err)
	}
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %s: region: %w", name, err)
	}
	policy := bucket.Arn.ApplyT(func(arn string) (string, error) {
		return FlowLogBucketPolicy(arn, ident.AccountId, part.Partition, region.Name)
	}).(pulumi.StringOutput)
	if _, err := s3.NewBucketPolicy(ctx, key+"-policy", &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy}, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, key+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("expire-after-retention"), Status: pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(retention)},
			},
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id: pulumi.String("abort-incomplete-uploads"), Status: pulumi.String("Enabled"),
				Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(7)},
			},
		},
	}, parent); err != nil {
		return nil, err
	}
	return bucket, nil
}

// FlowLogBucketPolicy lets this account's log delivery write flow logs into the bucket and denies any request
// without TLS.
func FlowLogBucketPolicy(bucketArn, account, partition, region string) (string, error) {
	source := map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": account},
		"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:logs:%s:%s:*", partition, region, account)},
	}
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid": "AWSLogDeliveryWrite", "Effect": "Allow",
				"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
				"Action":    "s3:PutObject", "Resource": bucketArn + "/AWSLogs/" + account + "/*",
				"Condition": source,
			},
			map[string]any{
				"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow",
				"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
				"Action":    []any{"s3:GetBucketAcl", "s3:ListBucket"}, "Resource": bucketArn,
				"Condition": source,
			},
			map[string]any{
				"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
				"Resource":  []any{bucketArn, bucketArn + "/*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			},
		},
	})
	return string(b), err
}

// ZoneFilters select the zones the VPC may use: Availability Zones every account has (opt-in status
// "opt-in-not-required"), never a Local Zone or Wavelength Zone, which DescribeAvailabilityZones returns
// beside the AZs once an account opts into them and which lack most services (EKS control-plane ENIs,
// NAT gateways, interface endpoints). Filter names and values are those of the EC2 API Reference for
// DescribeAvailabilityZones.
var ZoneFilters = []aws.GetAvailabilityZonesFilter{
	{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
	{Name: "zone-type", Values: []string{"availability-zone"}},
}

// availabilityZones returns the first n zones the filters allow, sorted by name. There is deliberately no
// state filter: a zone that is impaired while a preview runs would otherwise drop out of the list and
// shift every later AZ's subnets into another zone; the list depends only on which zones exist, so it
// stays the same from run to run and only grows when AWS opens a zone (a new zone gets the next letter,
// after the ones already in use).
func availabilityZones(ctx *pulumi.Context, n int, opts ...pulumi.InvokeOption) ([]string, error) {
	azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{Filters: ZoneFilters}, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing availability zones: %w", err)
	}
	zones := append([]string(nil), azs.Names...)
	sort.Strings(zones)
	if len(zones) < n {
		return nil, fmt.Errorf("azCount is %d but the region offers only %d availability zones that need no opt-in (%s)",
			n, len(zones), strings.Join(zones, ", "))
	}
	return zones[:n], nil
}

// azSuffix is the stable key of an AZ in resource names: "us-west-2a" -> "a".
func azSuffix(zone string) string {
	return zone[len(zone)-1:]
}

func ids(subnets []*ec2.Subnet) pulumi.StringArrayOutput {
	out := pulumi.StringArray{}
	for _, s := range subnets {
		out = append(out, s.ID().ToStringOutput())
	}
	return out.ToStringArrayOutput()
}
