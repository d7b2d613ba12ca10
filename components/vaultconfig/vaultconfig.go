// Package vaultconfig provides the VaultConfig component: Vault's own configuration as code through the
// pulumi-vault provider -- a file audit device on the persistent audit volume, a Kubernetes auth backend
// bound to this cluster, a KV v2 mount, and per team a read policy on kv/<team>/*, a Kubernetes auth role
// for the team's service accounts and one for the External Secrets Operator, plus a ClusterSecretStore
// usable only from the team's namespaces.
//
// It is the second stage of the Vault bootstrap: it needs an initialised Vault and a login -- the bootstrap token
// (secret config) once, then CI's JWT role (CIAuth, CILogin) -- and does not create Vault itself (package
// vault) or install ESO (package externalsecrets).
package vaultconfig

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi-vault/sdk/v6/go/vault/identity"
	vaultjwt "github.com/pulumi/pulumi-vault/sdk/v6/go/vault/jwt"
	vaultk8s "github.com/pulumi/pulumi-vault/sdk/v6/go/vault/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	componentType = "platform:vaultconfig:VaultConfig"
	// KVPath is the KV v2 mount teams' secrets live under (kv/<team>/...).
	KVPath = "kv"
	// AuthPath is the Kubernetes auth mount.
	AuthPath = "kubernetes"
	// InClusterAPI is how Vault, running in the cluster, reaches the API server for TokenReviews.
	InClusterAPI = "https://kubernetes.default.svc:443"
)

// Team is one team's access.
type Team struct {
	// Namespaces whose ServiceAccounts may log in as the team. Required, exact names.
	Namespaces []string
	// ServiceAccounts that may log in as the team. Required, exact names.
	ServiceAccounts []string
	// TokenTTLSeconds and TokenMaxTTLSeconds bound issued tokens. Default: 3600 and 14400.
	TokenTTLSeconds    int
	TokenMaxTTLSeconds int
}

// Args configures Vault.
type Args struct {
	// Address of Vault as seen from where `pulumi up` runs (e.g. https://127.0.0.1:8200 via port-forward).
	// Required.
	Address pulumi.StringInput
	// Token with rights to configure Vault (a Pulumi secret): the bootstrap login, used until CI's JWT role
	// exists. Exactly one of Token and CILogin. Default: none.
	Token pulumi.StringInput
	// CILogin logs the provider in through the JWT auth role CI creates (below) with the CI run's OIDC token,
	// so every run gets a fresh, short-lived token and nothing long-lived can expire between runs. Nothing in it
	// varies per run: the token comes from the environment (TERRAFORM_VAULT_AUTH_JWT) and what the login may do
	// from the token's claims, so previews, drift checks and deploys store the same provider inputs. Default: none.
	CILogin *JWTLogin
	// CIAuth creates the JWT auth method and role the second stage logs in with from CI. Default: none.
	CIAuth *CIAuth
	// CACertFile is a local file holding Vault's CA (from the vault component's caCertPem output).
	// Default: none (the system trust store).
	CACertFile string
	// ProviderCACertPem is Vault's CA for the provider when CACertFile is not given (the vault component's
	// caCertPem output); written to a per-stack file the provider reads. Default: none (the system trust store).
	ProviderCACertPem pulumi.StringInput
	// TLSServerName is the name verified on Vault's certificate when Address is a port-forward or a load balancer.
	// Default: "vault.vault.svc".
	TLSServerName string
	// KubeProvider creates the ClusterSecretStores. Required.
	KubeProvider *kubernetes.Provider
	// VaultServiceAddress is Vault's in-cluster address ESO connects to. Required.
	VaultServiceAddress pulumi.StringInput
	// CACertPem is Vault's CA, given to ESO. Required.
	CACertPem pulumi.StringInput
	// ESONamespace and ESOServiceAccount identify the operator. Default: external-secrets/external-secrets.
	ESONamespace      string
	ESOServiceAccount string
	// ESOReady is the operator's chart objects (CRDs); stores wait for them. Default: none.
	ESOReady pulumi.ResourceArrayInput
	// AuditFilePath is where the file audit device writes (on the chart's audit volume).
	// Default: "/vault/audit/vault_audit.log".
	AuditFilePath string
	// Teams keyed by team name. Default: none.
	Teams map[string]Team
}

