package admission

import (
	"fmt"
	"sort"
)

// The platform's workload rules as Kyverno objects, built by pure functions so the component creates exactly
// the bytes the tests evaluate with the Kyverno CLI (bin/kyverno, the engine at the chart's app version).
//
// One ClusterPolicy per rule, named by its rule ID, holding one rule of the same name: a report line, an
// exception and the rule count then all speak of the same thing. Pod rules match Pods only; Kyverno generates
// the matching rules for the pod controllers itself (autogen: Deployment, DaemonSet, StatefulSet, Job, CronJob,
// ReplicaSet, ReplicationController, named autogen-<rule> and autogen-cronjob-<rule>; kyverno v1.19.0
// pkg/autogen/v1), so a bad Deployment is refused at the Deployment, not later at its ReplicaSet's pods.
//
// Schemas: kyverno.io/v1 ClusterPolicy and kyverno.io/v2 PolicyException as the kyverno 3.9.0 chart's CRDs
// define them (charts/crds/templates/kyverno.io/*.yaml in the archive).

// Rule IDs: one ClusterPolicy (and one rule) each.
const (
	RuleDisallowLatestTag         = "disallow-latest-tag"
	RuleRestrictImageRegistries   = "restrict-image-registries"
	RuleGPURequiresToleration     = "gpu-requires-toleration"
	RuleGPUAllowedNamespaces      = "gpu-allowed-namespaces"
	RuleGPURequestsLimits         = "gpu-requests-limits"
	RuleDisallowPrivileged        = "disallow-privileged"
	RuleDisallowHostNamespaces    = "disallow-host-namespaces"
	RuleDisallowHostPath          = "disallow-host-path"
	RuleRequirePodSecurityLabels  = "require-pod-security-labels"
	gpuResource                   = "nvidia.com/gpu"
	podSecurityEnforceLabel       = "pod-security.kubernetes.io/enforce"
	exceptionReasonAnnotation     = "platform.io/exception-reason"
	policyDescriptionAnnotation   = "policies.kyverno.io/description"
	kyvernoAPIVersion             = "kyverno.io/v1"
	kyvernoExceptionAPIVersion    = "kyverno.io/v2"
	autogenPrefix, autogenCronJob = "autogen-", "autogen-cronjob-"
)

// RuleIDs lists every rule in a stable order (config.AdmissionRules mirrors it).
var RuleIDs = []string{
	RuleDisallowLatestTag, RuleRestrictImageRegistries,
	RuleGPURequiresToleration, RuleGPUAllowedNamespaces, RuleGPURequestsLimits,
	RuleDisallowPrivileged, RuleDisallowHostNamespaces, RuleDisallowHostPath,
	RuleRequirePodSecurityLabels,
}

// KubernetesNamespaces are the namespaces Kubernetes itself creates; no rule applies in them and the webhooks
// never see them.
var KubernetesNamespaces = []string{"kube-node-lease", "kube-public", "kube-system"}

// podControllerKinds are the kinds Kyverno's autogen extends a Pod rule to (kyverno v1.19.0
// pkg/autogen/v1/autogen.go, PodControllers); an exception must name them too or it would excuse the pods but
// not the Deployment that creates them.
var podControllerKinds = []string{"CronJob", "DaemonSet", "Deployment", "Job", "ReplicaSet", "ReplicationController", "StatefulSet"}

// Rules are the inputs of the workload rules.
type Rules struct {
	// Enforce refuses violating requests; false only reports them (Kyverno failureAction Audit).
	Enforce bool
	// Registries images may come from (registry hosts as Kyverno parses an image, "*" wildcards allowed).
	Registries []string
	// GPUNamespaces may run pods that request nvidia.com/gpu.
	GPUNamespaces []string
	// ExemptNamespaces: the platform's own namespaces (and Kubernetes'), where no rule applies.
	ExemptNamespaces []string
	// GPUTaintKey and GPUTaintEffect are the GPU nodes' taint a GPU pod must tolerate.
	GPUTaintKey, GPUTaintEffect string
	// Exceptions exempt namespaces from one rule each.
	Exceptions []Exception
}

// Exception exempts Namespaces from Rule.
type Exception struct {
	// ID names the PolicyException (a DNS label).
	ID string
	// Rule is one of RuleIDs.
	Rule string
	// Namespaces the rule does not apply in (for require-pod-security-labels: the namespaces themselves).
	Namespaces []string
	// Reason is recorded on the PolicyException.
	Reason string
}

// Object is one Kubernetes object as plain data (apiVersion, kind, metadata, spec).
type Object = map[string]any

// FailureAction is the Kyverno failureAction of every rule: Enforce refuses the request, Audit admits it and
// records the violation in a PolicyReport.
func (r Rules) FailureAction() string {
	if r.Enforce {
		return "Enforce"
	}
	return "Audit"
}

