// Package alerting provides Alertmanager routing as code: the Alertmanager configuration that routes alerts by
// severity (critical to a paging receiver, warning to a chat receiver, anything else nowhere), and the
// ReceiverSecret component, an External Secrets ExternalSecret that copies the receivers' credentials from Vault
// into the Kubernetes Secret Alertmanager mounts.
//
// No credential ever passes through the program: the configuration names files under the mounted Secret
// (Alertmanager's *_file fields), and the ExternalSecret names a Vault path and property names. It does not
// install Alertmanager (package observability does, with AlertmanagerConfig and SecretNames as its values) or
// create the ClusterSecretStore (package vaultconfig does).
package alerting

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Receiver is a kind of notification target.
type Receiver string

// The receivers a severity can route to. None is Alertmanager's "null" receiver: a receiver without any
// notifier configuration, which drops what it gets.
const (
	PagerDuty Receiver = "pagerduty"
	Slack     Receiver = "slack"
	None      Receiver = "none"
)

// Receivers lists every allowed receiver kind.
var Receivers = []Receiver{PagerDuty, Slack, None}

const (
	componentType = "platform:alerting:ReceiverSecret"
	// SecretName is the Kubernetes Secret (in Alertmanager's namespace) holding the receivers' credentials, and
	// the ExternalSecret that writes it.
	SecretName = "alertmanager-receivers"
	// SecretsDir is where the Prometheus Operator mounts each Secret listed in the Alertmanager's spec.secrets:
	// <SecretsDir>/<secret name>/<key> (prometheus-operator pkg/alertmanager/statefulset.go at v0.93.0: secretsDir
	// "/etc/alertmanager/secrets", mountPath path.Join(secretsDir, s); kube-prometheus-stack 88.5.3 passes
	// alertmanager.alertmanagerSpec.secrets through to that field).
	SecretsDir = "/etc/alertmanager/secrets"
	// nullReceiver is the receiver name for None (kube-prometheus-stack's default configuration uses the same).
	nullReceiver = "null"
)

// secretKeys maps a receiver kind to its key in the Kubernetes Secret and the property of the Vault KV secret it
// is copied from. The operator stores the credentials under these property names (docs/services.md).
var secretKeys = map[Receiver]struct{ Key, VaultProperty string }{
	PagerDuty: {Key: "pagerduty-routing-key", VaultProperty: "pagerdutyRoutingKey"},
	Slack:     {Key: "slack-webhook-url", VaultProperty: "slackWebhookUrl"},
}

// VaultProperty is the property of the Vault KV secret that holds a receiver's credential ("" for None).
func VaultProperty(r Receiver) string { return secretKeys[r].VaultProperty }

// Routing says where each severity goes.
type Routing struct {
	// Critical receives alerts labelled severity=critical (pages). Default: None.
	Critical Receiver
	// Warning receives alerts labelled severity=warning (chat or tickets). Default: None.
	Warning Receiver
	// SlackChannel the Slack receiver posts to. Required when a severity routes to Slack.
	SlackChannel string
}

func (r Routing) normalized() Routing {
	if r.Critical == "" {
		r.Critical = None
	}
	if r.Warning == "" {
		r.Warning = None
	}
	return r
}

// Problems returns every problem with r.
func (r Routing) Problems() []string {
	r = r.normalized()
	var p []string
	for _, s := range []struct {
		name string
		r    Receiver
	}{{"critical", r.Critical}, {"warning", r.Warning}} {
		if !validReceiver(s.r) {
			p = append(p, fmt.Sprintf("%s: %q is not one of %s", s.name, s.r, receiverList()))
		}
	}
	if r.uses(Slack) && r.SlackChannel == "" {
		p = append(p, "slackChannel is required when a severity routes to slack")
	}
	return p
}

func validReceiver(r Receiver) bool {
	for _, k := range Receivers {
		if k == r {
			return true
		}
	}
	return false
}

