// Package netpol is the platform's network isolation as data: the flows each platform namespace needs
// (PlatformFlows, one table entry per flow) and the NetworkPolicies that allow exactly those flows behind a
// default deny (Policies). Every namespace the policies are rendered for gets a policy selecting all its
// pods for both Ingress and Egress with no rule, so anything not in the table is denied; each flow then
// becomes an egress allow in the namespace it leaves (when the platform owns it) and an ingress allow in the
// namespace it enters (likewise).
//
// It is plain Go with no Pulumi or Kubernetes dependency: components/netpol turns Policies into
// NetworkPolicy resources, and the tests decode those into the Kubernetes API types and evaluate them. It
// does not enforce anything: on EKS the VPC CNI's network policy agent does, when the vpc-cni add-on has
// enableNetworkPolicy (components/cluster).
package netpol

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// PeerKind says what one side of a flow is.
type PeerKind string

const (
	// Pods are pods selected by namespace and, optionally, labels.
	Pods PeerKind = "pods"
	// ControlPlane is the EKS API server: its cross-account ENIs in the cluster's (intra) subnets, which
	// call webhooks and aggregated APIs and which the `kubernetes` Service's endpoints point at. As an egress
	// destination it also includes the `kubernetes` Service's ClusterIP (see Network.APIServiceIP).
	ControlPlane PeerKind = "control-plane"
	// PrivateSubnets are the VPC's private subnets: the worker nodes (the kubelet, host-network exporters),
	// the in-VPC CI runner and internal load balancers.
	PrivateSubnets PeerKind = "private-subnets"
	// Anywhere is every IPv4 address: AWS APIs (regional endpoints, S3 through the gateway endpoint's public
	// prefixes, interface endpoints in the VPC) and load-balancer clients.
	Anywhere PeerKind = "anywhere"
)

const (
	// EveryPlatformNamespace as a source namespace means each namespace the policies are rendered for: the
	// flow becomes an egress allow in every one of them (DNS, the API server).
	EveryPlatformNamespace = "(every platform namespace)"
	// AnyNamespace means any pod in the cluster (an empty namespaceSelector), platform or tenant. As a source
	// it only opens the destination's ingress; a platform namespace that uses the flow lists its own egress.
	AnyNamespace = "(any namespace)"
)

// Peer is one side of a flow.
type Peer struct {
	Kind PeerKind
	// Namespace of the pods (Kind Pods): a namespace name, EveryPlatformNamespace or AnyNamespace.
	Namespace string
	// Pods selects pods by labels; empty means every pod of Namespace.
	Pods map[string]string
}

// PodsIn selects the pods of namespace ns carrying the given labels, given as key, value pairs.
func PodsIn(ns string, labels ...string) Peer {
	p := Peer{Kind: Pods, Namespace: ns}
	if len(labels)%2 != 0 {
		panic("netpol.PodsIn: labels come in key, value pairs")
	}
	if len(labels) > 0 {
		p.Pods = map[string]string{}
		for i := 0; i < len(labels); i += 2 {
			p.Pods[labels[i]] = labels[i+1]
		}
	}
	return p
}

// The peers that are not pods.
var (
	APIServer   = Peer{Kind: ControlPlane}
	PrivateNets = Peer{Kind: PrivateSubnets}
	Internet    = Peer{Kind: Anywhere}
)

// Port is a protocol and port number.
type Port struct {
	Protocol string // TCP, UDP or SCTP
	Port     int
}

// TCP is the given TCP ports.
func TCP(ports ...int) []Port {
	out := make([]Port, len(ports))
	for i, p := range ports {
		out[i] = Port{"TCP", p}
	}
	return out
}

// Flow is one documented connection the platform needs.
type Flow struct {
	// Name is a unique DNS label; the policies are named after it.
	Name string
	From Peer
	To   Peer
	// Ports of the destination pods (the container ports, after any Service's port mapping). Empty means
	// every port.
	Ports []Port
	// Why the flow exists, for the docs.
	Why string
}

// Network holds the addresses the non-pod peers stand for in one stack.
type Network struct {
	// ControlPlaneCIDRs are the subnets the EKS control plane's ENIs live in (the intra subnets).
	ControlPlaneCIDRs []string
	// APIServiceIP is the `kubernetes` Service's ClusterIP (the first address of the service CIDR). Whether a
	// policy sees a Service connection before or after the Service's address translation is up to the
	// network plugin (Kubernetes' NetworkPolicy docs, "ipBlock"), so egress to the API server allows both
	// this address and ControlPlaneCIDRs.
	APIServiceIP string
	// PrivateCIDRs are the private subnets (nodes, the CI runner, internal load balancers).
	PrivateCIDRs []string
}

