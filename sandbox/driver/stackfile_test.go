package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stack file as `pulumi stack init` and `pulumi config set --secret [--path]`
// leave it: the salt of the real passphrase provider and secure: values at the
// top level, in an object and in a list. The ciphertexts are the CLI's own
// output for a passphrase the sandbox does not know.
const secureStackFile = `# dev: a comment the sandbox keeps
config:
  platform:environment: dev
  platform:grafanaAdminPassword:
    secure: v1:DME2mSIMXAmNgmvV:X9QRWdx3LmYj3FCpZNLd/DoEoSWKAqPNltyzHA==
  platform:aws:
    region: us-west-2
    extra-creds:
      token:
        secure: v1:c2VjcmV0MQ==:b3RoZXJjaXBoZXJ0ZXh0
  platform:observability:
    slos:
      - service: llm-gateway
        objective: 99.0
      - secure: v1:bGlzdGl0ZW0=:bGlzdGNpcGhlcg==
encryptionsalt: v1:o3OhAYEdj14=:v1:vTy5m+VHlxGutkvT:cUlPPENAiqnn+xqP6jdKYwGY7AKeng==
`

func TestWriteStackFileReplacesSecureValuesWithStandIns(t *testing.T) {
	dir := t.TempDir()
	opts := Options{RepoRoot: dir, StateDir: dir, Stack: "dev", StackFile: filepath.Join(dir, "Pulumi.dev.yaml")}
	require.NoError(t, os.WriteFile(opts.StackFile, []byte(secureStackFile), 0o644))
	require.NoError(t, os.MkdirAll(opts.projectDir(), 0o755))

	secrets, err := writeStackFile(opts)
	require.NoError(t, err)
	assert.ElementsMatch(t, []standInSecret{
		{Key: "platform:grafanaAdminPassword"},
		{Key: `platform:aws["extra-creds"].token`, Path: true},
		{Key: "platform:observability.slos[1]", Path: true},
	}, secrets)

	copied, err := os.ReadFile(filepath.Join(opts.projectDir(), "Pulumi.dev.yaml"))
	require.NoError(t, err)
	text := string(copied)
	assert.NotContains(t, text, "secure", "no ciphertext reaches the sandbox copy")
	assert.NotContains(t, text, "encryptionsalt", "the real stack's salt is dropped")
	assert.Equal(t, 3, strings.Count(text, StandInSecret))

	// The copy still loads as a stack file, values other than the secrets intact.
	ps, err := workspace.LoadProjectStack(nil, &workspace.Project{Name: "platform"}, filepath.Join(opts.projectDir(), "Pulumi.dev.yaml"))
	require.NoError(t, err)
	assert.False(t, ps.Config.HasSecureValue())
	values, err := ps.Config.Decrypt(config.NopDecrypter)
	require.NoError(t, err)
	get := func(k string) string { return values[config.MustParseKey(k)] }
	assert.Equal(t, "dev", get("platform:environment"))
	assert.Equal(t, StandInSecret, get("platform:grafanaAdminPassword"))
	assert.JSONEq(t, `{"region":"us-west-2","extra-creds":{"token":"`+StandInSecret+`"}}`, get("platform:aws"))
	assert.JSONEq(t, `{"slos":[{"service":"llm-gateway","objective":99.0},"`+StandInSecret+`"]}`, get("platform:observability"))
}

func TestWriteStackFileLeavesPlainFilesAsTheyAre(t *testing.T) {
	dir := t.TempDir()
	opts := Options{RepoRoot: dir, StateDir: dir, Stack: "dev", StackFile: filepath.Join(dir, "Pulumi.dev.yaml")}
	plain := "# a comment\nsecretsprovider: awskms://alias/platform-pulumi-secrets?region=us-west-2\nencryptedkey: AQID\nconfig:\n  platform:environment: dev # why\n  platform:note: insecure is a word, not a secret\n"
	require.NoError(t, os.WriteFile(opts.StackFile, []byte(plain), 0o644))
	require.NoError(t, os.MkdirAll(opts.projectDir(), 0o755))
	require.NoError(t, os.MkdirAll(opts.backendDir(), 0o755))
	require.NoError(t, os.WriteFile(opts.saltFile(), []byte("v1:sandbox-salt\n"), 0o644))

	secrets, err := writeStackFile(opts)
	require.NoError(t, err)
	assert.Empty(t, secrets)
	copied, err := os.ReadFile(filepath.Join(opts.projectDir(), "Pulumi.dev.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "# a comment\nconfig:\n  platform:environment: dev # why\n  platform:note: insecure is a word, not a secret\nencryptionsalt: v1:sandbox-salt\n", string(copied),
		"the real secrets provider is replaced by the sandbox's salt; nothing else changes")
}

func TestReplaceSecureValuesNamesKeysItCannotPath(t *testing.T) {
	_, _, err := replaceSecureValues("config:\n  platform:a.b:\n    x:\n      secure: v1:abc:def\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `config key "platform:a.b" holds a nested secure value`)
	assert.NotContains(t, err.Error(), "v1:abc:def", "errors never carry the ciphertext")
}

func TestPathSegment(t *testing.T) {
	for in, want := range map[string]string{
		"token":   ".token",
		"a_b9":    ".a_b9",
		"a-b":     `["a-b"]`,
		"a.b":     `["a.b"]`,
		`say"hi"`: `["say\"hi\""]`,
	} {
		assert.Equal(t, want, pathSegment(in), in)
	}
}
