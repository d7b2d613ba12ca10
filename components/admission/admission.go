// Package admission provides the Admission component: the Kyverno admission policy engine and the platform's
// workload rules (policies.go) as ClusterPolicies, with per-rule exceptions as PolicyExceptions (issue 11).
//
// Kyverno rather than OPA Gatekeeper: Kyverno's rules are ordinary custom resources of CRDs its chart installs,
// so one `pulumi up` installs the engine and the rules. Gatekeeper's chart ships only the ConstraintTemplate
// CRD (gatekeeper 3.23.0 archive, crds/); each constraint kind's CRD is created by its controller at runtime
// from a template, so a constraint in the same run finds no such kind on a fresh cluster.
//
// The webhooks are never called for the platform's own namespaces (Kubernetes', Kyverno's and every namespace
// the program creates for its services), so an engine that is down or a rule that is wrong cannot stop the
// platform from repairing itself. It does not decide who may write PolicyExceptions beyond confining them to
// the engine's namespace.
package admission

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartv4"
	"github.com/platform-team/platform/internal/podsecurity"
)

const (
	componentType = "platform:admission:Admission"
	// DefaultNamespace of the engine; its PolicyExceptions live there too.
	DefaultNamespace = "kyverno"
	release          = "kyverno"
	// DefaultGPUTaintKey / DefaultGPUTaintEffect: the taint components/gpupools puts on GPU nodes
	// (gpupools.TaintKey, effect NO_SCHEDULE in EKS's spelling).
	DefaultGPUTaintKey    = "nvidia.com/gpu"
	DefaultGPUTaintEffect = "NoSchedule"
)

// Args configures the engine and the rules.
type Args struct {
	// KubeProvider is the explicit provider. Required.
	KubeProvider *kubernetes.Provider
	// Namespace of the engine and of the PolicyExceptions. Default: "kyverno".
	Namespace string
	// AdmissionReplicas of the admission controller (the webhook server). Default: 1.
	AdmissionReplicas int
	// ControllerReplicas of the background, cleanup and reports controllers (leader-elected). Default: 1.
	ControllerReplicas int
	// PlatformNamespaces the program creates for its services: the webhooks skip them and no rule applies in
	// them, like Kubernetes' own namespaces and Namespace (always exempt). Default: none.
	PlatformNamespaces []string
	// Enforce refuses violating requests; false only reports them (Audit). Default: false.
	Enforce bool
	// Registries images may come from. Required (at least one).
	Registries []string
	// GPUNamespaces may run pods that request nvidia.com/gpu. Default: none.
	GPUNamespaces []string
	// GPUTaintKey / GPUTaintEffect a GPU pod must tolerate. Default: nvidia.com/gpu / NoSchedule.
	GPUTaintKey, GPUTaintEffect string
	// Exceptions exempt namespaces from one rule each. Default: none.
	Exceptions []Exception
}

// Admission is the component.
type Admission struct {
	pulumi.ResourceState

	// Namespace of the engine and its PolicyExceptions.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// Policies are the ClusterPolicy names, in RuleIDs order.
	Policies pulumi.StringArrayOutput `pulumi:"policies"`
	// FailureAction of every rule: Enforce or Audit.
	FailureAction pulumi.StringOutput `pulumi:"failureAction"`
}

func (a *Args) withDefaults() Args {
	out := *a
	if out.Namespace == "" {
		out.Namespace = DefaultNamespace
	}
	if out.AdmissionReplicas == 0 {
		out.AdmissionReplicas = 1
	}
	if out.ControllerReplicas == 0 {
		out.ControllerReplicas = 1
	}
	if out.GPUTaintKey == "" {
		out.GPUTaintKey = DefaultGPUTaintKey
	}
	if out.GPUTaintEffect == "" {
		out.GPUTaintEffect = DefaultGPUTaintEffect
	}
	return out
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if a.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if a.AdmissionReplicas < 1 {
		p = append(p, fmt.Sprintf("admissionReplicas must be >= 1 (got %d)", a.AdmissionReplicas))
	}
	if a.ControllerReplicas < 1 {
		p = append(p, fmt.Sprintf("controllerReplicas must be >= 1 (got %d)", a.ControllerReplicas))
	}
	if len(a.Registries) == 0 {
		p = append(p, "registries: at least one registry is required (none would refuse every pod)")
	}
	ids := map[string]bool{}
	for _, e := range a.Exceptions {
		switch {
		case ids[e.ID]:
			p = append(p, fmt.Sprintf("exception %q is listed twice", e.ID))
		case !contains(RuleIDs, e.Rule):
			p = append(p, fmt.Sprintf("exception %q: rule %q is not one of %s", e.ID, e.Rule, strings.Join(RuleIDs, ", ")))
		case len(e.Namespaces) == 0 || strings.TrimSpace(e.Reason) == "":
			p = append(p, fmt.Sprintf("exception %q needs namespaces and a reason", e.ID))
		}
		ids[e.ID] = true
	}
	if len(p) > 0 {
		return fmt.Errorf("admission: %s", strings.Join(p, "; "))
	}
	return nil
}

// ExemptNamespaces are the namespaces the webhooks skip and no rule applies in: Kubernetes' own, the engine's
// and the platform's, sorted.
func (a *Args) ExemptNamespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]string{KubernetesNamespaces, {a.Namespace}, a.PlatformNamespaces} {
		for _, ns := range list {
			if ns != "" && !seen[ns] {
				out = append(out, ns)
				seen[ns] = true
			}
		}
	}
	sort.Strings(out)
	return out
}

