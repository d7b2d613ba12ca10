// Package cluster provides an EKS control plane built on pulumi-eks: API authentication with access entries
// for admin and read-only principals, secrets envelope encryption with a customer-managed KMS key, control-
// plane logs to a KMS-encrypted log group with bounded retention, a private API endpoint (the public one off
// or CIDR-restricted), an IAM OIDC provider for IRSA, EKS managed add-ons at pinned versions (VPC CNI and EBS
// CSI driver on their own IRSA roles, never the node role), one node role (given to pulumi-eks as its instance
// role, so it creates none), and the system managed node group that runs them. The cluster creator (the
// deploy role) gets its admin access entry from EKS, never a second one from here, and every kubeconfig
// authenticates with the stack's AWS profile (ClusterArgs.Profile), which resolves to the run's role.
//
// It does not create workload node pools (see components/gpupools) or in-cluster services.
package cluster

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/irsa"
	"github.com/platform-team/platform/internal/kmskey"
	"github.com/platform-team/platform/internal/nodegroup"
	"github.com/platform-team/platform/internal/tags"
)

// Type is the component's type token.
const Type = "platform:cluster:Cluster"

// SystemNodeLabel marks the system node group's nodes; cluster-critical add-ons select it.
const SystemNodeLabel = "platform.io/node-role"

// ClusterArgs configure the control plane and the system node group.
type ClusterArgs struct {
	// Name of the EKS cluster. Required.
	Name string
	// KubernetesVersion, e.g. "1.34". Required.
	KubernetesVersion string
	// VpcID and the subnets: control-plane ENIs go in the intra subnets, nodes in the private ones. Required.
	VpcID            pulumi.StringInput
	IntraSubnetIDs   pulumi.StringArrayInput
	PrivateSubnetIDs pulumi.StringArrayInput
	// ServiceCIDR is the Kubernetes service range. Default: EKS's choice.
	ServiceCIDR string
	// PublicAccess enables the public API endpoint for PublicAccessCidrs. The private endpoint is always on.
	// Default: false.
	PublicAccess      bool
	PublicAccessCidrs []string
	// LogTypes enabled on the control plane. Default: none.
	LogTypes []string
	// LogRetentionDays of the control-plane log group. Default: 365.
	LogRetentionDays int
	// AdminPrincipalArns get AmazonEKSClusterAdminPolicy; ReadOnlyPrincipalArns get AmazonEKSViewPolicy.
	// At least one admin is required. Neither may name CreatorRoleArn.
	AdminPrincipalArns    []string
	ReadOnlyPrincipalArns []string
	// CreatorRoleArn is the role the aws provider assumes when it creates the cluster (the deploy role).
	// pulumi-eks v2.8.1 always sets bootstrapClusterCreatorAdminPermissions, so EKS gives it an admin access
	// entry itself; the component creates none for it (EKS allows one entry per principal). Default: none
	// (the ambient identity creates the cluster).
	CreatorRoleArn string
	// Profile is the AWS shared-config profile the kubeconfigs authenticate with: pulumi-eks's own (through
	// providerCredentialOpts.profileName, which v2.8.1 turns into AWS_PROFILE in the exec environment) and
	// KubeconfigJSON (`--profile`). The profile resolves to the run's role (the deploy role for `pulumi up`, a view-only
	// role for previews), the same identity the aws provider uses, and its name is the same every run, so
	// nothing stored changes when a read-only run follows a deploy. Default: none (the ambient identity).
	Profile string
	// Region is passed to `aws eks get-token` in KubeconfigJSON (--region), so the token is signed for the
	// cluster's region whatever the caller's environment says. Default: none (the AWS CLI's own choice).
	Region string
	// APIClientSecurityGroupIDs are security groups of in-VPC clients of the private API endpoint (the CI
	// runner), keyed by a stable name; each gets HTTPS ingress on the API security group before pulumi-eks
	// first calls the API, so a first `pulumi up` can run from such a client. Default: none.
	APIClientSecurityGroupIDs map[string]pulumi.StringInput
	// AddonVersions pins managed add-on versions by name; a missing entry takes EKS's default for the
	// cluster version at creation. Default: none.
	AddonVersions map[string]string
	// Addons to install, in order. Default: vpc-cni, kube-proxy, coredns, eks-pod-identity-agent,
	// aws-ebs-csi-driver.
	Addons []string
	// NetworkPolicy turns on the VPC CNI's network policy agent through the vpc-cni add-on's configuration
	// (VpcCniConfiguration), so the cluster enforces NetworkPolicies. Default: false (the program sets
	// cluster.networkPolicy.enforce, true by default).
	NetworkPolicy bool
	// KMSDeletionWindowDays of the secrets key. Default: 30.
	KMSDeletionWindowDays int
	// SystemNodeGroup sizing. Required.
	SystemNodeGroup SystemNodeGroup
	// Tags is the environment's tag set. Required.
	Tags tags.Set
	// Protect guards the control plane and the secrets key against deletion (a mistaken destroy or a
	// replacing diff). Default: false; the program sets it in prod.
	Protect bool
}