// JWTLogin is a provider login through Vault's JWT auth method.
type JWTLogin struct {
	// JWT is the token (a Pulumi secret). Default: none, so the provider reads the run's token from
	// TERRAFORM_VAULT_AUTH_JWT when it logs in (terraform-provider-vault internal/provider/auth_jwt.go: the jwt
	// field defaults from that variable), and no per-run value reaches Pulumi's state.
	JWT pulumi.StringInput
	// Mount and Role of the JWT auth method. Default: CIAuthPath and CIRole.
	Mount, Role string
}

// CIAuth is the JWT auth method CI logs in with: GitHub Actions' OIDC tokens, bound to this repository's
// deployment environment, issuing a token with DeployerPolicy for one run only.
type CIAuth struct {
	// OIDCDiscoveryURL and BoundIssuer of the CI's OIDC provider. Default: GitHub Actions'
	// (https://token.actions.githubusercontent.com).
	OIDCDiscoveryURL string
	// BoundAudience is the audience CI requests for its token. Required (e.g. "vault-prod").
	BoundAudience string
	// BoundClaims every token must carry exactly, e.g. {"repository": "acme/platform", "environment": "prod"}.
	// Required; must include "repository".
	BoundClaims map[string]string
	// TokenTTLSeconds of the issued token: one run. Default: 3600; at most 7200.
	TokenTTLSeconds int
}

const (
	// CIAuthPath is the JWT auth mount CI logs in through.
	CIAuthPath = "jwt-ci"
	// CIRole is the JWT role every CI run of the repository logs in with. Its own policy is ReaderPolicy: a
	// preview or drift check (a pull request's job included) can read and change nothing.
	CIRole = "platform-ci"
	// DeployerRole names the deployer policy and the external identity group that grants it: a login whose
	// token's environment claim is the stack's deploy environment (only the deploy job runs in it, behind the
	// GitHub environment's protection rules) joins the group through the role's groups_claim.
	DeployerRole = "platform-deployer"
	// ReaderRole names the read-only policy.
	ReaderRole = "platform-reader"
	// EnvironmentClaim is the GitHub Actions OIDC claim naming the job's deployment environment.
	EnvironmentClaim = "environment"
	// GitHubActionsIssuer is GitHub Actions' OIDC issuer.
	GitHubActionsIssuer = "https://token.actions.githubusercontent.com"
	// StdoutAuditPath is the audit device that writes to the server's stdout. Vault blocks requests only when
	// every audit device fails; with this one beside the file device a full audit volume cannot block Vault, and
	// the kubelet rotates container logs.
	StdoutAuditPath = "stdout"
)

// DeployerPolicy is what the second stage needs, and no more: everything the vault provider does for the
// resources this component creates. The provider first creates a child token (auth/token/create); audit devices
// and auth methods are sudo-protected paths (sys/audit*, sys/auth*); the rest are the mounts, policies, auth
// configuration and roles it manages. Token lookup-self and renew-self let the provider read its own token.
func DeployerPolicy() string { return renderPolicy(deployerRules()) }

// ReaderPolicy is what a preview or drift check needs: read and list on every path DeployerPolicy writes (sudo
// where reading needs it: listing audit devices), its own token, and nothing that creates or changes anything. A
// CI login skips the child token (ProviderArgs.SkipChildToken), so it needs no auth/token/create.
func ReaderPolicy() string {
	var rules []policyRule
	for _, r := range deployerRules() {
		if r.path == "auth/token/create" || r.path == "auth/token/renew-self" || r.path == "auth/token/revoke-self" {
			continue
		}
		var caps []string
		for _, c := range r.caps {
			if c == "read" || c == "list" || (c == "sudo" && slices.Contains(r.caps, "read")) {
				caps = append(caps, c)
			}
		}
		if len(caps) > 0 {
			rules = append(rules, policyRule{r.path, caps})
		}
	}
	return renderPolicy(rules)
}

