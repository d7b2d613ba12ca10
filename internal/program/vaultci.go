package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/platform-team/platform/components/vault"
	"github.com/platform-team/platform/components/vaultconfig"
	"github.com/platform-team/platform/internal/config"
)

// vaultLoadBalancer is Vault's internal load balancer when vault.internalLoadBalancer is on, open to the VPC
// only: the in-VPC CI runner lives in its private subnets.
func vaultLoadBalancer(v config.Vault, vpcCIDR string) *vault.InternalLoadBalancer {
	if v.InternalLoadBalancer == nil || !*v.InternalLoadBalancer {
		return nil
	}
	return &vault.InternalLoadBalancer{SourceRanges: []string{vpcCIDR}}
}

// vaultSecondStage chooses how this run reaches and logs in to Vault for its configuration (docs/services.md,
// "Vault from CI"):
//   - address: vault.address if set (a laptop's port-forward), else the internal load balancer's address from
//     the vault component's own output, verified against the active Service's name on Vault's certificate;
//   - CA: platform:vaultCaCertFile if set, else the CA the vault component created;
//   - login: the bootstrap token (secret platform:vaultToken) while it is set; otherwise the CI run's OIDC token
//     through the JWT role vault.ciAuth creates. The provider reads that token from TERRAFORM_VAULT_AUTH_JWT,
//     which the workflows set (.github/actions/vault-login), so nothing per-run reaches the state and a drift
//     check sees no change.
//
// A stack with neither fails here, naming both, before anything is registered.
func vaultSecondStage(ctx *pulumi.Context, v config.Vault, vc *vault.Vault) (*vaultconfig.Args, error) {
	a := &vaultconfig.Args{
		VaultServiceAddress: vc.Address,
		CACertPem:           vc.CACertPem,
	}
	if v.Address != "" {
		a.Address = pulumi.String(v.Address)
	} else {
		a.Address = vc.CIAddress.ApplyT(func(addr string) (string, error) {
			if addr == "" {
				return "", fmt.Errorf("vault.address is not set and Vault's internal load balancer (Service %s/%s) has no hostname yet: run `pulumi up` with vault.configure=false until it has one, or set vault.address", vault.DefaultNamespace, vault.CIServiceName)
			}
			return addr, nil
		}).(pulumi.StringOutput)
		a.TLSServerName = vault.CIServerName(vault.DefaultNamespace)
	}
	if f, ok := ctx.GetConfig(vaultCACertFileKey); ok && f != "" {
		a.CACertFile = f
	} else {
		a.ProviderCACertPem = vc.CACertPem
	}
	if c := v.CIAuth; c != nil {
		a.CIAuth = &vaultconfig.CIAuth{BoundAudience: c.BoundAudience, BoundClaims: c.BoundClaims, TokenTTLSeconds: c.TokenTTLSeconds}
	}
	if tok, ok := ctx.GetConfig(vaultTokenKey); ok && tok != "" {
		a.Token = pulumiconfig.RequireSecret(ctx, vaultTokenKey)
		return a, nil
	}
	if a.CIAuth != nil {
		a.CILogin = &vaultconfig.JWTLogin{}
		return a, nil
	}
	return nil, fmt.Errorf("vault.configure is true but the stack has no Vault login: set the secret %s (bootstrap, docs/services.md) or vault.ciAuth (CI's OIDC login; the default where cluster.endpoint.ciRunner is set)", vaultTokenKey)
}
