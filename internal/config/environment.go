package config

import (
	"slices"
	"strings"
)

// Requirements are the invariants an environment imposes on its configuration. They are the single source
// for validation here and are mirrored (not imported) by the policy pack, which checks the resulting resources.
type Requirements struct {
	// MinAZs is the fewest availability zones the VPC may span.
	MinAZs int
	// NATPerAZ requires one NAT gateway per AZ so an AZ outage does not cut egress for the others.
	NATPerAZ bool
	// PrivateEndpointOnly forbids the public API endpoint.
	PrivateEndpointOnly bool
	// RequiredLogTypes must all be enabled on the control plane.
	RequiredLogTypes []string
	// MinKMSDeletionWindowDays is the shortest deletion window for customer-managed keys.
	MinKMSDeletionWindowDays int
	// MinSystemNodes is the smallest system node group (HA for CoreDNS and controllers).
	MinSystemNodes int
}

// AllLogTypes are the five EKS control-plane log types.
var AllLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// RequirementsFor returns the requirements of env. Unknown environments get prod's, the strictest.
func RequirementsFor(env Environment) Requirements {
	switch env {
	case Dev:
		return Requirements{MinAZs: 2, RequiredLogTypes: []string{"api", "audit"}, MinKMSDeletionWindowDays: 7, MinSystemNodes: 1}
	case Staging:
		return Requirements{MinAZs: 2, RequiredLogTypes: []string{"api", "audit", "authenticator"}, MinKMSDeletionWindowDays: 30, MinSystemNodes: 2}
	default:
		return Requirements{MinAZs: 3, NATPerAZ: true, PrivateEndpointOnly: true, RequiredLogTypes: AllLogTypes, MinKMSDeletionWindowDays: 30, MinSystemNodes: 3}
	}
}

// SupportedKubernetesVersions are the EKS versions this platform is tested against. Adding one is a
// deliberate change: bump the add-on versions in the stack files with it.
var SupportedKubernetesVersions = []string{"1.32", "1.33", "1.34"}

// ManagedAddons are the EKS managed add-ons every cluster gets, in install order.
var ManagedAddons = []string{"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"}

// Flow log destinations (network.flowLogDestination).
const (
	FlowLogsToS3         = "s3"
	FlowLogsToCloudWatch = "cloud-watch-logs"
)

// DefaultInterfaceEndpoints let private nodes reach AWS APIs without NAT egress (staging and prod; dev
// defaults to none).
var DefaultInterfaceEndpoints = []string{
	"autoscaling", "ec2", "ecr.api", "ecr.dkr", "eks-auth", "elasticloadbalancing", "kms", "logs", "ssm", "sts",
}

// nvidiaX86Families are the EC2 instance families with NVIDIA GPUs on x86_64, the ones the
// AL2023_x86_64_NVIDIA AMI can drive. The EC2 API enum lists instance types but not their accelerators, so
// this list is ours; g4ad (AMD) and g5g (Arm) are deliberately absent.
var nvidiaX86Families = map[string]bool{
	"g4dn": true, "g5": true, "g6": true, "g6e": true, "g6f": true, "gr6": true, "gr6f": true,
	"p3": true, "p3dn": true, "p4d": true, "p4de": true, "p5": true, "p5e": true, "p5en": true, "p6-b200": true,
}

// stackNameTokens are the words in a stack name that name an environment. policies/pack/types.go's
// envAliases holds the same table (the pack does not import this package); tests/ keeps the two in step.
var stackNameTokens = map[string]Environment{
	"dev": Dev, "development": Dev,
	"stg": Staging, "stage": Staging, "staging": Staging,
	"prd": Prod, "prod": Prod, "production": Prod,
}

// EnvironmentsNamedBy returns the environments a stack name's tokens name, in Environments order: the name
// itself ("prod") or its words split at '-', '_' or '.' ("acme-prod", "prod-eu", "org/project/staging-1"),
// as the policy pack splits them. A name with no such word names none.
func EnvironmentsNamedBy(stack string) []Environment {
	name := strings.ToLower(stack)
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	named := map[Environment]bool{}
	for _, tok := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if e, ok := stackNameTokens[tok]; ok {
			named[e] = true
		}
	}
	var out []Environment
	for _, e := range Environments {
		if named[e] {
			out = append(out, e)
		}
	}
	return out
}

// checkStackName reports a stack whose name claims another environment than platform:environment (a stack
// "dev" configured as prod): one of the two is a mistake. A stack whose name is deliberately custom declares
// so with platform:customStackName set to its own name; the declaration names the stack so that a stack file
// copied to another stack does not carry the excuse along. A name with no environment word needs nothing:
// platform:environment is required anyway.
func checkStackName(ps *problems, stack string, env Environment, custom string) {
	if custom != "" && custom != stack {
		ps.add("customStackName", "%q does not name this stack (%q); it excuses only the stack it names: "+
			"pulumi config set %s:customStackName %s --stack %s, or remove it", custom, stack, Namespace, stack, stack)
	}
	if stack == "" || !slices.Contains(Environments, env) {
		return
	}
	named := EnvironmentsNamedBy(stack)
	if len(named) == 0 || (len(named) == 1 && named[0] == env) || custom == stack {
		return
	}
	says := make([]string, len(named))
	for i, e := range named {
		says[i] = string(e)
	}
	ps.add("environment", "%q but the stack name %q says %s; one of the two is a mistake, and the program and the "+
		"policy pack would apply %s's rules. Make them agree, or, if the stack name is deliberately custom, "+
		"declare it: pulumi config set %s:customStackName %s --stack %s",
		env, stack, strings.Join(says, " and "), env, Namespace, stack, stack)
}
