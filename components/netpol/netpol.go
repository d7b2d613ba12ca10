// Package netpol provides the NetworkPolicies component: for each namespace the program creates, a default
// deny (every pod, Ingress and Egress, no rule) and one NetworkPolicy per allowed flow, rendered from the flow
// table in internal/netpol. Each policy takes its namespace from the namespace resource's output, so it is
// created right after its namespace and before the workloads that namespace's charts install.
//
// It does not enforce anything itself: on EKS the VPC CNI's network policy agent enforces NetworkPolicies once
// the vpc-cni add-on has enableNetworkPolicy (components/cluster, cluster.networkPolicy.enforce). It creates no
// policy in namespaces it is not given (kube-system, tenants' namespaces).
package netpol

import (
	"fmt"
	"sort"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/netpol"
)

// Type is the component's type token.
const Type = "platform:netpol:NetworkPolicies"

// FlowLabel on every policy names the flow it allows ("default-deny" for the deny), so
// `kubectl get netpol -A -l platform.io/flow` lists the flow table as the cluster has it.
const FlowLabel = "platform.io/flow"

// Args configure the component.
type Args struct {
	// KubeProvider is the cluster's Kubernetes provider. Required.
	KubeProvider pulumi.ProviderResource
	// Namespaces the program created, by name, each with its namespace resource's name output (so each
	// policy depends on its namespace). Required (at least one).
	Namespaces map[string]pulumi.StringInput
	// Network holds the control-plane, private-subnet and API Service addresses of the stack. Required when a
	// flow names the API server or the private subnets.
	Network netpol.Network
	// Flows to allow. Default: netpol.PlatformFlows.
	Flows []netpol.Flow
}

// NetworkPolicies is the component.
type NetworkPolicies struct {
	pulumi.ResourceState

	// Policies are the policies created, as namespace/name.
	Policies pulumi.StringArrayOutput `pulumi:"policies"`
}

// Render is the policies the component creates for args (defaults applied), for callers and tests.
func Render(args *Args) ([]netpol.Policy, error) {
	flows := args.Flows
	if flows == nil {
		flows = netpol.PlatformFlows
	}
	names := make([]string, 0, len(args.Namespaces))
	for ns := range args.Namespaces {
		names = append(names, ns)
	}
	sort.Strings(names)
	return netpol.Policies(names, args.Network, flows)
}

// NewNetworkPolicies creates the policies.
func NewNetworkPolicies(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*NetworkPolicies, error) {
	if args == nil || args.KubeProvider == nil || len(args.Namespaces) == 0 {
		return nil, fmt.Errorf("netpol %s: a kube provider and at least one namespace are required", name)
	}
	policies, err := Render(args)
	if err != nil {
		return nil, fmt.Errorf("netpol %s: %w", name, err)
	}
	comp := &NetworkPolicies{}
	if err := ctx.RegisterComponentResource(Type, name, comp, opts...); err != nil {
		return nil, err
	}
	var created pulumi.StringArray
	for _, p := range policies {
		flow := p.Flow
		if flow == "" {
			flow = netpol.DefaultDenyName
		}
		if _, err := networkingv1.NewNetworkPolicy(ctx, fmt.Sprintf("%s-%s-%s", name, p.Namespace, p.Name), &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:      pulumi.String(p.Name),
				Namespace: args.Namespaces[p.Namespace],
				Labels:    pulumi.StringMap{FlowLabel: pulumi.String(flow)},
			},
			Spec: spec(p),
		}, pulumi.Parent(comp), pulumi.Provider(args.KubeProvider)); err != nil {
			return nil, fmt.Errorf("netpol %s: %s/%s: %w", name, p.Namespace, p.Name, err)
		}
		created = append(created, pulumi.String(p.Namespace+"/"+p.Name))
	}
	comp.Policies = created.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"policies": comp.Policies}); err != nil {
		return nil, err
	}
	return comp, nil
}

// spec is p as a networking.k8s.io/v1 NetworkPolicySpec.
func spec(p netpol.Policy) *networkingv1.NetworkPolicySpecArgs {
	s := &networkingv1.NetworkPolicySpecArgs{
		PodSelector: selector(p.PodSelector),
		PolicyTypes: pulumi.ToStringArray(p.Types),
	}
	if len(p.Ingress) > 0 {
		rules := networkingv1.NetworkPolicyIngressRuleArray{}
		for _, r := range p.Ingress {
			rules = append(rules, networkingv1.NetworkPolicyIngressRuleArgs{From: peers(r.Peers), Ports: ports(r.Ports)})
		}
		s.Ingress = rules
	}
	if len(p.Egress) > 0 {
		rules := networkingv1.NetworkPolicyEgressRuleArray{}
		for _, r := range p.Egress {
			rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{To: peers(r.Peers), Ports: ports(r.Ports)})
		}
		s.Egress = rules
	}
	return s
}

// selector is a matchLabels selector; no labels is the empty selector, which selects everything.
func selector(labels map[string]string) *metav1.LabelSelectorArgs {
	if len(labels) == 0 {
		return &metav1.LabelSelectorArgs{}
	}
	return &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(labels)}
}

func peers(ps []netpol.PeerSpec) networkingv1.NetworkPolicyPeerArray {
	out := networkingv1.NetworkPolicyPeerArray{}
	for _, p := range ps {
		if p.CIDR != "" {
			out = append(out, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(p.CIDR)}})
			continue
		}
		peer := networkingv1.NetworkPolicyPeerArgs{}
		if p.Namespace == netpol.AnyNamespace {
			peer.NamespaceSelector = selector(nil)
		} else {
			peer.NamespaceSelector = selector(map[string]string{netpol.NamespaceNameLabel: p.Namespace})
		}
		if len(p.Pods) > 0 {
			peer.PodSelector = selector(p.Pods)
		}
		out = append(out, peer)
	}
	return out
}

// ports is nil for no ports, which a rule reads as every port.
func ports(ps []netpol.Port) networkingv1.NetworkPolicyPortArray {
	if len(ps) == 0 {
		return nil
	}
	out := networkingv1.NetworkPolicyPortArray{}
	for _, p := range ps {
		out = append(out, networkingv1.NetworkPolicyPortArgs{Port: pulumi.Int(p.Port), Protocol: pulumi.String(p.Protocol)})
	}
	return out
}
