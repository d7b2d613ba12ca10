package pack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/policies/pack"
)

// TestREADMEIsCurrent fails when policies/README.md differs from what the catalogue renders.
// UPDATE_POLICY_README=1 (make policy-readme) rewrites it instead.
func TestREADMEIsCurrent(t *testing.T) {
	path := filepath.Join("..", "README.md")
	want := pack.README()
	if os.Getenv("UPDATE_POLICY_README") == "1" {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "policies/README.md is missing: run `make policy-readme`")
	if string(got) != want {
		t.Fatalf("policies/README.md is stale: run `make policy-readme` and commit the result")
	}
}

// TestREADMEListsEveryPolicy: every policy appears with its levels and controls.
func TestREADMEListsEveryPolicy(t *testing.T) {
	readme := pack.README()
	for _, p := range pack.Policies() {
		assert.Contains(t, readme, "| `"+p.ID+"`", p.ID)
		for _, c := range p.Controls {
			assert.Contains(t, readme, c.Ref, p.ID)
		}
	}
	for _, section := range []string{"## Adding a policy", "## Overriding a level or a threshold", "## Recording an exception"} {
		assert.Contains(t, readme, section)
	}
	assert.False(t, strings.Contains(readme, "\t"), "tables render without tabs")
}
