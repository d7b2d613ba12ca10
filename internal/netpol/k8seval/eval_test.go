package k8seval

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func policy(ns, name string, spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

func tcp(port int32) networkingv1.NetworkPolicyPort {
	p := corev1.ProtocolTCP
	v := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Protocol: &p, Port: &v}
}

func TestTheAPIsSemantics(t *testing.T) {
	deny := policy("a", "deny", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"}})
	// Only a podSelector: the policy's own namespace.
	sameNs := policy("a", "same-ns", networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
		PolicyTypes: []networkingv1.PolicyType{"Ingress"},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			Ports: []networkingv1.NetworkPolicyPort{tcp(5432)},
		}},
	})
	// Egress to the web pods' namespace b and to a CIDR; no policyTypes, so Egress comes from the egress rules.
	out := policy("a", "out", networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Egress: []networkingv1.NetworkPolicyEgressRule{
			{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "b"}}}}},
			{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"10.0.9.0/24"}}}}, Ports: []networkingv1.NetworkPolicyPort{tcp(443)}},
			{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}},
		},
	})
	cl := Cluster{Policies: []networkingv1.NetworkPolicy{deny, sameNs, out}}
	web, db, other := Pod("a", map[string]string{"app": "web"}), Pod("a", map[string]string{"app": "db"}), Pod("a", nil)
	inB, webInC := Pod("b", nil), Pod("c", map[string]string{"app": "web"})

	for _, tc := range []struct {
		name string
		c    Connection
		want bool
	}{
		{"web to db on its port", Connection{From: web, To: db, Port: 5432}, true},
		{"web to db on another port", Connection{From: web, To: db, Port: 5433}, false},
		{"web to db over UDP", Connection{From: web, To: db, Protocol: corev1.ProtocolUDP, Port: 5432}, false},
		{"a web pod of another namespace to db", Connection{From: webInC, To: db, Port: 5432}, false},
		{"a pod without the label to db", Connection{From: other, To: db, Port: 5432}, false},
		{"web to namespace b (not isolated), any port", Connection{From: web, To: inB, Port: 1}, true},
		{"web to the CIDR on 443", Connection{From: web, To: Address("10.0.1.1"), Port: 443}, true},
		{"web to the CIDR's exception", Connection{From: web, To: Address("10.0.9.1"), Port: 443}, false},
		{"web to the CIDR on 80", Connection{From: web, To: Address("10.0.1.1"), Port: 80}, false},
		{"the default deny holds for other pods' egress", Connection{From: other, To: inB, Port: 1}, false},
		{"the default deny holds for ingress from outside", Connection{From: Address("10.0.1.1"), To: web, Port: 80}, false},
		{"nothing isolates namespace b", Connection{From: inB, To: webInC, Port: 80}, true},
	} {
		v, err := cl.Allowed(tc.c)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, v.Allowed, "%s: %+v", tc.name, v)
	}
}

func TestNamespaceSelectorsReadTheNamespacesLabels(t *testing.T) {
	p := policy("a", "from-monitoring", networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{"Ingress"},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "monitoring"}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "prometheus"}},
		}}}},
	})
	cl := Cluster{Policies: []networkingv1.NetworkPolicy{p}, Namespaces: map[string]map[string]string{"obs": {"team": "monitoring"}}}
	allowed := func(from Endpoint) bool {
		v, err := cl.Allowed(Connection{From: from, To: Pod("a", nil), Port: 9090})
		require.NoError(t, err)
		return v.Allowed
	}
	require.True(t, allowed(Pod("obs", map[string]string{"app": "prometheus"})))
	require.False(t, allowed(Pod("obs", map[string]string{"app": "grafana"})), "both selectors must match")
	require.False(t, allowed(Pod("other", map[string]string{"app": "prometheus"})), "the namespace must carry the label")
}

func TestNamedPortsAreReported(t *testing.T) {
	named := intstr.FromString("metrics")
	p := policy("a", "named", networkingv1.NetworkPolicySpec{
		PolicyTypes: []networkingv1.PolicyType{"Ingress"},
		Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &named}}}},
	})
	_, err := Cluster{Policies: []networkingv1.NetworkPolicy{p}}.Allowed(Connection{From: Pod("b", nil), To: Pod("a", nil), Port: 1})
	require.ErrorContains(t, err, `named port "metrics"`)
}
