package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/program"
	"github.com/platform-team/platform/policies/pack"
)

// editedStack writes a copy of the real Pulumi.<env>.yaml with edit applied, as a user editing the file would,
// and returns its path. edit must change the file.
func editedStack(t *testing.T, env string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(), "Pulumi."+env+".yaml"))
	require.NoError(t, err)
	out := edit(string(b))
	require.NotEqual(t, string(b), out, "the edit must change the stack file")
	f := filepath.Join(t.TempDir(), "Pulumi."+env+".yaml")
	require.NoError(t, os.WriteFile(f, []byte(out), 0o600))
	return f
}

// runFile runs the whole program over a stack file loaded the way the CLI loads it.
func runFile(t *testing.T, stackName, file string) (mockgraph.Graph, error) {
	t.Helper()
	st, err := LoadStack(file)
	require.NoError(t, err)
	g, _, err := mockgraph.Run(t, program.Run, mockgraph.Options{Stack: stackName, Config: st.Config, SecretKeys: st.SecretKeys})
	return g, err
}

// TestBadInputNeverPassesSilently: the three edits of Pulumi.dev.yaml each stop the program before it
// registers anything, with a message naming the key and the fix, and never the value.
func TestBadInputNeverPassesSilently(t *testing.T) {
	cases := []struct {
		name   string
		env    string
		edit   func(string) string
		want   string
		absent string
	}{
		{"a misspelled top-level key", "dev", func(s string) string {
			return strings.Replace(s, "  platform:gpuPools:\n", "  platform:gpupool:\n", 1)
		}, "gpupool: unknown key platform:gpupool; did you mean platform:gpuPools?", ""},
		{"a credential in plain text", "dev", func(s string) string {
			return strings.Replace(s, "config:\n", "config:\n  platform:grafanaAdminPassword: hunter2\n", 1)
		}, "grafanaAdminPassword: is stored in plain text; a credential must be encrypted in the stack file. " +
			"Replace it with: pulumi config set --secret platform:grafanaAdminPassword <value> --stack dev", "hunter2"},
		{"a dev stack that says prod", "dev", func(s string) string {
			return strings.Replace(s, "platform:environment: dev\n", "platform:environment: prod\n", 1)
		}, `environment: "prod" but the stack name "dev" says dev; one of the two is a mistake`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := runFile(t, tc.env, editedStack(t, tc.env, tc.edit))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.absent != "" {
				assert.NotContains(t, err.Error(), tc.absent, "the value is never echoed")
			}
			assert.Empty(t, g.Resources, "nothing may be registered for a refused configuration")
		})
	}
	// The sharpest form: prod's file, valid for prod, deployed as the stack "dev". Only the name disagrees.
	t.Run("prod's file under the stack name dev", func(t *testing.T) {
		g, err := runFile(t, "dev", filepath.Join(Root(), "Pulumi.prod.yaml"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid stack configuration (1 problem; nothing was created):\n"+
			`  - environment: "prod" but the stack name "dev" says dev; one of the two is a mistake, and the program and `+
			`the policy pack would apply prod's rules. Make them agree, or, if the stack name is deliberately custom, `+
			`declare it: pulumi config set platform:customStackName dev --stack dev`)
		assert.Empty(t, g.Resources, "nothing may be registered for a refused configuration")
	})
}

// TestAnEncryptedCredentialAndADeclaredCustomNameAreAccepted: the two ways of getting it right.
func TestAnEncryptedCredentialAndADeclaredCustomNameAreAccepted(t *testing.T) {
	// A secure: value as `pulumi config set --secret` writes it (the ciphertext is opaque to the loader).
	secure := editedStack(t, "dev", func(s string) string {
		return strings.Replace(s, "config:\n", "config:\n  platform:grafanaAdminPassword:\n    secure: v1:c3RhbmQtaW4=:c3RhbmQtaW4tY2lwaGVydGV4dA==\n", 1)
	})
	st, err := LoadStack(secure)
	require.NoError(t, err)
	assert.Equal(t, []string{"platform:grafanaAdminPassword"}, st.SecretKeys, "LoadStack reports secure: values as secrets")
	g, err := runFile(t, "dev", secure)
	require.NoError(t, err)
	assert.NotEmpty(t, g.Resources)

	// prod's file run as a stack deliberately named "dev-restore": prod's rules, declared.
	custom := editedStack(t, "prod", func(s string) string {
		return strings.Replace(s, "config:\n", "config:\n  platform:customStackName: dev-restore\n", 1)
	})
	g, err = runFile(t, "dev-restore", custom)
	require.NoError(t, err)
	assert.NotEmpty(t, g.Resources)
}

// TestProgramAndPackReadStackNamesAlike: the loader's stack-name check and the pack's stack-name fallback
// share one token table (kept as two copies: the pack does not import the program's packages).
func TestProgramAndPackReadStackNamesAlike(t *testing.T) {
	for _, name := range []string{
		"dev", "staging", "prod", "acme-prod", "prod-eu", "stg-us-east-1", "org/platform/production", "Dev",
		"development", "stage.2", "prd_1", "dev-to-prod", "devops", "ml-sandbox", "preprod", "",
	} {
		named := config.EnvironmentsNamedBy(name)
		env, ok := pack.EnvironmentFromStack(name)
		if len(named) == 0 {
			assert.False(t, ok, "%q: the pack finds an environment the loader does not", name)
			continue
		}
		assert.True(t, ok, "%q: the loader finds %v, the pack none", name, named)
		// Several environments: the pack takes the strictest, the last in config.Environments' order.
		assert.Equal(t, string(named[len(named)-1]), string(env), "%q", name)
	}
}
