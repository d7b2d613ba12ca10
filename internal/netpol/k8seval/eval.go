// Package k8seval decides whether a set of Kubernetes NetworkPolicies (the k8s.io/api networking/v1 types)
// allows one connection, for tests that check rendered policies by their meaning rather than their text. Label
// selectors are evaluated by apimachinery's own LabelSelectorAsSelector.
//
// The semantics are those the API documents on the networking/v1 types (k8s.io/api networking/v1 types.go:
// NetworkPolicySpec.podSelector and policyTypes, NetworkPolicyPeer, NetworkPolicyPort) and the Kubernetes
// NetworkPolicy concept page: a pod is isolated for a direction when some policy in its namespace selects it
// with that policy type; an isolated pod accepts (or sends) only what some selecting policy's rule allows; a
// connection needs both the source's egress and the destination's ingress; a rule with no peers matches every
// peer and a rule with no ports every port; a peer with only a podSelector means the policy's own namespace; an
// ipBlock matches by address. It models the API, not any one network plugin: what the VPC CNI's agent does
// with Service addresses and host traffic is for a real cluster to show. Named ports are not supported (the
// platform's policies use numbers) and are reported as an error.
package k8seval

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Endpoint is one end of a connection: a pod (Namespace set) or an address outside the pod network.
type Endpoint struct {
	// Namespace and Labels of a pod; empty Namespace means the endpoint is not a pod.
	Namespace string
	Labels    map[string]string
	// IP of the endpoint; required for non-pods, optional for pods (ipBlock peers match it).
	IP string
}

// Pod is a pod endpoint.
func Pod(namespace string, labels map[string]string) Endpoint {
	return Endpoint{Namespace: namespace, Labels: labels}
}

// Address is a non-pod endpoint.
func Address(ip string) Endpoint { return Endpoint{IP: ip} }

// Connection is one connection attempt.
type Connection struct {
	From, To Endpoint
	Protocol corev1.Protocol
	Port     int32
}

// Cluster is the policies and the namespaces' labels (kubernetes.io/metadata.name is added for each).
type Cluster struct {
	Policies   []networkingv1.NetworkPolicy
	Namespaces map[string]map[string]string
}

// Verdict is the decision and, for a denial, which side denied it.
type Verdict struct {
	Allowed bool
	// Egress and Ingress report each side's decision (true when the side is not isolated).
	Egress, Ingress bool
}

// Allowed decides c.
func (cl Cluster) Allowed(c Connection) (Verdict, error) {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	egress, err := cl.side(c, c.From, c.To, networkingv1.PolicyTypeEgress)
	if err != nil {
		return Verdict{}, err
	}
	ingress, err := cl.side(c, c.To, c.From, networkingv1.PolicyTypeIngress)
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Allowed: egress && ingress, Egress: egress, Ingress: ingress}, nil
}

// side decides one direction for the pod self talking with peer.
func (cl Cluster) side(c Connection, self, peer Endpoint, dir networkingv1.PolicyType) (bool, error) {
	if self.Namespace == "" {
		return true, nil // not a pod: no NetworkPolicy applies to it
	}
	isolated := false
	for _, p := range cl.Policies {
		if p.Namespace != self.Namespace || !hasType(p, dir) {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			return false, fmt.Errorf("%s/%s: podSelector: %w", p.Namespace, p.Name, err)
		}
		if !sel.Matches(labels.Set(self.Labels)) {
			continue
		}
		isolated = true
		var rules []rule
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range p.Spec.Ingress {
				rules = append(rules, rule{r.From, r.Ports})
			}
		} else {
			for _, r := range p.Spec.Egress {
				rules = append(rules, rule{r.To, r.Ports})
			}
		}
		for _, r := range rules {
			ok, err := cl.ruleMatches(p, r, peer, c)
			if err != nil {
				return false, fmt.Errorf("%s/%s: %w", p.Namespace, p.Name, err)
			}
			if ok {
				return true, nil
			}
		}
	}
	return !isolated, nil
}

type rule struct {
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

// hasType applies the API's defaulting of policyTypes: Ingress always, Egress when there are egress rules.
func hasType(p networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	types := p.Spec.PolicyTypes
	if len(types) == 0 {
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(p.Spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

func (cl Cluster) ruleMatches(p networkingv1.NetworkPolicy, r rule, peer Endpoint, c Connection) (bool, error) {
	portOK := len(r.ports) == 0
	for _, pp := range r.ports {
		proto := corev1.ProtocolTCP
		if pp.Protocol != nil {
			proto = *pp.Protocol
		}
		if proto != c.Protocol {
			continue
		}
		if pp.Port == nil {
			portOK = true
			break
		}
		if pp.Port.Type == intstr.String {
			return false, fmt.Errorf("named port %q is not supported", pp.Port.StrVal)
		}
		end := pp.Port.IntVal
		if pp.EndPort != nil {
			end = *pp.EndPort
		}
		if c.Port >= pp.Port.IntVal && c.Port <= end {
			portOK = true
			break
		}
	}
	if !portOK {
		return false, nil
	}
	if len(r.peers) == 0 {
		return true, nil
	}
	for _, pe := range r.peers {
		ok, err := cl.peerMatches(p.Namespace, pe, peer)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (cl Cluster) peerMatches(policyNamespace string, pe networkingv1.NetworkPolicyPeer, peer Endpoint) (bool, error) {
	if pe.IPBlock != nil {
		if pe.PodSelector != nil || pe.NamespaceSelector != nil {
			return false, fmt.Errorf("ipBlock cannot be combined with selectors")
		}
		if peer.IP == "" {
			return false, nil
		}
		addr, err := netip.ParseAddr(peer.IP)
		if err != nil {
			return false, err
		}
		block, err := netip.ParsePrefix(pe.IPBlock.CIDR)
		if err != nil {
			return false, fmt.Errorf("ipBlock %q: %w", pe.IPBlock.CIDR, err)
		}
		if !block.Contains(addr) {
			return false, nil
		}
		for _, ex := range pe.IPBlock.Except {
			e, err := netip.ParsePrefix(ex)
			if err != nil {
				return false, fmt.Errorf("ipBlock except %q: %w", ex, err)
			}
			if e.Contains(addr) {
				return false, nil
			}
		}
		return true, nil
	}
	if peer.Namespace == "" {
		return false, nil // selectors select pods only
	}
	if pe.NamespaceSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(pe.NamespaceSelector)
		if err != nil {
			return false, fmt.Errorf("namespaceSelector: %w", err)
		}
		if !sel.Matches(labels.Set(cl.namespaceLabels(peer.Namespace))) {
			return false, nil
		}
	} else if peer.Namespace != policyNamespace {
		return false, nil
	}
	if pe.PodSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(pe.PodSelector)
		if err != nil {
			return false, fmt.Errorf("podSelector: %w", err)
		}
		return sel.Matches(labels.Set(peer.Labels)), nil
	}
	return true, nil
}

func (cl Cluster) namespaceLabels(ns string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": ns}
	for k, v := range cl.Namespaces[ns] {
		out[k] = v
	}
	return out
}
