package program

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/mockgraph"
)

// dependencies is every resource r waits for, transitively: explicit dependsOn, the resources its inputs came
// from, its provider and its parent. Pulumi deletes a resource before any of these, so this is also the set of
// resources still there while r is deleted.
func dependencies(g mockgraph.Graph, r mockgraph.Resource) map[string]bool {
	byURN := map[string]mockgraph.Resource{}
	for _, x := range g.Resources {
		byURN[x.URN] = x
	}
	seen := map[string]bool{}
	var visit func(x mockgraph.Resource)
	visit = func(x mockgraph.Resource) {
		next := append([]string{}, x.DependsOn...)
		for _, deps := range x.PropertyDependencies {
			next = append(next, deps...)
		}
		if x.Provider != "" {
			next = append(next, x.Provider[:strings.LastIndex(x.Provider, "::")])
		}
		if x.Parent != "" {
			next = append(next, x.Parent)
		}
		for _, u := range next {
			if !seen[u] {
				seen[u] = true
				if y, ok := byURN[u]; ok {
					visit(y)
				}
			}
		}
	}
	visit(r)
	return seen
}

// hasLoadBalancerService reports whether chart values ask for a Service of type LoadBalancer anywhere.
func hasLoadBalancerService(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "type" && x == "LoadBalancer" {
				return true
			}
			if hasLoadBalancerService(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if hasLoadBalancerService(x) {
				return true
			}
		}
	}
	return false
}

// A Service of type LoadBalancer owns an NLB with network interfaces in the VPC's subnets, which the cloud
// controller removes only when the Service is deleted. Every chart rendering one must therefore depend,
// transitively, on the cluster and on every subnet and gateway of the VPC, so `pulumi destroy` deletes it (and
// waits for the load balancer's finalizer) before any of them; otherwise subnet and internet gateway deletion
// fail with DependencyViolation. The cluster's inputs reach only the private and intra subnets, hence the
// mesh's explicit dependency on the network.
func TestLoadBalancerServicesAreDeletedBeforeTheVPC(t *testing.T) {
	for _, env := range []string{"dev", "prod"} {
		g, _ := runWithServices(t, env)
		var vpcParts []mockgraph.Resource
		for _, typ := range []string{"aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/vpc:Vpc"} {
			vpcParts = append(vpcParts, g.OfType(typ)...)
		}
		require.NotEmpty(t, vpcParts)
		found := 0
		for _, typ := range []string{chartstest.ChartV4, chartstest.ReleaseV3} {
			for _, r := range g.OfType(typ) {
				if !hasLoadBalancerService(chartstest.Values(t, r.Inputs)) {
					continue
				}
				found++
				deps := dependencies(g, r)
				require.True(t, deps[g.Only(t, "eks:index:Cluster").URN], "%s: %s must wait for the cluster", env, r.Name)
				// Public subnets and the internet gateway too: an internet-facing NLB lives in the public
				// subnets, and the gateway cannot be detached while it holds public addresses.
				for _, p := range vpcParts {
					require.True(t, deps[p.URN], "%s: %s must be deleted before %s %s", env, r.Name, p.Type, p.Name)
				}
			}
		}
		require.Equal(t, 1, found, "%s: the Istio gateway is the chart-rendered LoadBalancer Service", env)

		// Services the program creates itself (Vault's internal NLB where there is an in-VPC runner).
		direct := 0
		for _, r := range g.OfType("kubernetes:core/v1:Service") {
			if spec := r.Inputs["spec"]; !spec.IsObject() || !spec.ObjectValue()["type"].IsString() || spec.ObjectValue()["type"].StringValue() != "LoadBalancer" {
				continue
			}
			direct++
			deps := dependencies(g, r)
			for _, p := range vpcParts {
				require.True(t, deps[p.URN], "%s: %s must be deleted before %s %s", env, r.Name, p.Type, p.Name)
			}
		}
		require.Equal(t, map[string]int{"dev": 0, "prod": 1}[env], direct, "%s: Vault's internal load balancer exists where the CI runner does", env)
	}
}
