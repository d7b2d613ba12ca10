package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Per stack and run: the profile the program names, resolving to the run's role.
func TestTheProfileResolvesToTheRunsRole(t *testing.T) {
	var b strings.Builder
	require.NoError(t, run(&b, "../..", "staging", RoleReadOnly, "", ""))
	assert.Equal(t, "[profile platform-staging]\nrole_arn = arn:aws:iam::222222222222:role/platform-readonly\n"+
		"role_session_name = platform-staging-readOnly\nregion = us-west-2\ncredential_source = Environment\n", b.String())

	b.Reset()
	require.NoError(t, run(&b, "../..", "prod", RoleDeploy, "my-sso", "deploy-42"))
	assert.Equal(t, "[profile platform-prod]\nrole_arn = arn:aws:iam::333333333333:role/platform-deployer\n"+
		"role_session_name = deploy-42\nregion = us-east-1\nsource_profile = my-sso\n", b.String())

	require.EqualError(t, run(&b, "../..", "prod", "admin", "", ""), `-role "admin": use deploy (pulumi up) or readOnly (preview, drift check)`)
	require.ErrorContains(t, run(&b, "../..", "nope", RoleDeploy, "", ""), "Pulumi.nope.yaml")
}
