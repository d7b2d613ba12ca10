package config

import (
	"fmt"
	"strings"
)

// DerivedName is a name the program builds from cluster.name, as "<cluster.name><Suffix>", and the rule the
// service that receives it imposes. Most are Pulumi auto-names: the provider appends "-" and seven random
// characters (Added = 8) to the resource name. tests/names_test.go runs every stack with the longest
// cluster.name this table allows and checks each name the program registers against its service's limit,
// so a new or longer resource name that this table does not cover fails there.
type DerivedName struct {
	What   string
	Suffix string
	Limit  int
	Added  int
}

// autoNameSuffix is what Pulumi's auto-naming appends to a resource name: "-" and seven random characters.
const autoNameSuffix = 8

// DerivedNames are the longest names derived from cluster.name, one per service rule (a shorter suffix
// under the same limit is covered by the longest). Limits: IAM role names 64 characters (IAM User Guide,
// IAM quotas); S3 bucket_prefix 37 characters, lowercase (the aws provider's BucketV2 adds a 26-character
// unique suffix to stay within S3's 63); EKS node group names 63 characters and cluster names 100 (EKS API
// Reference, CreateNodegroup / CreateCluster).
var DerivedNames = []DerivedName{
	{"IAM role of cluster-autoscaler (components/autoscaling)", "-autoscaling-cluster-autoscaler-irsa", 64, autoNameSuffix},
	{"IAM role of Tempo (components/observability)", "-observability-tempo-irsa", 64, autoNameSuffix},
	{"EKS service role pulumi-eks creates (nodejs/eks/servicerole.ts, named <cluster>-eksRole-role)", "-eksRole-role", 64, autoNameSuffix},
	{"S3 bucket prefix of Loki's ruler bucket (components/observability)", "-logs-ruler-", 37, 0},
	{"EKS system node group (components/cluster)", "-system", 63, autoNameSuffix},
	{"EKS cluster", "", 100, 0},
}

// gpuNodeGroupInfix joins cluster.name and a pool key in the pool's node group name
// (components/gpupools: "<cluster.name>-gpu-<pool>" plus the auto-name suffix, within EKS's 63).
const gpuNodeGroupInfix = "-gpu-"

// gpuNodeGroupLimit is EKS's node group name limit.
const gpuNodeGroupLimit = 63

// MaxClusterNameLength is the longest cluster.name every derived name fits.
func MaxClusterNameLength() int {
	max := -1
	for _, d := range DerivedNames {
		if n := d.Limit - d.Added - len(d.Suffix); max < 0 || n < max {
			max = n
		}
	}
	return max
}

// s3ReservedPrefixes are bucket-name prefixes S3 refuses (S3 User Guide, bucket naming rules); the
// observability buckets start with cluster.name.
var s3ReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// validateDerivedNames checks that cluster.name and each GPU pool key leave every derived name within its
// service's rules; it assumes the character rules have been checked (clusterNameRe, poolNameRe).
func validateDerivedNames(ps *problems, c *Config) {
	name := c.Cluster.Name
	if !clusterNameRe.MatchString(name) {
		return
	}
	if max := MaxClusterNameLength(); len(name) > max {
		var over []string
		for _, d := range DerivedNames {
			if n := len(name) + len(d.Suffix) + d.Added; n > d.Limit {
				over = append(over, fmt.Sprintf("%s would be %d characters (limit %d)", d.What, n, d.Limit))
			}
		}
		ps.add("cluster.name", "%q is %d characters; at most %d fit every name derived from it: %s",
			name, len(name), max, strings.Join(over, "; "))
	}
	for _, p := range s3ReservedPrefixes {
		if strings.HasPrefix(name, p) {
			ps.add("cluster.name", "%q starts with %q, which S3 refuses at the start of a bucket name (the observability buckets start with cluster.name)", name, p)
		}
	}
	for _, key := range sortedKeys(c.GPUPools) {
		if !poolNameRe.MatchString(key) {
			continue
		}
		if n := len(name) + len(gpuNodeGroupInfix) + len(key) + autoNameSuffix; n > gpuNodeGroupLimit {
			ps.add("gpuPools."+key, "node group name %s%s%s plus Pulumi's 8-character suffix would be %d characters; EKS allows %d: shorten the pool name or cluster.name",
				name, gpuNodeGroupInfix, key, n, gpuNodeGroupLimit)
		}
	}
}