// SystemNodeGroup sizes the system node group.
type SystemNodeGroup struct {
	InstanceTypes                 []string
	MinSize, DesiredSize, MaxSize int
	DiskSizeGiB                   int
}

// DefaultAddons are installed when ClusterArgs.Addons is empty.
var DefaultAddons = []string{"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"}

// addonsAfterNodes need running nodes before EKS reports them active.
var addonsAfterNodes = map[string]bool{"coredns": true, "aws-ebs-csi-driver": true}

// addonServiceAccounts are the add-ons that call AWS APIs, with their service account and managed policy.
var addonServiceAccounts = map[string]struct{ namespace, serviceAccount, policy string }{
	"vpc-cni":            {"kube-system", "aws-node", "AmazonEKS_CNI_Policy"},
	"aws-ebs-csi-driver": {"kube-system", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy"},
}

// Cluster is the EKS control plane, its OIDC provider, add-ons and system node group.
type Cluster struct {
	pulumi.ResourceState

	// Name of the EKS cluster.
	Name pulumi.StringOutput `pulumi:"name"`
	// KubeconfigJSON authenticates with `aws eks get-token`; it is a secret.
	KubeconfigJSON pulumi.StringOutput `pulumi:"kubeconfigJson"`
	// OidcProviderArn and OidcIssuer (without https://) for IRSA trust policies.
	OidcProviderArn pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OidcIssuer      pulumi.StringOutput `pulumi:"oidcIssuer"`
	// NodeSecurityGroupID is pulumi-eks's node security group, the only security group on every managed
	// node (the system group's and, through gpupools, the GPU pools' launch templates name it).
	NodeSecurityGroupID pulumi.StringOutput `pulumi:"nodeSecurityGroupId"`
	// APISecurityGroupID is the control plane's security group, given to pulumi-eks as its cluster security
	// group (so it creates none of its own): nodes and APIClientSecurityGroupIDs get HTTPS ingress on it.
	APISecurityGroupID pulumi.StringOutput `pulumi:"apiSecurityGroupId"`
	// KmsKeyArn encrypts Kubernetes secrets and the control-plane logs.
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// NodeRoleArn is the role every managed node group's instances use.
	NodeRoleArn pulumi.StringOutput `pulumi:"nodeRoleArn"`
	// SystemNodeGroupName is the EKS name of the system node group.
	SystemNodeGroupName pulumi.StringOutput `pulumi:"systemNodeGroupName"`

	// ControlPlane is the pulumi-eks component, for dependencies.
	ControlPlane *eks.Cluster `pulumi:"-"`
}

// NewCluster creates the cluster. Pass the aws provider with pulumi.Provider: it reaches every child,
// including the pulumi-eks component's own children, so nothing uses the older aws provider pulumi-eks
// bundles (it predates the AL2023 NVIDIA AMI types).
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		return nil, fmt.Errorf("cluster %s: args are required", name)
	}
	if err := validateArgs(args); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	t := args.Tags
	logGroupName := fmt.Sprintf("/aws/eks/%s/cluster", args.Name)

	key, err := kmskey.New(ctx, name+"-secrets", kmskey.Args{
		Description:        pulumi.Sprintf("Envelope encryption of Kubernetes secrets and control-plane logs of %s", args.Name),
		DeletionWindowDays: args.KMSDeletionWindowDays,
		Alias:              pulumi.String(args.Name + "-eks"),
		ServiceStatements:  []map[string]any{kmskey.CloudWatchLogsStatement(logGroupName)},
		Tags:               t.For(args.Name + "-eks"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	// EKS would create this group itself, unencrypted and kept forever; creating it first sets both.
	retention := args.LogRetentionDays
	if retention == 0 {
		retention = 365
	}
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logGroupName),
		RetentionInDays: pulumi.Int(retention),
		KmsKeyId:        key.Arn,
		Tags:            t.For(args.Name + "-control-plane"),
	}, parent)
	if err != nil {
		return nil, err
	}

	// The program's node role is the cluster's one instance role: pulumi-eks then creates no role of its own
	// (its default one carries the CNI policy, which belongs on the vpc-cni add-on's IRSA role) and gives
	// this one the EC2_LINUX access entry nodes join with.
	nodeRole, err := nodeRole(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}

	// The control plane's security group is ours rather than pulumi-eks's, so its ingress rules for in-VPC
	// clients exist before pulumi-eks calls the API (its gp3 StorageClass) from such a client. pulumi-eks
	// v2.8.1 then creates no cluster security group and adds its node-to-API rule to this one
	// (nodejs/eks/cluster.ts, clusterSecurityGroup; nodejs/eks/securitygroup.ts). No egress: the control
	// plane's interfaces also carry the security group EKS creates, which allows it.
	apiSG, err := ec2.NewSecurityGroup(ctx, name+"-api", &ec2.SecurityGroupArgs{
		VpcId:               args.VpcID,
		Description:         pulumi.Sprintf("EKS API endpoint of %s: HTTPS from nodes and in-VPC clients", args.Name),
		Egress:              ec2.SecurityGroupEgressArray{},
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                t.For(args.Name + "-api"),
	}, parent)
	if err != nil {
		return nil, err
	}
	apiRules := []pulumi.Resource{}
	for _, key := range sortedKeys(args.APIClientSecurityGroupIDs) {
		rule, err := ec2.NewSecurityGroupRule(ctx, name+"-api-"+key, &ec2.SecurityGroupRuleArgs{
			Type:                  pulumi.String("ingress"),
			Description:           pulumi.Sprintf("%s to the EKS API", key),
			Protocol:              pulumi.String("tcp"),
			FromPort:              pulumi.Int(443),
			ToPort:                pulumi.Int(443),
			SecurityGroupId:       apiSG.ID(),
			SourceSecurityGroupId: args.APIClientSecurityGroupIDs[key],
		}, parent)
		if err != nil {
			return nil, err
		}
		apiRules = append(apiRules, rule)
	}

	entries := map[string]eks.AccessEntryArgs{}
	for i, arn := range args.AdminPrincipalArns {
		entries[fmt.Sprintf("admin-%s", principalKey(arn, i))] = accessEntry(arn, "AmazonEKSClusterAdminPolicy")
	}
	for i, arn := range args.ReadOnlyPrincipalArns {
		entries[fmt.Sprintf("view-%s", principalKey(arn, i))] = accessEntry(arn, "AmazonEKSViewPolicy")
	}
	auth := eks.AuthenticationModeApi
	useDefaultCni := true
	yes, waitForConsumer := true, "WaitForFirstConsumer"
	cp, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:                 pulumi.String(args.Name),
		Version:              pulumi.String(args.KubernetesVersion),
		VpcId:                args.VpcID,
		SubnetIds:            args.IntraSubnetIDs,
		SkipDefaultNodeGroup: pulumi.BoolRef(true),
		// EKS installs its default VPC CNI; the managed vpc-cni add-on below takes it over. pulumi-eks's own
		// CNI deployment would fight the managed add-on.
		UseDefaultVpcCni:     &useDefaultCni,
		AuthenticationMode:   &auth,
		AccessEntries:        entries,
		ClusterSecurityGroup: apiSG,
		InstanceRole:         nodeRole,
		// The kubeconfig pulumi-eks's own Kubernetes provider uses (it creates the gp3 StorageClass) runs
		// `aws eks get-token` with the stack's profile, the identity that holds an access entry.
		ProviderCredentialOpts:          credentialOpts(args.Profile),
		CreateOidcProvider:              pulumi.Bool(false),
		EncryptionConfigKeyArn:          key.Arn,
		EnabledClusterLogTypes:          pulumi.ToStringArray(args.LogTypes),
		EndpointPrivateAccess:           pulumi.Bool(true),
		EndpointPublicAccess:            pulumi.Bool(args.PublicAccess),
		PublicAccessCidrs:               publicCidrs(args),
		KubernetesServiceIpAddressRange: optionalString(args.ServiceCIDR),
		// The default StorageClass is encrypted gp3 (pulumi-eks would otherwise make unencrypted gp2 default).
		StorageClasses: map[string]eks.StorageClass{
			"gp3": {Type: "gp3", Encrypted: &yes, Default: &yes, AllowVolumeExpansion: &yes, VolumeBindingMode: &waitForConsumer},
		},
		Tags:        t.All(""),
		ClusterTags: t.For(args.Name),
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{logGroup}, apiRules...)), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	// The concrete cluster's identity and security group come from the EKS API once the cluster exists.
	described := awseks.LookupClusterOutput(ctx, awseks.LookupClusterOutputArgs{Name: pulumi.String(args.Name)},
		parent, pulumi.DependsOn([]pulumi.Resource{cp}))
	issuerURL := described.Identities().Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer()
	oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           issuerURL,
		ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
		Tags:          t.For(args.Name + "-oidc"),
	}, parent)
	if err != nil {
		return nil, err
	}
	issuer := issuerURL.ApplyT(func(u string) string { return strings.TrimPrefix(u, "https://") }).(pulumi.StringOutput)

	addons := args.Addons
	if len(addons) == 0 {
		addons = DefaultAddons
	}
	clusterDeps := []pulumi.Resource{cp}
	var early []pulumi.Resource
	for _, addon := range addons {
		if addonsAfterNodes[addon] {
			continue
		}
		a, err := newAddon(ctx, name, addon, args, oidc.Arn, issuer, parent, pulumi.DependsOn(clusterDeps))
		if err != nil {
			return nil, err
		}
		early = append(early, a)
	}

	// pulumi-eks v2.8.1 always creates a node security group with the rules nodes need (node to node,
	// control plane to kubelet and webhooks, nodes to the API server: nodejs/eks/securitygroup.ts) and
	// offers no switch to skip it. The nodes use it, alone, so it is not an unused group beside EKS's
	// cluster security group; it also keeps one security group tagged kubernetes.io/cluster/<name> per
	// node, which the Service load-balancer controller requires.
	nodeSG := cp.NodeSecurityGroup.ApplyT(func(sg *ec2.SecurityGroup) pulumi.StringOutput {
		if sg == nil {
			// Only a monitor that cannot serve pulumi-eks's resource references (the unit tests' mocks)
			// gets here; EC2 would refuse the empty ID in a real run.
			return pulumi.String("").ToStringOutput()
		}
		return sg.ID().ToStringOutput()
	}).(pulumi.StringOutput)

	sys := args.SystemNodeGroup
	group, err := nodegroup.New(ctx, name+"-system", nodegroup.Args{
		ClusterName:   pulumi.String(args.Name),
		NodeRoleArn:   nodeRole.Arn,
		SubnetIDs:     args.PrivateSubnetIDs,
		InstanceTypes: sys.InstanceTypes,
		AMIType:       "AL2023_x86_64_STANDARD",
		CapacityType:  "ON_DEMAND",
		MinSize:       sys.MinSize, DesiredSize: sys.DesiredSize, MaxSize: sys.MaxSize,
		DiskSizeGiB:      sys.DiskSizeGiB,
		Labels:           map[string]string{SystemNodeLabel: "system"},
		Tags:             t,
		DisplayName:      args.Name + "-system",
		SecurityGroupIDs: pulumi.StringArray{nodeSG},
	}, parent, pulumi.DependsOn(append(clusterDeps, early...)))
	if err != nil {
		return nil, err
	}
	for _, addon := range addons {
		if !addonsAfterNodes[addon] {
			continue
		}
		if _, err := newAddon(ctx, name, addon, args, oidc.Arn, issuer, parent,
			pulumi.DependsOn([]pulumi.Resource{cp, group.NodeGroup})); err != nil {
			return nil, err
		}
	}

	c.ControlPlane = cp
	c.Name = pulumi.String(args.Name).ToStringOutput()
	// pulumi-eks exports the kubeconfig without the profile (v2.8.1 cluster.ts, kubeconfigWithoutProfile);
	// the program's Kubernetes provider and people using the output need it, and the region.
	c.KubeconfigJSON = pulumi.ToSecret(cp.KubeconfigJson.ApplyT(func(kc string) (string, error) {
		return withIdentity(kc, args.Profile, args.Region)
	})).(pulumi.StringOutput)
	c.OidcProviderArn = oidc.Arn
	c.OidcIssuer = issuer
	c.NodeSecurityGroupID = nodeSG
	c.APISecurityGroupID = apiSG.ID().ToStringOutput()
	c.KmsKeyArn = key.Arn
	c.NodeRoleArn = nodeRole.Arn
	c.SystemNodeGroupName = group.NodeGroup.NodeGroupName
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name":                c.Name,
		"kubeconfigJson":      c.KubeconfigJSON,
		"oidcProviderArn":     c.OidcProviderArn,
		"oidcIssuer":          c.OidcIssuer,
		"nodeSecurityGroupId": c.NodeSecurityGroupID,
		"apiSecurityGroupId":  c.APISecurityGroupID,
		"kmsKeyArn":           c.KmsKeyArn,
		"nodeRoleArn":         c.NodeRoleArn,
		"systemNodeGroupName": c.SystemNodeGroupName,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// validateArgs rejects what EKS would refuse only halfway through a real `pulumi up`, every problem at once.
