//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// assertVolumeRetention checks the StatefulSets the Loki and Tempo charts rendered, as the API server stored them
// (state outputs): outside prod their claims are deleted with the StatefulSet, in prod retained (Tempo's chart
// leaves the field out there, and the API server defaults it to Retain). It returns how many it checked.
func assertVolumeRetention(t *testing.T, stack string, d deployment) int {
	t.Helper()
	charts := map[string]bool{}
	for _, r := range d.Deployment.Resources {
		if r.Type == "kubernetes:helm.sh/v4:Chart" && (strings.HasSuffix(r.URN, "-observability-loki") || strings.HasSuffix(r.URN, "-observability-tempo")) {
			charts[r.URN] = true
		}
	}
	want := "Delete"
	if stack == "prod" {
		want = "Retain"
	}
	checked := 0
	for _, r := range d.Deployment.Resources {
		if r.Type != "kubernetes:apps/v1:StatefulSet" || !charts[r.Parent] {
			continue
		}
		spec, _ := r.Outputs["spec"].(map[string]any)
		policy, _ := spec["persistentVolumeClaimRetentionPolicy"].(map[string]any)
		assert.Equal(t, want, policy["whenDeleted"], "%s: %s persistentVolumeClaimRetentionPolicy %v", stack, r.URN, policy)
		checked++
	}
	assert.Equal(t, 2, checked, "%s: Loki and Tempo each render one StatefulSet", stack)
	return checked
}
