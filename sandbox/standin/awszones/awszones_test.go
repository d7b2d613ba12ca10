package awszones

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func names(zs []Zone) []string {
	out := []string{}
	for _, z := range zs {
		out = append(out, z.Name)
	}
	return out
}

func TestDescribeModelsOptInAndFilters(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    Query
		want []string
	}{
		{"default answer includes the opted-in Local Zone, sorted by name (it sorts first)", Query{},
			[]string{"us-west-2-sbx-1a", "us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}},
		{"all zones adds the Wavelength Zone not opted into", Query{AllAvailabilityZones: true},
			[]string{"us-west-2-sbx-1a", "us-west-2-wl1-sbx-wlz-1", "us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}},
		{"state alone keeps the Local Zone", Query{State: "available"},
			[]string{"us-west-2-sbx-1a", "us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}},
		{"opt-in-not-required and availability-zone leave only the AZs", Query{AllAvailabilityZones: true, Filters: []Filter{
			{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
			{Name: "zone-type", Values: []string{"availability-zone"}},
		}}, []string{"us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"}},
		{"a filter's values are alternatives", Query{AllAvailabilityZones: true, Filters: []Filter{
			{Name: "zone-type", Values: []string{"local-zone", "wavelength-zone"}},
		}}, []string{"us-west-2-sbx-1a", "us-west-2-wl1-sbx-wlz-1"}},
		{"exclusions apply after the call", Query{ExcludeNames: []string{"us-west-2b"}, ExcludeZoneIDs: []string{"usw2-az3"}},
			[]string{"us-west-2-sbx-1a", "us-west-2a", "us-west-2d"}},
	} {
		got, err := Describe("us-west-2", tc.q)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, names(got), tc.name)
	}
}

func TestDescribeRejectsAnUnknownFilter(t *testing.T) {
	_, err := Describe("eu-west-1", Query{Filters: []Filter{{Name: "zone-kind", Values: []string{"x"}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"zone-kind"`)
}

func TestQueryFromArgsReadsTheDataSourceArguments(t *testing.T) {
	args := resource.NewPropertyMapFromMap(map[string]any{
		"allAvailabilityZones": true,
		"state":                "available",
		"filters":              []any{map[string]any{"name": "zone-type", "values": []any{"availability-zone"}}},
		"excludeNames":         []any{"eu-west-1a"},
	})
	q := QueryFromArgs(args)
	assert.Equal(t, Query{
		AllAvailabilityZones: true, State: "available",
		Filters:      []Filter{{Name: "zone-type", Values: []string{"availability-zone"}}},
		ExcludeNames: []string{"eu-west-1a"},
	}, q)
	zs, err := Describe("eu-west-1", q)
	require.NoError(t, err)
	out := Result("eu-west-1", zs)
	assert.Len(t, out["names"].ArrayValue(), 3)
	assert.Equal(t, "euw1-az2", out["zoneIds"].ArrayValue()[0].StringValue())
}
