// Package config reads a stack's configuration (Pulumi.<env>.yaml, namespace "platform") into one typed
// struct, applies defaults in one place (defaults.go) and validates in one place (validation.go), returning
// every problem at once with its path. It does not create resources and knows nothing about Pulumi resources;
// components receive plain values from it through their Args.
package config

// Namespace is the Pulumi config namespace this program reads (the project name).
const Namespace = "platform"

// Environment is one of the three environments the platform supports.
type Environment string

const (
	Dev     Environment = "dev"
	Staging Environment = "staging"
	Prod    Environment = "prod"
)

// Environments lists the supported environments, cheapest first.
var Environments = []Environment{Dev, Staging, Prod}

// NAT gateway strategies for network.natGateways.
const (
	NATSingle = "single"
	NATPerAZ  = "perAz"
)

// Config is a whole stack's configuration.
type Config struct {
	// Environment selects the per-environment requirements (AZ count, endpoint exposure, log types).
	Environment Environment `json:"-"`
	AWS         AWS         `json:"-"`
	Tags        Tags        `json:"-"`
	Network     Network     `json:"-"`
	Cluster     Cluster     `json:"-"`
	// GPUPools are keyed by pool name; the key is part of every child resource name and node label.
	GPUPools map[string]GPUPool `json:"-"`
	// Services configures the in-cluster platform services (keys platform:mesh, :observability, :vault,
	// :gpuRuntime, :autoscaling; see services.go).
	Services Services `json:"-"`
}

// AWS is config key platform:aws.
type AWS struct {
	// Region all resources are created in. Required.
	Region string `json:"region"`
	// Profile is the AWS shared-config profile every run of the stack authenticates with: the aws provider's
	// `profile` and the kubeconfig's AWS_PROFILE. The profile, not the stack file, says which role a run
	// assumes (CI's .github/actions/aws-profile writes it per run: AssumeRoleArn for `pulumi up`,
	// ReadOnlyRoleArn for previews and drift checks), so the inputs Pulumi stores for the providers are the
	// same for every run and a read-only refresh or preview shows no provider diff. Default:
	// platform-<environment>.
	Profile string `json:"profile,omitempty"`
	// AssumeRoleArn is the deploy role: the role Profile resolves to for `pulumi up`. It creates the EKS
	// cluster, so EKS itself gives it an admin access entry (pulumi-eks v2.8.1 always sets
	// bootstrapClusterCreatorAdminPermissions); it must therefore not be listed in
	// cluster.adminPrincipalArns. Default: none (then the cluster creator is not known to the program).
	AssumeRoleArn string `json:"assumeRoleArn,omitempty"`
	// ReadOnlyRoleArn is the role Profile resolves to for previews and drift checks; the cluster gives it a
	// view access entry so the Kubernetes provider can read during a preview. Default: none.
	ReadOnlyRoleArn string `json:"readOnlyRoleArn,omitempty"`
	// AllowedAccountIDs guards against deploying into the wrong account. Required (at least one).
	AllowedAccountIDs []string `json:"allowedAccountIds"`
}

// Tags is config key platform:tags. Environment and ManagedBy are added by the program.
type Tags struct {
	// Owner is the team accountable for the environment. Required.
	Owner string `json:"owner"`
	// CostCenter the bill is charged to. Required.
	CostCenter string `json:"costCenter"`
	// Extra tags added to every resource. Default: none.
	Extra map[string]string `json:"extra,omitempty"`
}