type policyRule struct {
	path string
	caps []string
}

func renderPolicy(rules []policyRule) string {
	var b strings.Builder
	for i, r := range rules {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "path %q {\n  capabilities = [\"%s\"]\n}\n", r.path, strings.Join(r.caps, "\", \""))
	}
	return b.String()
}

func deployerRules() []policyRule {
	return []policyRule{
		{"auth/token/create", []string{"create", "update"}},
		{"auth/token/lookup-self", []string{"read"}},
		{"auth/token/renew-self", []string{"update"}},
		{"auth/token/revoke-self", []string{"update"}},
		{"sys/audit", []string{"read", "sudo"}},
		{"sys/audit/*", []string{"create", "read", "update", "delete", "sudo"}},
		{"sys/auth", []string{"read"}},
		{"sys/auth/*", []string{"create", "read", "update", "delete", "sudo"}},
		{"sys/mounts", []string{"read"}},
		{"sys/mounts/*", []string{"create", "read", "update", "delete"}},
		{"sys/policies/acl", []string{"list"}},
		{"sys/policies/acl/*", []string{"create", "read", "update", "delete"}},
		{"sys/policy/*", []string{"create", "read", "update", "delete"}},
		{"auth/" + AuthPath + "/config", []string{"create", "read", "update"}},
		{"auth/" + AuthPath + "/role/*", []string{"create", "read", "update", "delete", "list"}},
		{"auth/" + CIAuthPath + "/config", []string{"create", "read", "update"}},
		{"auth/" + CIAuthPath + "/role/*", []string{"create", "read", "update", "delete", "list"}},
		{"identity/group", []string{"create", "update"}},
		{"identity/group/id/*", []string{"create", "read", "update", "delete"}},
		{"identity/group/name/*", []string{"create", "read", "update", "delete"}},
		{"identity/group-alias", []string{"create", "update"}},
		{"identity/group-alias/id/*", []string{"create", "read", "update", "delete"}},
	}
}

