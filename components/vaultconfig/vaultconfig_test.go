package vaultconfig

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
)

func run(t *testing.T, args Args) (mockgraph.Graph, error) {
	t.Helper()
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		kp, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		args.KubeProvider = kp
		_, err = NewVaultConfig(ctx, "dev-vaultconfig", &args)
		return err
	}, mockgraph.Options{})
	return g, err
}

func baseArgs() Args {
	return Args{
		Address:             pulumi.String("https://127.0.0.1:8200"),
		Token:               pulumi.ToSecret(pulumi.String("hvs.stand-in")).(pulumi.StringOutput),
		VaultServiceAddress: pulumi.String("https://vault.vault.svc:8200"),
		CACertPem:           pulumi.String("-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n"),
		Teams: map[string]Team{
			"payments": {Namespaces: []string{"payments", "payments-jobs"}, ServiceAccounts: []string{"api"}},
			"search":   {Namespaces: []string{"search"}, ServiceAccounts: []string{"indexer"}, TokenTTLSeconds: 600, TokenMaxTTLSeconds: 1200},
		},
	}
}

func TestTokenIsSecretOnTheProvider(t *testing.T) {
	g, err := run(t, baseArgs())
	require.NoError(t, err)
	p := g.Only(t, "pulumi:providers:vault")
	require.True(t, p.Inputs["token"].IsSecret())
	require.Equal(t, "vault.vault.svc", p.Inputs["tlsServerName"].StringValue())
}

func TestAuthKVAuditAndTeamRoles(t *testing.T) {
	g, err := run(t, baseArgs())
	require.NoError(t, err)
	require.Equal(t, "kubernetes", g.Only(t, "vault:index/authBackend:AuthBackend").Inputs["type"].StringValue())
	cfg := g.Only(t, "vault:kubernetes/authBackendConfig:AuthBackendConfig")
	require.Equal(t, InClusterAPI, cfg.Inputs["kubernetesHost"].StringValue())
	_, hasJWT := cfg.Inputs["tokenReviewerJwt"]
	require.False(t, hasJWT, "no long-lived reviewer token")
	kv := g.Only(t, "vault:index/mount:Mount")
	require.Equal(t, "2", kv.Inputs["options"].ObjectValue()["version"].StringValue())
	audit := g.Only(t, "vault:index/audit:Audit")
	require.Equal(t, "file", audit.Inputs["type"].StringValue())

	role := g.ByName(t, "dev-vaultconfig-role-payments")
	require.Equal(t, []any{"api"}, role.Inputs["boundServiceAccountNames"].Mappable())
	require.Equal(t, []any{"payments", "payments-jobs"}, role.Inputs["boundServiceAccountNamespaces"].Mappable())
	require.EqualValues(t, 3600, role.Inputs["tokenTtl"].NumberValue())
	require.EqualValues(t, 14400, role.Inputs["tokenMaxTtl"].NumberValue())
	search := g.ByName(t, "dev-vaultconfig-role-search")
	require.EqualValues(t, 600, search.Inputs["tokenTtl"].NumberValue())

	eso := g.ByName(t, "dev-vaultconfig-eso-role-payments")
	require.Equal(t, []any{"external-secrets"}, eso.Inputs["boundServiceAccountNames"].Mappable())
	require.Equal(t, []any{"external-secrets"}, eso.Inputs["boundServiceAccountNamespaces"].Mappable())

	pol := g.ByName(t, "dev-vaultconfig-policy-payments")
	require.Equal(t, TeamPolicy("payments"), pol.Inputs["policy"].StringValue())
	require.Contains(t, TeamPolicy("payments"), `path "kv/data/payments/*"`)
	require.NotContains(t, TeamPolicy("payments"), `"kv/data/*"`)
	for _, r := range g.Custom() {
		if r.Type[:6] == "vault:" {
			require.NotEmpty(t, r.Provider, "%s uses the explicit vault provider", r.Name)
		}
	}
}

func TestClusterSecretStorePerTeamLimitedToItsNamespaces(t *testing.T) {
	g, err := run(t, baseArgs())
	require.NoError(t, err)
	stores := g.OfType("kubernetes:external-secrets.io/v1:ClusterSecretStore")
	require.Len(t, stores, 2)
	s := g.ByName(t, "dev-vaultconfig-store-payments").Inputs["spec"].ObjectValue()
	require.Equal(t, []any{"payments", "payments-jobs"}, s["conditions"].ArrayValue()[0].ObjectValue()["namespaces"].Mappable())
	v := s["provider"].ObjectValue()["vault"].ObjectValue()
	require.Equal(t, "https://vault.vault.svc:8200", v["server"].StringValue())
	require.Equal(t, "v2", v["version"].StringValue())
	require.NotEmpty(t, v["caBundle"].StringValue())
	require.Equal(t, "eso-payments", v["auth"].ObjectValue()["kubernetes"].ObjectValue()["role"].StringValue())
}

func TestWildcardsAndMissingInputsRejected(t *testing.T) {
	a := Args{Teams: map[string]Team{"Payments": {Namespaces: []string{"*"}, ServiceAccounts: []string{"api"}, TokenTTLSeconds: 100, TokenMaxTTLSeconds: 10}}}
	g, err := run(t, a)
	for _, want := range []string{"address is required", "token is required", "vaultServiceAddress and caCertPem are required",
		"teams.Payments: team names must be DNS labels", `teams.Payments: "*" must be an exact name`, "teams.Payments: need 0 < tokenTtlSeconds (100) <= tokenMaxTtlSeconds (10)"} {
		require.ErrorContains(t, err, want)
	}
	require.Empty(t, g.OfType("pulumi:providers:vault"), "nothing is created on bad input")
}