// Rules are the workload rules' inputs derived from args (after defaults).
func (a *Args) Rules() Rules {
	return Rules{
		Enforce:          a.Enforce,
		Registries:       a.Registries,
		GPUNamespaces:    a.GPUNamespaces,
		ExemptNamespaces: a.ExemptNamespaces(),
		GPUTaintKey:      a.GPUTaintKey,
		GPUTaintEffect:   a.GPUTaintEffect,
		Exceptions:       a.Exceptions,
	}
}

// NewAdmission installs Kyverno, then the ClusterPolicies and PolicyExceptions (after the chart, whose CRDs
// define their kinds).
func NewAdmission(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Admission, error) {
	if args == nil {
		args = &Args{}
	}
	a := args.withDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &Admission{}
	opts = append(opts, pulumi.Providers(a.KubeProvider))
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	// The chart's pods already meet the restricted profile (non-root, no privilege escalation, all
	// capabilities dropped, RuntimeDefault seccomp: kyverno 3.9.0 values.yaml, each controller's
	// securityContext and the admission controller's init container).
	ns, err := podsecurity.NewNamespace(ctx, fmt.Sprintf("%s-%s", name, "namespace"), podsecurity.NamespaceArgs{
		Name: a.Namespace, Enforce: podsecurity.Restricted,
	}, parent)
	if err != nil {
		return nil, err
	}
	c, err := charts.Lookup(charts.Kyverno)
	if err != nil {
		return nil, err
	}
	chart, err := helmv4.NewChart(ctx, fmt.Sprintf("%s-%s", name, release), chartv4.Args(c, release, a.Namespace, Values(&a)),
		parent, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, fmt.Errorf("admission chart: %w", err)
	}
	afterChart := pulumi.DependsOn([]pulumi.Resource{chart})
	rules := a.Rules()
	var names []string
	for _, p := range Policies(rules) {
		id := p["metadata"].(map[string]any)["name"].(string)
		if _, err := customResource(ctx, fmt.Sprintf("%s-policy-%s", name, id), p, parent, afterChart); err != nil {
			return nil, fmt.Errorf("admission policy %s: %w", id, err)
		}
		names = append(names, id)
	}
	for _, e := range PolicyExceptions(rules, a.Namespace) {
		id := e["metadata"].(map[string]any)["name"].(string)
		if _, err := customResource(ctx, fmt.Sprintf("%s-exception-%s", name, id), e, parent, afterChart); err != nil {
			return nil, fmt.Errorf("admission exception %s: %w", id, err)
		}
	}
	comp.Namespace = ns.Metadata.Name().Elem()
	comp.Policies = pulumi.ToStringArray(names).ToStringArrayOutput()
	comp.FailureAction = pulumi.String(rules.FailureAction()).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace":     comp.Namespace,
		"policies":      comp.Policies,
		"failureAction": comp.FailureAction,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

// customResource creates obj (plain data from policies.go) as a CustomResource: the same bytes the tests
// evaluate with the Kyverno CLI.
func customResource(ctx *pulumi.Context, name string, obj Object, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	md := obj["metadata"].(map[string]any)
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(md["name"].(string))}
	if ns, ok := md["namespace"].(string); ok {
		meta.Namespace = pulumi.String(ns)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		m := pulumi.StringMap{}
		for k, v := range ann {
			m[k] = pulumi.String(v.(string))
		}
		meta.Annotations = m
	}
	return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(obj["apiVersion"].(string)),
		Kind:        pulumi.String(obj["kind"].(string)),
		Metadata:    meta,
		OtherFields: kubernetes.UntypedArgs{"spec": obj["spec"]},
	}, opts...)
}

// Values are the kyverno chart values (keys checked against the pinned chart archive).
func Values(a *Args) map[string]any {
	// The chart renders a PodDisruptionBudget when enabled or when replicas > 1 (templates/*-controller/
	// poddisruptionbudget.yaml); one replica gets none, so a single pod never blocks a node drain.
	controller := func(replicas int) map[string]any {
		return map[string]any{
			"replicas":            replicas,
			"podDisruptionBudget": map[string]any{"enabled": replicas > 1, "minAvailable": 1},
		}
	}
	return map[string]any{
		"crds": map[string]any{"install": true},
		// The kyverno-api subchart (the policies.kyverno.io CRDs) renders its labels and annotations with
		// toYaml, so its empty defaults become `labels: {}` and `annotations: {}` on every CRD
		// (charts/kyverno-api/templates/_helpers.tpl). The API server drops empty maps, so Pulumi would diff
		// those 11 CRDs on every preview; non-empty maps are stored as given.
		"kyverno-api": map[string]any{
			"labels":      map[string]any{"app.kubernetes.io/part-of": "kyverno"},
			"annotations": map[string]any{"platform.io/installed-by": "platform (components/admission)"},
		},
		"config": map[string]any{
			// config.webhooks becomes the namespaceSelector of every webhook Kyverno registers; with
			// excludeKyvernoNamespace the chart appends the engine's own namespace to it
			// (templates/config/_helpers.tpl, kyverno.config.webhooks). The API server then never calls the
			// webhooks for these namespaces (nor for these Namespace objects), whatever the policies say and
			// whether or not Kyverno is up.
			"webhooks": map[string]any{"namespaceSelector": map[string]any{"matchExpressions": []any{map[string]any{
				"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": toAny(a.ExemptNamespaces()),
			}}}},
			"excludeKyvernoNamespace": true,
		},
		"features": map[string]any{
			// Exceptions are read only from the engine's namespace, which only the platform writes.
			"policyExceptions": map[string]any{"enabled": true, "namespace": a.Namespace},
		},
		"admissionController":  controller(a.AdmissionReplicas),
		"backgroundController": controller(a.ControllerReplicas),
		"cleanupController":    controller(a.ControllerReplicas),
		"reportsController":    controller(a.ControllerReplicas),
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
