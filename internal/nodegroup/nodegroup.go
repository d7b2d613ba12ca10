// Package nodegroup creates one EKS managed node group the way every group in this platform is built: a
// launch template that requires IMDSv2 with a hop limit of 1 (pods cannot borrow the node's credentials),
// an encrypted gp3 root volume, and tags on the instances, volumes and network interfaces it launches; the
// node group itself with its desired size left to the autoscaler after creation; and the cluster-autoscaler
// node-template tags on the group's Auto Scaling group, which EKS does not copy from the node group, so a
// group can scale up from zero.
//
// It does not create the node IAM role (one role is shared by all groups) or security groups (nodes use the
// EKS cluster security group).
package nodegroup

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/tags"
)

// Taint is a Kubernetes taint in EKS spelling (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE).
type Taint struct {
	Key, Value, Effect string
}

// Args describe one node group.
type Args struct {
	// ClusterName of the EKS cluster. Required.
	ClusterName pulumi.StringInput
	// NodeRoleArn of the shared node role. Required.
	NodeRoleArn pulumi.StringInput
	// SubnetIDs the nodes run in (private subnets). Required.
	SubnetIDs pulumi.StringArrayInput
	// InstanceTypes, AMIType and CapacityType as EKS spells them. Required.
	InstanceTypes []string
	AMIType       string
	CapacityType  string
	// MinSize, DesiredSize (at creation only) and MaxSize of the group.
	MinSize, DesiredSize, MaxSize int
	// DiskSizeGiB of the encrypted gp3 root volume. Required.
	DiskSizeGiB int
	// Labels and Taints for the nodes. Default: none.
	Labels map[string]string
	Taints []Taint
	// ExtraResources are extended resources a node offers (e.g. nvidia.com/gpu: "1"), advertised to the
	// cluster-autoscaler for scale-from-zero. Default: none.
	ExtraResources map[string]string
	// Tags is the environment's tag set. Required.
	Tags tags.Set
	// DisplayName is the Name tag of the group and its instances. Default: the resource name.
	DisplayName string
	// SecurityGroupIDs go on the nodes' network interfaces (the launch template's vpcSecurityGroupIds); EKS
	// then attaches no security group of its own. The cluster component passes pulumi-eks's node security
	// group, whose rules v2.8.1 writes for exactly this traffic (nodejs/eks/securitygroup.ts). Default: none
	// (EKS attaches the cluster security group it created).
	SecurityGroupIDs pulumi.StringArrayInput
}

// Group is a created node group.
type Group struct {
	NodeGroup      *eks.NodeGroup
	LaunchTemplate *ec2.LaunchTemplate
}

// RootDevice is the root volume device of the EKS AL2023 AMIs.
const RootDevice = "/dev/xvda"

// New creates the launch template, node group and autoscaler tags named name, name, and name-ca-<tag>.
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*Group, error) {
	display := args.DisplayName
	if display == "" {
		display = name
	}
	t := args.Tags
	instanceTags := t.All(display)
	lt, err := ec2.NewLaunchTemplate(ctx, name, &ec2.LaunchTemplateArgs{
		Description:          pulumi.Sprintf("Node template of %s", display),
		UpdateDefaultVersion: pulumi.Bool(true),
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String(RootDevice),
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(args.DiskSizeGiB),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: instanceTags},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: instanceTags},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("network-interface"), Tags: instanceTags},
		},
		VpcSecurityGroupIds: args.SecurityGroupIDs,
		Tags:                t.For(display),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("node group %s: launch template: %w", name, err)
	}

	taints := eks.NodeGroupTaintArray{}
	for _, tn := range args.Taints {
		taints = append(taints, eks.NodeGroupTaintArgs{Key: pulumi.String(tn.Key), Value: pulumi.String(tn.Value), Effect: pulumi.String(tn.Effect)})
	}
	ng, err := eks.NewNodeGroup(ctx, name, &eks.NodeGroupArgs{
		ClusterName:   args.ClusterName,
		NodeRoleArn:   args.NodeRoleArn,
		SubnetIds:     args.SubnetIDs,
		AmiType:       pulumi.String(args.AMIType),
		CapacityType:  pulumi.String(args.CapacityType),
		InstanceTypes: pulumi.ToStringArray(args.InstanceTypes),
		ScalingConfig: eks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(args.MinSize),
			DesiredSize: pulumi.Int(args.DesiredSize),
			MaxSize:     pulumi.Int(args.MaxSize),
		},
		Labels: pulumi.ToStringMap(args.Labels),
		Taints: taints,
		LaunchTemplate: eks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput),
		},
		// Roll a third of the nodes at a time on AMI or template changes.
		UpdateConfig: eks.NodeGroupUpdateConfigArgs{MaxUnavailablePercentage: pulumi.Int(33)},
		Tags:         t.For(display),
	}, append(opts,
		// The autoscaler owns the size once the group exists; a `pulumi up` must not undo its decision.
		pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}),
	)...)
	if err != nil {
		return nil, fmt.Errorf("node group %s: %w", name, err)
	}

	asgName := ng.Resources.ApplyT(func(rs []eks.NodeGroupResource) string {
		if len(rs) == 0 || len(rs[0].AutoscalingGroups) == 0 || rs[0].AutoscalingGroups[0].Name == nil {
			return ""
		}
		return *rs[0].AutoscalingGroups[0].Name
	}).(pulumi.StringOutput)
	templateTags := NodeTemplateTags(args.Labels, args.Taints, args.ExtraResources)
	for _, k := range sortedKeys(templateTags) {
		if _, err := autoscaling.NewTag(ctx, fmt.Sprintf("%s-ca-%s", name, tagKeySlug(k)), &autoscaling.TagArgs{
			AutoscalingGroupName: asgName,
			Tag: autoscaling.TagTagArgs{
				Key:               pulumi.String(k),
				Value:             pulumi.String(templateTags[k]),
				PropagateAtLaunch: pulumi.Bool(false),
			},
		}, opts...); err != nil {
			return nil, fmt.Errorf("node group %s: autoscaler tag %s: %w", name, k, err)
		}
	}
	return &Group{NodeGroup: ng, LaunchTemplate: lt}, nil
}

// NodeTemplateTags are the cluster-autoscaler tags describing what a node of the group would look like, so
// the autoscaler can pick the group for a pending pod while the group has no nodes.
func NodeTemplateTags(labels map[string]string, taints []Taint, resources map[string]string) map[string]string {
	const prefix = "k8s.io/cluster-autoscaler/node-template/"
	out := map[string]string{}
	for k, v := range labels {
		out[prefix+"label/"+k] = v
	}
	for _, tn := range taints {
		out[prefix+"taint/"+tn.Key] = tn.Value + ":" + k8sEffect(tn.Effect)
	}
	for k, v := range resources {
		out[prefix+"resources/"+k] = v
	}
	return out
}

// k8sEffect turns EKS's NO_SCHEDULE into Kubernetes' NoSchedule.
func k8sEffect(eksEffect string) string {
	parts := strings.Split(strings.ToLower(eksEffect), "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func tagKeySlug(k string) string {
	k = strings.TrimPrefix(k, "k8s.io/cluster-autoscaler/node-template/")
	return strings.NewReplacer("/", "-", ".", "-", "_", "-").Replace(k)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
