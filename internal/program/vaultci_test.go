package program

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/vaultconfig"
	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/tests"
)

// runSecondStage runs a real stack file with vault.configure switched on and the given extra config (raw
// values; secretKeys are stored as secrets, as `pulumi config set --secret` stores them).
func runSecondStage(t *testing.T, env string, extra map[string]string, secretKeys ...string) (mockgraph.Graph, error) {
	t.Helper()
	raw, err := tests.StackConfig(filepath.Join(tests.Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
	require.NoError(t, err)
	v := raw["platform:vault"]
	if v == "" {
		v = "{}"
	}
	raw["platform:vault"] = strings.Replace(v, "{", `{"configure":true,`, 1)
	if raw["platform:vault"] == `{"configure":true,}` {
		raw["platform:vault"] = `{"configure":true}`
	}
	for k, val := range extra {
		raw[k] = val
	}
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		p, err := Build(ctx, cfg)
		if err != nil {
			return err
		}
		_, err = buildServices(ctx, p, &cfg.Services)
		return err
	}, mockgraph.Options{Stack: env, Config: raw, SecretKeys: secretKeys})
	return g, err
}

// Issue 8 item 6 / issue 13: the second stage runs from the in-VPC CI runner with no laptop. Its address is the
// program's own internal load balancer, its CA the program's own, its login the run's OIDC token through the JWT
// role the stack creates, never a hand-renewed token; nothing per-run is stored.
func TestProdConfiguresVaultFromCIWithItsOIDCTokenAndOwnAddress(t *testing.T) {
	g, err := runSecondStage(t, "prod", nil)
	require.NoError(t, err)

	p := g.Only(t, "pulumi:providers:vault")
	addr := p.Inputs["address"].StringValue()
	require.True(t, strings.HasPrefix(addr, "https://") && strings.Contains(addr, "platform-prod-vault-ci-service") && strings.HasSuffix(addr, ".amazonaws.com"), "address from the internal NLB: %s", addr)
	require.Equal(t, "vault-active.vault.svc", p.Inputs["tlsServerName"].StringValue(), "the NLB's name is not on the certificate; the active Service's is")
	require.True(t, strings.HasSuffix(p.Inputs["caCertFile"].StringValue(), "-vault-ca.pem"), "the program's own CA")
	login := p.Inputs["authLoginJwt"].ObjectValue()
	require.Equal(t, vaultconfig.CIRole, login["role"].StringValue())
	require.Equal(t, "", login["jwt"].SecretValue().Element.StringValue(), "the token comes from TERRAFORM_VAULT_AUTH_JWT at login")
	require.Equal(t, "", p.Inputs["token"].SecretValue().Element.StringValue(), "no long-lived token")

	role := g.ByName(t, "platform-prod-vault-config-ci-role")
	require.Equal(t, map[string]any{"repository": "platform-team/platform"}, role.Inputs["boundClaims"].Mappable())
	require.Equal(t, []any{"vault-prod"}, role.Inputs["boundAudiences"].Mappable())
	require.Equal(t, "prod", g.Only(t, "vault:identity/groupAlias:GroupAlias").Inputs["name"].StringValue(), "prod's deploy environment deploys")

	lb := g.ByName(t, "platform-prod-vault-ci-service")
	require.Equal(t, []any{"10.30.0.0/16"}, lb.Inputs["spec"].ObjectValue()["loadBalancerSourceRanges"].Mappable(), "the VPC only")
}

// While the bootstrap token is set it is the login (the first second-stage run creates the JWT role).
func TestTheBootstrapTokenIsTheLoginWhileItIsSet(t *testing.T) {
	g, err := runSecondStage(t, "staging", map[string]string{"platform:vaultToken": "hvs.stand-in"}, "platform:vaultToken")
	require.NoError(t, err)
	p := g.Only(t, "pulumi:providers:vault")
	_, jwt := p.Inputs["authLoginJwt"]
	require.False(t, jwt)
	require.Equal(t, "hvs.stand-in", p.Inputs["token"].SecretValue().Element.StringValue())
	require.NotEmpty(t, g.OfType("vault:jwt/authBackendRole:AuthBackendRole"), "the run creates CI's login for the next")
}

// A stack with no login stops before anything is registered and says which keys to set.
func TestASecondStageWithoutALoginNamesBothKeys(t *testing.T) {
	_, err := runSecondStage(t, "dev", map[string]string{"platform:vault": `{"configure":true,"address":"https://127.0.0.1:8200"}`})
	require.ErrorContains(t, err, "set the secret platform:vaultToken (bootstrap, docs/services.md) or vault.ciAuth")

	// dev has no runner and no load balancer: the bootstrap token over a port-forward still works.
	g, err := runSecondStage(t, "dev", map[string]string{"platform:vaultToken": "hvs.stand-in", "platform:vault": `{"configure":true,"address":"https://127.0.0.1:8200"}`}, "platform:vaultToken")
	require.NoError(t, err)
	require.Equal(t, "https://127.0.0.1:8200", g.Only(t, "pulumi:providers:vault").Inputs["address"].StringValue())
	for _, r := range g.OfType("kubernetes:core/v1:Service") {
		require.NotEqual(t, "platform-dev-vault-ci-service", r.Name, "dev has no internal load balancer for Vault")
	}
}
