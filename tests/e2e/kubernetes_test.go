//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/sandbox/controlplane"
)

// assertKubernetesIsReal checks what the real provider and API server did for a stack: every Helm v4 chart
// left its rendered objects in state (so the policy pack and `pulumi policy analyze --file` see them), every
// Helm v3 release is deployed, every custom resource in state belongs to a CRD the API server stores (the
// server accepted it, so the CRD existed first), and every object in state is stored by the API server.
// It returns how many rendered objects the charts left in state.
func assertKubernetesIsReal(t *testing.T, stack string, d deployment, stored []controlplane.Object) int {
	t.Helper()
	storedSet := map[string]bool{}
	crdGroups := map[string]bool{} // API groups served by a stored CRD (named <plural>.<group>)
	for _, o := range stored {
		storedSet[o.String()] = true
		if o.Kind == "CustomResourceDefinition" {
			crdGroups[o.Name[strings.Index(o.Name, ".")+1:]] = true
		}
	}
	children := map[string]int{}
	var charts, releases []stateResource
	for _, r := range d.Deployment.Resources {
		switch {
		case r.Type == "kubernetes:helm.sh/v4:Chart":
			charts = append(charts, r)
		case r.Type == "kubernetes:helm.sh/v3:Release":
			releases = append(releases, r)
		}
		if r.Parent != "" {
			children[r.Parent]++
		}
	}
	require.NotEmpty(t, charts, "%s installs Helm v4 charts", stack)
	var counts []string
	for _, c := range charts {
		assert.Positive(t, children[c.URN], "chart %s left no rendered object in state", c.URN)
		counts = append(counts, fmt.Sprintf("%s=%d", c.URN[strings.LastIndex(c.URN, "::")+2:], children[c.URN]))
	}
	sort.Strings(counts)
	t.Logf("%s: rendered objects per chart: %s", stack, strings.Join(counts, " "))
	rendered := 0
	for _, c := range charts {
		rendered += children[c.URN]
	}
	for _, r := range releases {
		status, _ := r.Outputs["status"].(map[string]any)
		assert.Equal(t, "deployed", status["status"], "release %s", r.URN)
	}
	var missing []string
	for _, r := range d.Deployment.Resources {
		group, kind, ok := kubernetesKind(r.Type)
		if !ok || !r.Custom {
			continue
		}
		meta, _ := r.Outputs["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		if name == "" {
			continue
		}
		if !storedSet[controlplane.Object{Group: group, Kind: kind, Namespace: ns, Name: name}.String()] &&
			!storedSet[controlplane.Object{Group: group, Kind: kind, Name: name}.String()] {
			missing = append(missing, r.Type+" "+ns+"/"+name)
		}
		if !builtinGroup(group) {
			assert.True(t, crdGroups[group], "custom resource %s %s/%s: no CRD of its group is stored", r.Type, ns, name)
		}
	}
	assert.Empty(t, missing, "objects in state that the API server does not store")
	return rendered
}

// splitRetainedCRDs separates what a destroy keeps on purpose from any other object, which a destroy must
// not leave: the CustomResourceDefinitions (chart CRDs are retained on delete, and Helm never deletes a
// chart's crds/ directory; docs/teardown.md) and the APIServices the API server's aggregator registers by
// itself for each of their group versions (kube-aggregator's automanaged local APIServices).
func splitRetainedCRDs(left []string) (crds, others []string) {
	groups := map[string]bool{}
	for _, o := range left {
		if name, ok := strings.CutPrefix(o, "apiextensions.k8s.io/CustomResourceDefinition "); ok {
			crds = append(crds, o)
			groups[name[strings.Index(name, ".")+1:]] = true
		}
	}
	for _, o := range left {
		if strings.HasPrefix(o, "apiextensions.k8s.io/CustomResourceDefinition ") {
			continue
		}
		if name, ok := strings.CutPrefix(o, "apiregistration.k8s.io/APIService "); ok && groups[name[strings.Index(name, ".")+1:]] {
			continue // <version>.<group> of a retained CRD
		}
		others = append(others, o)
	}
	return crds, others
}

// kubernetesKind splits a kubernetes resource type token ("kubernetes:apps/v1:Deployment",
// "kubernetes:core/v1:Namespace") into the API group ("" for core) and kind.
func kubernetesKind(typ string) (group, kind string, ok bool) {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" || strings.HasPrefix(parts[1], "helm.sh") ||
		strings.HasPrefix(parts[1], "yaml") || strings.HasPrefix(parts[1], "kustomize") {
		return "", "", false
	}
	gv := parts[1]
	group = gv[:strings.LastIndex(gv, "/")]
	if group == "core" {
		group = ""
	}
	return group, parts[2], true
}

func builtinGroup(g string) bool {
	if g == "" || !strings.Contains(g, ".") {
		return true // core and the unsuffixed built-in groups (apps, batch, autoscaling, policy)
	}
	return strings.HasSuffix(g, ".k8s.io")
}

// leftBehind lists objects stored after a destroy that were not there before the up.
func leftBehind(before, after []controlplane.Object) []string {
	had := map[string]bool{}
	for _, o := range before {
		had[o.String()] = true
	}
	var out []string
	for _, o := range after {
		if !had[o.String()] {
			out = append(out, o.String())
		}
	}
	return out
}
