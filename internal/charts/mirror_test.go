package charts_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
	"github.com/platform-team/platform/internal/config"
)

// The offline chart mirror (../shared/charts beside the clone) holds what each chart repository published
// and the archives themselves. These tests prove every catalogue pin against it; the values keys each
// component sets are proven against the same archives by chartstest.AssertKnownKeys in the component tests.

func mirror(t *testing.T) string {
	t.Helper()
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	return dir
}

// A pin that was never published fails `pulumi up` in every real cluster.
func TestCataloguePinsArePublished(t *testing.T) {
	published, err := chartmirror.LoadPublished(mirror(t))
	require.NoError(t, err)
	var problems []string
	for _, c := range charts.All() {
		if err := published.Check(c.Repo, c.Chart, c.Version); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.Name, err))
		}
	}
	report(t, "catalogue pins never published upstream", problems)
}

// Every pin's archive is in the mirror and is the chart it claims to be, so the values-key checks and the
// proving ground can read it.
func TestCatalogueArchivesAreInTheMirror(t *testing.T) {
	dir := mirror(t)
	var problems []string
	for _, c := range charts.All() {
		a, err := chartmirror.Open(dir, c.Chart, c.Version)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.Name, err))
			continue
		}
		if a.Name != c.Chart {
			problems = append(problems, fmt.Sprintf("%s: archive %s holds chart %q", c.Name, chartmirror.ArchivePath(dir, c.Chart, c.Version), a.Name))
		}
	}
	report(t, "catalogue pins without a usable archive in "+dir, problems)
}

// Every pin supports every Kubernetes version a cluster may run: the chart's own kubeVersion constraint and,
// for charts that state none (Istio), the minimum the mirror's MANIFEST.tsv records from upstream.
func TestCataloguePinsSupportTheClusterKubernetesVersions(t *testing.T) {
	dir := mirror(t)
	manifest, err := chartmirror.LoadManifest(dir)
	require.NoError(t, err)
	var problems []string
	for _, c := range charts.All() {
		a, err := chartmirror.Open(dir, c.Chart, c.Version)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.Name, err))
			continue
		}
		for _, k := range config.SupportedKubernetesVersions {
			ok, err := chartmirror.KubeVersionAllows(a.KubeVersion, k)
			if err != nil || !ok {
				problems = append(problems, fmt.Sprintf("%s %s: kubeVersion %q does not admit Kubernetes %s (%v)", c.Name, c.Version, a.KubeVersion, k, err))
			}
			if m := manifest[c.Chart+"@"+c.Version].MinKubernetes; m != "" && chartmirror.MinorLess(k, m) {
				problems = append(problems, fmt.Sprintf("%s %s: needs Kubernetes >= %s (MANIFEST.tsv), clusters may run %s", c.Name, c.Version, m, k))
			}
		}
	}
	report(t, "catalogue pins that do not support every cluster Kubernetes version", problems)
}

// Chart currency: no pin lags more than one published release line (major.minor) behind the newest release
// in the mirror's snapshot of its repository. Refreshing the mirror can fail this test; that is its job:
// move the pin (the mirror holds the newest release) and record the upgrade notes in docs/services.md.
func TestCatalogueIsCurrent(t *testing.T) {
	published, err := chartmirror.LoadPublished(mirror(t))
	require.NoError(t, err)
	var problems []string
	for _, c := range charts.All() {
		r, ok := published[c.Chart]
		if !ok {
			continue // reported by TestCataloguePinsArePublished
		}
		behind, err := r.LinesBehind(c.Version)
		require.NoError(t, err, c.Name)
		if behind > 1 {
			problems = append(problems, fmt.Sprintf("%s %s is %d release lines behind the newest published %s (%s)", c.Name, c.Version, behind, r.Newest(), r.Source))
		}
	}
	report(t, "catalogue pins lagging the mirror's snapshot (move each to a newer release in ../shared/charts "+
		"and note the upgrade in docs/services.md)", problems)
}

func report(t *testing.T, what string, problems []string) {
	t.Helper()
	if len(problems) > 0 {
		t.Errorf("%s:\n  %s", what, strings.Join(problems, "\n  "))
	}
}