// Policies returns one ClusterPolicy per rule, in RuleIDs order.
func Policies(r Rules) []Object {
	out := make([]Object, 0, len(RuleIDs))
	for _, id := range RuleIDs {
		out = append(out, policy(r, id))
	}
	return out
}

// ruleDescriptions say what each rule requires (shown by `kubectl describe clusterpolicy` and in docs).
var ruleDescriptions = map[string]string{
	RuleDisallowLatestTag:        "Every container image is pinned: a tag other than latest, or a digest. An untagged image means latest.",
	RuleRestrictImageRegistries:  "Every container image comes from an approved registry (platform:admission.registries).",
	RuleGPURequiresToleration:    "A pod that requests nvidia.com/gpu tolerates the GPU nodes' taint, so it is scheduled only on GPU pools.",
	RuleGPUAllowedNamespaces:     "Only the namespaces in platform:admission.gpuNamespaces may run pods that request nvidia.com/gpu.",
	RuleGPURequestsLimits:        "Every container of a pod that requests nvidia.com/gpu sets CPU and memory requests and a memory limit.",
	RuleDisallowPrivileged:       "No privileged containers outside the platform's system namespaces.",
	RuleDisallowHostNamespaces:   "No hostNetwork, hostPID or hostIPC outside the platform's system namespaces.",
	RuleDisallowHostPath:         "No hostPath volumes outside the platform's system namespaces.",
	RuleRequirePodSecurityLabels: "Every namespace carries a Pod Security Admission enforce label (privileged, baseline or restricted).",
}

func policy(r Rules, id string) Object {
	rule := map[string]any{"name": id}
	exempt := append(append([]string(nil), KubernetesNamespaces...), r.ExemptNamespaces...)
	exemptPods := map[string]any{"any": []any{map[string]any{"resources": map[string]any{"namespaces": sorted(exempt)}}}}
	matchPods := map[string]any{"any": []any{map[string]any{"resources": map[string]any{"kinds": []any{"Pod"}}}}}
	validate := map[string]any{"failureAction": r.FailureAction(), "message": ruleDescriptions[id]}
	switch id {
	case RuleDisallowLatestTag:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		// Kyverno parses every image into the `images` context (kyverno v1.19.0 pkg/utils/image/infos.go): an
		// untagged, undigested image gets tag "latest", a digest-only one an empty tag; a digest pins the image
		// even next to a latest tag.
		var conds []any
		for _, list := range containerLists {
			conds = append(conds, map[string]any{
				"key":      fmt.Sprintf("{{ length(values(images.%s || `{}`)[?tag == 'latest' && !digest]) }}", list),
				"operator": "GreaterThan", "value": 0,
			})
		}
		validate["deny"] = map[string]any{"conditions": map[string]any{"any": conds}}
	case RuleRestrictImageRegistries:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		var conds []any
		for _, list := range containerLists {
			conds = append(conds, map[string]any{
				"key":      fmt.Sprintf("{{ values(images.%s || `{}`)[].registry }}", list),
				"operator": "AnyNotIn", "value": toAny(r.Registries),
			})
		}
		validate["deny"] = map[string]any{"conditions": map[string]any{"any": conds}}
	case RuleGPURequiresToleration:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		rule["preconditions"] = requestsGPU
		// A toleration of the taint: its key, its effect (or every effect), and its value or Exists.
		// Kubernetes defaults the operator to Equal, so a toleration without one must carry the value.
		validate["deny"] = map[string]any{"conditions": map[string]any{"all": []any{map[string]any{
			"key": fmt.Sprintf("{{ request.object.spec.tolerations || `[]` | [?key == '%s' && (effect == '%s' || !effect) && (operator == 'Exists' || value == 'true')] | length(@) }}",
				r.GPUTaintKey, r.GPUTaintEffect),
			"operator": "Equals", "value": 0,
		}}}}
	case RuleGPUAllowedNamespaces:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		rule["preconditions"] = requestsGPU
		// request.namespace is the object's namespace in admission, background scans and the CLI alike (kyverno
		// v1.19.0 pkg/engine/policycontext: AddNamespace), and autogen leaves it alone (it rewrites only
		// request.object.spec and request.object.metadata to the pod template's, pkg/autogen/v1/rule.go).
		validate["deny"] = map[string]any{"conditions": map[string]any{"all": []any{map[string]any{
			"key": "{{ request.namespace }}", "operator": "AnyNotIn", "value": toAny(r.GPUNamespaces),
		}}}}
	case RuleGPURequestsLimits:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		rule["preconditions"] = requestsGPU
		// CPU limits are deliberately not required: they throttle a GPU job's data loading without protecting
		// anyone (CPU requests already divide the node); memory limits keep one pod from evicting its neighbours.
		res := map[string]any{"resources": map[string]any{
			"requests": map[string]any{"cpu": "?*", "memory": "?*"},
			"limits":   map[string]any{"memory": "?*"},
		}}
		validate["pattern"] = map[string]any{"spec": map[string]any{
			"containers":        []any{res},
			"=(initContainers)": []any{res},
		}}
	case RuleDisallowPrivileged:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		notPrivileged := []any{map[string]any{"=(securityContext)": map[string]any{"=(privileged)": "false"}}}
		validate["pattern"] = map[string]any{"spec": map[string]any{
			"containers":             notPrivileged,
			"=(initContainers)":      notPrivileged,
			"=(ephemeralContainers)": notPrivileged,
		}}
	case RuleDisallowHostNamespaces:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		validate["pattern"] = map[string]any{"spec": map[string]any{
			"=(hostNetwork)": "false", "=(hostPID)": "false", "=(hostIPC)": "false",
		}}
	case RuleDisallowHostPath:
		rule["match"], rule["exclude"] = matchPods, exemptPods
		// X(): the field must be absent (Kyverno negation anchor).
		validate["pattern"] = map[string]any{"spec": map[string]any{
			"=(volumes)": []any{map[string]any{"X(hostPath)": "null"}},
		}}
	case RuleRequirePodSecurityLabels:
		rule["match"] = map[string]any{"any": []any{map[string]any{"resources": map[string]any{"kinds": []any{"Namespace"}}}}}
		// Kubernetes creates its own namespaces (and default) unlabelled; everything the platform creates is
		// labelled by internal/podsecurity.
		rule["exclude"] = map[string]any{"any": []any{map[string]any{"resources": map[string]any{
			"kinds": []any{"Namespace"}, "names": sorted(append(append([]string(nil), KubernetesNamespaces...), "default")),
		}}}}
		validate["pattern"] = map[string]any{"metadata": map[string]any{"labels": map[string]any{
			podSecurityEnforceLabel: "privileged | baseline | restricted",
		}}}
	default:
		panic("admission: unknown rule " + id) // RuleIDs and this switch are one list; a test walks RuleIDs
	}
	rule["validate"] = validate
	return Object{
		"apiVersion": kyvernoAPIVersion,
		"kind":       "ClusterPolicy",
		"metadata": map[string]any{
			"name":        id,
			"annotations": map[string]any{policyDescriptionAnnotation: ruleDescriptions[id]},
		},
		"spec": map[string]any{
			// Admission checks requests; background scans existing objects into PolicyReports, so a rule
			// switched to Enforce shows what it would refuse before anything is redeployed.
			"admission":  true,
			"background": true,
			"rules":      []any{rule},
		},
	}
}

