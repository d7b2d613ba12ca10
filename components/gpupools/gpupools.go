// Package gpupools provides the GPU node pools LLM inference runs on: one EKS managed node group per pool,
// keyed by pool name, on the AL2023 NVIDIA AMI (driver and container toolkit preinstalled), tainted
// nvidia.com/gpu=true:NoSchedule so only pods that tolerate it land there, labelled with the accelerator and
// GPU model, able to scale to zero and back (cluster-autoscaler node-template tags), and with the desired
// size left to the autoscaler after creation.
//
// It does not install the NVIDIA device plugin or the autoscaler; those are in-cluster services.
package gpupools

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/nodegroup"
	"github.com/platform-team/platform/internal/tags"
)

// Type is the component's type token.
const Type = "platform:gpupools:GPUPools"

// Labels and taint every GPU node carries. Workloads select GPU nodes with these and tolerate the taint.
const (
	LabelAccelerator = "platform.io/accelerator"
	LabelPool        = "platform.io/gpu-pool"
	LabelModel       = "platform.io/gpu-model"
	LabelGPUPresent  = "nvidia.com/gpu.present"
	TaintKey         = "nvidia.com/gpu"
	// LabelAWSAccelerator is the GPU label of cluster-autoscaler's AWS cloud provider
	// (cluster-autoscaler/cloudprovider/aws/aws_cloud_provider.go, GPULabel). A node carrying it whose
	// nvidia.com/gpu is still 0 (device plugin not yet up) is treated as not ready rather than as a node
	// without GPUs, so the autoscaler waits for it instead of scaling out again for the same pending pod.
	// Through the node-template tags it also describes a pool scaled to zero.
	LabelAWSAccelerator = "k8s.amazonaws.com/accelerator"
)

// Pool sizes and shapes one GPU pool.
type Pool struct {
	// InstanceTypes with NVIDIA GPUs. Required.
	InstanceTypes []string
	// AMIType. Default: AL2023_x86_64_NVIDIA.
	AMIType string
	// CapacityType ON_DEMAND or SPOT. Default: ON_DEMAND.
	CapacityType string
	// MinSize (0 scales to zero), DesiredSize (at creation only) and MaxSize.
	MinSize, DesiredSize, MaxSize int
	// DiskSizeGiB of the root volume (images and model weights). Default: 200.
	DiskSizeGiB int
	// Labels added to the pool's nodes. Default: none.
	Labels map[string]string
}

// GPUPoolsArgs configure every pool of a cluster.
type GPUPoolsArgs struct {
	// ClusterName of the EKS cluster. Required.
	ClusterName pulumi.StringInput
	// NodeRoleArn shared by all node groups. Required.
	NodeRoleArn pulumi.StringInput
	// SubnetIDs (private) the nodes run in. Required.
	SubnetIDs pulumi.StringArrayInput
	// NodeSecurityGroupID is the cluster's node security group (the cluster component's
	// nodeSecurityGroupId), the only one on the pools' nodes. Default: none (EKS's cluster security group).
	NodeSecurityGroupID pulumi.StringInput
	// Pools keyed by pool name. Default: none (the component is empty).
	Pools map[string]Pool
	// Tags is the environment's tag set. Required.
	Tags tags.Set
	// NamePrefix of the pools' display names (usually the cluster name). Default: the component name.
	NamePrefix string
}

// GPUPools is every GPU node group of a cluster.
type GPUPools struct {
	pulumi.ResourceState

	// NodeGroupNames maps pool name to the EKS node group name.
	NodeGroupNames pulumi.StringMapOutput `pulumi:"nodeGroupNames"`
}

