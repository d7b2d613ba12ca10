package irsa

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
)

func TestTrustPolicyAdmitsOneServiceAccount(t *testing.T) {
	doc, err := TrustPolicy("arn:aws:iam::1:oidc-provider/oidc.example/id/X", "https://oidc.example/id/X", "vault", "vault")
	require.NoError(t, err)
	var p struct {
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &p))
	require.Len(t, p.Statement, 1)
	require.Equal(t, "arn:aws:iam::1:oidc-provider/oidc.example/id/X", p.Statement[0].Principal["Federated"])
	require.Equal(t, map[string]string{
		"oidc.example/id/X:sub": "system:serviceaccount:vault:vault",
		"oidc.example/id/X:aud": "sts.amazonaws.com",
	}, p.Statement[0].Condition["StringEquals"], "issuer is used without https:// and both sub and aud are pinned")
}

func TestNewRoleRejectsWildcardsAndMissingInputs(t *testing.T) {
	_, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewRole(ctx, "r", RoleArgs{ServiceAccount: "*"})
		return err
	}, mockgraph.Options{})
	for _, want := range []string{"oidcProviderArn is required", "oidcIssuer is required", "namespace is required",
		`serviceAccount "*" must be one exact name`, "policy is required"} {
		require.ErrorContains(t, err, want)
	}
}

func TestNewRoleCreatesRoleAndInlinePolicy(t *testing.T) {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		_, err := NewRole(ctx, "loki", RoleArgs{
			OidcProviderArn: pulumi.String("arn:aws:iam::1:oidc-provider/o/id/X"), OidcIssuer: pulumi.String("o/id/X"),
			Namespace: "observability", ServiceAccount: "loki", Policy: pulumi.String(`{"Version":"2012-10-17","Statement":[]}`),
		})
		return err
	}, mockgraph.Options{})
	require.NoError(t, err)
	role := g.ByName(t, "loki")
	require.Contains(t, role.Inputs["assumeRolePolicy"].StringValue(), "system:serviceaccount:observability:loki")
	pol := g.ByName(t, "loki-policy")
	require.Equal(t, "aws:iam/rolePolicy:RolePolicy", pol.Type)
}
