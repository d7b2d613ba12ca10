package vaultconfig

import (
	"os"
	"strings"
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
	audits := g.OfType("vault:index/audit:Audit")
	require.Len(t, audits, 2)
	require.Equal(t, "file", g.ByName(t, "dev-vaultconfig-audit-file").Inputs["type"].StringValue())

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
	for _, want := range []string{"address is required", "exactly one login is required", "vaultServiceAddress and caCertPem are required",
		"teams.Payments: team names must be DNS labels", `teams.Payments: "*" must be an exact name`, "teams.Payments: need 0 < tokenTtlSeconds (100) <= tokenMaxTtlSeconds (10)"} {
		require.ErrorContains(t, err, want)
	}
	require.Empty(t, g.OfType("pulumi:providers:vault"), "nothing is created on bad input")
}

// Vault blocks every request when all audit devices fail; a device writing to stdout beside the file device keeps
// Vault answering when the audit volume is full (the kubelet rotates container logs).
func TestAuditCannotBlockVaultWhenTheVolumeFills(t *testing.T) {
	g, err := run(t, baseArgs())
	require.NoError(t, err)
	stdout := g.ByName(t, "dev-vaultconfig-audit-stdout")
	require.Equal(t, "file", stdout.Inputs["type"].StringValue())
	require.Equal(t, StdoutAuditPath, stdout.Inputs["path"].StringValue())
	require.Equal(t, "stdout", stdout.Inputs["options"].ObjectValue()["file_path"].StringValue())
}

// The second stage logs in from CI with the run's OIDC token through a JWT role whose token lasts one run and is
// not periodic. Every CI run logs in the same way, so previews, drift checks and deploys store the same provider
// inputs: the token comes from TERRAFORM_VAULT_AUTH_JWT at login, and only a token whose environment claim is the
// deploy environment joins the group that carries the deployer policy.
func TestCILoginThroughJWTRoleWithDeployerGroup(t *testing.T) {
	a := baseArgs()
	a.Token = nil
	a.CILogin = &JWTLogin{}
	a.CIAuth = &CIAuth{BoundAudience: "vault-prod", BoundClaims: map[string]string{"repository": "acme/platform", "environment": "prod"}}
	g, err := run(t, a)
	require.NoError(t, err)

	p := g.Only(t, "pulumi:providers:vault")
	tok := p.Inputs["token"]
	require.True(t, tok.IsSecret())
	require.Equal(t, "", tok.SecretValue().Element.StringValue(), "no long-lived token")
	login := p.Inputs["authLoginJwt"].ObjectValue()
	require.Equal(t, CIRole, login["role"].StringValue())
	require.Equal(t, CIAuthPath, login["mount"].StringValue())
	require.True(t, login["jwt"].IsSecret())
	require.Equal(t, "", login["jwt"].SecretValue().Element.StringValue(), "the run's token is read from TERRAFORM_VAULT_AUTH_JWT, never stored")
	require.True(t, p.Inputs["skipChildToken"].BoolValue(), "the login's one-run token is used directly")

	backend := g.Only(t, "vault:jwt/authBackend:AuthBackend")
	require.Equal(t, CIAuthPath, backend.Inputs["path"].StringValue())
	require.Equal(t, GitHubActionsIssuer, backend.Inputs["boundIssuer"].StringValue())
	role := g.Only(t, "vault:jwt/authBackendRole:AuthBackendRole")
	require.Equal(t, CIRole, role.Inputs["roleName"].StringValue())
	require.Equal(t, []any{"vault-prod"}, role.Inputs["boundAudiences"].Mappable())
	require.Equal(t, map[string]any{"repository": "acme/platform"}, role.Inputs["boundClaims"].Mappable(), "any run of the repository")
	require.Equal(t, "environment", role.Inputs["groupsClaim"].StringValue())
	require.Equal(t, []any{ReaderRole}, role.Inputs["tokenPolicies"].Mappable(), "a login alone reads")
	require.EqualValues(t, 3600, role.Inputs["tokenTtl"].NumberValue())
	require.EqualValues(t, 3600, role.Inputs["tokenMaxTtl"].NumberValue())
	_, periodic := role.Inputs["tokenPeriod"]
	require.False(t, periodic, "a periodic token renews without limit")

	group := g.Only(t, "vault:identity/group:Group")
	require.Equal(t, "external", group.Inputs["type"].StringValue())
	require.Equal(t, []any{DeployerRole}, group.Inputs["policies"].Mappable())
	alias := g.Only(t, "vault:identity/groupAlias:GroupAlias")
	require.Equal(t, "prod", alias.Inputs["name"].StringValue(), "only the prod deploy environment's jobs deploy")
	require.Equal(t, DeployerPolicy(), g.ByName(t, "dev-vaultconfig-deployer-policy").Inputs["policy"].StringValue())
	require.Equal(t, ReaderPolicy(), g.ByName(t, "dev-vaultconfig-reader-policy").Inputs["policy"].StringValue())
}

