package program

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/netpol"
	"github.com/platform-team/platform/internal/netpol/k8seval"
	"github.com/platform-team/platform/tests"
)

const (
	namespaceType     = "kubernetes:core/v1:Namespace"
	networkPolicyType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

// recordedPolicies decodes every NetworkPolicy the program registered into the Kubernetes API type, refusing
// any field the type does not have (a misspelt field would be dropped by the API server, silently).
func recordedPolicies(t *testing.T, g mockgraph.Graph) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, r := range g.OfType(networkPolicyType) {
		raw, err := json.Marshal(r.Inputs.Mappable())
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var p networkingv1.NetworkPolicy
		require.NoError(t, dec.Decode(&p), "%s: %s", r.Name, raw)
		require.Equal(t, "networking.k8s.io/v1", p.APIVersion)
		out = append(out, p)
	}
	return out
}

// createdNamespaces are the names of the Namespace objects the program registered.
func createdNamespaces(g mockgraph.Graph) []string {
	var out []string
	for _, r := range g.OfType(namespaceType) {
		out = append(out, r.Inputs["metadata"].ObjectValue()["name"].StringValue())
	}
	return out
}

func isDefaultDeny(p networkingv1.NetworkPolicy) bool {
	s := p.Spec
	types := map[networkingv1.PolicyType]bool{}
	for _, x := range s.PolicyTypes {
		types[x] = true
	}
	return len(s.PodSelector.MatchLabels) == 0 && len(s.PodSelector.MatchExpressions) == 0 &&
		len(types) == 2 && types[networkingv1.PolicyTypeIngress] && types[networkingv1.PolicyTypeEgress] &&
		len(s.Ingress) == 0 && len(s.Egress) == 0
}

// TestEveryNamespaceTheProgramCreatesDeniesByDefault: each Namespace of the whole program, on every stack, has
// a policy selecting all its pods for Ingress and Egress with no rule; and no policy lands elsewhere.
func TestEveryNamespaceTheProgramCreatesDeniesByDefault(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, _ := runWithServices(t, env)
			policies := recordedPolicies(t, g)
			namespaces := createdNamespaces(g)
			require.NotEmpty(t, namespaces)
			t.Logf("%s: %d namespaces, %d network policies", env, len(namespaces), len(policies))
			for _, ns := range namespaces {
				var deny bool
				for _, p := range policies {
					deny = deny || (p.Namespace == ns && isDefaultDeny(p))
				}
				require.True(t, deny, "namespace %s has no default-deny NetworkPolicy (add it to serviceNamespaces and its flows to internal/netpol.PlatformFlows)", ns)
			}
			for _, p := range policies {
				require.Contains(t, namespaces, p.Namespace, "policy %s/%s is in a namespace the program does not create", p.Namespace, p.Name)
			}
			// Each policy's namespace comes from its namespace resource, so it is created after it.
			for _, r := range g.OfType(networkPolicyType) {
				require.NotEmpty(t, r.PropertyDependencies["metadata"], "%s does not depend on its namespace", r.Name)
			}
		})
	}
}

// sample is a representative endpoint of one side of a flow, in a stack whose platform namespaces are
// platform; tenant is a namespace the platform does not own.
func sample(t *testing.T, p netpol.Peer, n netpol.Network, platform []string, egressDestination bool) []k8seval.Endpoint {
	t.Helper()
	host := func(cidr string, i int) string {
		a := netip.MustParsePrefix(cidr).Addr()
		for ; i > 0; i-- {
			a = a.Next()
		}
		return a.String()
	}
	podIP := host(n.PrivateCIDRs[0], 77)
	switch p.Kind {
	case netpol.ControlPlane:
		out := []k8seval.Endpoint{k8seval.Address(host(n.ControlPlaneCIDRs[0], 10))}
		if egressDestination {
			out = append(out, k8seval.Address(n.APIServiceIP))
		}
		return out
	case netpol.PrivateSubnets:
		return []k8seval.Endpoint{k8seval.Address(host(n.PrivateCIDRs[len(n.PrivateCIDRs)-1], 20))}
	case netpol.Anywhere:
		return []k8seval.Endpoint{k8seval.Address("52.94.133.131")}
	}
	var nss []string
	switch p.Namespace {
	case netpol.EveryPlatformNamespace:
		nss = platform
	case netpol.AnyNamespace:
		nss = []string{"team-a"}
	default:
		nss = []string{p.Namespace}
	}
	var out []k8seval.Endpoint
	for _, ns := range nss {
		e := k8seval.Pod(ns, p.Pods)
		e.IP = podIP
		out = append(out, e)
	}
	return out
}