// NewGPUPools creates one node group per pool, in sorted pool order.
func NewGPUPools(ctx *pulumi.Context, name string, args *GPUPoolsArgs, opts ...pulumi.ResourceOption) (*GPUPools, error) {
	if args == nil {
		return nil, fmt.Errorf("gpu pools %s: args are required", name)
	}
	g := &GPUPools{}
	if err := ctx.RegisterComponentResource(Type, name, g, opts...); err != nil {
		return nil, err
	}
	prefix := args.NamePrefix
	if prefix == "" {
		prefix = name
	}
	keys := make([]string, 0, len(args.Pools))
	for k := range args.Pools {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	names := pulumi.StringMap{}
	for _, key := range keys {
		p := args.Pools[key]
		if len(p.InstanceTypes) == 0 {
			return nil, fmt.Errorf("gpu pool %q: at least one instance type is required", key)
		}
		group, err := nodegroup.New(ctx, fmt.Sprintf("%s-%s", name, key), nodegroup.Args{
			ClusterName:   args.ClusterName,
			NodeRoleArn:   args.NodeRoleArn,
			SubnetIDs:     args.SubnetIDs,
			InstanceTypes: p.InstanceTypes,
			AMIType:       orDefault(p.AMIType, "AL2023_x86_64_NVIDIA"),
			CapacityType:  orDefault(p.CapacityType, "ON_DEMAND"),
			MinSize:       p.MinSize, DesiredSize: p.DesiredSize, MaxSize: p.MaxSize,
			DiskSizeGiB:      orDefaultInt(p.DiskSizeGiB, 200),
			Labels:           Labels(key, p),
			Taints:           []nodegroup.Taint{{Key: TaintKey, Value: "true", Effect: "NO_SCHEDULE"}},
			Tags:             args.Tags,
			DisplayName:      fmt.Sprintf("%s-gpu-%s", prefix, key),
			SecurityGroupIDs: securityGroups(args.NodeSecurityGroupID),
		}, pulumi.Parent(g))
		if err != nil {
			return nil, fmt.Errorf("gpu pool %q: %w", key, err)
		}
		names[key] = group.NodeGroup.NodeGroupName
	}
	g.NodeGroupNames = names.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{"nodeGroupNames": g.NodeGroupNames}); err != nil {
		return nil, err
	}
	return g, nil
}

// Labels returns the node labels of a pool: the pool's own plus accelerator, pool and GPU model.
func Labels(pool string, p Pool) map[string]string {
	out := map[string]string{}
	for k, v := range p.Labels {
		out[k] = v
	}
	out[LabelAccelerator] = "nvidia"
	out[LabelPool] = pool
	out[LabelGPUPresent] = "true"
	out[LabelModel] = Model(p.InstanceTypes)
	out[LabelAWSAccelerator] = AcceleratorType(out[LabelModel])
	return out
}

// acceleratorTypes are the values cluster-autoscaler's AWS provider lists for its GPU label
// (availableGPUTypes in aws_cloud_provider.go); models it does not list get "nvidia-<model>" in the same
// form, since the autoscaler's readiness check needs only the label to be present.
var acceleratorTypes = map[string]string{
	"T4": "nvidia-tesla-t4", "V100": "nvidia-tesla-v100", "A100": "nvidia-tesla-a100",
	"A10G": "nvidia-a10g", "L4": "nvidia-l4", "L40S": "nvidia-l40s",
}

// AcceleratorType is the k8s.amazonaws.com/accelerator value for a GPU model.
func AcceleratorType(model string) string {
	if v, ok := acceleratorTypes[model]; ok {
		return v
	}
	return "nvidia-" + strings.ToLower(model)
}

// gpuModels maps instance families to the GPU they carry.
var gpuModels = map[string]string{
	"g4dn": "T4", "g5": "A10G", "g6": "L4", "gr6": "L4", "g6e": "L40S", "g6f": "L4",
	"p3": "V100", "p3dn": "V100", "p4d": "A100", "p4de": "A100", "p5": "H100", "p5e": "H200", "p5en": "H200", "p6-b200": "B200",
}

// Model is the GPU model of the instance types, "mixed" when they differ, "unknown" for unlisted families.
func Model(instanceTypes []string) string {
	model := ""
	for _, it := range instanceTypes {
		family, _, _ := strings.Cut(it, ".")
		m, ok := gpuModels[family]
		if !ok {
			m = "unknown"
		}
		if model != "" && model != m {
			return "mixed"
		}
		model = m
	}
	return model
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func orDefaultInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// securityGroups is the launch template's security group list for id; nil leaves EKS's choice.
func securityGroups(id pulumi.StringInput) pulumi.StringArrayInput {
	if id == nil {
		return nil
	}
	return pulumi.StringArray{id}
}