func validateArgs(args *ClusterArgs) error {
	var problems []string
	if len(args.AdminPrincipalArns) == 0 {
		problems = append(problems, "at least one admin principal is required: with API authentication nobody else can administer the cluster")
	}
	if args.CreatorRoleArn != "" {
		for _, l := range []struct {
			field string
			arns  []string
		}{{"AdminPrincipalArns", args.AdminPrincipalArns}, {"ReadOnlyPrincipalArns", args.ReadOnlyPrincipalArns}} {
			for _, arn := range l.arns {
				if arn == args.CreatorRoleArn {
					problems = append(problems, fmt.Sprintf("%s: %s is the cluster creator, which EKS already gives an admin access entry (one per principal); remove it", l.field, arn))
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, arn := range append(append([]string{}, args.AdminPrincipalArns...), args.ReadOnlyPrincipalArns...) {
		if seen[arn] {
			problems = append(problems, fmt.Sprintf("%s is listed twice: EKS allows one access entry per principal", arn))
		}
		seen[arn] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// credentialOpts names the profile pulumi-eks's kubeconfig authenticates with; nil keeps the ambient identity.
// A role ARN is deliberately not used: it would be stored in the component's inputs and in the kubeconfig,
// so every run as another role would show as a change.
func credentialOpts(profile string) eks.KubeconfigOptionsPtrInput {
	if profile == "" {
		return nil
	}
	return &eks.KubeconfigOptionsArgs{ProfileName: pulumi.String(profile)}
}

// withIdentity sets --profile and --region in the `aws eks get-token` arguments of every user in kubeconfig
// (the JSON pulumi-eks emits). An argument, not AWS_PROFILE: the AWS CLI prefers credentials in the
// environment (AWS_ACCESS_KEY_ID, ...) over AWS_PROFILE, but an explicit --profile over both. Empty values
// add nothing.
func withIdentity(kubeconfig, profile, region string) (string, error) {
	if profile == "" && region == "" {
		return kubeconfig, nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(kubeconfig), &doc); err != nil {
		return "", fmt.Errorf("kubeconfig from pulumi-eks is not JSON: %w", err)
	}
	users, _ := doc["users"].([]any)
	for _, u := range users {
		user, _ := u.(map[string]any)
		spec, _ := user["user"].(map[string]any)
		exec, _ := spec["exec"].(map[string]any)
		if exec == nil {
			continue
		}
		args, _ := exec["args"].([]any)
		for _, o := range []struct{ flag, value string }{{"--profile", profile}, {"--region", region}} {
			if o.value != "" {
				args = setArg(args, o.flag, o.value)
			}
		}
		exec["args"] = args
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// setArg sets flag's value in args, replacing the value it has, else appending both.
func setArg(args []any, flag, value string) []any {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			args[i+1] = value
			return args
		}
	}
	return append(args, flag, value)
}

func accessEntry(principal, policy string) eks.AccessEntryArgs {
	return eks.AccessEntryArgs{
		PrincipalArn: pulumi.String(principal),
		AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
			policy: eks.AccessPolicyAssociationArgs{
				PolicyArn:   pulumi.String("arn:aws:eks::aws:cluster-access-policy/" + policy),
				AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
			},
		},
	}
}

// principalKey is a stable, readable key for an access entry: the principal's name, or its position when
// the name is not usable.
func principalKey(arn string, i int) string {
	if slash := strings.LastIndex(arn, "/"); slash >= 0 && slash < len(arn)-1 {
		return strings.ToLower(strings.NewReplacer("@", "-", ".", "-", "_", "-", "+", "-", "=", "-", ",", "-").Replace(arn[slash+1:]))
	}
	return fmt.Sprint(i)
}

func publicCidrs(args *ClusterArgs) pulumi.StringArrayInput {
	if !args.PublicAccess {
		return nil
	}
	return pulumi.ToStringArray(args.PublicAccessCidrs)
}

func optionalString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

// nodeRole is shared by every managed node group. It holds only what the kubelet needs; the CNI permissions
// live on the vpc-cni add-on's IRSA role.
func nodeRole(ctx *pulumi.Context, name string, args *ClusterArgs, parent pulumi.ResourceOption) (*iam.Role, error) {
	trust, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
		}},
	})
	role, err := iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		Description:      pulumi.Sprintf("Nodes of EKS cluster %s", args.Name),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             args.Tags.For(args.Name + "-node"),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"} {
		if _, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("%s-node-%s", name, strings.ToLower(p)), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String("arn:aws:iam::aws:policy/" + p),
		}, parent); err != nil {
			return nil, err
		}
	}
	return role, nil
}

