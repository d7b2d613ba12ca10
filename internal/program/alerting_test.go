package program

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/alerting"
	"github.com/platform-team/platform/internal/charts/chartstest"
	"github.com/platform-team/platform/internal/mockgraph"
)

// severityReceivers reads, from the rendered Alertmanager configuration, the receiver each severity routes to.
func severityReceivers(t *testing.T, g mockgraph.Graph, env string) (map[string]string, map[string]any) {
	t.Helper()
	kps := chartstest.Values(t, g.ByName(t, "platform-"+env+"-observability-kps").Inputs)
	am := chartstest.Lookup(kps, "alertmanager", "config").(map[string]any)
	out := map[string]string{}
	for _, r := range chartstest.Lookup(am, "route", "routes").([]any) {
		route := r.(map[string]any)
		for _, m := range route["matchers"].([]any) {
			if sev, ok := strings.CutPrefix(m.(string), `severity = "`); ok {
				out[strings.TrimSuffix(sev, `"`)] = route["receiver"].(string)
			}
		}
	}
	require.Equal(t, "null", chartstest.Lookup(am, "route", "receiver"), "anything unmatched goes nowhere")
	return out, kps
}

// credentialKeys are Alertmanager fields that carry a credential inline; only their *_file variants may appear.
var credentialKeys = map[string]bool{"routing_key": true, "service_key": true, "api_url": true, "slack_api_url": true, "token": true}

func assertNoInlineCredential(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			require.False(t, credentialKeys[k], "%s: inline credential field %s", where, k)
			assertNoInlineCredential(t, where+"."+k, c)
		}
	case []any:
		for _, c := range x {
			assertNoInlineCredential(t, where, c)
		}
	case string:
		require.NotContains(t, x, "hooks.slack.com", where)
		require.NotContains(t, x, "events.pagerduty.com", where)
	}
}

// Dev routes everything to null, and so do staging and prod before the second stage (their receivers' credentials
// come through a store that does not exist yet, and a missing mounted Secret would keep Alertmanager down): no
// Secret is mounted and no ExternalSecret exists.
func TestAlertmanagerRoutesToNullUntilVaultHoldsTheCredentials(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		g, _ := runWithServices(t, env)
		got, kps := severityReceivers(t, g, env)
		require.Equal(t, map[string]string{"critical": "null", "warning": "null"}, got, env)
		require.Nil(t, chartstest.Lookup(kps, "alertmanager", "alertmanagerSpec", "secrets"), env)
		require.Empty(t, g.OfType("kubernetes:external-secrets.io/v1:ExternalSecret"), env)
	}
}

// With the second stage, staging and prod page critical alerts through PagerDuty and post warnings to Slack, the
// credentials read from files of the mounted Secret that an ExternalSecret fills from the Vault path the stack
// file names, through a store vault-config creates and that admits the observability namespace. No credential
// value appears in any chart value or custom resource, nor in the stack files.
func TestAlertmanagerRoutesBySeverityWithCredentialsFromVault(t *testing.T) {
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, err := runSecondStage(t, env, nil)
			require.NoError(t, err)
			got, kps := severityReceivers(t, g, env)
			require.Equal(t, map[string]string{"critical": "pagerduty", "warning": "slack"}, got)
			require.Equal(t, []any{alerting.SecretName}, chartstest.Lookup(kps, "alertmanager", "alertmanagerSpec", "secrets"))

			es := g.Only(t, "kubernetes:external-secrets.io/v1:ExternalSecret")
			require.Equal(t, "observability", es.Inputs["metadata"].ObjectValue()["namespace"].StringValue())
			spec := es.Inputs["spec"].Mappable().(map[string]any)
			store := chartstest.Lookup(spec, "secretStoreRef", "name").(string)
			require.Equal(t, "vault-platform", store)
			keys := map[string]string{}
			for _, d := range spec["data"].([]any) {
				m := d.(map[string]any)
				require.Equal(t, "platform/alertmanager", chartstest.Lookup(m, "remoteRef", "key"))
				keys[m["secretKey"].(string)] = chartstest.Lookup(m, "remoteRef", "property").(string)
			}
			require.Equal(t, map[string]string{"pagerduty-routing-key": "pagerdutyRoutingKey", "slack-webhook-url": "slackWebhookUrl"}, keys)
			// The ExternalSecret waits for the store it reads through.
			var storeURN string
			for _, r := range g.OfType("kubernetes:external-secrets.io/v1:ClusterSecretStore") {
				if r.Inputs["metadata"].ObjectValue()["name"].StringValue() == store {
					storeURN = r.URN
					conds := r.Inputs["spec"].Mappable().(map[string]any)["conditions"].([]any)
					require.Contains(t, conds[0].(map[string]any)["namespaces"], "observability", "the store admits Alertmanager's namespace")
				}
			}
			require.NotEmpty(t, storeURN, "vault-config creates the store the ExternalSecret names")
			require.Contains(t, g.ByName(t, "platform-"+env+"-alerting").DependsOn, storeURN)

			for _, r := range g.Resources {
				switch {
				case r.Type == chartstest.ChartV4 || r.Type == chartstest.ReleaseV3:
					assertNoInlineCredential(t, r.Name, chartstest.Values(t, r.Inputs))
				case strings.HasPrefix(r.Type, "kubernetes:") && r.Inputs["spec"].IsObject():
					assertNoInlineCredential(t, r.Name, r.Inputs["spec"].Mappable())
				}
			}
		})
	}
}
