// Package tags is the one place AWS tags are built. The provider's default tags carry the environment-wide
// set (Environment, Owner, CostCenter, ManagedBy, plus configured extras) onto every taggable resource;
// resources add only a display Name and role tags. The display Name is never part of a resource's Pulumi
// name, so renaming a display name never replaces anything. Things the provider's default tags do not reach
// (instances and volumes launched from launch templates, EKS-created resources) get All.
package tags

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Set is an environment's tag set.
type Set struct {
	base map[string]string
}

// New builds the environment-wide tags. extra cannot override the four standard keys (config validation
// rejects that; here the standard keys simply win).
func New(environment, owner, costCenter string, extra map[string]string) Set {
	base := map[string]string{}
	for k, v := range extra {
		base[k] = v
	}
	base["Environment"] = environment
	base["Owner"] = owner
	base["CostCenter"] = costCenter
	base["ManagedBy"] = "pulumi"
	return Set{base: base}
}

// Default returns the environment-wide tags for the aws provider's defaultTags.
func (s Set) Default() pulumi.StringMap { return toStringMap(s.base) }

// Plain returns the environment-wide tags as a plain map (a copy).
func (s Set) Plain() map[string]string {
	out := make(map[string]string, len(s.base))
	for k, v := range s.base {
		out[k] = v
	}
	return out
}

// For returns the tags of one resource: its display Name plus role tags. The provider adds the defaults.
func (s Set) For(name string, extra ...map[string]string) pulumi.StringMap {
	out := map[string]string{"Name": name}
	for _, e := range extra {
		for k, v := range e {
			out[k] = v
		}
	}
	return toStringMap(out)
}

// All returns the environment-wide tags plus Name and role tags, for places provider default tags do not
// reach (launch-template tag specifications, resources created by EKS on our behalf).
func (s Set) All(name string, extra ...map[string]string) pulumi.StringMap {
	out := s.Plain()
	for _, e := range extra {
		for k, v := range e {
			out[k] = v
		}
	}
	if name != "" {
		out["Name"] = name
	}
	return toStringMap(out)
}

// Keys returns the environment-wide tag keys, sorted.
func (s Set) Keys() []string {
	keys := make([]string, 0, len(s.base))
	for k := range s.base {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func toStringMap(m map[string]string) pulumi.StringMap {
	out := make(pulumi.StringMap, len(m))
	for k, v := range m {
		out[k] = pulumi.String(v)
	}
	return out
}