// TestEveryDocumentedFlowIsAllowed evaluates, with the Kubernetes API types, each flow of the table (the one
// docs/services.md carries) against the policies the program registered: a pod of the source reaches a pod
// of the destination on each of the flow's ports.
func TestEveryDocumentedFlowIsAllowed(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, _ := runWithServices(t, env)
			cl := k8seval.Cluster{Policies: recordedPolicies(t, g)}
			platform := createdNamespaces(g)
			cfg := loadStack(t, env)
			n, err := podNetwork(cfg)
			require.NoError(t, err)
			created := map[string]bool{netpol.KubeSystem: true, netpol.AnyNamespace: true, netpol.EveryPlatformNamespace: true}
			for _, ns := range platform {
				created[ns] = true
			}
			checked := 0
			for _, f := range netpol.PlatformFlows {
				if (f.From.Kind == netpol.Pods && !created[f.From.Namespace]) || (f.To.Kind == netpol.Pods && !created[f.To.Namespace]) {
					t.Logf("flow %s: a namespace of it is not in this stack", f.Name)
					continue
				}
				ports := f.Ports
				if len(ports) == 0 {
					ports = netpol.TCP(8443) // every port: any one will do
				}
				for _, from := range sample(t, f.From, n, platform, false) {
					for _, to := range sample(t, f.To, n, platform, true) {
						for _, p := range ports {
							c := k8seval.Connection{From: from, To: to, Protocol: corev1.Protocol(p.Protocol), Port: int32(p.Port)}
							v, err := cl.Allowed(c)
							require.NoError(t, err)
							require.True(t, v.Allowed, "flow %s: %+v -> %+v %s/%d is denied (egress %v, ingress %v)", f.Name, from, to, p.Protocol, p.Port, v.Egress, v.Ingress)
							checked++
						}
					}
				}
			}
			t.Logf("%s: %d connections allowed", env, checked)
		})
	}
}

