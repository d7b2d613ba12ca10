// Package canary provides the CanaryRelease component application teams use to shift traffic between a
// stable and a canary version of one service in the mesh: an Istio DestinationRule with "stable" and
// "canary" subsets (selected by a version label) and a VirtualService splitting traffic by weight.
//
// It does not deploy the workloads, promote automatically or watch metrics; changing CanaryWeight and
// running `pulumi up` is the promotion step.
package canary

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const componentType = "platform:canary:CanaryRelease"

// Subset names in the DestinationRule.
const (
	StableSubset = "stable"
	CanarySubset = "canary"
)

// Args configures a canary release. Pass the Kubernetes provider with pulumi.Provider(s) in opts.
type Args struct {
	// Namespace of the service. Required.
	Namespace string
	// Service is the Kubernetes Service name. Required.
	Service string
	// Port is the service port routed. Default: 0 (all ports).
	Port int
	// VersionLabel is the pod label distinguishing versions. Default: "version".
	VersionLabel string
	// StableVersion and CanaryVersion are the label values of the two versions. Required, distinct.
	StableVersion string
	CanaryVersion string
	// CanaryWeight is the percentage [0, 100] of requests sent to the canary. Default: 0.
	CanaryWeight int
	// Gateways the route is bound to, as "namespace/name"; "mesh" means in-mesh callers.
	// Default: ["mesh"].
	Gateways []string
	// Hosts matched by the VirtualService. Default: the service's cluster-local FQDN.
	Hosts []string
}

// CanaryRelease is the component.
type CanaryRelease struct {
	pulumi.ResourceState

	// CanaryWeight currently routed to the canary.
	CanaryWeight pulumi.IntOutput `pulumi:"canaryWeight"`
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func (a *Args) applyDefaults() {
	if a.VersionLabel == "" {
		a.VersionLabel = "version"
	}
	if len(a.Gateways) == 0 {
		a.Gateways = []string{"mesh"}
	}
	if len(a.Hosts) == 0 && a.Service != "" && a.Namespace != "" {
		a.Hosts = []string{fmt.Sprintf("%s.%s.svc.cluster.local", a.Service, a.Namespace)}
	}
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if !dns1123.MatchString(a.Namespace) {
		p = append(p, fmt.Sprintf("namespace %q must be a DNS-1123 label", a.Namespace))
	}
	if !dns1123.MatchString(a.Service) {
		p = append(p, fmt.Sprintf("service %q must be a DNS-1123 label", a.Service))
	}
	if a.StableVersion == "" || a.CanaryVersion == "" {
		p = append(p, "stableVersion and canaryVersion are required")
	} else if a.StableVersion == a.CanaryVersion {
		p = append(p, fmt.Sprintf("stableVersion and canaryVersion are both %q; a canary needs two versions", a.StableVersion))
	}
	if a.CanaryWeight < 0 || a.CanaryWeight > 100 {
		p = append(p, fmt.Sprintf("canaryWeight %d must be within [0, 100]", a.CanaryWeight))
	}
	if a.Port < 0 || a.Port > 65535 {
		p = append(p, fmt.Sprintf("port %d must be within [0, 65535]", a.Port))
	}
	if len(p) > 0 {
		return fmt.Errorf("canary: %s", strings.Join(p, "; "))
	}
	return nil
}

func strings2any(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// NewCanaryRelease creates the DestinationRule and VirtualService.
func NewCanaryRelease(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*CanaryRelease, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &CanaryRelease{}
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	host := fmt.Sprintf("%s.%s.svc.cluster.local", a.Service, a.Namespace)

	if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, "destinationrule"), &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("networking.istio.io/v1"),
		Kind:       pulumi.String("DestinationRule"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(a.Service), Namespace: pulumi.String(a.Namespace)},
		OtherFields: map[string]any{"spec": map[string]any{
			"host": host,
			"subsets": []any{
				map[string]any{"name": StableSubset, "labels": map[string]any{a.VersionLabel: a.StableVersion}},
				map[string]any{"name": CanarySubset, "labels": map[string]any{a.VersionLabel: a.CanaryVersion}},
			},
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("canary %s destination rule: %w", name, err)
	}

	dest := func(subset string, weight int) map[string]any {
		d := map[string]any{"host": host, "subset": subset}
		if a.Port > 0 {
			d["port"] = map[string]any{"number": a.Port}
		}
		return map[string]any{"destination": d, "weight": weight}
	}
	if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, "virtualservice"), &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("networking.istio.io/v1"),
		Kind:       pulumi.String("VirtualService"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(a.Service), Namespace: pulumi.String(a.Namespace)},
		OtherFields: map[string]any{"spec": map[string]any{
			"hosts":    strings2any(a.Hosts),
			"gateways": strings2any(a.Gateways),
			"http": []any{map[string]any{
				"name": "canary-split",
				"route": []any{
					dest(StableSubset, 100-a.CanaryWeight),
					dest(CanarySubset, a.CanaryWeight),
				},
			}},
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("canary %s virtual service: %w", name, err)
	}

	comp.CanaryWeight = pulumi.Int(a.CanaryWeight).ToIntOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"canaryWeight": comp.CanaryWeight}); err != nil {
		return nil, err
	}
	return comp, nil
}
