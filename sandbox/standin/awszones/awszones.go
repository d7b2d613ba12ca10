// Package awszones is a STAND-IN for EC2's DescribeAvailabilityZones as the aws provider's
// aws:index/getAvailabilityZones data source calls it, for the offline stand-in provider and the unit-test
// mocks. It models what makes zone selection go wrong on real accounts:
//
//   - A region holds Local Zones and Wavelength Zones beside its Availability Zones. Without
//     AllAvailabilityZones the API returns every zone whose opt-in status is "opt-in-not-required" or
//     "opted-in", so an account that enabled a Local Zone gets it in the default answer.
//   - The filters (opt-in-status, zone-type, zone-name, zone-id, group-name, region-name, state) match any
//     of a filter's values, and every filter must match; an unknown filter name is an error.
//
// Sources: the EC2 API Reference for DescribeAvailabilityZones
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html: the
// AllAvailabilityZones parameter, the filter names, zone-type values availability-zone | local-zone |
// wavelength-zone, opt-in-status values opted-in | not-opted-in | opt-in-not-required, and "the order of
// the elements in the response might vary"), and terraform-provider-aws's aws_availability_zones data
// source (internal/service/ec2/ec2_availability_zones_data_source.go), which pulumi-aws wraps: `state`
// becomes a state filter, exclude_names / exclude_zone_ids are applied after the call, and the result is
// sorted by zone name. Zone names and ids here are made up in AWS's shape ("sbx" stands for the stand-in's
// metro); they are not a real region's catalogue.
package awszones

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Zone is one entry of the catalogue.
type Zone struct {
	Name        string // us-west-2a, us-west-2-sbx-1a, us-west-2-wl1-sbx-wlz-1
	ID          string // usw2-az1, usw2-sbx1-az1, usw2-wl1-sbx-wlz1
	Type        string // availability-zone | local-zone | wavelength-zone
	OptInStatus string // opt-in-not-required | opted-in | not-opted-in
	GroupName   string // the region for an AZ, the zone group otherwise
	Region      string
	State       string // available | information | impaired | unavailable | constrained
}

// Filter is one EC2 filter: a zone matches when its attribute equals any of Values.
type Filter struct {
	Name   string
	Values []string
}

// Query holds the data source's arguments.
type Query struct {
	AllAvailabilityZones bool
	State                string
	Filters              []Filter
	ExcludeNames         []string
	ExcludeZoneIDs       []string
}

// Catalogue returns the stand-in zones of region: four Availability Zones (a to d) that need no opt-in,
// a Local Zone this account has opted into, and a Wavelength Zone it has not. us-west-1 has two AZs, as
// that region offers an account only two of its zones, so a request for more can be tried offline.
func Catalogue(region string) []Zone {
	short := ShortRegion(region)
	letters := []string{"a", "b", "c", "d"}
	if region == "us-west-1" {
		letters = letters[:2]
	}
	var out []Zone
	for i, letter := range letters {
		out = append(out, Zone{
			Name: region + letter, ID: fmt.Sprintf("%s-az%d", short, i+1), Type: "availability-zone",
			OptInStatus: "opt-in-not-required", GroupName: region, Region: region, State: "available",
		})
	}
	out = append(out,
		Zone{
			Name: region + "-sbx-1a", ID: short + "-sbx1-az1", Type: "local-zone",
			OptInStatus: "opted-in", GroupName: region + "-sbx-1", Region: region, State: "available",
		},
		Zone{
			Name: region + "-wl1-sbx-wlz-1", ID: short + "-wl1-sbx-wlz1", Type: "wavelength-zone",
			OptInStatus: "not-opted-in", GroupName: region + "-wl1", Region: region, State: "available",
		},
	)
	return out
}

// attr is the zone attribute each supported filter name reads.
var attr = map[string]func(Zone) string{
	"opt-in-status": func(z Zone) string { return z.OptInStatus },
	"zone-type":     func(z Zone) string { return z.Type },
	"zone-name":     func(z Zone) string { return z.Name },
	"zone-id":       func(z Zone) string { return z.ID },
	"group-name":    func(z Zone) string { return z.GroupName },
	"region-name":   func(z Zone) string { return z.Region },
	"state":         func(z Zone) string { return z.State },
}

// Describe answers q for region as the data source would: the API's opt-in rule and filters, then the
// provider's exclusions, sorted by name.
func Describe(region string, q Query) ([]Zone, error) {
	filters := append([]Filter(nil), q.Filters...)
	if q.State != "" {
		filters = append(filters, Filter{Name: "state", Values: []string{q.State}})
	}
	for _, f := range filters {
		if attr[f.Name] == nil {
			names := make([]string, 0, len(attr))
			for n := range attr {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("InvalidParameterValue: the filter %q is not supported by this stand-in (supported: %s)",
				f.Name, strings.Join(names, ", "))
		}
	}
	var out []Zone
	for _, z := range Catalogue(region) {
		if !q.AllAvailabilityZones && z.OptInStatus == "not-opted-in" {
			continue
		}
		match := true
		for _, f := range filters {
			if !slices.Contains(f.Values, attr[f.Name](z)) {
				match = false
				break
			}
		}
		if !match || slices.Contains(q.ExcludeNames, z.Name) || slices.Contains(q.ExcludeZoneIDs, z.ID) {
			continue
		}
		out = append(out, z)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ShortRegion is the zone-id prefix of a region: us-west-2 -> usw2.
func ShortRegion(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	return parts[0] + string(parts[1][0]) + parts[2]
}

// QueryFromArgs reads the data source's arguments (allAvailabilityZones, state, filters, excludeNames,
// excludeZoneIds) as the provider receives them.
func QueryFromArgs(args resource.PropertyMap) Query {
	var q Query
	if v, ok := args["allAvailabilityZones"]; ok && v.IsBool() {
		q.AllAvailabilityZones = v.BoolValue()
	}
	if v, ok := args["state"]; ok && v.IsString() {
		q.State = v.StringValue()
	}
	q.ExcludeNames = stringList(args["excludeNames"])
	q.ExcludeZoneIDs = stringList(args["excludeZoneIds"])
	if v, ok := args["filters"]; ok && v.IsArray() {
		for _, f := range v.ArrayValue() {
			if !f.IsObject() {
				continue
			}
			o := f.ObjectValue()
			name := ""
			if n, ok := o["name"]; ok && n.IsString() {
				name = n.StringValue()
			}
			q.Filters = append(q.Filters, Filter{Name: name, Values: stringList(o["values"])})
		}
	}
	return q
}

// Result is the data source's answer for zones: names, zoneIds and groupNames, in the order given.
func Result(region string, zones []Zone) resource.PropertyMap {
	var names, ids, groups []resource.PropertyValue
	seen := map[string]bool{}
	for _, z := range zones {
		names = append(names, resource.NewStringProperty(z.Name))
		ids = append(ids, resource.NewStringProperty(z.ID))
		if !seen[z.GroupName] {
			seen[z.GroupName] = true
			groups = append(groups, resource.NewStringProperty(z.GroupName))
		}
	}
	return resource.PropertyMap{
		"id":         resource.NewStringProperty(region),
		"names":      resource.NewArrayProperty(names),
		"zoneIds":    resource.NewArrayProperty(ids),
		"groupNames": resource.NewArrayProperty(groups),
	}
}

func stringList(v resource.PropertyValue) []string {
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}
