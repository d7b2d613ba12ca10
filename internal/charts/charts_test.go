package charts

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var exactSemver = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// officialRepos are the upstream chart repositories this platform accepts (issue 3).
var officialRepos = map[string]bool{
	"https://istio-release.storage.googleapis.com/charts":        true,
	"https://prometheus-community.github.io/helm-charts":         true,
	"https://grafana-community.github.io/helm-charts":            true,
	"https://grafana.github.io/helm-charts":                      true,
	"https://open-telemetry.github.io/opentelemetry-helm-charts": true,
	"https://helm.releases.hashicorp.com":                        true,
	"https://nvidia.github.io/k8s-device-plugin":                 true,
	"https://nvidia.github.io/dcgm-exporter/helm-charts":         true,
	"https://kedacore.github.io/charts":                          true,
	"https://kubernetes.github.io/autoscaler":                    true,
	"https://charts.external-secrets.io":                         true,
}

func TestCatalogueEntriesArePinnedToOfficialRepos(t *testing.T) {
	for _, c := range All() {
		require.Regexp(t, exactSemver, c.Version, "%s: version must be exact", c.Name)
		require.True(t, officialRepos[c.Repo], "%s: repository %s is not an official upstream repository", c.Name, c.Repo)
		require.NotEmpty(t, c.Chart, c.Name)
	}
}

func TestIstioChartsMoveTogether(t *testing.T) {
	base, _ := Lookup(IstioBase)
	for _, n := range []string{Istiod, IstioGateway} {
		c, err := Lookup(n)
		require.NoError(t, err)
		require.Equal(t, base.Version, c.Version, "%s must match istio base", n)
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("nginx")
	require.ErrorContains(t, err, `chart "nginx" is not in the catalogue`)
}

// A version bump without re-verifying the keys we set must fail here, not silently in a cluster.
func TestEveryChartHasKnownKeys(t *testing.T) {
	for _, c := range All() {
		_, err := loadKeys(c)
		require.NoError(t, err, "re-check the values keys for %s %s and add knownkeys/%s-%s.txt", c.Name, c.Version, c.Name, c.Version)
	}
}

func TestNoOrphanKnownKeysFiles(t *testing.T) {
	entries, err := knownKeysFS.ReadDir("knownkeys")
	require.NoError(t, err)
	want := map[string]bool{}
	for _, c := range All() {
		want[fmt.Sprintf("%s-%s.txt", c.Name, c.Version)] = true
	}
	for _, e := range entries {
		require.True(t, want[e.Name()], "knownkeys/%s matches no catalogue entry (stale after a bump?)", e.Name())
	}
}

func TestUnknownKeys(t *testing.T) {
	values := map[string]any{
		"image":        map[string]any{"tag": "v1"},
		"nodeSelector": map[string]any{"anything": "goes"},
		"resources":    map[string]any{"requests": map[string]any{"cpu": "1"}},
		"tolerations":  []any{map[string]any{"key": "x"}},
		"imagee":       map[string]any{"tag": "typo"},
		"gfd":          map[string]any{"enabled": false, "enabeld": true},
	}
	unknown, err := UnknownKeys(NvidiaDevicePlugin, values)
	require.NoError(t, err)
	require.Equal(t, []string{"gfd.enabeld", "imagee.tag"}, unknown)
}

func TestKnownKeysFilesDocumentTheirSource(t *testing.T) {
	for _, c := range All() {
		data, err := knownKeysFS.ReadFile(fmt.Sprintf("knownkeys/%s-%s.txt", c.Name, c.Version))
		if err != nil {
			continue // reported by TestEveryChartHasKnownKeys
		}
		require.True(t, strings.HasPrefix(string(data), "#"), "%s: start with a comment naming the values.yaml copy checked", c.Name)
	}
}