// VpcCniConfiguration is the vpc-cni add-on's configuration values: enableNetworkPolicy, a string in the
// add-on's configuration schema ("true" or "false"; EKS User Guide, "Restrict Pod network traffic with
// Kubernetes network policies", https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html,
// and `aws eks describe-addon-configuration --addon-name vpc-cni`). "true" makes the aws-node DaemonSet run
// the network policy agent, which enforces NetworkPolicies with eBPF on each pod's interface; the network
// policy controller that resolves them runs in EKS's control plane. "false" is written rather than omitted,
// so turning enforcement off takes effect on an existing add-on (conflicts resolve with OVERWRITE).
func VpcCniConfiguration(networkPolicy bool) string {
	b, _ := json.Marshal(map[string]string{"enableNetworkPolicy": fmt.Sprint(networkPolicy)})
	return string(b)
}

// newAddon installs one managed add-on, with an IRSA role when it calls AWS APIs.
func newAddon(ctx *pulumi.Context, name, addon string, args *ClusterArgs, oidcArn, issuer pulumi.StringOutput,
	opts ...pulumi.ResourceOption,
) (*awseks.Addon, error) {
	addonArgs := &awseks.AddonArgs{
		ClusterName: pulumi.String(args.Name),
		AddonName:   pulumi.String(addon),
		// The add-on takes over what EKS installed at creation; on update our pinned configuration wins.
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Tags:                     args.Tags.For(fmt.Sprintf("%s-%s", args.Name, addon)),
	}
	if v := args.AddonVersions[addon]; v != "" {
		addonArgs.AddonVersion = pulumi.String(v)
	}
	if addon == "vpc-cni" {
		addonArgs.ConfigurationValues = pulumi.String(VpcCniConfiguration(args.NetworkPolicy))
	}
	if sa, ok := addonServiceAccounts[addon]; ok {
		trust := pulumi.All(oidcArn, issuer).ApplyT(func(v []any) (string, error) {
			return irsa.TrustPolicy(v[0].(string), v[1].(string), sa.namespace, sa.serviceAccount)
		}).(pulumi.StringOutput)
		role, err := iam.NewRole(ctx, fmt.Sprintf("%s-%s", name, addon), &iam.RoleArgs{
			Description:      pulumi.Sprintf("IRSA role of the %s add-on (%s/%s)", addon, sa.namespace, sa.serviceAccount),
			AssumeRolePolicy: trust,
			Tags:             args.Tags.For(fmt.Sprintf("%s-%s", args.Name, addon)),
		}, opts...)
		if err != nil {
			return nil, err
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("%s-%s", name, addon), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String("arn:aws:iam::aws:policy/" + sa.policy),
		}, opts...); err != nil {
			return nil, err
		}
		addonArgs.ServiceAccountRoleArn = role.Arn
	}
	return awseks.NewAddon(ctx, fmt.Sprintf("%s-%s", name, addon), addonArgs, opts...)
}

func sortedKeys(m map[string]pulumi.StringInput) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
