package config

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineConfig is s as the engine hands it to a program: full keys ("platform:network"), structured values as
// JSON.
func (s stack) engineConfig() map[string]string {
	out := map[string]string{}
	for k := range s {
		v, _ := s.get(k)
		out[Namespace+":"+k] = v
	}
	return out
}

// loadInline runs Load on a context built the way the Automation API's inline runtime builds it (the sandbox's
// path: auto's languageRuntimeServer.Run passes the engine's config map and secret keys in RunInfo).
func loadInline(t *testing.T, stackName string, cfg map[string]string, secretKeys ...string) (*Config, error) {
	t.Helper()
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: Namespace, Stack: stackName, Config: cfg, ConfigSecretKeys: secretKeys,
	})
	require.NoError(t, err)
	return Load(ctx)
}

type noMocks struct{}

func (noMocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return a.Name, a.Inputs, nil
}
func (noMocks) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) { return a.Args, nil }

// loadFromEnv runs Load the way the Go language host runs main.go (and the mock harness runs tests): the
// engine's config map and secret keys arrive in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS.
func loadFromEnv(t *testing.T, stackName string, cfg map[string]string, secretKeys ...string) (*Config, error) {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfig, string(raw))
	keys, err := json.Marshal(secretKeys)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfigSecretKeys, string(keys))
	var c *Config
	var loadErr error
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		c, loadErr = Load(ctx)
		return nil
	}, pulumi.WithMocks(Namespace, stackName, noMocks{}))
	require.NoError(t, err)
	return c, loadErr
}

var loaders = map[string]func(*testing.T, string, map[string]string, ...string) (*Config, error){
	"inline": loadInline, "env": loadFromEnv,
}

func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	require.Error(t, err)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want *ValidationError, got %T: %v", err, err)
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		out[i] = p.String()
	}
	return out
}

func TestLoadReadsAValidStackThroughBothPaths(t *testing.T) {
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			c, err := load(t, "dev", validStack(Dev).engineConfig())
			require.NoError(t, err)
			assert.Equal(t, Dev, c.Environment)
			assert.Contains(t, c.GPUPools, "inference-a")
		})
	}
}

func TestUnknownTopLevelKeysAreRejected(t *testing.T) {
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			cfg := validStack(Dev).engineConfig()
			// The case: gpuPools misspelled, so the pools would silently become "none".
			cfg["platform:gpupool"] = cfg["platform:gpuPools"]
			delete(cfg, "platform:gpuPools")
			cfg["platform:enviroment"] = "dev"
			cfg["platform:flavour"] = "vanilla"
			// Other namespaces belong to other packages (providers, the engine) and are not ours to judge.
			cfg["aws:region"] = "us-west-2"
			cfg["pulumi:disable-default-providers"] = `["*"]`
			_, err := load(t, "dev", cfg)
			got := problemStrings(t, err)
			assert.Contains(t, got, "enviroment: unknown key platform:enviroment; did you mean platform:environment?")
			assert.Contains(t, got, "gpupool: unknown key platform:gpupool; did you mean platform:gpuPools?")
			require.Len(t, got, 3, "got: %v", got)
			// Sorted by key; a key with no near miss lists what the namespace does hold.
			assert.True(t, strings.HasPrefix(got[1], "flavour: unknown key platform:flavour; the platform namespace holds only: "), got[1])
			assert.Contains(t, got[1], "gpuPools")
			assert.NotContains(t, err.Error(), "vanilla", "values are never echoed")
		})
	}
}

func TestPlaintextCredentialsAreRejectedWithoutEchoingThem(t *testing.T) {
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			cfg := validStack(Staging).engineConfig()
			cfg["platform:grafanaAdminPassword"] = "hunter2"
			cfg["platform:vaultToken"] = "hvs.CAESIJ-not-a-real-token"
			_, err := load(t, "staging", cfg)
			got := problemStrings(t, err)
			assert.Equal(t, []string{
				"grafanaAdminPassword: is stored in plain text; a credential must be encrypted in the stack file. " +
					"Replace it with: pulumi config set --secret platform:grafanaAdminPassword <value> --stack staging " +
					"(and rotate it if the plain value was ever committed)",
				"vaultToken: is stored in plain text; a credential must be encrypted in the stack file. " +
					"Replace it with: pulumi config set --secret platform:vaultToken <value> --stack staging " +
					"(and rotate it if the plain value was ever committed)",
			}, got)
			assert.NotContains(t, err.Error(), "hunter2")
			assert.NotContains(t, err.Error(), "hvs.")
		})
	}
}

func TestEncryptedCredentialsAreAccepted(t *testing.T) {
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			cfg := validStack(Staging).engineConfig()
			cfg["platform:grafanaAdminPassword"] = "hunter2"
			cfg["platform:vaultToken"] = "hvs.token"
			_, err := load(t, "staging", cfg, "platform:grafanaAdminPassword", "platform:vaultToken")
			assert.NoError(t, err)
		})
	}
}

func TestTheStackNameAndEnvironmentMustAgree(t *testing.T) {
	cases := []struct {
		stack  string
		env    Environment
		custom string // platform:customStackName
		want   string // a problem, or "" for a valid stack
	}{
		{stack: "dev", env: Dev},
		{stack: "acme-staging", env: Staging},
		{stack: "prod-eu_1", env: Prod},
		{stack: "org/platform/production", env: Prod},
		{stack: "sandbox", env: Dev, want: ""},     // no environment token: platform:environment decides
		{stack: "devops-lab", env: Prod, want: ""}, // "devops" is not the token "dev"
		{stack: "dev", env: Prod, custom: "dev"},   // the deliberate escape
		{stack: "dr-prod-copy", env: Staging, custom: "dr-prod-copy"},
		{stack: "dev", env: Prod, want: `environment: "prod" but the stack name "dev" says dev; one of the two is a mistake, and the program and the policy pack would apply prod's rules. Make them agree, or, if the stack name is deliberately custom, declare it: pulumi config set platform:customStackName dev --stack dev`},
		{stack: "acme-stg", env: Dev, want: `environment: "dev" but the stack name "acme-stg" says staging;`},
		{stack: "dev-to-prod", env: Prod, want: `environment: "prod" but the stack name "dev-to-prod" says dev and prod;`},
		{stack: "prod", env: Dev, custom: "dev", want: `customStackName: "dev" does not name this stack ("prod"); it excuses only the stack it names`},
	}
	for _, tc := range cases {
		t.Run(tc.stack+"/"+string(tc.env), func(t *testing.T) {
			s := validStack(tc.env)
			if tc.custom != "" {
				s["customStackName"] = tc.custom
			}
			_, err := loadInline(t, tc.stack, s.engineConfig())
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			got := problemStrings(t, err)
			found := false
			for _, p := range got {
				found = found || strings.HasPrefix(p, tc.want)
			}
			assert.True(t, found, "want a problem starting\n  %s\ngot:\n  %s", tc.want, strings.Join(got, "\n  "))
		})
	}
}
