package program

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/components/admission"
	"github.com/platform-team/platform/components/autoscaling"
	"github.com/platform-team/platform/components/externalsecrets"
	"github.com/platform-team/platform/components/gpuruntime"
	"github.com/platform-team/platform/components/mesh"
	netpolc "github.com/platform-team/platform/components/netpol"
	"github.com/platform-team/platform/components/observability"
	"github.com/platform-team/platform/components/scanning"
	"github.com/platform-team/platform/components/vault"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/netpol"
	"github.com/platform-team/platform/internal/subnets"
)

// serviceNamespaces are the namespaces the services created, by name, each with its namespace resource's
// name output: the network policies of a namespace are created right after it.
func serviceNamespaces(out *Services) map[string]pulumi.StringInput {
	ns := map[string]pulumi.StringInput{
		observability.DefaultNamespace:   out.Observability.Namespace,
		mesh.SystemNamespace:             out.Mesh.SystemNamespace,
		mesh.DefaultGatewayNamespace:     out.Mesh.GatewayNamespace,
		gpuruntime.DefaultNamespace:      out.GPURuntime.Namespace,
		autoscaling.DefaultNamespace:     out.Autoscaling.Namespace,
		vault.DefaultNamespace:           out.Vault.Namespace,
		externalsecrets.DefaultNamespace: out.ExternalSecrets.Namespace,
	}
	if out.Scanning != nil {
		ns[scanning.DefaultNamespace] = out.Scanning.Namespace
	}
	if out.Admission != nil {
		ns[admission.DefaultNamespace] = out.Admission.Namespace
	}
	return ns
}

// podNetwork is where the API server, the private subnets and the `kubernetes` Service are in this stack,
// from the validated configuration: the subnets are the network component's layout (internal/subnets), and
// the Service's ClusterIP is the first address of the service CIDR, which the API server gives the
// `kubernetes` Service.
func podNetwork(cfg *config.Config) (netpol.Network, error) {
	vpc, err := netip.ParsePrefix(cfg.Network.CIDR)
	if err != nil {
		return netpol.Network{}, fmt.Errorf("network.cidr: %w", err)
	}
	layout, err := subnets.Layout(vpc, cfg.Network.AZCount, config.NewBits(cfg.Network))
	if err != nil {
		return netpol.Network{}, fmt.Errorf("subnet layout: %w", err)
	}
	var n netpol.Network
	for _, s := range layout {
		switch s.Tier {
		case subnets.Intra:
			n.ControlPlaneCIDRs = append(n.ControlPlaneCIDRs, s.Prefix.String())
		case subnets.Private:
			n.PrivateCIDRs = append(n.PrivateCIDRs, s.Prefix.String())
		}
	}
	svc, err := netip.ParsePrefix(cfg.Cluster.ServiceCIDR)
	if err != nil {
		return netpol.Network{}, fmt.Errorf("cluster.serviceCidr: %w", err)
	}
	n.APIServiceIP = svc.Masked().Addr().Next().String()
	return n, nil
}

// networkPolicies gives every namespace the services created a default deny and the allows of the platform's
// flow table (internal/netpol.PlatformFlows).
func networkPolicies(ctx *pulumi.Context, p *Platform, out *Services, kp pulumi.ProviderResource) (*netpolc.NetworkPolicies, error) {
	n, err := podNetwork(p.Config)
	if err != nil {
		return nil, err
	}
	return netpolc.NewNetworkPolicies(ctx, p.Config.Cluster.Name+"-netpol", &netpolc.Args{
		KubeProvider: kp,
		Namespaces:   serviceNamespaces(out),
		Network:      n,
	})
}
