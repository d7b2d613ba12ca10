//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badInputStack writes a copy of the real Pulumi.<stack>.yaml with edit applied, as a user editing the file
// would, and returns its path.
func badInputStack(t *testing.T, stack string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "Pulumi."+stack+".yaml"))
	require.NoError(t, err)
	out := edit(string(b))
	require.NotEqual(t, string(b), out, "the edit must change the stack file")
	f := filepath.Join(t.TempDir(), "Pulumi."+stack+".yaml")
	require.NoError(t, os.WriteFile(f, []byte(out), 0o600))
	return f
}

// TestBadInputStopsPreviewAndCreatesNothing is issue 12 through the real engine, the way `make preview STACK=dev`
// runs (the sandbox driver, the inline program, the policy pack): each of the three edits of Pulumi.dev.yaml
// fails the preview with the loader's message, never echoes a value, and an up afterwards creates nothing.
func TestBadInputStopsPreviewAndCreatesNothing(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(string) string
		want   string
		absent string
	}{
		{"a misspelled top-level key", func(s string) string {
			return strings.Replace(s, "  platform:gpuPools:\n", "  platform:gpupool:\n", 1)
		}, "gpupool: unknown key platform:gpupool; did you mean platform:gpuPools?", ""},
		{"a credential in plain text", func(s string) string {
			return strings.Replace(s, "config:\n", "config:\n  platform:vaultToken: hvs.plain-text-stand-in\n", 1)
		}, "vaultToken: is stored in plain text; a credential must be encrypted in the stack file. " +
			"Replace it with: pulumi config set --secret platform:vaultToken <value> --stack dev", "hvs.plain-text-stand-in"},
		{"a dev stack that says prod", func(s string) string {
			return strings.Replace(s, "platform:environment: dev\n", "platform:environment: prod\n", 1)
		}, `environment: "prod" but the stack name "dev" says dev; one of the two is a mistake`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			sb := open(t, "dev", badInputStack(t, "dev", tc.edit))

			pre, err := sb.Preview(ctx)
			require.Error(t, err, "preview must fail:\n%s", pre.Stdout)
			msg := err.Error()
			assert.Contains(t, msg, "invalid stack configuration")
			assert.Contains(t, msg, tc.want)
			if tc.absent != "" {
				assert.NotContains(t, msg, tc.absent, "the value is never echoed")
			}
			assert.Empty(t, pre.Verdict.Mandatory, "the program stops before the policy pack sees a resource")
			if testing.Verbose() {
				t.Logf("preview output as the user sees it:\n%s", msg)
			}

			_, err = sb.Up(ctx)
			require.Error(t, err, "up must be refused too")
			_, d := exportOf(t, sb)
			assert.Empty(t, d.Deployment.Resources, "nothing may be created for a refused configuration")
		})
	}
}
