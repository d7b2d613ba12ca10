package driver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sandbox's AWS config maps the stack's profile to its deploy role, so the stand-in knows who creates
// the cluster; a stack without them gets a file with no profile (never the user's ~/.aws/config).
func TestAWSConfigNamesTheStacksProfileAndDeployRole(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "Pulumi.staging.yaml")
	require.NoError(t, os.WriteFile(stack, []byte("config:\n  platform:aws:\n    region: us-west-2\n    profile: platform-staging\n    assumeRoleArn: arn:aws:iam::222222222222:role/platform-deployer\n"), 0o600))
	path, err := writeAWSConfig(Options{StateDir: dir, StackFile: stack})
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "[profile platform-staging]\nrole_arn = arn:aws:iam::222222222222:role/platform-deployer\n")

	require.NoError(t, os.WriteFile(stack, []byte("config:\n  platform:aws:\n    region: us-west-2\n"), 0o600))
	path, err = writeAWSConfig(Options{StateDir: dir, StackFile: stack})
	require.NoError(t, err)
	b, _ = os.ReadFile(path)
	assert.NotContains(t, string(b), "[profile")
}