// containerLists are the container lists of a pod spec, as named in Kyverno's images context.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// requestsGPU: the rule applies only to pods with a container (or init container) that requests or limits
// nvidia.com/gpu. Kubernetes requires an extended resource in limits and defaults its request to the limit;
// checking both catches a spec the API server would refuse anyway without relying on that order.
var requestsGPU = map[string]any{"all": []any{map[string]any{
	"key":      fmt.Sprintf(`{{ request.object.spec.[containers, initContainers][] | [?resources.limits."%[1]s" || resources.requests."%[1]s"] | length(@) }}`, gpuResource),
	"operator": "GreaterThan", "value": 0,
}}}

// PolicyExceptions returns one kyverno.io/v2 PolicyException per exception, in namespace (the only namespace
// the engine reads exceptions from: features.policyExceptions.namespace), sorted by ID. A pod rule's exception
// names the autogen rules and the pod controllers too.
func PolicyExceptions(r Rules, namespace string) []Object {
	exc := append([]Exception(nil), r.Exceptions...)
	sort.Slice(exc, func(i, j int) bool { return exc[i].ID < exc[j].ID })
	out := make([]Object, 0, len(exc))
	for _, e := range exc {
		var ruleNames []any
		var res map[string]any
		if e.Rule == RuleRequirePodSecurityLabels {
			ruleNames = []any{e.Rule}
			res = map[string]any{"kinds": []any{"Namespace"}, "names": sorted(e.Namespaces)}
		} else {
			ruleNames = []any{e.Rule, autogenPrefix + e.Rule, autogenCronJob + e.Rule}
			res = map[string]any{"kinds": toAny(append([]string{"Pod"}, podControllerKinds...)), "namespaces": sorted(e.Namespaces)}
		}
		out = append(out, Object{
			"apiVersion": kyvernoExceptionAPIVersion,
			"kind":       "PolicyException",
			"metadata": map[string]any{
				"name": e.ID, "namespace": namespace,
				"annotations": map[string]any{exceptionReasonAnnotation: e.Reason},
			},
			"spec": map[string]any{
				"exceptions": []any{map[string]any{"policyName": e.Rule, "ruleNames": ruleNames}},
				"match":      map[string]any{"any": []any{map[string]any{"resources": res}}},
			},
		})
	}
	return out
}

func sorted(in []string) []any {
	s := append([]string(nil), in...)
	sort.Strings(s)
	out := make([]any, 0, len(s))
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			out = append(out, v)
		}
		seen[v] = true
	}
	return out
}

func toAny(in []string) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}