// Network is config key platform:network.
type Network struct {
	// CIDR of the VPC (IPv4, /16 to /24). Required.
	CIDR string `json:"cidr"`
	// AZCount is how many availability zones the VPC spans. Default: 2 in dev and staging, 3 in prod.
	AZCount int `json:"azCount,omitempty"`
	// NATGateways is "single" (one shared NAT gateway) or "perAz". Default: single in dev, perAz elsewhere.
	NATGateways string `json:"natGateways,omitempty"`
	// SubnetNewBits sizes subnets relative to the VPC prefix. Default: private 3, public 6, intra 6.
	SubnetNewBits SubnetNewBits `json:"subnetNewBits,omitempty"`
	// FlowLogRetentionDays bounds the VPC flow logs (bucket lifecycle or log group retention). Default: 30 in
	// dev, 90 in staging, 365 in prod.
	FlowLogRetentionDays int `json:"flowLogRetentionDays,omitempty"`
	// FlowLogDestination is "s3" (an encrypted bucket with a lifecycle) or "cloud-watch-logs". Default: s3.
	FlowLogDestination string `json:"flowLogDestination,omitempty"`
	// FlowLogAggregationSeconds is the flow logs' maximum aggregation interval, 60 or 600. Default: 600.
	FlowLogAggregationSeconds int `json:"flowLogAggregationSeconds,omitempty"`
	// InterfaceEndpoints are the AWS services reached through private interface endpoints. Default: none in
	// dev, where the NAT gateway is cheaper for its traffic (README, "Idle cost"); elsewhere ecr.api, ecr.dkr,
	// sts, ec2, logs, elasticloadbalancing, autoscaling, kms, ssm, eks-auth.
	InterfaceEndpoints []string `json:"interfaceEndpoints,omitempty"`
}

// SubnetNewBits is network.subnetNewBits: prefix bits added to the VPC prefix for each subnet tier.
type SubnetNewBits struct {
	Private int `json:"private,omitempty"`
	Public  int `json:"public,omitempty"`
	Intra   int `json:"intra,omitempty"`
}

// Cluster is config key platform:cluster.
type Cluster struct {
	// Name of the EKS cluster: lowercase letters, digits and hyphens, at most MaxClusterNameLength (20)
	// characters so every name derived from it fits (see DerivedNames). Default: platform-<environment>.
	Name string `json:"name,omitempty"`
	// KubernetesVersion is the pinned control-plane version, one of SupportedKubernetesVersions. Required.
	KubernetesVersion string `json:"kubernetesVersion"`
	// ServiceCIDR is the Kubernetes service IPv4 range; must not overlap the VPC. Default: 172.20.0.0/16.
	ServiceCIDR string `json:"serviceCidr,omitempty"`
	// Endpoint controls API server exposure. The private endpoint is always on.
	Endpoint Endpoint `json:"endpoint,omitempty"`
	// LogTypes are the control-plane log types shipped to CloudWatch.
	// Default: api, audit, authenticator (dev, staging); all five in prod.
	LogTypes []string `json:"logTypes,omitempty"`
	// LogRetentionDays bounds the control-plane log group. Default: 30 in dev, 90 in staging, 365 in prod.
	LogRetentionDays int `json:"logRetentionDays,omitempty"`
	// AdminPrincipalArns get cluster-admin through EKS access entries. Required (at least one). The deploy role
	// (aws.assumeRoleArn) is not listed: it already has the creator's admin entry, and EKS allows one access
	// entry per principal.
	AdminPrincipalArns []string `json:"adminPrincipalArns"`
	// ReadOnlyPrincipalArns get the view policy cluster-wide. Default: none.
	ReadOnlyPrincipalArns []string `json:"readOnlyPrincipalArns,omitempty"`
	// Addons pins EKS managed add-on versions by add-on name (see ManagedAddons). Default: none pinned means
	// EKS picks its default version for the cluster version at creation time.
	Addons map[string]string `json:"addons,omitempty"`
	// KMSDeletionWindowDays for the secrets-encryption key. Default: 7 in dev, 30 elsewhere.
	KMSDeletionWindowDays int `json:"kmsDeletionWindowDays,omitempty"`
	// SystemNodeGroup runs cluster-critical add-ons (CoreDNS, controllers).
	SystemNodeGroup NodeGroup `json:"systemNodeGroup,omitempty"`
	// NetworkPolicy is enforcement of Kubernetes NetworkPolicies by the VPC CNI.
	NetworkPolicy NetworkPolicy `json:"networkPolicy,omitempty"`
}

// NetworkPolicy is cluster.networkPolicy.
type NetworkPolicy struct {
	// Enforce turns on the VPC CNI's network policy agent (the vpc-cni add-on's enableNetworkPolicy), which
	// enforces the platform namespaces' default deny and the allows of their documented flows (docs/services.md,
	// "Network isolation"); off, the NetworkPolicies exist but nothing enforces them. Needs vpc-cni v1.14.0 or
	// later. Default: true. Must be true in prod.
	Enforce *bool `json:"enforce,omitempty"`
}