func receiverList() string {
	s := make([]string, len(Receivers))
	for i, r := range Receivers {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func (r Routing) uses(k Receiver) bool { return r.Critical == k || r.Warning == k }

// kinds are the receiver kinds other than None that r uses, sorted.
func (r Routing) kinds() []Receiver {
	r = r.normalized()
	var out []Receiver
	for _, k := range []Receiver{PagerDuty, Slack} {
		if r.uses(k) {
			out = append(out, k)
		}
	}
	return out
}

// NeedsSecret reports whether any severity routes to a receiver with a credential.
func (r Routing) NeedsSecret() bool { return len(r.kinds()) > 0 }

// SecretNames are the Secrets Alertmanager must mount (alertmanagerSpec.secrets): SecretName when a receiver needs
// a credential, else none. A listed Secret that does not exist keeps new Alertmanager pods from starting (the
// operator mounts it as a non-optional volume), so it is listed only when the routing needs it.
func SecretNames(r Routing) []string {
	if !r.NeedsSecret() {
		return nil
	}
	return []string{SecretName}
}

// CredentialFile is the path Alertmanager reads a receiver's credential from.
func CredentialFile(k Receiver) string { return path.Join(SecretsDir, SecretName, secretKeys[k].Key) }

func receiverName(k Receiver) string {
	if k == None {
		return nullReceiver
	}
	return string(k)
}

// receiver is one Alertmanager receiver. Credentials are read from files at notification time (Alertmanager
// v0.34.0, the image kube-prometheus-stack 88.5.3 runs: pagerduty routing_key_file, notify/pagerduty/config.go,
// read in notify/pagerduty/pagerduty.go; slack api_url_file, config/notifiers.go, read in notify/slack/slack.go),
// so a rotated credential needs no reload and the configuration holds only a path.
func receiver(k Receiver, r Routing) map[string]any {
	out := map[string]any{"name": receiverName(k)}
	switch k {
	case PagerDuty:
		out["pagerduty_configs"] = []any{map[string]any{
			"routing_key_file": CredentialFile(PagerDuty),
			"send_resolved":    true,
		}}
	case Slack:
		out["slack_configs"] = []any{map[string]any{
			"api_url_file":  CredentialFile(Slack),
			"channel":       r.SlackChannel,
			"send_resolved": true,
			"title":         `[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.namespace }})`,
			"text":          `{{ range .Alerts }}{{ .Annotations.summary }}{{ "\n" }}{{ end }}`,
		}}
	}
	return out
}

// AlertmanagerConfig is the Alertmanager configuration for r (kube-prometheus-stack values alertmanager.config,
// rendered by templates/alertmanager/secret.yaml into the configuration Secret; set whole, so none of the chart's
// default routes survive). Alerts group by namespace and alert name; critical routes to r.Critical, warning to
// r.Warning, and everything else (info, the always-firing Watchdog, unlabelled alerts) to the null receiver. A
// critical alert silences the warning and info alerts of the same name in the same namespace.
func AlertmanagerConfig(r Routing) map[string]any {
	r = r.normalized()
	routes := []any{
		// Watchdog always fires so that an external dead man's switch can notice Alertmanager is down; without one
		// configured it must not page.
		map[string]any{"receiver": nullReceiver, "matchers": []any{`alertname = "Watchdog"`}},
		map[string]any{"receiver": receiverName(r.Critical), "matchers": []any{`severity = "critical"`}},
		map[string]any{"receiver": receiverName(r.Warning), "matchers": []any{`severity = "warning"`}},
	}
	receivers := []any{map[string]any{"name": nullReceiver}}
	for _, k := range r.kinds() {
		receivers = append(receivers, receiver(k, r))
	}
	return map[string]any{
		"global": map[string]any{"resolve_timeout": "5m"},
		"route": map[string]any{
			"receiver":        nullReceiver,
			"group_by":        []any{"namespace", "alertname"},
			"group_wait":      "30s",
			"group_interval":  "5m",
			"repeat_interval": "12h",
			"routes":          routes,
		},
		"inhibit_rules": []any{
			map[string]any{
				"source_matchers": []any{`severity = "critical"`},
				"target_matchers": []any{`severity =~ "warning|info"`},
				"equal":           []any{"namespace", "alertname"},
			},
			map[string]any{
				"source_matchers": []any{`severity = "warning"`},
				"target_matchers": []any{`severity = "info"`},
				"equal":           []any{"namespace", "alertname"},
			},
		},
		"receivers": receivers,
		"templates": []any{"/etc/alertmanager/config/*.tmpl"},
	}
}

// ReceiverSecretArgs configures the ExternalSecret.
type ReceiverSecretArgs struct {
	// KubeProvider is the explicit provider. Required.
	KubeProvider *kubernetes.Provider
	// Namespace of Alertmanager (the Secret must be in the Alertmanager object's namespace). Required.
	Namespace string
	// SecretStore is the ClusterSecretStore that reads Vault (vaultconfig's vault-<team>; its conditions must admit
	// Namespace). Required.
	SecretStore string
	// VaultPath is the KV v2 secret, relative to the store's mount (e.g. "platform/alertmanager"). Required.
	VaultPath string
	// Routing decides which credentials are copied: only the receivers it uses. Required to use at least one.
	Routing Routing
	// RefreshInterval at which ESO re-reads Vault. Default: "1h".
	RefreshInterval string
	// ESOReady is the External Secrets chart's objects (its CRDs); the ExternalSecret waits for them. Default: none.
	ESOReady pulumi.ResourceArrayInput
}

// ReceiverSecret is the component.
type ReceiverSecret struct {
	pulumi.ResourceState

	// SecretName is the Kubernetes Secret ESO writes.
	SecretName pulumi.StringOutput `pulumi:"secretName"`
}

// ValidateReceiverSecretArgs returns every problem with args, or nil.
func ValidateReceiverSecretArgs(a *ReceiverSecretArgs) error {
	var p []string
	if a.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if a.Namespace == "" {
		p = append(p, "namespace is required")
	}
	if a.SecretStore == "" {
		p = append(p, "secretStore is required")
	}
	if a.VaultPath == "" || strings.HasPrefix(a.VaultPath, "/") || strings.Contains(a.VaultPath, "://") {
		p = append(p, fmt.Sprintf("vaultPath %q must be a KV path relative to the store's mount, such as platform/alertmanager", a.VaultPath))
	}
	p = append(p, a.Routing.Problems()...)
	if !a.Routing.NeedsSecret() {
		p = append(p, "routing uses no receiver with a credential: nothing to copy")
	}
	if len(p) > 0 {
		sort.Strings(p)
		return fmt.Errorf("alerting: %s", strings.Join(p, "; "))
	}
	return nil
}

// ExternalSecretSpec maps each credential the routing needs from the Vault secret's property to its Secret key.
func ExternalSecretSpec(a *ReceiverSecretArgs) map[string]any {
	var data []any
	for _, k := range a.Routing.kinds() {
		data = append(data, map[string]any{
			"secretKey": secretKeys[k].Key,
			"remoteRef": map[string]any{"key": a.VaultPath, "property": secretKeys[k].VaultProperty},
		})
	}
	return map[string]any{
		"refreshInterval": a.RefreshInterval,
		"secretStoreRef":  map[string]any{"kind": "ClusterSecretStore", "name": a.SecretStore},
		// ESO owns the Secret; if the Vault secret disappears the last copy stays, so Alertmanager keeps paging.
		"target": map[string]any{"name": SecretName, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
		"data":   data,
	}
}

// NewReceiverSecret creates the ExternalSecret that writes SecretName from Vault.
func NewReceiverSecret(ctx *pulumi.Context, name string, args *ReceiverSecretArgs, opts ...pulumi.ResourceOption) (*ReceiverSecret, error) {
	if args == nil {
		args = &ReceiverSecretArgs{}
	}
	a := *args
	a.Routing = a.Routing.normalized()
	if a.RefreshInterval == "" {
		a.RefreshInterval = "1h"
	}
	if err := ValidateReceiverSecretArgs(&a); err != nil {
		return nil, err
	}
	comp := &ReceiverSecret{}
	opts = append(opts, pulumi.Providers(a.KubeProvider))
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	eopts := []pulumi.ResourceOption{pulumi.Parent(comp)}
	if a.ESOReady != nil {
		eopts = append(eopts, pulumi.DependsOnInputs(a.ESOReady))
	}
	if _, err := apiextensions.NewCustomResource(ctx, fmt.Sprintf("%s-%s", name, "external-secret"), &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("external-secrets.io/v1"),
		Kind:        pulumi.String("ExternalSecret"),
		Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(SecretName), Namespace: pulumi.String(a.Namespace)},
		OtherFields: map[string]any{"spec": ExternalSecretSpec(&a)},
	}, eopts...); err != nil {
		return nil, fmt.Errorf("alerting external secret: %w", err)
	}
	comp.SecretName = pulumi.String(SecretName).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"secretName": comp.SecretName}); err != nil {
		return nil, err
	}
	return comp, nil
}
