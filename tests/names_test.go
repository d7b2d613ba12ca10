package tests

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/config"
	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/program"
)

// nameRule is a service's rule for the name of one resource type: the input that carries the name, the
// longest name the service accepts, and whether Pulumi auto-names the resource from its resource name
// when the input is not set ("-" and seven random characters appended).
type nameRule struct {
	input    resource.PropertyKey
	limit    int
	autoName bool
	pattern  *regexp.Regexp
}

var nameRules = map[string][]nameRule{
	// IAM User Guide, IAM quotas: role names up to 64 characters.
	"aws:iam/role:Role": {{input: "name", limit: 64, autoName: true}},
	// EKS API Reference, CreateNodegroup: nodegroupName up to 63 characters.
	"aws:eks/nodeGroup:NodeGroup": {{input: "nodeGroupName", limit: 63, autoName: true}},
	// The aws provider's bucket_prefix: at most 37 characters, lowercase (S3 bucket naming rules).
	"aws:s3/bucketV2:BucketV2": {
		{input: "bucketPrefix", limit: 37, pattern: regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)},
		{input: "bucket", limit: 63, autoName: true, pattern: regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)},
	},
	// EC2 launch template names up to 128 characters; KMS alias names up to 256.
	"aws:ec2/launchTemplate:LaunchTemplate": {{input: "name", limit: 128, autoName: true}},
	"aws:kms/alias:Alias":                   {{input: "name", limit: 256}},
	// EKS API Reference, CreateCluster: name up to 100 characters.
	"eks:index:Cluster": {{input: "name", limit: 100}},
}

// longestClusterName is a valid cluster.name of the length validation allows at most.
func longestClusterName() string {
	n := config.MaxClusterNameLength()
	return ("platform-" + strings.Repeat("x", n))[:n-1] + "z"
}

// Every name the program derives from cluster.name fits its service's rules when cluster.name is as long as
// validation allows: a resource added with a longer name than config.DerivedNames covers fails here.
func TestEveryDerivedNameFitsWithTheLongestClusterName(t *testing.T) {
	name := longestClusterName()
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			st, err := LoadStack(filepath.Join(Root(), fmt.Sprintf("Pulumi.%s.yaml", env)))
			require.NoError(t, err)
			cl := map[string]any{}
			require.NoError(t, json.Unmarshal([]byte(st.Config["platform:cluster"]), &cl))
			cl["name"] = name
			b, err := json.Marshal(cl)
			require.NoError(t, err)
			st.Config["platform:cluster"] = string(b)

			g, _, err := mockgraph.Run(t, program.Run, mockgraph.Options{Stack: env, Config: st.Config, SecretKeys: st.SecretKeys})
			require.NoError(t, err, "a cluster.name of %d characters is valid", len(name))
			checked := 0
			for _, r := range g.Resources {
				for _, rule := range nameRules[string(r.Type)] {
					v, set := r.Inputs[rule.input]
					var got string
					switch {
					case set && v.IsString():
						got = v.StringValue()
					case rule.autoName:
						got = r.Name + "-abcdefg"
					default:
						continue
					}
					checked++
					assert.LessOrEqual(t, len(got), rule.limit, "%s %s: %s %q", r.Type, r.Name, rule.input, got)
					if rule.pattern != nil {
						assert.Regexp(t, rule.pattern, got, "%s %s: %s", r.Type, r.Name, rule.input)
					}
				}
				// pulumi-eks v2.8.1 names its EKS service role "<name>-eksRole-role" (nodejs/eks/cluster.ts
				// creates ServiceRole "<name>-eksRole"; nodejs/eks/servicerole.ts names its role "<name>-role").
				if r.Type == "eks:index:Cluster" {
					role := r.Name + "-eksRole-role-abcdefg"
					assert.LessOrEqual(t, len(role), 64, "pulumi-eks service role %q", role)
				}
			}
			assert.Greater(t, checked, 15, "the rules matched the program's resources")
		})
	}
}