// VaultConfig is the component.
type VaultConfig struct {
	pulumi.ResourceState

	// KVPath is the KV v2 mount.
	KVPath pulumi.StringOutput `pulumi:"kvPath"`
	// TeamRoles maps team -> Kubernetes auth role name.
	TeamRoles pulumi.StringMapOutput `pulumi:"teamRoles"`
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

func (a *Args) applyDefaults() {
	if a.TLSServerName == "" {
		a.TLSServerName = "vault.vault.svc"
	}
	if a.ESONamespace == "" {
		a.ESONamespace = "external-secrets"
	}
	if a.ESOServiceAccount == "" {
		a.ESOServiceAccount = "external-secrets"
	}
	if a.CIAuth != nil {
		c := *a.CIAuth
		if c.OIDCDiscoveryURL == "" {
			c.OIDCDiscoveryURL = GitHubActionsIssuer
		}
		if c.TokenTTLSeconds == 0 {
			c.TokenTTLSeconds = 3600
		}
		a.CIAuth = &c
	}
	if a.CILogin != nil {
		l := *a.CILogin
		if l.Mount == "" {
			l.Mount = CIAuthPath
		}
		if l.Role == "" {
			l.Role = CIRole
		}
		a.CILogin = &l
	}
	if a.AuditFilePath == "" {
		a.AuditFilePath = "/vault/audit/vault_audit.log"
	}
	for name, t := range a.Teams {
		if t.TokenTTLSeconds == 0 {
			t.TokenTTLSeconds = 3600
		}
		if t.TokenMaxTTLSeconds == 0 {
			t.TokenMaxTTLSeconds = 14400
		}
		a.Teams[name] = t
	}
}

func teamNames(teams map[string]Team) []string {
	names := make([]string, 0, len(teams))
	for n := range teams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValidateArgs returns every problem with args (after defaults), or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if a.Address == nil {
		p = append(p, "address is required")
	}
	if (a.Token == nil) == (a.CILogin == nil) {
		p = append(p, "exactly one login is required: token (secret config platform:vaultToken, the bootstrap) or ciLogin (the CI run's OIDC token)")
	}
	if a.CILogin != nil && a.CIAuth == nil {
		p = append(p, "ciLogin needs ciAuth: the JWT auth method and role it logs in through")
	}
	if c := a.CIAuth; c != nil {
		if c.BoundAudience == "" {
			p = append(p, "ciAuth.boundAudience is required (the audience CI requests for its OIDC token)")
		}
		if c.BoundClaims["repository"] == "" {
			p = append(p, "ciAuth.boundClaims.repository is required, so only this repository's runs can log in")
		}
		if c.BoundClaims[EnvironmentClaim] == "" {
			p = append(p, "ciAuth.boundClaims.environment is required: the deploy environment whose jobs get the deployer policy")
		}
		if c.TokenTTLSeconds < 60 || c.TokenTTLSeconds > 7200 {
			p = append(p, fmt.Sprintf("ciAuth.tokenTtlSeconds must be within [60, 7200] (got %d)", c.TokenTTLSeconds))
		}
	}
	if a.KubeProvider == nil {
		p = append(p, "kubeProvider is required")
	}
	if a.VaultServiceAddress == nil || a.CACertPem == nil {
		p = append(p, "vaultServiceAddress and caCertPem are required")
	}
	for _, name := range teamNames(a.Teams) {
		t := a.Teams[name]
		if !dnsLabel.MatchString(name) {
			p = append(p, fmt.Sprintf("teams.%s: team names must be DNS labels", name))
		}
		if len(t.Namespaces) == 0 || len(t.ServiceAccounts) == 0 {
			p = append(p, fmt.Sprintf("teams.%s: namespaces and serviceAccounts are required", name))
		}
		for _, v := range append(append([]string{}, t.Namespaces...), t.ServiceAccounts...) {
			if !dnsLabel.MatchString(v) {
				p = append(p, fmt.Sprintf("teams.%s: %q must be an exact name (no wildcards)", name, v))
			}
		}
		if t.TokenTTLSeconds <= 0 || t.TokenMaxTTLSeconds < t.TokenTTLSeconds {
			p = append(p, fmt.Sprintf("teams.%s: need 0 < tokenTtlSeconds (%d) <= tokenMaxTtlSeconds (%d)", name, t.TokenTTLSeconds, t.TokenMaxTTLSeconds))
		}
	}
	if len(p) > 0 {
		return fmt.Errorf("vaultconfig: %s", strings.Join(p, "; "))
	}
	return nil
}

// TeamPolicy is the Vault policy of a team: read its own KV subtree, nothing else.
func TeamPolicy(team string) string {
	return fmt.Sprintf("path \"%s/data/%s/*\" {\n  capabilities = [\"read\"]\n}\n\npath \"%s/metadata/%s/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n",
		KVPath, team, KVPath, team)
}

// NewVaultConfig configures Vault.
func NewVaultConfig(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*VaultConfig, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	teams := map[string]Team{}
	for k, v := range a.Teams {
		teams[k] = v
	}
	a.Teams = teams
	a.applyDefaults()
	if err := ValidateArgs(&a); err != nil {
		return nil, err
	}
	comp := &VaultConfig{}
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, err
	}
	child := func(key string) string { return fmt.Sprintf("%s-%s", name, key) }

	pargs := &vault.ProviderArgs{
		Address:       a.Address,
		TlsServerName: pulumi.String(a.TLSServerName),
	}
	if a.CILogin != nil {
		jwt := a.CILogin.JWT
		if jwt == nil {
			jwt = pulumi.String("")
		}
		pargs.AuthLoginJwt = &vault.ProviderAuthLoginJwtArgs{
			Jwt:   pulumi.ToSecret(jwt.ToStringOutput()).(pulumi.StringOutput),
			Mount: pulumi.String(a.CILogin.Mount),
			Role:  pulumi.String(a.CILogin.Role),
		}
		// The Go SDK requires a token argument; with auth_login_jwt the provider logs in and uses the token
		// that login returns (terraform-provider-vault's auth_login), so it stays empty.
		pargs.Token = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
		// The login's token lasts one run and the reader may not create tokens: the provider uses it directly
		// instead of a child token.
		pargs.SkipChildToken = pulumi.Bool(true)
	} else {
		pargs.Token = pulumi.ToSecret(a.Token.ToStringOutput()).(pulumi.StringOutput)
	}
	switch {
	case a.CACertFile != "":
		pargs.CaCertFile = pulumi.String(a.CACertFile)
	case a.ProviderCACertPem != nil:
		// The provider reads its CA from a file only (ca_cert_file): the program's own CA output is written to a
		// file named after the stack, so nobody copies a CA around and the path is the same on every run.
		file := filepath.Join(os.TempDir(), fmt.Sprintf("platform-%s-%s-vault-ca.pem", ctx.Project(), ctx.Stack()))
		pargs.CaCertFile = a.ProviderCACertPem.ToStringOutput().ApplyT(func(pem string) (string, error) {
			if err := os.WriteFile(file, []byte(pem), 0o600); err != nil {
				return "", fmt.Errorf("vault CA for the provider: %w", err)
			}
			return file, nil
		}).(pulumi.StringOutput)
	}
	vp, err := vault.NewProvider(ctx, child("vault"), pargs, pulumi.Parent(comp))
	if err != nil {
		return nil, fmt.Errorf("vault provider: %w", err)
	}
	onVault := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(vp)}
	onKube := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(a.KubeProvider)}

	if _, err := vault.NewAudit(ctx, child("audit-file"), &vault.AuditArgs{
		Type:        pulumi.String("file"),
		Path:        pulumi.String("file"),
		Description: pulumi.String("audit log on the persistent audit volume"),
		Options:     pulumi.StringMap{"file_path": pulumi.String(a.AuditFilePath)},
	}, onVault...); err != nil {
		return nil, fmt.Errorf("vault audit: %w", err)
	}
	if _, err := vault.NewAudit(ctx, child("audit-stdout"), &vault.AuditArgs{
		Type:        pulumi.String("file"),
		Path:        pulumi.String(StdoutAuditPath),
		Description: pulumi.String("audit log to stdout: keeps Vault answering if the audit volume fills"),
		Options:     pulumi.StringMap{"file_path": pulumi.String("stdout")},
	}, onVault...); err != nil {
		return nil, fmt.Errorf("vault stdout audit: %w", err)
	}
	if c := a.CIAuth; c != nil {
		if err := newCIAuth(ctx, child, *c, onVault); err != nil {
			return nil, err
		}
	}
	auth, err := vault.NewAuthBackend(ctx, child("kubernetes-auth"), &vault.AuthBackendArgs{
		Type: pulumi.String("kubernetes"), Path: pulumi.String(AuthPath),
		Description: pulumi.String("service accounts of this cluster"),
	}, onVault...)
	if err != nil {
		return nil, fmt.Errorf("vault kubernetes auth: %w", err)
	}
	if _, err := vaultk8s.NewAuthBackendConfig(ctx, child("kubernetes-auth-config"), &vaultk8s.AuthBackendConfigArgs{
		Backend: auth.Path,
		// Vault runs in this cluster: it reviews tokens with its own service account (the chart binds
		// system:auth-delegator), so no long-lived reviewer JWT is stored anywhere.
		KubernetesHost: pulumi.String(InClusterAPI),
	}, onVault...); err != nil {
		return nil, fmt.Errorf("vault kubernetes auth config: %w", err)
	}
	kv, err := vault.NewMount(ctx, child("kv"), &vault.MountArgs{
		Path: pulumi.String(KVPath), Type: pulumi.String("kv"),
		Options:     pulumi.Map{"version": pulumi.String("2")},
		Description: pulumi.String("team secrets, kv/<team>/..."),
	}, onVault...)
	if err != nil {
		return nil, fmt.Errorf("vault kv mount: %w", err)
	}

	caBundle := a.CACertPem.ToStringOutput().ApplyT(func(pem string) string {
		return base64.StdEncoding.EncodeToString([]byte(pem))
	}).(pulumi.StringOutput)
	roles := pulumi.StringMap{}
	for _, team := range teamNames(a.Teams) {
		t := a.Teams[team]
		pol, err := vault.NewPolicy(ctx, child("policy-"+team), &vault.PolicyArgs{
			Name: pulumi.String("team-" + team), Policy: pulumi.String(TeamPolicy(team)),
		}, append(onVault, pulumi.DependsOn([]pulumi.Resource{kv}))...)
		if err != nil {
			return nil, fmt.Errorf("vault policy %s: %w", team, err)
		}
		roleName := "team-" + team
		if _, err := vaultk8s.NewAuthBackendRole(ctx, child("role-"+team), &vaultk8s.AuthBackendRoleArgs{
			Backend:                       auth.Path,
			RoleName:                      pulumi.String(roleName),
			BoundServiceAccountNames:      pulumi.ToStringArray(sorted(t.ServiceAccounts)),
			BoundServiceAccountNamespaces: pulumi.ToStringArray(sorted(t.Namespaces)),
			TokenPolicies:                 pulumi.StringArray{pol.Name},
			TokenTtl:                      pulumi.Int(t.TokenTTLSeconds),
			TokenMaxTtl:                   pulumi.Int(t.TokenMaxTTLSeconds),
		}, onVault...); err != nil {
			return nil, fmt.Errorf("vault role %s: %w", team, err)
		}
		esoRole := "eso-" + team
		if _, err := vaultk8s.NewAuthBackendRole(ctx, child("eso-role-"+team), &vaultk8s.AuthBackendRoleArgs{
			Backend:                       auth.Path,
			RoleName:                      pulumi.String(esoRole),
			BoundServiceAccountNames:      pulumi.ToStringArray([]string{a.ESOServiceAccount}),
			BoundServiceAccountNamespaces: pulumi.ToStringArray([]string{a.ESONamespace}),
			TokenPolicies:                 pulumi.StringArray{pol.Name},
			TokenTtl:                      pulumi.Int(t.TokenTTLSeconds),
			TokenMaxTtl:                   pulumi.Int(t.TokenMaxTTLSeconds),
		}, onVault...); err != nil {
			return nil, fmt.Errorf("vault eso role %s: %w", team, err)
		}
		storeOpts := onKube
		if a.ESOReady != nil {
			storeOpts = append(storeOpts, pulumi.DependsOnInputs(a.ESOReady))
		}
		if _, err := apiextensions.NewCustomResource(ctx, child("store-"+team), &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("external-secrets.io/v1"),
			Kind:       pulumi.String("ClusterSecretStore"),
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String("vault-" + team)},
			OtherFields: map[string]any{"spec": map[string]any{
				// Only the team's namespaces may reference this store: a ClusterSecretStore is otherwise
				// usable from every namespace, which would hand one team's secrets to all.
				"conditions": []any{map[string]any{"namespaces": stringsAny(sorted(t.Namespaces))}},
				"provider": map[string]any{"vault": map[string]any{
					"server":   a.VaultServiceAddress,
					"path":     KVPath,
					"version":  "v2",
					"caBundle": caBundle,
					"auth": map[string]any{"kubernetes": map[string]any{
						"mountPath": AuthPath,
						"role":      esoRole,
						"serviceAccountRef": map[string]any{
							"name": a.ESOServiceAccount, "namespace": a.ESONamespace,
						},
					}},
				}},
			}},
		}, storeOpts...); err != nil {
			return nil, fmt.Errorf("cluster secret store %s: %w", team, err)
		}
		roles[team] = pulumi.String(roleName)
	}

	comp.KVPath = kv.Path
	comp.TeamRoles = roles.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"kvPath": comp.KVPath, "teamRoles": comp.TeamRoles}); err != nil {
		return nil, err
	}
	return comp, nil
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// newCIAuth creates the JWT auth method CI logs in with, the deployer policy and the role that grants it.
func newCIAuth(ctx *pulumi.Context, child func(string) string, c CIAuth, onVault []pulumi.ResourceOption) error {
	pol, err := vault.NewPolicy(ctx, child("deployer-policy"), &vault.PolicyArgs{
		Name: pulumi.String(DeployerRole), Policy: pulumi.String(DeployerPolicy()),
	}, onVault...)
	if err != nil {
		return fmt.Errorf("vault deployer policy: %w", err)
	}
	backend, err := vaultjwt.NewAuthBackend(ctx, child("ci-jwt-auth"), &vaultjwt.AuthBackendArgs{
		Path:             pulumi.String(CIAuthPath),
		Type:             pulumi.String("jwt"),
		OidcDiscoveryUrl: pulumi.String(c.OIDCDiscoveryURL),
		BoundIssuer:      pulumi.String(c.OIDCDiscoveryURL),
		Description:      pulumi.String("CI runs (OIDC) that configure Vault"),
	}, onVault...)
	if err != nil {
		return fmt.Errorf("vault ci jwt auth: %w", err)
	}
	// The role binds every claim but the environment: any run of the repository logs in (GitHub gives fork
	// pull requests no OIDC token), with the reader policy. groups_claim makes the token's environment claim the
	// name of an identity group alias on this mount (vault-plugin-auth-jwt path_login.go; a single string is
	// taken as a one-element list, claims.go normalizeList): the deploy job's environment joins the deployer group.
	claims := pulumi.Map{}
	for _, k := range sortedKeys(c.BoundClaims) {
		if k != EnvironmentClaim {
			claims[k] = pulumi.String(c.BoundClaims[k])
		}
	}
	readerPol, err := vault.NewPolicy(ctx, child("reader-policy"), &vault.PolicyArgs{
		Name: pulumi.String(ReaderRole), Policy: pulumi.String(ReaderPolicy()),
	}, onVault...)
	if err != nil {
		return fmt.Errorf("vault reader policy: %w", err)
	}
	if _, err := vaultjwt.NewAuthBackendRole(ctx, child("ci-role"), &vaultjwt.AuthBackendRoleArgs{
		Backend:        backend.Path,
		RoleName:       pulumi.String(CIRole),
		RoleType:       pulumi.String("jwt"),
		UserClaim:      pulumi.String("sub"),
		GroupsClaim:    pulumi.String(EnvironmentClaim),
		BoundAudiences: pulumi.StringArray{pulumi.String(c.BoundAudience)},
		BoundClaims:    claims,
		TokenPolicies:  pulumi.StringArray{readerPol.Name},
		// One run's token: not periodic, not renewable past its TTL, no refresh between runs.
		TokenTtl:    pulumi.Int(c.TokenTTLSeconds),
		TokenMaxTtl: pulumi.Int(c.TokenTTLSeconds),
	}, onVault...); err != nil {
		return fmt.Errorf("vault ci role: %w", err)
	}
	group, err := identity.NewGroup(ctx, child("deployers"), &identity.GroupArgs{
		Name:     pulumi.String(DeployerRole),
		Type:     pulumi.String("external"),
		Policies: pulumi.StringArray{pol.Name},
		Metadata: pulumi.StringMap{"grantedTo": pulumi.Sprintf("%s jobs in environment %s", c.BoundClaims["repository"], c.BoundClaims[EnvironmentClaim])},
	}, onVault...)
	if err != nil {
		return fmt.Errorf("vault deployers group: %w", err)
	}
	if _, err := identity.NewGroupAlias(ctx, child("deployers-alias"), &identity.GroupAliasArgs{
		Name:          pulumi.String(c.BoundClaims[EnvironmentClaim]),
		MountAccessor: backend.Accessor,
		CanonicalId:   group.ID().ToStringOutput(),
	}, onVault...); err != nil {
		return fmt.Errorf("vault deployers group alias: %w", err)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
