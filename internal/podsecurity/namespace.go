// Package podsecurity creates platform namespaces with explicit Pod Security Admission labels. Every
// namespace the platform owns is created here, so the PSA level of each is a visible, reviewed decision
// (with its reason recorded as an annotation) rather than the cluster default. It does not create workloads.
package podsecurity

import (
	"fmt"
	"sort"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Level is a Pod Security Standard level.
type Level string

const (
	Privileged Level = "privileged"
	Baseline   Level = "baseline"
	Restricted Level = "restricted"
)

// ReasonAnnotation records why a namespace enforces the level it does.
const ReasonAnnotation = "platform.io/pod-security-reason"

// NamespaceArgs describes one namespace.
type NamespaceArgs struct {
	// Name of the Kubernetes namespace. Required.
	Name string
	// Enforce is the PSA level enforced. Required.
	Enforce Level
	// Reason explains the enforce level; required unless Enforce is Restricted.
	Reason string
	// Labels added to the namespace (e.g. istio.io/rev). Default: none.
	Labels map[string]string
}

// Labels returns the PSA labels for an enforce level. Audit and warn are always "restricted" so that
// every deviation from the strictest profile is visible in audit logs and kubectl warnings.
func Labels(enforce Level) map[string]string {
	return map[string]string{
		"pod-security.kubernetes.io/enforce":         string(enforce),
		"pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/audit":           string(Restricted),
		"pod-security.kubernetes.io/warn":            string(Restricted),
	}
}

// NewNamespace creates the namespace. The Pulumi resource name is name; the Kubernetes name is args.Name.
func NewNamespace(ctx *pulumi.Context, name string, args NamespaceArgs, opts ...pulumi.ResourceOption) (*corev1.Namespace, error) {
	switch args.Enforce {
	case Privileged, Baseline, Restricted:
	default:
		return nil, fmt.Errorf("namespace %q: enforce level %q is not one of privileged, baseline, restricted", args.Name, args.Enforce)
	}
	if args.Name == "" {
		return nil, fmt.Errorf("namespace %q: name is required", name)
	}
	if args.Enforce != Restricted && args.Reason == "" {
		return nil, fmt.Errorf("namespace %q: a reason is required to enforce %s instead of restricted", args.Name, args.Enforce)
	}
	labels := pulumi.StringMap{}
	keys := make([]string, 0, len(args.Labels))
	for k := range args.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		labels[k] = pulumi.String(args.Labels[k])
	}
	for k, v := range Labels(args.Enforce) {
		labels[k] = pulumi.String(v)
	}
	annotations := pulumi.StringMap{}
	if args.Reason != "" {
		annotations[ReasonAnnotation] = pulumi.String(args.Reason)
	}
	ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(args.Name),
			Labels:      labels,
			Annotations: annotations,
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("namespace %q: %w", args.Name, err)
	}
	return ns, nil
}
