package charts_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/policies/pack"
)

// chartPolicies are the pack's gates a real run cannot apply to a helm.sh/v4 Chart (see charts.Guard).
var chartPolicies = []string{"helm-chart-pinned", "helm-allowed-repositories"}

// packVerdict runs the chart policies over c as a helm.sh/v4 Chart with the inputs chartv4.Args builds.
func packVerdict(c charts.Chart) []pack.Diagnostic {
	in := resource.NewPropertyMapFromMap(map[string]any{
		"chart":          c.Chart,
		"version":        c.Version,
		"repositoryOpts": map[string]any{"repo": c.Repo},
	})
	r := pack.Resource{Type: "kubernetes:helm.sh/v4:Chart", Name: c.Name, URN: "urn:pulumi:prod::platform::kubernetes:helm.sh/v4:Chart::" + c.Name, Properties: in}
	var out []pack.Diagnostic
	for _, d := range pack.Evaluate(pack.Prod, pack.Config{}, []pack.Resource{r}) {
		for _, id := range chartPolicies {
			if d.PolicyID == id {
				out = append(out, d)
			}
		}
	}
	return out
}

// TestCatalogueSatisfiesChartPolicies: every catalogue entry passes Guard and the pack's own chart policies, in
// the strictest environment.
func TestCatalogueSatisfiesChartPolicies(t *testing.T) {
	for _, c := range charts.All() {
		assert.NoError(t, charts.Guard(c), c.Name)
		assert.Empty(t, packVerdict(c), c.Name)
	}
}

// TestGuardAgreesWithThePack: Guard refuses what the pack refuses, field by field.
func TestGuardAgreesWithThePack(t *testing.T) {
	good := charts.Chart{Name: "keda", Repo: "https://kedacore.github.io/charts", Chart: "keda", Version: "2.20.2"}
	cases := map[string]struct {
		c     charts.Chart
		field string // the field Guard's error names
	}{
		"range":             {charts.Chart{Name: "keda", Repo: good.Repo, Chart: "keda", Version: "^2.20"}, "version:"},
		"partial":           {charts.Chart{Name: "keda", Repo: good.Repo, Chart: "keda", Version: "2.20"}, "version:"},
		"latest":            {charts.Chart{Name: "keda", Repo: good.Repo, Chart: "keda", Version: "latest"}, "version:"},
		"empty-version":     {charts.Chart{Name: "keda", Repo: good.Repo, Chart: "keda"}, "version:"},
		"absolute-url":      {charts.Chart{Name: "keda", Repo: good.Repo, Chart: "https://charts.example.com/keda-2.20.2.tgz", Version: "2.20.2"}, "chart:"},
		"oci":               {charts.Chart{Name: "keda", Repo: good.Repo, Chart: "oci://registry.example.com/keda", Version: "2.20.2"}, "chart:"},
		"unlisted-repo":     {charts.Chart{Name: "keda", Repo: "https://charts.example.com", Chart: "keda", Version: "2.20.2"}, ""},
		"alias-without-url": {charts.Chart{Name: "keda", Chart: "kedacore/keda", Version: "2.20.2"}, "repo:"},
	}
	assert.NoError(t, charts.Guard(good))
	assert.Empty(t, packVerdict(good))
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			assert.NotEmpty(t, packVerdict(tc.c), "the pack refuses it")
			if tc.field == "" {
				// The allow-list is the pack's setting (per environment); Guard does not duplicate it, and the
				// catalogue test above runs the pack over every entry.
				return
			}
			err := charts.Guard(tc.c)
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tc.field)
			}
		})
	}
}
