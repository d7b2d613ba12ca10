package config

import "fmt"

// RunRoleEnv names the environment variable that picks, per run, which of the stack's roles the aws provider
// assumes and the kubeconfig authenticates as, without editing the stack file: CI sets it to readOnly for
// pull-request previews and the nightly drift check and leaves it unset (deploy) for `pulumi up`.
const RunRoleEnv = "PLATFORM_AWS_ROLE"

// Run roles, the values RunRoleEnv accepts.
const (
	// RunRoleDeploy assumes aws.assumeRoleArn (the default).
	RunRoleDeploy = "deploy"
	// RunRoleReadOnly assumes aws.readOnlyRoleArn.
	RunRoleReadOnly = "readOnly"
)

// RunRoleArn is the role this run assumes for the selector (RunRoleEnv's value; empty means deploy). It is
// "" for a deploy run of a stack without aws.assumeRoleArn: ambient credentials.
func (a AWS) RunRoleArn(selector string) (string, error) {
	switch selector {
	case "", RunRoleDeploy:
		return a.AssumeRoleArn, nil
	case RunRoleReadOnly:
		if a.ReadOnlyRoleArn == "" {
			return "", fmt.Errorf("%s=%s: the stack sets no platform:aws.readOnlyRoleArn to assume", RunRoleEnv, selector)
		}
		return a.ReadOnlyRoleArn, nil
	}
	return "", fmt.Errorf("%s=%q: use %s (default) or %s", RunRoleEnv, selector, RunRoleDeploy, RunRoleReadOnly)
}
