package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pulumi-eks v2.8.1's kubeconfig passes the role as `--role`, which the AWS CLI takes as --role-arn (an
// unambiguous prefix); the profile comes from AWS_PROFILE in the exec environment.
func TestGetTokenTakesTheOptionsTheAWSCLITakes(t *testing.T) {
	log := filepath.Join(t.TempDir(), "aws.log")
	t.Setenv("PLATFORM_SANDBOX_KUBE_TOKEN", "tok")
	t.Setenv("PLATFORM_SANDBOX_AWS_LOG", log)
	t.Setenv("AWS_PROFILE", "platform-staging")
	stdout := os.Stdout
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()

	require.NoError(t, run([]string{"eks", "get-token", "--cluster-name", "platform-staging", "--output", "json",
		"--role", "arn:aws:iam::222222222222:role/platform-deployer", "--region", "us-west-2"}))
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	var got map[string]string
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(string(b))), &got))
	assert.Equal(t, map[string]string{"cluster-name": "platform-staging", "output": "json", "region": "us-west-2",
		"role-arn": "arn:aws:iam::222222222222:role/platform-deployer", "profile": "platform-staging"}, got)

	require.EqualError(t, run([]string{"eks", "get-token", "--cluster", "c"}),
		"eks get-token: ambiguous option: --cluster could match --cluster-name, --cluster-id")
	require.EqualError(t, run([]string{"eks", "get-token", "--cluster-name", "c", "--rolearn", "x"}),
		"eks get-token: unknown option --rolearn")
}