// TestTheDefaultDenyHolds: connections the table does not list are denied by the recorded policies.
func TestTheDefaultDenyHolds(t *testing.T) {
	g, _ := runWithServices(t, "dev")
	cl := k8seval.Cluster{Policies: recordedPolicies(t, g)}
	n, err := podNetwork(loadStack(t, "dev"))
	require.NoError(t, err)
	vaultServer := k8seval.Pod("vault", map[string]string{"app.kubernetes.io/name": "vault", "component": "server"})
	injector := k8seval.Pod("vault", map[string]string{"app.kubernetes.io/name": "vault-agent-injector"})
	tenant := k8seval.Pod("team-a", map[string]string{"app": "api"})
	istiod := k8seval.Pod("istio-system", map[string]string{"app": "istiod"})
	prometheus := k8seval.Pod("observability", map[string]string{"app.kubernetes.io/name": "prometheus"})
	grafana := k8seval.Pod("observability", map[string]string{"app.kubernetes.io/name": "grafana"})
	esoWebhook := k8seval.Pod("external-secrets", map[string]string{"app.kubernetes.io/name": "external-secrets-webhook"})
	alertmanager := k8seval.Pod("observability", map[string]string{"app.kubernetes.io/name": "alertmanager"})
	apiServer := k8seval.Address(netip.MustParsePrefix(n.ControlPlaneCIDRs[0]).Addr().Next().String())
	internet := k8seval.Address("52.94.133.131")
	for _, tc := range []struct {
		name     string
		from, to k8seval.Endpoint
		port     int32
		want     bool
	}{
		{"a tenant reaches Vault's API", tenant, vaultServer, 8200, true},
		{"a tenant does not reach Vault's cluster port", tenant, vaultServer, 8201, false},
		{"Vault servers replicate among themselves", vaultServer, vaultServer, 8201, true},
		{"the API server calls istiod's webhook", apiServer, istiod, 15017, true},
		{"the internet does not reach istiod's webhook", internet, istiod, 15017, false},
		{"a tenant does not reach istiod's webhook port", tenant, istiod, 15017, false},
		{"Vault unseals through KMS", vaultServer, internet, 443, true},
		{"the injector does not reach the internet", injector, internet, 443, false},
		{"Grafana does not reach the internet", grafana, internet, 443, false},
		{"Grafana reaches the API server", grafana, apiServer, 443, true},
		{"a tenant does not reach Prometheus", tenant, prometheus, 9090, false},
		{"Prometheus scrapes istiod", prometheus, istiod, 15014, true},
		{"Grafana does not scrape istiod", grafana, istiod, 15014, false},
		{"ESO's webhook does not reach Vault (only its controller does)", esoWebhook, vaultServer, 8200, false},
		{"Alertmanager reaches its receivers", alertmanager, internet, 443, true},
		{"Prometheus does not reach the internet", prometheus, internet, 443, false},
	} {
		v, err := cl.Allowed(k8seval.Connection{From: tc.from, To: tc.to, Port: tc.port})
		require.NoError(t, err)
		require.Equal(t, tc.want, v.Allowed, "%s: %+v", tc.name, v)
	}
}

// TestTheVPCCNIEnforcesNetworkPolicyOnEveryStack: the vpc-cni add-on carries enableNetworkPolicy "true" on every
// stack (the default), "false" where a stack turns it off, and no other add-on gets configuration values.
func TestTheVPCCNIEnforcesNetworkPolicyOnEveryStack(t *testing.T) {
	vpcCNI := func(t *testing.T, raw map[string]string, env string) map[string]any {
		g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
			cfg, err := config.Load(ctx)
			if err != nil {
				return err
			}
			_, err = Build(ctx, cfg)
			return err
		}, mockgraph.Options{Stack: env, Config: raw})
		require.NoError(t, err)
		var values map[string]any
		for _, r := range g.OfType("aws:eks/addon:Addon") {
			cv, ok := r.Inputs["configurationValues"]
			if r.Inputs["addonName"].StringValue() != "vpc-cni" {
				require.False(t, ok && cv.HasValue(), "%s has configuration values", r.Name)
				continue
			}
			require.True(t, ok, "vpc-cni has no configuration values")
			require.NoError(t, json.Unmarshal([]byte(cv.StringValue()), &values))
		}
		require.NotNil(t, values, "no vpc-cni add-on")
		return values
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			raw := stackConfig(t, env)
			require.Equal(t, map[string]any{"enableNetworkPolicy": "true"}, vpcCNI(t, raw, env))
			if env == "prod" {
				return // prod may not turn it off (config validation)
			}
			var cluster map[string]any
			require.NoError(t, json.Unmarshal([]byte(raw["platform:cluster"]), &cluster))
			cluster["networkPolicy"] = map[string]any{"enforce": false}
			b, err := json.Marshal(cluster)
			require.NoError(t, err)
			raw["platform:cluster"] = string(b)
			require.Equal(t, map[string]any{"enableNetworkPolicy": "false"}, vpcCNI(t, raw, env))
		})
	}
}

func stackConfig(t *testing.T, env string) map[string]string {
	t.Helper()
	raw, err := tests.StackConfig(filepath.Join(tests.Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
	require.NoError(t, err)
	return raw
}

// loadStack is the validated configuration of a real stack file.
func loadStack(t *testing.T, env string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.Source{Stack: env, Config: stackConfig(t, env)})
	require.NoError(t, err)
	return cfg
}
