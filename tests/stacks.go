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

// StackConfig loads a stack file the way the CLI does (validated against Pulumi.yaml's config schema) and
// returns its values in the form the SDK receives them: full keys, structured values as JSON.
func StackConfig(stackFile string) (map[string]string, error) {
	proj, err := workspace.LoadProject(filepath.Join(Root(), "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("Pulumi.yaml: %w", err)
	}
	ps, err := workspace.LoadProjectStack(diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never}), proj, stackFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stackFile, err)
	}
	out := map[string]string{}
	for k, v := range ps.Config {
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", stackFile, k, err)
		}
		out[k.String()] = s
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
			return nil, err
		}
		out[k] = b
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s: missing required configuration values %s", stackFile, strings.Join(missing, ", "))
	}
	return out, nil
}

func loadProject() (*workspace.Project, error) {
	return workspace.LoadProject(filepath.Join(Root(), "Pulumi.yaml"))
}