// Endpoint is cluster.endpoint.
type Endpoint struct {
	// PublicAccess opens the public API endpoint (restricted to PublicAccessCidrs). Default: false.
	PublicAccess bool `json:"publicAccess,omitempty"`
	// PublicAccessCidrs allowed to reach the public endpoint; required when PublicAccess is true,
	// never 0.0.0.0/0. Default: none.
	PublicAccessCidrs []string `json:"publicAccessCidrs,omitempty"`
	// CIRunner is CI's path to a private-only endpoint: a CodeBuild project in the VPC's private subnets that
	// runs this repository's GitHub Actions jobs (components/cirunner). Required where the endpoint must be
	// private-only (staging, prod); allowed anywhere. Default: none.
	CIRunner *CIRunner `json:"ciRunner,omitempty"`
}

// CIRunner is cluster.endpoint.ciRunner.
type CIRunner struct {
	// Repository is the GitHub repository ("owner/name") whose queued workflow jobs the runner takes.
	// Required.
	Repository string `json:"repository"`
	// ConnectionArn is the AWS CodeConnections connection to GitHub that CodeBuild authenticates with
	// (created and authorized once per account in the console; docs/pipeline.md). Required.
	ConnectionArn string `json:"connectionArn"`
	// ComputeType of the runner's builds. Default: BUILD_GENERAL1_LARGE (the program's first build compiles
	// the AWS SDK).
	ComputeType string `json:"computeType,omitempty"`
	// Image of the runner's builds. Default: aws/codebuild/amazonlinux-x86_64-standard:5.0.
	Image string `json:"image,omitempty"`
	// LogRetentionDays of the runner's build logs. Default: the environment's log retention.
	LogRetentionDays int `json:"logRetentionDays,omitempty"`
	// AllowedActorIDs are the numeric GitHub account IDs whose workflow runs may start the runner (the webhook's
	// ACTOR_ACCOUNT_ID filter; `gh api users/<login> --jq .id`). A workflow file in a pull request can name the
	// runner's label; with this list, only runs its maintainers trigger reach the VPC. Scheduled runs (drift)
	// carry the actor who last changed the schedule: keep that account listed. Default: none (any run of the
	// repository; docs/pipeline.md says what protects it then).
	AllowedActorIDs []string `json:"allowedActorIds,omitempty"`
}

// NodeGroup is cluster.systemNodeGroup.
type NodeGroup struct {
	// InstanceTypes for the group. Default: [m6i.large].
	InstanceTypes []string `json:"instanceTypes,omitempty"`
	// MinSize of the group. Default: 2 (3 in prod).
	MinSize *int `json:"minSize,omitempty"`
	// DesiredSize at creation; ignored afterwards. Default: MinSize.
	DesiredSize *int `json:"desiredSize,omitempty"`
	// MaxSize of the group. Default: 4 (6 in prod).
	MaxSize *int `json:"maxSize,omitempty"`
	// DiskSizeGiB of the encrypted gp3 root volume. Default: 50.
	DiskSizeGiB int `json:"diskSizeGiB,omitempty"`
}

// GPUPool is one entry of config key platform:gpuPools.
type GPUPool struct {
	// InstanceTypes, all NVIDIA GPU x86_64 types (g4dn, g5, g6, g6e, p4d, p5, ...). Required.
	InstanceTypes []string `json:"instanceTypes"`
	// AMIType of the pool. Default: AL2023_x86_64_NVIDIA.
	AMIType string `json:"amiType,omitempty"`
	// CapacityType is ON_DEMAND or SPOT (any EKS capacity type). Default: SPOT in dev, ON_DEMAND elsewhere.
	CapacityType string `json:"capacityType,omitempty"`
	// MinSize; 0 lets the pool scale to zero. Default: 0.
	MinSize *int `json:"minSize,omitempty"`
	// DesiredSize at creation; ignored afterwards so the autoscaler owns it. Default: MinSize.
	DesiredSize *int `json:"desiredSize,omitempty"`
	// MaxSize. Required.
	MaxSize *int `json:"maxSize"`
	// DiskSizeGiB of the encrypted gp3 root volume (model weights are large). Default: 200.
	DiskSizeGiB int `json:"diskSizeGiB,omitempty"`
	// Labels added to the pool's nodes (on top of the accelerator and GPU type labels). Default: none.
	Labels map[string]string `json:"labels,omitempty"`
}
