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
	"https://kubernetes-sigs.github.io/metrics-server":           true,
	"https://kyverno.github.io/kyverno/":                         true,
	"https://aquasecurity.github.io/helm-charts":                 true,
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

// TestLookupRefusesWhatGuardRefuses: a catalogue entry the pack would refuse never reaches a chart input, because
// every component takes its chart from Lookup.
func TestLookupRefusesWhatGuardRefuses(t *testing.T) {
	catalogue["bad-entry"] = Chart{Repo: "http://charts.example.com", Chart: "bad", Version: "^1.2"}
	t.Cleanup(func() { delete(catalogue, "bad-entry") })
	_, err := Lookup("bad-entry")
	require.Error(t, err)
	for _, want := range []string{`chart "bad-entry"`, `repo: "http://charts.example.com" must be an absolute https://`, `version: "^1.2" must be an exact release version`} {
		require.Contains(t, err.Error(), want)
	}
	// A good entry still comes back whole.
	c, err := Lookup(KEDA)
	require.NoError(t, err)
	require.Equal(t, Chart{Name: KEDA, Repo: "https://kedacore.github.io/charts", Chart: "keda", Version: c.Version}, c)
}
