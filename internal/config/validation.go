package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/platform-team/platform/internal/subnets"
)

// Problem is one invalid setting: the config path (relative to the platform namespace) and what is wrong.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError carries every problem found in a stack's configuration, in a stable order.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid stack configuration (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("; nothing was created):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects Problems; add is passed to sub-validators so every check reports with its path.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

var (
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	accountRe      = regexp.MustCompile(`^[0-9]{12}$`)
	principalArnRe = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+$`)
	roleArnRe      = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	profileRe      = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	clusterNameRe  = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	poolNameRe     = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$`)
	addonVersionRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`)
	endpointSvcRe  = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)
	labelKeyRe     = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValueRe   = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)

// cloudWatchRetentionDays are the only retention values CloudWatch Logs accepts (0, never expire, is not
// offered: retention must be bounded).
var cloudWatchRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// reservedTagKeys are set by the program itself; config may not override them.
var reservedTagKeys = []string{"Name", "Environment", "Owner", "CostCenter", "ManagedBy"}

// ReservedPoolNames cannot be GPU pool names because other node groups use them.
var ReservedPoolNames = []string{"system"}

// Validate checks the effective configuration (after ApplyDefaults) and returns a *ValidationError with
// every problem, or nil.
func Validate(c *Config) error {
	var ps problems
	envOK := slices.Contains(Environments, c.Environment)
	if c.Environment == "" {
		ps.add("environment", "required; one of dev, staging, prod")
	} else if !envOK {
		ps.add("environment", "%q is not supported; use one of dev, staging, prod", c.Environment)
	}
	req := RequirementsFor(c.Environment)

	validateAWS(&ps, c.AWS)
	validateAccess(&ps, c.AWS, c.Cluster)
	validateTags(&ps, c.Tags)
	vpc := validateNetwork(&ps, c.Network, req, envOK)
	validateCluster(&ps, c.Cluster, vpc, req, c.Environment)
	validateGPUPools(&ps, c.GPUPools, c.Environment)
	validateDerivedNames(&ps, c)
	addService := func(path, msg string) { ps = append(ps, Problem{Path: path, Message: msg}) }
	c.Services.validate(c.Environment, addService)
	if slices.Contains(SupportedKubernetesVersions, c.Cluster.KubernetesVersion) {
		c.Services.validateAutoscalerTag(c.Cluster.KubernetesVersion, addService)
	}

	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

func validateAWS(ps *problems, a AWS) {
	switch {
	case a.Region == "":
		ps.add("aws.region", "required, e.g. us-west-2")
	case !regionRe.MatchString(a.Region):
		ps.add("aws.region", "%q is not an AWS region name such as us-west-2", a.Region)
	}
	if len(a.AllowedAccountIDs) == 0 {
		ps.add("aws.allowedAccountIds", "required: the 12-digit id of the stack's AWS account, e.g. [\"111111111111\"]; the provider refuses to run with credentials of any other account")
	}
	for i, id := range a.AllowedAccountIDs {
		if !accountRe.MatchString(id) {
			ps.add(fmt.Sprintf("aws.allowedAccountIds[%d]", i), "%q is not a 12-digit AWS account id", id)
		}
	}
	if a.Profile != "" && !profileRe.MatchString(a.Profile) {
		ps.add("aws.profile", "%q is not a usable AWS profile name: use letters, digits and . _ - (it becomes AWS_PROFILE and a [profile <name>] section)", a.Profile)
	}
	roles := []struct{ path, arn string }{{"aws.assumeRoleArn", a.AssumeRoleArn}, {"aws.readOnlyRoleArn", a.ReadOnlyRoleArn}}
	for _, r := range roles {
		switch {
		case r.arn == "":
		case !roleArnRe.MatchString(r.arn):
			ps.add(r.path, "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", r.arn)
		case len(a.AllowedAccountIDs) > 0 && !slices.Contains(a.AllowedAccountIDs, arnAccount(r.arn)):
			ps.add(r.path, "%q is in account %s, which aws.allowedAccountIds (%s) does not allow", r.arn, arnAccount(r.arn), strings.Join(a.AllowedAccountIDs, ", "))
		}
	}
	if a.ReadOnlyRoleArn != "" && a.ReadOnlyRoleArn == a.AssumeRoleArn {
		ps.add("aws.readOnlyRoleArn", "must differ from aws.assumeRoleArn: previews and drift checks run read-only, deploys do not")
	}
}

// arnAccount is the account field of an ARN ("" when there is none).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// validateAccess keeps EKS's rule of one access entry per principal and cluster: the deploy role
// (aws.assumeRoleArn) creates the cluster, and pulumi-eks v2.8.1 always turns on
// bootstrapClusterCreatorAdminPermissions (nodejs/eks/cluster.ts), so EKS gives the creator an admin entry
// itself; a second entry for it fails with ResourceInUseException. The read-only run role gets its view entry
// from the program, so it is not listed either.
func validateAccess(ps *problems, a AWS, c Cluster) {
	lists := []struct {
		path string
		arns []string
	}{{"cluster.adminPrincipalArns", c.AdminPrincipalArns}, {"cluster.readOnlyPrincipalArns", c.ReadOnlyPrincipalArns}}
	for _, l := range lists {
		for i, arn := range l.arns {
			path := fmt.Sprintf("%s[%d]", l.path, i)
			switch {
			case a.AssumeRoleArn != "" && arn == a.AssumeRoleArn:
				ps.add(path, "%q is aws.assumeRoleArn, the role that creates the cluster: EKS already gives it an admin access entry (pulumi-eks sets bootstrapClusterCreatorAdminPermissions) and allows one entry per principal, so a second one fails with ResourceInUseException; remove it from this list", arn)
			case a.ReadOnlyRoleArn != "" && arn == a.ReadOnlyRoleArn:
				ps.add(path, "%q is aws.readOnlyRoleArn, which gets its view access entry from the program; remove it from this list (one access entry per principal)", arn)
			}
		}
	}
}

func validateTags(ps *problems, t Tags) {
	if strings.TrimSpace(t.Owner) == "" {
		ps.add("tags.owner", "required: the team accountable for this environment")
	}
	if strings.TrimSpace(t.CostCenter) == "" {
		ps.add("tags.costCenter", "required: the cost center billed for this environment")
	}
	for _, k := range sortedKeys(t.Extra) {
		path := "tags.extra." + k
		switch {
		case slices.Contains(reservedTagKeys, k):
			ps.add(path, "is set by the program; remove it (reserved: %s)", strings.Join(reservedTagKeys, ", "))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			ps.add(path, "the aws: prefix is reserved by AWS")
		case len(k) > 128 || len(t.Extra[k]) > 256:
			ps.add(path, "tag keys are at most 128 characters and values at most 256")
		}
	}
}

// validateNetwork returns the parsed VPC prefix (invalid if the CIDR is unusable) for overlap checks.
func validateNetwork(ps *problems, n Network, req Requirements, envOK bool) netip.Prefix {
	var vpc netip.Prefix
	switch p, err := netip.ParsePrefix(n.CIDR); {
	case n.CIDR == "":
		ps.add("network.cidr", "required: the VPC's IPv4 CIDR, e.g. 10.10.0.0/16")
	case err != nil:
		ps.add("network.cidr", "%q is not a CIDR: %v", n.CIDR, err)
	case !p.Addr().Is4():
		ps.add("network.cidr", "%q: only IPv4 VPC CIDRs are supported", n.CIDR)
	case p != p.Masked():
		ps.add("network.cidr", "%q has host bits set; did you mean %s?", n.CIDR, p.Masked())
	case p.Bits() < 16 || p.Bits() > 24:
		ps.add("network.cidr", "/%d is outside the /16 to /24 range a cluster VPC needs", p.Bits())
	case !isPrivate(p):
		ps.add("network.cidr", "%s is not in RFC 1918 private space (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", p)
	default:
		vpc = p
	}

	if envOK && n.AZCount < req.MinAZs {
		ps.add("network.azCount", "must be >= %d in this environment, got %d", req.MinAZs, n.AZCount)
	} else if n.AZCount > subnets.MaxAZs || n.AZCount < 1 {
		ps.add("network.azCount", "must be between 1 and %d (each subnet tier reserves room for %d AZs so the count can grow without moving a subnet), got %d",
			subnets.MaxAZs, subnets.MaxAZs, n.AZCount)
	}
	switch n.NATGateways {
	case NATSingle:
		if req.NATPerAZ && envOK {
			ps.add("network.natGateways", "must be %q in this environment so one AZ failing does not cut egress for the others", NATPerAZ)
		}
	case NATPerAZ:
	default:
		ps.add("network.natGateways", "%q is not supported; use %q or %q", n.NATGateways, NATSingle, NATPerAZ)
	}
	bitsOK := true
	for _, b := range []struct {
		name string
		v    int
	}{{"private", n.SubnetNewBits.Private}, {"public", n.SubnetNewBits.Public}, {"intra", n.SubnetNewBits.Intra}} {
		if b.v < 1 || b.v > 12 {
			ps.add("network.subnetNewBits."+b.name, "must be between 1 and 12, got %d", b.v)
			bitsOK = false
		}
	}
	if vpc.IsValid() && bitsOK && n.AZCount >= 1 && n.AZCount <= subnets.MaxAZs {
		if _, err := subnets.Layout(vpc, n.AZCount, NewBits(n)); err != nil {
			ps.add("network.cidr", "too small for the requested subnets: %v", err)
		}
	}
	if n.FlowLogDestination != FlowLogsToS3 && n.FlowLogDestination != FlowLogsToCloudWatch {
		ps.add("network.flowLogDestination", "%q is not supported; use %q or %q", n.FlowLogDestination, FlowLogsToS3, FlowLogsToCloudWatch)
	}
	if n.FlowLogAggregationSeconds != 60 && n.FlowLogAggregationSeconds != 600 {
		ps.add("network.flowLogAggregationSeconds", "must be 60 or 600 (the intervals VPC flow logs offer), got %d", n.FlowLogAggregationSeconds)
	}
	if !slices.Contains(cloudWatchRetentionDays, n.FlowLogRetentionDays) {
		ps.add("network.flowLogRetentionDays", "%d is not a CloudWatch Logs retention; use one of %v", n.FlowLogRetentionDays, cloudWatchRetentionDays)
	}
	seen := map[string]bool{}
	for i, svc := range n.InterfaceEndpoints {
		path := fmt.Sprintf("network.interfaceEndpoints[%d]", i)
		switch {
		case !endpointSvcRe.MatchString(svc):
			ps.add(path, "%q is not a service name such as ecr.api", svc)
		case svc == "s3" || svc == "dynamodb":
			ps.add(path, "%q is served by a gateway endpoint already; remove it", svc)
		case seen[svc]:
			ps.add(path, "%q is listed twice", svc)
		}
		seen[svc] = true
	}
	return vpc
}

// NewBits returns the subnet sizing of n in the form subnets.Layout takes.
func NewBits(n Network) map[subnets.Tier]int {
	return map[subnets.Tier]int{
		subnets.Private: n.SubnetNewBits.Private,
		subnets.Public:  n.SubnetNewBits.Public,
		subnets.Intra:   n.SubnetNewBits.Intra,
	}
}

func validateCluster(ps *problems, c Cluster, vpc netip.Prefix, req Requirements, env Environment) {
	if !clusterNameRe.MatchString(c.Name) {
		ps.add("cluster.name", "%q must be lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (it prefixes S3 bucket names), at most %d characters", c.Name, MaxClusterNameLength())
	}
	switch {
	case c.KubernetesVersion == "":
		ps.add("cluster.kubernetesVersion", "required; one of %s", strings.Join(SupportedKubernetesVersions, ", "))
	case !slices.Contains(SupportedKubernetesVersions, c.KubernetesVersion):
		ps.add("cluster.kubernetesVersion", "%q is not supported; use one of %s", c.KubernetesVersion, strings.Join(SupportedKubernetesVersions, ", "))
	}

	switch svc, err := netip.ParsePrefix(c.ServiceCIDR); {
	case err != nil:
		ps.add("cluster.serviceCidr", "%q is not a CIDR: %v", c.ServiceCIDR, err)
	case !svc.Addr().Is4() || svc != svc.Masked() || svc.Bits() < 12 || svc.Bits() > 24 || !isPrivate(svc):
		ps.add("cluster.serviceCidr", "%q must be a private IPv4 network address between /12 and /24", c.ServiceCIDR)
	case vpc.IsValid() && svc.Overlaps(vpc):
		ps.add("cluster.serviceCidr", "%s overlaps the VPC CIDR %s; Kubernetes services would shadow VPC addresses", svc, vpc)
	}

	e := c.Endpoint
	if e.PublicAccess {
		if req.PrivateEndpointOnly && slices.Contains(Environments, env) {
			ps.add("cluster.endpoint.publicAccess", "must be false in %s: the API server is reachable only from inside the VPC", env)
		}
		if len(e.PublicAccessCidrs) == 0 {
			ps.add("cluster.endpoint.publicAccessCidrs", "required when publicAccess is true: list the CIDRs allowed to reach the API server")
		}
	} else if len(e.PublicAccessCidrs) > 0 {
		ps.add("cluster.endpoint.publicAccessCidrs", "has no effect while publicAccess is false; remove it or enable publicAccess")
	}
	if e.CIRunner == nil && !e.PublicAccess && req.PrivateEndpointOnly && slices.Contains(Environments, env) {
		ps.add("cluster.endpoint.ciRunner", "required in %s: the API endpoint is private-only, so CI previews and deploys only from a runner inside the VPC; set repository and connectionArn (docs/pipeline.md)", env)
	}
	if r := e.CIRunner; r != nil {
		validateCIRunner(ps, *r)
	}
	for i, s := range e.PublicAccessCidrs {
		path := fmt.Sprintf("cluster.endpoint.publicAccessCidrs[%d]", i)
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			ps.add(path, "%q is not a CIDR: %v", s, err)
		case p.Bits() == 0:
			ps.add(path, "%q opens the API server to the whole internet; list your office or VPN egress CIDRs", s)
		case p != p.Masked():
			ps.add(path, "%q has host bits set; did you mean %s?", s, p.Masked())
		}
	}

	validLogs := enumStrings(ekstypes.LogType("").Values())
	seen := map[string]bool{}
	for i, lt := range c.LogTypes {
		path := fmt.Sprintf("cluster.logTypes[%d]", i)
		switch {
		case !slices.Contains(validLogs, lt):
			ps.add(path, "%q is not an EKS log type; use one of %s", lt, strings.Join(validLogs, ", "))
		case seen[lt]:
			ps.add(path, "%q is listed twice", lt)
		}
		seen[lt] = true
	}
	for _, lt := range req.RequiredLogTypes {
		if !seen[lt] && slices.Contains(Environments, env) {
			ps.add("cluster.logTypes", "must include %q in %s (required: %s)", lt, env, strings.Join(req.RequiredLogTypes, ", "))
		}
	}
	if !slices.Contains(cloudWatchRetentionDays, c.LogRetentionDays) {
		ps.add("cluster.logRetentionDays", "%d is not a CloudWatch Logs retention; use one of %v", c.LogRetentionDays, cloudWatchRetentionDays)
	}

	if len(c.AdminPrincipalArns) == 0 {
		ps.add("cluster.adminPrincipalArns", "required: at least one IAM role or user ARN; with API authentication nobody else can administer the cluster")
	}
	admins := map[string]bool{}
	for i, a := range c.AdminPrincipalArns {
		if !principalArnRe.MatchString(a) {
			ps.add(fmt.Sprintf("cluster.adminPrincipalArns[%d]", i), "%q is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)", a)
		}
		admins[a] = true
	}
	for i, a := range c.ReadOnlyPrincipalArns {
		path := fmt.Sprintf("cluster.readOnlyPrincipalArns[%d]", i)
		switch {
		case !principalArnRe.MatchString(a):
			ps.add(path, "%q is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)", a)
		case admins[a]:
			ps.add(path, "%q is already an admin; a principal has one access entry", a)
		}
	}

	for _, name := range sortedKeys(c.Addons) {
		path := "cluster.addons." + name
		v := c.Addons[name]
		switch {
		case !slices.Contains(ManagedAddons, name):
			ps.add(path, "unknown add-on; managed add-ons are %s", strings.Join(ManagedAddons, ", "))
		case !addonVersionRe.MatchString(v):
			ps.add(path, "%q is not an EKS add-on version such as v1.19.2-eksbuild.1", v)
		case name == "kube-proxy" && c.KubernetesVersion != "" && !strings.HasPrefix(v, "v"+c.KubernetesVersion+"."):
			ps.add(path, "%q must match the cluster's minor version %s (kube-proxy may not skew)", v, c.KubernetesVersion)
		}
	}
	validateNetworkPolicy(ps, c, env)
	if c.KMSDeletionWindowDays < max(7, req.MinKMSDeletionWindowDays) || c.KMSDeletionWindowDays > 30 {
		ps.add("cluster.kmsDeletionWindowDays", "must be between %d and 30 in this environment, got %d", max(7, req.MinKMSDeletionWindowDays), c.KMSDeletionWindowDays)
	}

	sys := c.SystemNodeGroup
	validateInstanceTypes(ps, "cluster.systemNodeGroup.instanceTypes", sys.InstanceTypes, false)
	validateSizes(ps, "cluster.systemNodeGroup", sys.MinSize, sys.DesiredSize, sys.MaxSize)
	if sys.MinSize != nil && *sys.MinSize < req.MinSystemNodes && slices.Contains(Environments, env) {
		ps.add("cluster.systemNodeGroup.minSize", "must be >= %d in %s so cluster-critical add-ons survive a node loss", req.MinSystemNodes, env)
	}
	validateDisk(ps, "cluster.systemNodeGroup.diskSizeGiB", sys.DiskSizeGiB)
}

func validateGPUPools(ps *problems, pools map[string]GPUPool, env Environment) {
	amiTypes := enumStrings(ekstypes.AMITypes("").Values())
	capTypes := enumStrings(ekstypes.CapacityTypes("").Values())
	for _, name := range sortedKeys(pools) {
		p := pools[name]
		base := "gpuPools." + name
		switch {
		case !poolNameRe.MatchString(name):
			ps.add(base, "pool name must be lowercase letters, digits and hyphens, starting with a letter (at most 32)")
		case slices.Contains(ReservedPoolNames, name):
			ps.add(base, "%q is reserved for the system node group; choose another pool name", name)
		}
		if len(p.InstanceTypes) == 0 {
			ps.add(base+".instanceTypes", "required: at least one NVIDIA GPU instance type, e.g. g6.xlarge")
		}
		validateInstanceTypes(ps, base+".instanceTypes", p.InstanceTypes, true)
		switch {
		case !slices.Contains(amiTypes, p.AMIType):
			ps.add(base+".amiType", "%q is not an EKS AMI type", p.AMIType)
		case !strings.Contains(p.AMIType, "NVIDIA") || !strings.Contains(p.AMIType, "x86_64"):
			ps.add(base+".amiType", "%q has no NVIDIA driver for x86_64; use AL2023_x86_64_NVIDIA", p.AMIType)
		}
		if !slices.Contains(capTypes, p.CapacityType) {
			ps.add(base+".capacityType", "%q is not an EKS capacity type; use one of %s", p.CapacityType, strings.Join(capTypes, ", "))
		}
		if p.MaxSize == nil {
			ps.add(base+".maxSize", "required: the most GPU nodes this pool may run")
		} else if *p.MaxSize < 1 {
			ps.add(base+".maxSize", "must be >= 1, got %d", *p.MaxSize)
		}
		validateSizes(ps, base, p.MinSize, p.DesiredSize, p.MaxSize)
		if env == Dev && p.MinSize != nil && *p.MinSize != 0 {
			ps.add(base+".minSize", "must be 0 in dev so idle GPU nodes scale to zero, got %d", *p.MinSize)
		}
		validateDisk(ps, base+".diskSizeGiB", p.DiskSizeGiB)
		for _, k := range sortedKeys(p.Labels) {
			path := base + ".labels." + k
			switch {
			case !labelKeyRe.MatchString(k):
				ps.add(path, "is not a valid Kubernetes label key")
			case strings.HasPrefix(k, "platform.io/") || strings.HasPrefix(k, "nvidia.com/") || strings.Contains(k, "kubernetes.io/") || strings.Contains(k, "k8s.io/"):
				ps.add(path, "uses a reserved prefix (platform.io/, nvidia.com/, kubernetes.io/, k8s.io/) set by the platform or Kubernetes")
			case !labelValueRe.MatchString(p.Labels[k]):
				ps.add(path, "%q is not a valid Kubernetes label value", p.Labels[k])
			}
		}
	}
}

func validateInstanceTypes(ps *problems, path string, types []string, gpu bool) {
	known := enumStrings(ec2types.InstanceType("").Values())
	for i, it := range types {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !slices.Contains(known, it):
			ps.add(p, "%q is not an EC2 instance type", it)
		case gpu && !HasNvidiaGPU(it):
			ps.add(p, "%q has no NVIDIA GPU; use a g4dn, g5, g6, g6e, p4d, p5 (or similar) type", it)
		case slices.Contains(types[:i], it):
			ps.add(p, "%q is listed twice", it)
		}
	}
}

// HasNvidiaGPU reports whether the EC2 instance type has NVIDIA GPUs usable on x86_64.
func HasNvidiaGPU(instanceType string) bool {
	family, _, ok := strings.Cut(instanceType, ".")
	return ok && nvidiaX86Families[family]
}

func validateSizes(ps *problems, base string, minSize, desired, maxSize *int) {
	if minSize != nil && *minSize < 0 {
		ps.add(base+".minSize", "must be >= 0, got %d", *minSize)
	}
	if minSize == nil || maxSize == nil {
		return
	}
	if *maxSize < *minSize {
		ps.add(base+".maxSize", "must be >= minSize (%d), got %d", *minSize, *maxSize)
		return
	}
	if desired != nil && (*desired < *minSize || *desired > *maxSize) {
		ps.add(base+".desiredSize", "must be within [minSize, maxSize] = [%d, %d], got %d", *minSize, *maxSize, *desired)
	}
}

func validateDisk(ps *problems, path string, gib int) {
	if gib < 20 || gib > 16384 {
		ps.add(path, "must be between 20 and 16384 GiB, got %d", gib)
	}
}

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

func isPrivate(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var (
	repositoryRe    = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	connectionArnRe = regexp.MustCompile(`^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]:[0-9]{12}:connection/[0-9a-f-]{36}$`)
	// codeBuildComputeTypes are the container compute types of a CodeBuild project (CodeBuild API
	// reference, ComputeType; the Lambda and reserved-capacity types cannot host a GitHub Actions runner
	// in a VPC).
	codeBuildComputeTypes = []string{"BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"}
)

func validateCIRunner(ps *problems, r CIRunner) {
	const p = "cluster.endpoint.ciRunner"
	if !repositoryRe.MatchString(r.Repository) {
		ps.add(p+".repository", "%q is not a GitHub repository \"owner/name\"", r.Repository)
	}
	if !connectionArnRe.MatchString(r.ConnectionArn) {
		ps.add(p+".connectionArn", "%q is not a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)", r.ConnectionArn)
	}
	if !slices.Contains(codeBuildComputeTypes, r.ComputeType) {
		ps.add(p+".computeType", "%q is not one of %s", r.ComputeType, strings.Join(codeBuildComputeTypes, ", "))
	}
	if r.LogRetentionDays < 1 {
		ps.add(p+".logRetentionDays", "must be >= 1, got %d", r.LogRetentionDays)
	}
	for i, id := range r.AllowedActorIDs {
		if !githubIDRe.MatchString(id) {
			ps.add(fmt.Sprintf("%s.allowedActorIds[%d]", p, i), "%q is not a numeric GitHub account ID (gh api users/<login> --jq .id)", id)
		}
	}
}

var githubIDRe = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)

// minNetworkPolicyCNI is the first vpc-cni version with network policy support (EKS User Guide, "Limit Pod
// traffic with Kubernetes network policies": version 1.14 or later of the VPC CNI plugin).
var minNetworkPolicyCNI = [3]int{1, 14, 0}

var addonSemverRe = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)-`)

// validateNetworkPolicy: prod always enforces, and a pinned vpc-cni must be able to.
func validateNetworkPolicy(ps *problems, c Cluster, env Environment) {
	enforce := c.NetworkPolicy.Enforce
	if enforce == nil || !*enforce {
		if env == Prod {
			ps.add("cluster.networkPolicy.enforce", "must be true in prod: without it the namespaces' default-deny NetworkPolicies are not enforced")
		}
		return
	}
	v, pinned := c.Addons["vpc-cni"]
	m := addonSemverRe.FindStringSubmatch(v)
	if !pinned || m == nil {
		return // unpinned: EKS's default vpc-cni for a supported Kubernetes version is newer; malformed: reported above
	}
	var got [3]int
	for i := range got {
		got[i], _ = strconv.Atoi(m[i+1])
	}
	for i := range got {
		if got[i] != minNetworkPolicyCNI[i] {
			if got[i] < minNetworkPolicyCNI[i] {
				ps.add("cluster.networkPolicy.enforce", "needs vpc-cni v1.14.0 or later; cluster.addons.vpc-cni pins %s (raise it, or set enforce false outside prod)", v)
			}
			return
		}
	}
}
