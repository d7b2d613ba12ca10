package charts

import (
	"regexp"
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
