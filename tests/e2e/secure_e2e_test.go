//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/program"
	"github.com/platform-team/platform/sandbox/driver"
)

// secureRepoRoot is the repository root (this file is tests/e2e/...).
func secureRepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// stackFileWithSecrets does what a user does: `pulumi stack init dev` and
// `pulumi config set --secret` with the real CLI, on a copy of the real dev
// stack file, with a passphrase the sandbox never sees. It returns the stack
// file (salt and secure: values included) and the plaintexts.
func stackFileWithSecrets(t *testing.T) (string, []string) {
	t.Helper()
	root := secureRepoRoot()
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "state"), 0o755))
	env := append(os.Environ(),
		"PULUMI_HOME="+filepath.Join(dir, "home"),
		"PULUMI_BACKEND_URL=file://"+filepath.Join(dir, "state"),
		"PULUMI_CONFIG_PASSPHRASE="+randomHex(t),
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true",
	)
	grafana, vault := "grafana-"+randomHex(t), "hvs."+randomHex(t)
	for _, args := range [][]string{
		{"stack", "init", "dev", "--secrets-provider", "passphrase"},
		{"config", "set", "--secret", "platform:grafanaAdminPassword", grafana},
		{"config", "set", "--secret", "platform:vaultToken", vault},
	} {
		cmd := exec.Command(filepath.Join(root, "bin", "pulumi"), args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "pulumi %s: %s", strings.Join(args, " "), out)
	}
	stackFile := filepath.Join(dir, "Pulumi.dev.yaml")
	b, err := os.ReadFile(stackFile)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(b), "secure:"), "the CLI wrote two encrypted values:\n%s", b)
	require.Contains(t, string(b), "encryptionsalt:")
	return stackFile, []string{grafana, vault}
}

// A stack file holding secure: values (what `pulumi config set --secret`
// leaves in the tracked file) previews in the sandbox: each value is replaced
// by the stand-in secret, set as a secret, and neither the real value nor the
// stand-in is printed.
func TestSandboxAcceptsStackFileWithSecureValues(t *testing.T) {
	root := secureRepoRoot()
	stackFile, plaintexts := stackFileWithSecrets(t)
	original, err := os.ReadFile(stackFile)
	require.NoError(t, err)

	ctx := context.Background()
	stateDir := t.TempDir()
	opts := driver.Options{RepoRoot: root, StateDir: stateDir, Stack: "dev", StackFile: stackFile, Program: program.Run}
	if testing.Verbose() {
		opts.Progress = os.Stdout
	}
	sb, err := driver.Open(ctx, opts)
	require.NoError(t, err, "the sandbox must accept a stack file with secure: values")
	defer sb.Close()

	stack := sb.Stack()
	for _, key := range []string{"platform:grafanaAdminPassword", "platform:vaultToken"} {
		v, err := stack.GetConfig(ctx, key)
		require.NoError(t, err, key)
		assert.True(t, v.Secret, "%s is still a secret in the sandbox", key)
		assert.Equal(t, driver.StandInSecret, v.Value, "%s holds the stand-in, not the real value", key)
	}

	pre, err := sb.Preview(ctx)
	require.NoError(t, err, "preview:\n%s", pre.Stdout)
	assert.Greater(t, pre.Changes["create"], 100, "the whole program planned")

	copied, err := os.ReadFile(filepath.Join(stateDir, "project", "Pulumi.dev.yaml"))
	require.NoError(t, err)
	for _, s := range plaintexts {
		assert.NotContains(t, pre.Stdout, s, "a real secret was printed")
		assert.NotContains(t, string(copied), s)
	}
	assert.NotContains(t, pre.Stdout, driver.StandInSecret, "the stand-in is printed only as [secret]")
	for _, line := range strings.Split(string(original), "\n") {
		if strings.Contains(line, "secure:") {
			assert.NotContains(t, string(copied), strings.TrimSpace(line), "the real ciphertext reached the sandbox copy")
		}
	}
	after, err := os.ReadFile(stackFile)
	require.NoError(t, err)
	assert.Equal(t, string(original), string(after), "the stack file itself is never modified")
}
