// Package tests holds whole-program tests: each real Pulumi.<env>.yaml run through the program against the
// recording stand-in monitor (internal/mockgraph), with each environment's invariants asserted.
package tests

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Root is the repository root (where Pulumi.yaml lives).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Stack is a stack file as the engine hands it to the program: every config value by full key (structured
// values as JSON) and the keys whose values are secrets.
type Stack struct {
	Config map[string]string
	// SecretKeys are the keys stored encrypted (`secure:`); their values in Config are the ciphertext, since
	// tests never hold the stack's passphrase.
	SecretKeys []string
}

// StackConfig loads a stack file the way the CLI does (validated against Pulumi.yaml's config schema) and
// returns its values in the form the SDK receives them: full keys, structured values as JSON.
func StackConfig(stackFile string) (map[string]string, error) {
	s, err := LoadStack(stackFile)
	return s.Config, err
}

// LoadStack is StackConfig with the secret keys, for runs that must see which values are secrets (the loader
// refuses a credential stored in plain text).
func LoadStack(stackFile string) (Stack, error) {
	out, secret, err := loadStack(stackFile)
	sort.Strings(secret)
	return Stack{Config: out, SecretKeys: secret}, err
}

func loadStack(stackFile string) (map[string]string, []string, error) {
	proj, err := workspace.LoadProject(filepath.Join(Root(), "Pulumi.yaml"))
	if err != nil {
		return nil, nil, fmt.Errorf("Pulumi.yaml: %w", err)
	}
	ps, err := workspace.LoadProjectStack(diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never}), proj, stackFile)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", stackFile, err)
	}
	out := map[string]string{}
	var secret []string
	for k, v := range ps.Config {
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", stackFile, k, err)
		}
		out[k.String()] = s
		if v.Secure() {
			secret = append(secret, k.String())
		}
	}
	// Merge the project's config the way the CLI does before it runs a program: a key of the project's
	// namespace declared without a default or value is required; otherwise the default (or value) applies.
	var missing []string
	for k, decl := range proj.Config {
		if _, set := out[k]; set {
			continue
		}
		v := decl.Value
		if decl.Default != nil {
			v = decl.Default
		}
		if v == nil {
			if strings.HasPrefix(k, proj.Name.String()+":") {
				missing = append(missing, k)
			}
			continue
		}
		b, err := jsonValue(v)
		if err != nil {
			return nil, nil, err
		}
		out[k] = b
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, fmt.Errorf("%s: missing required configuration values %s", stackFile, strings.Join(missing, ", "))
	}
	return out, secret, nil
}

func loadProject() (*workspace.Project, error) {
	return workspace.LoadProject(filepath.Join(Root(), "Pulumi.yaml"))
}