// The reader can read what the deployer writes and change nothing.
func TestReaderPolicyReadsAndChangesNothing(t *testing.T) {
	pol := ReaderPolicy()
	for _, w := range []string{"create", "update", "delete", "auth/token/create"} {
		require.NotContains(t, pol, w, "the reader changes nothing")
	}
	require.Contains(t, pol, "path \"sys/audit\" {\n  capabilities = [\"read\", \"sudo\"]", "listing audit devices needs sudo")
	require.Contains(t, pol, "path \"auth/kubernetes/role/*\" {\n  capabilities = [\"read\", \"list\"]")
	require.Contains(t, pol, "path \"identity/group/id/*\" {\n  capabilities = [\"read\"]")
}

// DeployerPolicy grants what the vault provider needs for every resource this component creates: its child
// token, and sudo on the audit and auth paths.
func TestDeployerPolicyCoversTheProvider(t *testing.T) {
	pol := DeployerPolicy()
	for path, caps := range map[string]string{
		"auth/token/create":              `["create", "update"]`,
		"sys/audit/*":                    `["create", "read", "update", "delete", "sudo"]`,
		"sys/auth/*":                     `["create", "read", "update", "delete", "sudo"]`,
		"sys/mounts/*":                   `["create", "read", "update", "delete"]`,
		"sys/policies/acl/*":             `["create", "read", "update", "delete"]`,
		"auth/kubernetes/config":         `["create", "read", "update"]`,
		"auth/kubernetes/role/*":         `["create", "read", "update", "delete", "list"]`,
		"auth/" + CIAuthPath + "/config": `["create", "read", "update"]`,
	} {
		require.Contains(t, pol, "path \""+path+"\" {\n  capabilities = "+caps, path)
	}
	require.NotContains(t, pol, `path "*"`)
	require.NotContains(t, pol, `path "sys/*"`)
}

func TestCIAuthValidated(t *testing.T) {
	a := baseArgs()
	a.CILogin = &JWTLogin{}
	a.CIAuth = &CIAuth{TokenTTLSeconds: 86400}
	_, err := run(t, a)
	for _, want := range []string{"exactly one login is required", "ciAuth.boundAudience is required",
		"ciAuth.boundClaims.repository is required", "ciAuth.boundClaims.environment is required",
		"ciAuth.tokenTtlSeconds must be within [60, 7200] (got 86400)"} {
		require.ErrorContains(t, err, want)
	}
	a = baseArgs()
	a.Token = nil
	a.CILogin = &JWTLogin{}
	_, err = run(t, a)
	require.ErrorContains(t, err, "ciLogin needs ciAuth")
}

// Without a CA file, the provider trusts the CA the program itself created: written to a per-stack file.
func TestTheProviderTrustsTheProgramsOwnCA(t *testing.T) {
	a := baseArgs()
	a.ProviderCACertPem = pulumi.String("-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n")
	g, err := run(t, a)
	require.NoError(t, err)
	file := g.Only(t, "pulumi:providers:vault").Inputs["caCertFile"].StringValue()
	require.True(t, strings.HasSuffix(file, "-vault-ca.pem"), file)
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(got), "stand-in")
}
