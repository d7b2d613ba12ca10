package config

import (
	"fmt"
	"strings"
)

// Alerting is observability.alerting: where Alertmanager sends each severity, and where in Vault the receivers'
// credentials live. The credentials themselves are never configuration: the operator writes them into Vault, the
// External Secrets Operator copies them into the Secret Alertmanager mounts (components/alerting).
type Alerting struct {
	// Critical is the receiver of severity=critical alerts (pages): pagerduty, slack or none. Default: none (the
	// program warns about a prod stack that pages no one; a minimal stack file stays valid).
	Critical string `json:"critical,omitempty"`
	// Warning is the receiver of severity=warning alerts (chat or tickets): pagerduty, slack or none. Default: none.
	Warning string `json:"warning,omitempty"`
	// SlackChannel the slack receiver posts to, e.g. "#platform-alerts". Required when a severity routes to slack.
	SlackChannel string `json:"slackChannel,omitempty"`
	// SecretStore is the ClusterSecretStore the credentials are read through: "vault-<team>" for a team of
	// vault.teams whose namespaces include observability. Required when a severity routes to a receiver.
	SecretStore string `json:"secretStore,omitempty"`
	// VaultPath is the KV v2 secret under the kv/ mount holding the credentials (properties pagerdutyRoutingKey,
	// slackWebhookUrl), inside the store's team path: "<team>/...", e.g. "platform/alertmanager". Required when a
	// severity routes to a receiver.
	VaultPath string `json:"vaultPath,omitempty"`
}

// AlertReceivers are the receiver kinds a severity may route to (components/alerting.Receivers; config does not
// import components).
var AlertReceivers = []string{"pagerduty", "slack", "none"}

// alertmanagerNamespace is where Alertmanager runs and the credentials' Secret is written
// (components/observability.DefaultNamespace): the store must admit it.
const alertmanagerNamespace = "observability"

// NeedsSecret reports whether a severity routes to a receiver that needs a credential.
func (a Alerting) NeedsSecret() bool {
	return (a.Critical != "none" && a.Critical != "") || (a.Warning != "none" && a.Warning != "")
}

func (a *Alerting) applyDefaults() {
	if a.Critical == "" {
		a.Critical = "none"
	}
	if a.Warning == "" {
		a.Warning = "none"
	}
}

// validateAlerting checks observability.alerting against the environment and vault.teams.
func (s *Services) validateAlerting(add func(path, msg string)) {
	a := s.Observability.Alerting
	const p = "observability.alerting"
	for _, f := range []struct{ name, v string }{{"critical", a.Critical}, {"warning", a.Warning}} {
		if !contains(AlertReceivers, f.v) {
			add(p+"."+f.name, fmt.Sprintf("%q is not one of %s", f.v, strings.Join(AlertReceivers, ", ")))
		}
	}
	if (a.Critical == "slack" || a.Warning == "slack") && strings.TrimSpace(a.SlackChannel) == "" {
		add(p+".slackChannel", "required when a severity routes to slack")
	}
	// Credentials belong in Vault; a webhook URL or key pasted here would be committed in the stack file.
	// The messages never repeat such a value.
	credentialLike := false
	for _, f := range []struct{ name, v string }{{"slackChannel", a.SlackChannel}, {"secretStore", a.SecretStore}, {"vaultPath", a.VaultPath}} {
		if strings.Contains(f.v, "://") || strings.Contains(f.v, "hooks.slack.com") {
			add(p+"."+f.name, "looks like a credential or URL; put the webhook URL or routing key into Vault and name only its path here (docs/services.md, \"Alert routing\")")
			credentialLike = true
		}
	}
	if !a.NeedsSecret() || credentialLike {
		return
	}
	team, ok := strings.CutPrefix(a.SecretStore, "vault-")
	t, known := s.Vault.Teams[team]
	switch {
	case a.SecretStore == "":
		add(p+".secretStore", "required when a severity routes to a receiver: the ClusterSecretStore vault-<team> the credentials are read through")
	case !ok || !known:
		add(p+".secretStore", fmt.Sprintf("%q is not a store the program creates: use vault-<team> for a team of vault.teams", a.SecretStore))
	case !contains(t.Namespaces, alertmanagerNamespace):
		add(p+".secretStore", fmt.Sprintf("vault.teams.%s.namespaces must include %s: the store admits only its team's namespaces, and Alertmanager's Secret is written there", team, alertmanagerNamespace))
	}
	switch {
	case a.VaultPath == "":
		add(p+".vaultPath", "required when a severity routes to a receiver: the KV path (under kv/) holding the credentials, e.g. <team>/alertmanager")
	case strings.HasPrefix(a.VaultPath, "/") || strings.HasPrefix(a.VaultPath, "kv/") || strings.ContainsAny(a.VaultPath, " \t*"):
		add(p+".vaultPath", fmt.Sprintf("%q must be a path relative to the kv/ mount, such as %s/alertmanager", a.VaultPath, team))
	case ok && known && !strings.HasPrefix(a.VaultPath, team+"/"):
		add(p+".vaultPath", fmt.Sprintf("%q is outside %s/, the only path the %s store's Vault role may read", a.VaultPath, team, a.SecretStore))
	}
}
