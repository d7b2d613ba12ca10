package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/components/cirunner"
)

// Staging and prod have private-only API endpoints, so each has its CI runner inside its VPC: a CodeBuild
// project in the stack's private subnets whose security group only reaches out (HTTPS) and is let into the
// API endpoint's group before pulumi-eks first calls the API, named so the workflows' runs-on label (codebuild-platform-<stack>-ci-runner-...)
// finds it. Dev's endpoint is public for its CIDR and has none.
func TestEachPrivateEndpointStackHasItsCIRunnerInItsPrivateSubnets(t *testing.T) {
	for env, want := range map[string]bool{"dev": false, "staging": true, "prod": true} {
		t.Run(env, func(t *testing.T) {
			g, err := runStack(t, env, false)
			require.NoError(t, err)
			runners := g.OfType(cirunner.Type)
			if !want {
				assert.Empty(t, runners)
				assert.Empty(t, g.OfType("aws:codebuild/project:Project"))
				return
			}
			require.Len(t, runners, 1)
			p := g.Only(t, "aws:codebuild/project:Project")
			assert.Equal(t, "platform-"+env+"-ci-runner", p.Inputs["name"].StringValue(), "the workflows' label names this project")

			var private []string
			for _, s := range g.OfType("aws:ec2/subnet:Subnet") {
				if tag, ok := s.Inputs["tags"].ObjectValue()["kubernetes.io/role/internal-elb"]; ok && tag.StringValue() == "1" {
					private = append(private, s.URN)
				}
			}
			require.NotEmpty(t, private)
			for _, u := range private {
				assert.Contains(t, p.PropertyDependencies["vpcConfig"], u, "builds run in the private subnets")
			}

			sg := g.Named(t, "aws:ec2/securityGroup:SecurityGroup", "platform-"+env+"-ci-runner")
			assert.NotContains(t, sg.Inputs, "ingress")
			egress := sg.Inputs["egress"].ArrayValue()
			require.Len(t, egress, 1)
			assert.EqualValues(t, 443, egress[0].ObjectValue()["fromPort"].NumberValue())
			api := g.Named(t, "aws:ec2/securityGroupRule:SecurityGroupRule", "platform-"+env+"-api-ci-runner")
			assert.Equal(t, "ingress", api.Inputs["type"].StringValue())
			assert.Contains(t, api.PropertyDependencies["sourceSecurityGroupId"], sg.URN, "the runner is let into the API endpoint")
			assert.Contains(t, g.Only(t, "eks:index:Cluster").DependsOn, api.URN, "before pulumi-eks first calls the API")
			for _, a := range g.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
				assert.NotEqual(t, runners[0].URN, a.Parent, "the runner's role gets no managed policy")
			}
		})
	}
}
