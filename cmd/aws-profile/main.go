// Command aws-profile prints the AWS shared-config profile one run of a stack authenticates with. The
// program names the profile (platform:aws.profile, default platform-<environment>) in the aws provider and in
// every kubeconfig, and never a role ARN, so what Pulumi stores is the same for every run; this profile is
// where a run's role is chosen instead: the deploy role (platform:aws.assumeRoleArn) for `pulumi up`, the
// read-only role (platform:aws.readOnlyRoleArn) for previews and drift checks.
//
//	go run ./cmd/aws-profile -stack staging -role readOnly >> "$AWS_CONFIG_FILE"
//
// By default the profile assumes the role from the credentials in the environment (CI's OIDC session:
// credential_source = Environment); -source-profile names a profile of yours instead (for example an SSO
// one) for runs from a workstation.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/internal/config"
)

// Roles a run may take.
const (
	RoleDeploy   = "deploy"
	RoleReadOnly = "readOnly"
)

func main() {
	stack := flag.String("stack", "", "stack whose Pulumi.<stack>.yaml names the roles (required)")
	role := flag.String("role", "", "deploy (pulumi up) or readOnly (preview, drift check) (required)")
	source := flag.String("source-profile", "", "profile holding the credentials to assume the role from (default: the environment's)")
	session := flag.String("session", "", "role session name (default: platform-<stack>-<role>)")
	dir := flag.String("dir", ".", "directory holding the stack files")
	flag.Parse()
	if err := run(os.Stdout, *dir, *stack, *role, *source, *session); err != nil {
		fmt.Fprintf(os.Stderr, "aws-profile: %v\n", err)
		os.Exit(2)
	}
}

var sessionRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func run(w io.Writer, dir, stack, role, source, session string) error {
	if stack == "" {
		return fmt.Errorf("-stack is required")
	}
	a, env, err := readAWS(filepath.Join(dir, fmt.Sprintf("Pulumi.%s.yaml", stack)))
	if err != nil {
		return err
	}
	var arn, field string
	switch role {
	case RoleDeploy:
		arn, field = a.AssumeRoleArn, "assumeRoleArn"
	case RoleReadOnly:
		arn, field = a.ReadOnlyRoleArn, "readOnlyRoleArn"
	default:
		return fmt.Errorf("-role %q: use %s (pulumi up) or %s (preview, drift check)", role, RoleDeploy, RoleReadOnly)
	}
	if arn == "" {
		return fmt.Errorf("stack %s sets no platform:aws.%s for a %s run", stack, field, role)
	}
	profile := a.Profile
	if profile == "" {
		profile = "platform-" + env // config.ApplyDefaults' default
	}
	if session == "" {
		session = fmt.Sprintf("platform-%s-%s", stack, role)
	}
	if !sessionRe.MatchString(session) {
		return fmt.Errorf("-session %q: 2 to 64 letters, digits and +=,.@_-", session)
	}
	fmt.Fprintf(w, "[profile %s]\nrole_arn = %s\nrole_session_name = %s\nregion = %s\n", profile, arn, session, a.Region)
	if source != "" {
		fmt.Fprintf(w, "source_profile = %s\n", source)
	} else {
		fmt.Fprintf(w, "credential_source = Environment\n")
	}
	return nil
}

// readAWS reads platform:aws and platform:environment from a stack file.
func readAWS(path string) (config.AWS, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return config.AWS{}, "", err
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		return config.AWS{}, "", fmt.Errorf("%s: %w", path, err)
	}
	env, _ := file.Config[config.Namespace+":environment"].(string)
	raw, ok := file.Config[config.Namespace+":aws"]
	if !ok || env == "" {
		return config.AWS{}, "", fmt.Errorf("%s: needs %s:environment and %s:aws", path, config.Namespace, config.Namespace)
	}
	j, err := json.Marshal(raw)
	if err != nil {
		return config.AWS{}, "", err
	}
	var a config.AWS
	dec := json.NewDecoder(strings.NewReader(string(j)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return config.AWS{}, "", fmt.Errorf("%s: %s:aws: %w", path, config.Namespace, err)
	}
	return a, env, nil
}
