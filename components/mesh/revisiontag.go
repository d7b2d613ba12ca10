package mesh

import (
	"fmt"

	admissionv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/admissionregistration/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RevisionTagWebhookName and RevisionTagServiceName are the objects of revision tag tag in istio-system.
func RevisionTagWebhookName(tag string) string { return "istio-revision-tag-" + tag }

// RevisionTagServiceName is the tag's Service (istiod-revision-tag-<tag>).
func RevisionTagServiceName(tag string) string { return "istiod-revision-tag-" + tag }

// newRevisionTag creates the revision tag as the mesh's own resources, pointing at a.TagRevision: the
// MutatingWebhookConfiguration that injects pods of namespaces (or pods) labelled istio.io/rev=<tag> with
// the tagged revision's sidecar, and the tag's Service. They follow the istiod chart's
// templates/revision-tags-mwc.yaml and revision-tags-svc.yaml (istiod 1.30.3) for a tag other than
// "default" in istio-system; istiod fills in the webhooks' caBundle (it patches the webhook configurations
// labelled with its revision), so the program never sets it. Because their resource names do not depend on
// the revision, moving the tag updates them in place: there is no moment without a tag webhook.
//
// Stacks created before this had the same two objects as children of the single istiod release
// ("<name>-istiod:..."); the aliases keep those identities, so the upgrade is an update, not a create
// followed by the old release deleting the objects.
func newRevisionTag(ctx *pulumi.Context, name string, a *Args, comp pulumi.Resource, opts ...pulumi.ResourceOption) error {
	tag, rev := a.RevisionTag, a.TagRevision
	labels := pulumi.StringMap{
		"istio.io/tag":                 pulumi.String(tag),
		"istio.io/rev":                 pulumi.String(rev),
		"app":                          pulumi.String("sidecar-injector"),
		"app.kubernetes.io/name":       pulumi.String("istiod"),
		"app.kubernetes.io/part-of":    pulumi.String("istio"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
	legacyChart := pulumi.CreateURN(pulumi.String(name+"-istiod"), pulumi.String("kubernetes:helm.sh/v4:Chart"),
		comp.URN().ToStringOutput(), pulumi.String(ctx.Project()), pulumi.String(ctx.Stack()))
	legacy := func(child string) pulumi.ResourceOption {
		return pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(name + "-istiod:" + child), ParentURN: legacyChart}})
	}

	webhook := func(prefix string, ns, obj metav1.LabelSelectorArgs) admissionv1.MutatingWebhookArgs {
		return admissionv1.MutatingWebhookArgs{
			Name: pulumi.String(prefix + "sidecar-injector.istio.io"),
			ClientConfig: admissionv1.WebhookClientConfigArgs{Service: admissionv1.ServiceReferenceArgs{
				Name:      pulumi.String("istiod-" + rev),
				Namespace: pulumi.String(SystemNamespace),
				Path:      pulumi.String("/inject"),
				Port:      pulumi.Int(443),
			}},
			SideEffects:             pulumi.String("None"),
			Rules:                   admissionv1.RuleWithOperationsArray{admissionv1.RuleWithOperationsArgs{Operations: pulumi.StringArray{pulumi.String("CREATE")}, ApiGroups: pulumi.StringArray{pulumi.String("")}, ApiVersions: pulumi.StringArray{pulumi.String("v1")}, Resources: pulumi.StringArray{pulumi.String("pods")}}},
			FailurePolicy:           pulumi.String("Fail"),
			ReinvocationPolicy:      pulumi.String("Never"),
			AdmissionReviewVersions: pulumi.StringArray{pulumi.String("v1")},
			NamespaceSelector:       ns,
			ObjectSelector:          obj,
		}
	}
	req := func(key, op string, values ...string) metav1.LabelSelectorRequirementArgs {
		r := metav1.LabelSelectorRequirementArgs{Key: pulumi.String(key), Operator: pulumi.String(op)}
		if len(values) > 0 {
			r.Values = pulumi.ToStringArray(values)
		}
		return r
	}
	injectNotFalse := req("sidecar.istio.io/inject", "NotIn", "false")
	if _, err := admissionv1.NewMutatingWebhookConfiguration(ctx, fmt.Sprintf("%s-%s", name, "revision-tag-webhook"), &admissionv1.MutatingWebhookConfigurationArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(RevisionTagWebhookName(tag)), Labels: labels},
		Webhooks: admissionv1.MutatingWebhookArray{
			// Pods in a namespace labelled istio.io/rev=<tag>.
			webhook("rev.namespace.",
				metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{req("istio.io/rev", "In", tag), req("istio-injection", "DoesNotExist")}},
				metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{injectNotFalse}}),
			// Pods labelled istio.io/rev=<tag> in a namespace without injection labels.
			webhook("rev.object.",
				metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{req("istio.io/rev", "DoesNotExist"), req("istio-injection", "DoesNotExist")}},
				metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{injectNotFalse, req("istio.io/rev", "In", tag)}}),
		},
	}, append(opts, legacy(RevisionTagWebhookName(tag)))...); err != nil {
		return fmt.Errorf("mesh revision tag webhook: %w", err)
	}

	svcLabels := pulumi.StringMap{
		"istio.io/tag": pulumi.String(tag), "istio.io/rev": pulumi.String(rev),
		"app": pulumi.String("istiod"), "istio": pulumi.String("pilot"),
		"app.kubernetes.io/name": pulumi.String("istiod"), "app.kubernetes.io/part-of": pulumi.String("istio"),
	}
	port := func(name string, port, target int) corev1.ServicePortArgs {
		p := corev1.ServicePortArgs{Name: pulumi.String(name), Port: pulumi.Int(port), Protocol: pulumi.String("TCP")}
		if target != 0 {
			p.TargetPort = pulumi.Int(target)
		}
		return p
	}
	if _, err := corev1.NewService(ctx, fmt.Sprintf("%s-%s", name, "revision-tag-service"), &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(RevisionTagServiceName(tag)), Namespace: pulumi.String(SystemNamespace), Labels: svcLabels},
		Spec: &corev1.ServiceSpecArgs{
			Ports: corev1.ServicePortArray{
				port("grpc-xds", 15010, 0), port("https-dns", XDSPort, 0),
				port("https-webhook", 443, WebhookPort), port("http-monitoring", 15014, 0),
			},
			Selector: pulumi.StringMap{"app": pulumi.String("istiod"), "istio.io/rev": pulumi.String(rev)},
		},
	}, append(opts, legacy(SystemNamespace+"/"+RevisionTagServiceName(tag)))...); err != nil {
		return fmt.Errorf("mesh revision tag service: %w", err)
	}
	return nil
}