// Policy is one NetworkPolicy, in the shape of networking.k8s.io/v1.
type Policy struct {
	Namespace string
	Name      string
	// Flow is the flow the policy allows; empty for the default deny.
	Flow string
	// PodSelector selects the pods the policy applies to (matchLabels); empty selects every pod.
	PodSelector map[string]string
	// Types are the policyTypes: Ingress, Egress or both.
	Types   []string
	Ingress []Rule
	Egress  []Rule
}

// Rule is one ingress (from) or egress (to) rule.
type Rule struct {
	Peers []PeerSpec
	Ports []Port
}

// PeerSpec is a NetworkPolicyPeer: an IP block, or pods by namespace and pod selectors.
type PeerSpec struct {
	CIDR string
	// Namespace selects by the kubernetes.io/metadata.name label; AnyNamespace is an empty namespace selector.
	Namespace string
	// Pods is a pod selector (matchLabels) within the selected namespaces; nil selects every pod.
	Pods map[string]string
}

// NamespaceNameLabel is the label the API server sets on every namespace to its name.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// DefaultDenyName names each namespace's default deny.
const DefaultDenyName = "default-deny"

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate checks a flow table, every problem at once.
func Validate(flows []Flow) error {
	var problems []string
	seen := map[string]bool{}
	for i, f := range flows {
		at := fmt.Sprintf("flows[%d] %q", i, f.Name)
		switch {
		case !dnsLabel.MatchString(f.Name) || len(f.Name) > 50:
			problems = append(problems, at+": name must be a DNS label of at most 50 characters")
		case seen[f.Name]:
			problems = append(problems, at+": duplicate name")
		}
		seen[f.Name] = true
		if f.From.Kind != Pods && f.To.Kind != Pods {
			problems = append(problems, at+": one side must be pods (a policy selects pods)")
		}
		for side, p := range map[string]Peer{"from": f.From, "to": f.To} {
			switch p.Kind {
			case Pods:
				if p.Namespace == "" {
					problems = append(problems, fmt.Sprintf("%s: %s: pods need a namespace", at, side))
				}
			case ControlPlane, PrivateSubnets, Anywhere:
				if p.Namespace != "" || len(p.Pods) > 0 {
					problems = append(problems, fmt.Sprintf("%s: %s: a %s peer has no namespace or pods", at, side, p.Kind))
				}
			default:
				problems = append(problems, fmt.Sprintf("%s: %s: unknown peer kind %q", at, side, p.Kind))
			}
		}
		if f.To.Kind == Pods && f.To.Namespace == EveryPlatformNamespace {
			problems = append(problems, at+": to: name the destination namespace (every platform namespace is only a source)")
		}
		for j, p := range f.Ports {
			if p.Protocol != "TCP" && p.Protocol != "UDP" && p.Protocol != "SCTP" {
				problems = append(problems, fmt.Sprintf("%s: ports[%d]: protocol %q is not TCP, UDP or SCTP", at, j, p.Protocol))
			}
			if p.Port < 1 || p.Port > 65535 {
				problems = append(problems, fmt.Sprintf("%s: ports[%d]: %d is not a port", at, j, p.Port))
			}
		}
		if strings.TrimSpace(f.Why) == "" {
			problems = append(problems, at+": why is required (it is the documentation)")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid flow table: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Policies renders the default deny of each namespace in namespaces and the allows of every flow that
// leaves or enters one of them, sorted by namespace and name. A flow whose namespaces are not in
// namespaces (a service the stack does not run) renders nothing for that side.
func Policies(namespaces []string, net Network, flows []Flow) ([]Policy, error) {
	if err := Validate(flows); err != nil {
		return nil, err
	}
	if err := net.validate(flows); err != nil {
		return nil, err
	}
	for _, ns := range namespaces {
		if !dnsLabel.MatchString(ns) {
			return nil, fmt.Errorf("namespace %q is not a DNS label", ns)
		}
	}
	sorted := append([]string(nil), namespaces...)
	sort.Strings(sorted)
	var out []Policy
	for _, ns := range sorted {
		out = append(out, Policy{Namespace: ns, Name: DefaultDenyName, Types: []string{"Ingress", "Egress"}})
		for _, f := range flows {
			if f.From.Kind == Pods && (f.From.Namespace == ns || f.From.Namespace == EveryPlatformNamespace) {
				out = append(out, Policy{
					Namespace: ns, Name: "egress-" + f.Name, Flow: f.Name,
					PodSelector: f.From.Pods, Types: []string{"Egress"},
					Egress: []Rule{{Peers: net.peers(f.To, true, sorted), Ports: f.Ports}},
				})
			}
			if f.To.Kind == Pods && f.To.Namespace == ns {
				out = append(out, Policy{
					Namespace: ns, Name: "ingress-" + f.Name, Flow: f.Name,
					PodSelector: f.To.Pods, Types: []string{"Ingress"},
					Ingress: []Rule{{Peers: net.peers(f.From, false, sorted), Ports: f.Ports}},
				})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// validate checks the addresses the flows need are there and are CIDRs.
func (n Network) validate(flows []Flow) error {
	var problems []string
	need := map[PeerKind]bool{}
	for _, f := range flows {
		need[f.From.Kind], need[f.To.Kind] = true, true
	}
	check := func(field string, cidrs []string, needed bool) {
		if needed && len(cidrs) == 0 {
			problems = append(problems, field+": required by the flows")
		}
		for i, c := range cidrs {
			if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
				problems = append(problems, fmt.Sprintf("%s[%d]: %q is not an IPv4 network CIDR", field, i, c))
			}
		}
	}
	check("controlPlaneCidrs", n.ControlPlaneCIDRs, need[ControlPlane])
	check("privateCidrs", n.PrivateCIDRs, need[PrivateSubnets])
	if need[ControlPlane] {
		if a, err := netip.ParseAddr(n.APIServiceIP); err != nil || !a.Is4() {
			problems = append(problems, fmt.Sprintf("apiServiceIp: %q is not an IPv4 address", n.APIServiceIP))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("network: %s", strings.Join(problems, "; "))
	}
	return nil
}

// peers turns one side of a flow into NetworkPolicy peers; egress says the peer is a destination.
// platform are the namespaces the policies are rendered for.
func (n Network) peers(p Peer, egress bool, platform []string) []PeerSpec {
	cidrs := func(cs ...string) []PeerSpec {
		out := make([]PeerSpec, 0, len(cs))
		for _, c := range cs {
			out = append(out, PeerSpec{CIDR: c})
		}
		return out
	}
	switch p.Kind {
	case ControlPlane:
		if egress {
			return cidrs(append(append([]string(nil), n.ControlPlaneCIDRs...), n.APIServiceIP+"/32")...)
		}
		return cidrs(n.ControlPlaneCIDRs...)
	case PrivateSubnets:
		return cidrs(n.PrivateCIDRs...)
	case Anywhere:
		return cidrs("0.0.0.0/0")
	}
	if p.Namespace == EveryPlatformNamespace {
		out := make([]PeerSpec, 0, len(platform))
		for _, ns := range platform {
			out = append(out, PeerSpec{Namespace: ns, Pods: p.Pods})
		}
		return out
	}
	return []PeerSpec{{Namespace: p.Namespace, Pods: p.Pods}}
}

// Describe is a peer as the docs table shows it.
func (p Peer) Describe() string {
	switch p.Kind {
	case ControlPlane:
		return "EKS API server (control-plane ENIs; `kubernetes` Service IP)"
	case PrivateSubnets:
		return "private subnets (nodes, CI runner, internal NLBs)"
	case Anywhere:
		return "anywhere (0.0.0.0/0)"
	}
	s := p.Namespace
	if s != EveryPlatformNamespace && s != AnyNamespace {
		s = "`" + s + "`"
	}
	if len(p.Pods) > 0 {
		keys := make([]string, 0, len(p.Pods))
		for k := range p.Pods {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sel := make([]string, len(keys))
		for i, k := range keys {
			sel[i] = k + "=" + p.Pods[k]
		}
		s += " `" + strings.Join(sel, ",") + "`"
	}
	return s
}

// DescribePorts is a port list as the docs table shows it.
func DescribePorts(ports []Port) string {
	if len(ports) == 0 {
		return "all"
	}
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s %d", p.Protocol, p.Port)
	}
	return strings.Join(parts, ", ")
}

// Table is the flow table as Markdown, the rows docs/services.md "Network isolation" carries.
func Table(flows []Flow) string {
	var b strings.Builder
	b.WriteString("| flow | from | to | ports | why |\n|---|---|---|---|---|\n")
	for _, f := range flows {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.From.Describe(), f.To.Describe(), DescribePorts(f.Ports), f.Why)
	}
	return b.String()
}
