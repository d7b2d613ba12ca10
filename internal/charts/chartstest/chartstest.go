// Package chartstest holds test assertions shared by the component tests that install Helm charts: a
// recorded chart (helm.sh/v4 Chart or helm.sh/v3 Release) names exactly the catalogue's repository, chart
// and version, and every values key it sets is one that chart version declares in its values.yaml or reads
// in its templates (read from the published archive in the offline chart mirror, ../shared/charts).
// Test-only; it creates nothing.
package chartstest

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
)

// Resource type tokens of the two Helm resources.
const (
	ChartV4   = "kubernetes:helm.sh/v4:Chart"
	ReleaseV3 = "kubernetes:helm.sh/v3:Release"
)

// Values returns the "values" input of a recorded chart as plain Go values (secrets unwrapped, so never
// print the result of a chart carrying secrets).
func Values(t *testing.T, inputs resource.PropertyMap) map[string]any {
	t.Helper()
	v, ok := inputs["values"]
	require.True(t, ok, "chart has no values input")
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	require.True(t, v.IsObject(), "values is not an object: %v", v.TypeString())
	return plain(v).(map[string]any)
}

func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = plain(e)
		}
		return out
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e)
		}
		return out
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return "<unknown>"
	case v.IsOutput():
		return plain(v.OutputValue().Element)
	default:
		return v.Mappable()
	}
}

// AssertCatalogue fails unless the recorded chart inputs name the catalogue entry exactly.
func AssertCatalogue(t *testing.T, typ string, inputs resource.PropertyMap, name string) {
	t.Helper()
	c, err := charts.Lookup(name)
	require.NoError(t, err)
	require.Equal(t, c.Chart, inputs["chart"].StringValue(), "chart name")
	require.Equal(t, c.Version, inputs["version"].StringValue(), "chart version")
	repo := inputs["repositoryOpts"].ObjectValue()["repo"].StringValue()
	require.Equal(t, c.Repo, repo, "chart repository")
	require.Contains(t, []string{ChartV4, ReleaseV3}, typ)
}

// AssertKnownKeys fails if values set a key that the catalogue's version of chart name neither declares
// nor reads (Helm silently ignores such a key, so a typo or a key renamed upstream would leave the service
// default-configured). It fails naming the path when the chart mirror is missing.
func AssertKnownKeys(t *testing.T, name string, values map[string]any) {
	t.Helper()
	c, err := charts.Lookup(name)
	require.NoError(t, err)
	chart, err := archive(c)
	require.NoError(t, err)
	var problems []string
	for _, u := range chart.Unknown(values) {
		problems = append(problems, chart.Explain(u))
	}
	require.Empty(t, problems, "chart %s (%s %s): values keys the chart does not know; Helm would ignore them", name, c.Chart, c.Version)
}

var archives sync.Map // "chart@version" -> *chartmirror.Chart

func archive(c charts.Chart) (*chartmirror.Chart, error) {
	key := c.Chart + "@" + c.Version
	if a, ok := archives.Load(key); ok {
		return a.(*chartmirror.Chart), nil
	}
	dir, err := chartmirror.Dir()
	if err != nil {
		return nil, err
	}
	a, err := chartmirror.Open(dir, c.Chart, c.Version)
	if err != nil {
		return nil, err
	}
	archives.Store(key, a)
	return a, nil
}

// Lookup walks a dotted path in plain values.
func Lookup(values map[string]any, path ...string) any {
	var cur any = values
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}
