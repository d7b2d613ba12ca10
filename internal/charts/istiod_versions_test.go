package charts_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
)

// Every istiod version a mesh revision may run was published and is in the mirror, like the catalogue pins.
func TestIstiodRevisionVersionsArePublishedAndMirrored(t *testing.T) {
	dir := mirror(t)
	published, err := chartmirror.LoadPublished(dir)
	require.NoError(t, err)
	var problems []string
	for _, v := range charts.IstiodVersions() {
		c, err := charts.IstiodAt(v)
		require.NoError(t, err)
		if err := published.Check(c.Repo, c.Chart, c.Version); err != nil {
			problems = append(problems, fmt.Sprintf("istiod %s: %v", v, err))
		}
		if _, err := chartmirror.Open(dir, c.Chart, c.Version); err != nil {
			problems = append(problems, fmt.Sprintf("istiod %s: %v", v, err))
		}
	}
	report(t, "istiod revision versions", problems)
	latest, _ := charts.Lookup(charts.Istiod)
	assert.Contains(t, charts.IstiodVersions(), latest.Version, "the catalogue's istiod is a revision version")
	_, err = charts.IstiodAt("1.0.0")
	assert.ErrorContains(t, err, `istiod "1.0.0" is not a version a mesh revision may run`)
}
