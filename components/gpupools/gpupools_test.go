package gpupools

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/tags"
)

func run(t *testing.T, pools map[string]Pool) mockgraph.Graph {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("us-west-2")})
		if err != nil {
			return err
		}
		_, err = NewGPUPools(ctx, "gpu", &GPUPoolsArgs{
			ClusterName: pulumi.String("platform-dev"), NodeRoleArn: pulumi.String("arn:aws:iam::1:role/node"),
			SubnetIDs: pulumi.ToStringArray([]string{"subnet-1"}), Pools: pools, NodeSecurityGroupID: pulumi.String("sg-node"),
			Tags: tags.New("dev", "team", "cc", nil), NamePrefix: "platform-dev",
		}, pulumi.Provider(p))
		return err
	}, mockgraph.Options{})
	require.NoError(t, err)
	return g
}

func TestEachPoolIsATaintedLabelledNodeGroupThatCanScaleToZero(t *testing.T) {
	g := run(t, map[string]Pool{
		"inference": {InstanceTypes: []string{"g6.xlarge"}, CapacityType: "SPOT", MinSize: 0, DesiredSize: 0, MaxSize: 3},
		"training":  {InstanceTypes: []string{"p5.48xlarge"}, MinSize: 0, DesiredSize: 0, MaxSize: 1, Labels: map[string]string{"team": "research"}},
	})
	ngs := g.OfType("aws:eks/nodeGroup:NodeGroup")
	require.Len(t, ngs, 2)

	inf := g.Named(t, "aws:eks/nodeGroup:NodeGroup", "gpu-inference")
	assert.Equal(t, "SPOT", inf.Inputs["capacityType"].StringValue())
	assert.Equal(t, "AL2023_x86_64_NVIDIA", inf.Inputs["amiType"].StringValue())
	assert.Equal(t, 0.0, inf.Inputs["scalingConfig"].ObjectValue()["minSize"].NumberValue())
	assert.Contains(t, inf.IgnoreChanges, "scalingConfig.desiredSize")
	labels := inf.Inputs["labels"].ObjectValue()
	assert.Equal(t, "L4", labels[LabelModel].StringValue())
	assert.Equal(t, "inference", labels[LabelPool].StringValue())
	taint := inf.Inputs["taints"].ArrayValue()[0].ObjectValue()
	assert.Equal(t, TaintKey, taint["key"].StringValue())
	assert.Equal(t, "NO_SCHEDULE", taint["effect"].StringValue())

	train := g.Named(t, "aws:eks/nodeGroup:NodeGroup", "gpu-training")
	assert.Equal(t, "ON_DEMAND", train.Inputs["capacityType"].StringValue(), "on-demand unless asked")
	assert.Equal(t, "research", train.Inputs["labels"].ObjectValue()["team"].StringValue())
	assert.Equal(t, "H100", train.Inputs["labels"].ObjectValue()[LabelModel].StringValue())
}

func TestScaleFromZeroTagsDescribeTheNodesOnTheAutoScalingGroup(t *testing.T) {
	g := run(t, map[string]Pool{"inference": {InstanceTypes: []string{"g5.xlarge"}, MaxSize: 2}})
	got := map[string]string{}
	for _, r := range g.OfType("aws:autoscaling/tag:Tag") {
		tag := r.Inputs["tag"].ObjectValue()
		got[tag["key"].StringValue()] = tag["value"].StringValue()
		assert.Equal(t, "eks-gpu-inference-asg", r.Inputs["autoscalingGroupName"].StringValue(), "tags go on the group's ASG")
		assert.False(t, tag["propagateAtLaunch"].BoolValue())
	}
	const p = "k8s.io/cluster-autoscaler/node-template/"
	assert.Equal(t, "true:NoSchedule", got[p+"taint/nvidia.com/gpu"])
	assert.Equal(t, "nvidia", got[p+"label/"+LabelAccelerator])
	assert.Equal(t, "A10G", got[p+"label/"+LabelModel])
	// cluster-autoscaler's AWS provider waits for a node with this label to report its GPUs instead of
	// scaling out again; the tag gives a pool at zero nodes the same label.
	assert.Equal(t, "nvidia-a10g", got[p+"label/k8s.amazonaws.com/accelerator"])
}

func TestEveryPoolNodeCarriesTheAutoscalersGPULabel(t *testing.T) {
	g := run(t, map[string]Pool{
		"l4":   {InstanceTypes: []string{"g6.xlarge"}, MaxSize: 1},
		"h100": {InstanceTypes: []string{"p5.48xlarge"}, MaxSize: 1},
	})
	got := map[string]string{}
	for _, ng := range g.OfType("aws:eks/nodeGroup:NodeGroup") {
		got[ng.Name] = ng.Inputs["labels"].ObjectValue()["k8s.amazonaws.com/accelerator"].StringValue()
	}
	assert.Equal(t, map[string]string{"gpu-l4": "nvidia-l4", "gpu-h100": "nvidia-h100"}, got)
}

func TestNoPoolsIsAnEmptyComponent(t *testing.T) {
	g := run(t, nil)
	assert.Empty(t, g.OfType("aws:eks/nodeGroup:NodeGroup"))
	g.Only(t, Type)
}

func TestModel(t *testing.T) {
	assert.Equal(t, "L40S", Model([]string{"g6e.2xlarge", "g6e.4xlarge"}))
	assert.Equal(t, "mixed", Model([]string{"g6.xlarge", "g5.xlarge"}))
}

// The pools' nodes carry the cluster's node security group (pulumi-eks's), alone.
func TestPoolNodesUseTheClustersNodeSecurityGroup(t *testing.T) {
	g := run(t, map[string]Pool{"inference": {InstanceTypes: []string{"g6.xlarge"}, MaxSize: 2}})
	lt := g.Named(t, "aws:ec2/launchTemplate:LaunchTemplate", "gpu-inference")
	var ids []string
	for _, v := range lt.Inputs["vpcSecurityGroupIds"].ArrayValue() {
		ids = append(ids, v.StringValue())
	}
	assert.Equal(t, []string{"sg-node"}, ids)
}
