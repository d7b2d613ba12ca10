package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const platformTeam = `"teams":{"platform":{"namespaces":["observability"],"serviceAccounts":["kps-alertmanager"]}}`

func TestAlertingDefaultsToNull(t *testing.T) {
	for _, env := range []Environment{Dev, Staging, Prod} {
		s, problems := servicesFrom(t, env, nil)
		require.Empty(t, problems, env)
		require.Equal(t, "none", s.Observability.Alerting.Critical, env)
		require.Equal(t, "none", s.Observability.Alerting.Warning, env)
		require.False(t, s.Observability.Alerting.NeedsSecret())
	}
}

func TestAlertingRoutesWithAVaultPath(t *testing.T) {
	s, problems := servicesFrom(t, Prod, map[string]string{
		"observability": `{"alerting":{"critical":"pagerduty","warning":"slack","slackChannel":"#platform-alerts","secretStore":"vault-platform","vaultPath":"platform/alertmanager"}}`,
		"vault":         `{"replicas":3,` + platformTeam + `}`,
	})
	require.Empty(t, problems)
	require.True(t, s.Observability.Alerting.NeedsSecret())
	require.Equal(t, "platform/alertmanager", s.Observability.Alerting.VaultPath)
}

func TestAlertingProblems(t *testing.T) {
	for _, tc := range []struct {
		name, obs, vault string
		want             []string
	}{
		{"unknown receiver", `{"alerting":{"critical":"opsgenie"}}`, `{}`,
			[]string{`observability.alerting.critical: "opsgenie" is not one of pagerduty, slack, none`}},
		{"slack without channel, store or path", `{"alerting":{"warning":"slack"}}`, `{}`,
			[]string{"observability.alerting.slackChannel: required when a severity routes to slack",
				"observability.alerting.secretStore: required when a severity routes to a receiver",
				"observability.alerting.vaultPath: required when a severity routes to a receiver"}},
		{"store of an unknown team", `{"alerting":{"critical":"pagerduty","secretStore":"vault-payments","vaultPath":"payments/am"}}`, `{"replicas":3,` + platformTeam + `}`,
			[]string{`observability.alerting.secretStore: "vault-payments" is not a store the program creates`}},
		{"team that does not admit observability", `{"alerting":{"critical":"pagerduty","secretStore":"vault-platform","vaultPath":"platform/am"}}`,
			`{"replicas":3,"teams":{"platform":{"namespaces":["inference"],"serviceAccounts":["api"]}}}`,
			[]string{"observability.alerting.secretStore: vault.teams.platform.namespaces must include observability"}},
		{"path outside the team", `{"alerting":{"critical":"pagerduty","secretStore":"vault-platform","vaultPath":"payments/am"}}`, `{"replicas":3,` + platformTeam + `}`,
			[]string{`observability.alerting.vaultPath: "payments/am" is outside platform/`}},
		{"absolute path", `{"alerting":{"critical":"pagerduty","secretStore":"vault-platform","vaultPath":"kv/platform/am"}}`, `{"replicas":3,` + platformTeam + `}`,
			[]string{`observability.alerting.vaultPath: "kv/platform/am" must be a path relative to the kv/ mount`}},
		{"a webhook URL instead of a path", `{"alerting":{"warning":"slack","slackChannel":"#a","secretStore":"vault-platform","vaultPath":"https://hooks.slack.com/services/T0/B0/x"}}`, `{"replicas":3,` + platformTeam + `}`,
			[]string{"observability.alerting.vaultPath: looks like a credential or URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := servicesFrom(t, Prod, map[string]string{"observability": tc.obs, "vault": tc.vault})
			joined := strings.Join(problems, "\n")
			for _, w := range tc.want {
				require.Contains(t, joined, w)
			}
			// No problem repeats the value of a field that looks like a credential.
			require.NotContains(t, joined, "hooks.slack.com/services")
		})
	}
}
