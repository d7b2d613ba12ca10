package alerting

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
)

// routeFor returns the receiver the first matching child route sends an alert with these labels to, walking the
// routing tree as Alertmanager does for routes without `continue` (first match wins, else the root's receiver).
// Only equality matchers of the form `name = "value"` occur in the configuration.
func routeFor(t *testing.T, cfg map[string]any, labels map[string]string) string {
	t.Helper()
	root := cfg["route"].(map[string]any)
	for _, r := range root["routes"].([]any) {
		route := r.(map[string]any)
		match := true
		for _, m := range route["matchers"].([]any) {
			var name, value string
			_, err := fmtSscanMatcher(m.(string), &name, &value)
			require.NoError(t, err, m)
			if labels[name] != value {
				match = false
			}
		}
		if match {
			return route["receiver"].(string)
		}
	}
	return root["receiver"].(string)
}

func receiverNames(cfg map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range cfg["receivers"].([]any) {
		m := r.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

func TestRoutesBySeverity(t *testing.T) {
	cfg := AlertmanagerConfig(Routing{Critical: PagerDuty, Warning: Slack, SlackChannel: "#platform-alerts"})
	require.Equal(t, "pagerduty", routeFor(t, cfg, map[string]string{"severity": "critical", "alertname": "SLOErrorBudgetBurn1hWindow5m"}))
	require.Equal(t, "slack", routeFor(t, cfg, map[string]string{"severity": "warning", "alertname": "SLOMetricsAbsent"}))
	require.Equal(t, "null", routeFor(t, cfg, map[string]string{"severity": "info"}))
	require.Equal(t, "null", routeFor(t, cfg, map[string]string{"severity": "critical", "alertname": "Watchdog"}), "the dead man's switch never pages")
	require.Equal(t, "null", routeFor(t, cfg, map[string]string{}))

	rs := receiverNames(cfg)
	require.Len(t, rs, 3)
	pd := rs["pagerduty"]["pagerduty_configs"].([]any)[0].(map[string]any)
	require.Equal(t, "/etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key", pd["routing_key_file"])
	require.NotContains(t, pd, "routing_key", "only the file variant: the credential never enters the configuration")
	sl := rs["slack"]["slack_configs"].([]any)[0].(map[string]any)
	require.Equal(t, "/etc/alertmanager/secrets/alertmanager-receivers/slack-webhook-url", sl["api_url_file"])
	require.NotContains(t, sl, "api_url")
	require.Equal(t, "#platform-alerts", sl["channel"])
	require.Equal(t, []string{SecretName}, SecretNames(Routing{Critical: PagerDuty, Warning: Slack}))
}

func TestNullRoutingNeedsNoSecret(t *testing.T) {
	for _, r := range []Routing{{}, {Critical: None, Warning: None}} {
		cfg := AlertmanagerConfig(r)
		for _, sev := range []string{"critical", "warning", "info"} {
			require.Equal(t, "null", routeFor(t, cfg, map[string]string{"severity": sev}), sev)
		}
		require.Len(t, receiverNames(cfg), 1, "only the null receiver")
		require.Nil(t, SecretNames(r), "no Secret to mount: a missing one would keep Alertmanager pods from starting")
		require.False(t, r.NeedsSecret())
	}
	// One paging receiver for both severities is one receiver, one credential.
	r := Routing{Critical: PagerDuty, Warning: PagerDuty}
	require.Len(t, receiverNames(AlertmanagerConfig(r)), 2)
	require.Equal(t, "pagerduty", routeFor(t, AlertmanagerConfig(r), map[string]string{"severity": "warning"}))
}

func TestRoutingProblems(t *testing.T) {
	p := Routing{Critical: "opsgenie", Warning: Slack}.Problems()
	require.Contains(t, p, `critical: "opsgenie" is not one of pagerduty, slack, none`)
	require.Contains(t, p, "slackChannel is required when a severity routes to slack")
	require.Empty(t, Routing{Critical: PagerDuty}.Problems())
}

func runSecret(t *testing.T, a ReceiverSecretArgs) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		a.KubeProvider = kp
		_, err = NewReceiverSecret(ctx, "prod-alerting", &a)
		return err
	}, mockgraph.Options{})
	return g, err
}

// The ExternalSecret copies exactly the credentials the routing uses, from the Vault path's properties into the
// keys whose files the receivers read, through the named ClusterSecretStore.
func TestExternalSecretMapsTheReceiversKeys(t *testing.T) {
	g, err := runSecret(t, ReceiverSecretArgs{
		Namespace: "observability", SecretStore: "vault-platform", VaultPath: "platform/alertmanager",
		Routing: Routing{Critical: PagerDuty, Warning: Slack, SlackChannel: "#alerts"},
	})
	require.NoError(t, err)
	es := g.Only(t, "kubernetes:external-secrets.io/v1:ExternalSecret")
	require.NotEmpty(t, es.Provider)
	meta := es.Inputs["metadata"].ObjectValue()
	require.Equal(t, "observability", meta["namespace"].StringValue())
	spec := es.Inputs["spec"].Mappable().(map[string]any)
	require.Equal(t, map[string]any{"kind": "ClusterSecretStore", "name": "vault-platform"}, spec["secretStoreRef"])
	require.Equal(t, SecretName, spec["target"].(map[string]any)["name"])
	got := map[string]string{}
	for _, d := range spec["data"].([]any) {
		m := d.(map[string]any)
		ref := m["remoteRef"].(map[string]any)
		require.Equal(t, "platform/alertmanager", ref["key"])
		got[m["secretKey"].(string)] = ref["property"].(string)
	}
	require.Equal(t, map[string]string{"pagerduty-routing-key": "pagerdutyRoutingKey", "slack-webhook-url": "slackWebhookUrl"}, got)
	// Each key is the file name the receiver reads.
	require.Equal(t, CredentialFile(PagerDuty), SecretsDir+"/"+SecretName+"/pagerduty-routing-key")

	g, err = runSecret(t, ReceiverSecretArgs{
		Namespace: "observability", SecretStore: "vault-platform", VaultPath: "platform/alertmanager",
		Routing: Routing{Critical: PagerDuty},
	})
	require.NoError(t, err)
	data := g.Only(t, "kubernetes:external-secrets.io/v1:ExternalSecret").Inputs["spec"].Mappable().(map[string]any)["data"].([]any)
	require.Len(t, data, 1, "only the credential the routing uses")
}

func TestReceiverSecretValidation(t *testing.T) {
	_, err := runSecret(t, ReceiverSecretArgs{VaultPath: "https://hooks.slack.com/services/x", Routing: Routing{}})
	require.ErrorContains(t, err, "namespace is required")
	require.ErrorContains(t, err, "secretStore is required")
	require.ErrorContains(t, err, `vaultPath "https://hooks.slack.com/services/x" must be a KV path`)
	require.ErrorContains(t, err, "routing uses no receiver with a credential")
}

var equalityMatcher = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*) = "([^"]*)"$`)

// fmtSscanMatcher parses an equality matcher `name = "value"`.
func fmtSscanMatcher(m string, name, value *string) (int, error) {
	g := equalityMatcher.FindStringSubmatch(m)
	if g == nil {
		return 0, fmt.Errorf("%q is not an equality matcher", m)
	}
	*name, *value = g[1], g[2]
	return 2, nil
}
