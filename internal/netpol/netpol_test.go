package netpol

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNet = Network{ControlPlaneCIDRs: []string{"10.0.144.0/22"}, APIServiceIP: "172.20.0.1", PrivateCIDRs: []string{"10.0.0.0/19"}}

func TestThePlatformFlowTableIsValid(t *testing.T) {
	require.NoError(t, Validate(PlatformFlows))
}

func TestFlowTableProblemsAreReportedAtOnce(t *testing.T) {
	err := Validate([]Flow{
		{Name: "Bad_Name", From: PodsIn("a"), To: Internet, Why: "x"},
		{Name: "dup", From: PodsIn("a"), To: Internet, Ports: []Port{{"ICMP", 0}}, Why: "x"},
		{Name: "dup", From: APIServer, To: Internet, Why: ""},
		{Name: "to-every", From: APIServer, To: PodsIn(EveryPlatformNamespace), Why: "x"},
	})
	require.Error(t, err)
	for _, want := range []string{
		`flows[0] "Bad_Name": name must be a DNS label`,
		`flows[1] "dup": ports[0]: protocol "ICMP"`,
		`flows[1] "dup": ports[0]: 0 is not a port`,
		`flows[2] "dup": duplicate name`,
		`flows[2] "dup": one side must be pods`,
		`flows[2] "dup": why is required`,
		`flows[3] "to-every": to: name the destination namespace`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestEveryNamespaceGetsADefaultDenyAndTheCommonEgress(t *testing.T) {
	ps, err := Policies([]string{"b-ns", "a-ns"}, testNet, []Flow{
		{Name: "dns", From: PodsIn(EveryPlatformNamespace), To: PodsIn(KubeSystem, "k8s-app", "kube-dns"), Ports: []Port{{"UDP", 53}}, Why: "dns"},
		{Name: "apiserver", From: PodsIn(EveryPlatformNamespace), To: APIServer, Ports: TCP(443), Why: "api"},
	})
	require.NoError(t, err)
	var names []string
	for _, p := range ps {
		names = append(names, p.Namespace+"/"+p.Name)
		if p.Name == DefaultDenyName {
			assert.Empty(t, p.PodSelector)
			assert.Equal(t, []string{"Ingress", "Egress"}, p.Types)
			assert.Empty(t, p.Ingress)
			assert.Empty(t, p.Egress)
		}
	}
	assert.Equal(t, []string{
		"a-ns/default-deny", "a-ns/egress-apiserver", "a-ns/egress-dns",
		"b-ns/default-deny", "b-ns/egress-apiserver", "b-ns/egress-dns",
	}, names)
	// The API server is its ENIs' subnets and, before the Service's translation, its ClusterIP.
	api := ps[1].Egress[0].Peers
	assert.Equal(t, []PeerSpec{{CIDR: "10.0.144.0/22"}, {CIDR: "172.20.0.1/32"}}, api)
	// kube-system gets no policy: the platform does not own it.
	for _, p := range ps {
		assert.NotEqual(t, KubeSystem, p.Namespace)
	}
}

func TestAFlowRendersOnlyTheSidesThePlatformOwns(t *testing.T) {
	flows := []Flow{
		{Name: "eso-to-vault", From: PodsIn("eso", "app", "eso"), To: PodsIn("vault", "component", "server"), Ports: TCP(8200), Why: "x"},
		{Name: "any-to-vault", From: PodsIn(AnyNamespace), To: PodsIn("vault"), Ports: TCP(8200), Why: "x"},
		{Name: "webhook", From: APIServer, To: PodsIn("absent"), Ports: TCP(9443), Why: "x"},
	}
	ps, err := Policies([]string{"vault"}, testNet, flows)
	require.NoError(t, err)
	byName := map[string]Policy{}
	for _, p := range ps {
		byName[p.Namespace+"/"+p.Name] = p
	}
	require.Len(t, byName, 3, "vault's deny and its two ingress allows; nothing for the absent namespaces")
	eso := byName["vault/ingress-eso-to-vault"]
	assert.Equal(t, map[string]string{"component": "server"}, eso.PodSelector)
	assert.Equal(t, []PeerSpec{{Namespace: "eso", Pods: map[string]string{"app": "eso"}}}, eso.Ingress[0].Peers)
	anyNs := byName["vault/ingress-any-to-vault"]
	assert.Equal(t, []PeerSpec{{Namespace: AnyNamespace}}, anyNs.Ingress[0].Peers)

	ps, err = Policies([]string{"vault", "eso"}, testNet, flows)
	require.NoError(t, err)
	var egress []string
	for _, p := range ps {
		if len(p.Egress) > 0 {
			egress = append(egress, p.Namespace+"/"+p.Name)
		}
	}
	assert.Equal(t, []string{"eso/egress-eso-to-vault"}, egress, "AnyNamespace as a source opens only the destination")
}

func TestTheNetworkMustHoldTheAddressesTheFlowsName(t *testing.T) {
	_, err := Policies([]string{"a"}, Network{ControlPlaneCIDRs: []string{"10.0.144.1/22"}, APIServiceIP: "nope"}, []Flow{
		{Name: "api", From: PodsIn("a"), To: APIServer, Why: "x"},
		{Name: "nodes", From: PodsIn("a"), To: PrivateNets, Why: "x"},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `controlPlaneCidrs[0]: "10.0.144.1/22" is not an IPv4 network CIDR`)
	assert.Contains(t, err.Error(), `privateCidrs: required by the flows`)
	assert.Contains(t, err.Error(), `apiServiceIp: "nope"`)
}

// TestTheDocsCarryTheFlowTable keeps docs/services.md "Network isolation" and PlatformFlows in step: the table
// between the markers must be exactly Table(PlatformFlows).
func TestTheDocsCarryTheFlowTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "services.md"))
	require.NoError(t, err)
	doc := string(raw)
	const begin, end = "<!-- netpol flows: generated from internal/netpol.PlatformFlows -->\n", "<!-- end netpol flows -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	require.True(t, i >= 0 && j > i, "docs/services.md needs the flow table between %q and %q", begin, end)
	got := doc[i+len(begin) : j]
	want := Table(PlatformFlows)
	require.Equal(t, want, got, "docs/services.md's flow table disagrees with internal/netpol.PlatformFlows; replace it with:\n%s", want)
}
