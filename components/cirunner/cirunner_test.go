package cirunner

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/tags"
)

const connection = "arn:aws:codeconnections:us-west-2:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab"

func args() Args {
	return Args{
		ProjectName: "platform-staging-ci-runner",
		VpcID:       pulumi.String("vpc-1"), SubnetIDs: pulumi.ToStringArray([]string{"subnet-a", "subnet-b"}),
		Repository: "platform-team/platform", ConnectionArn: connection,
		ComputeType: "BUILD_GENERAL1_LARGE", Image: "aws/codebuild/amazonlinux-x86_64-standard:5.0",
		LogRetentionDays: 90, Tags: tags.New("staging", "team", "cc", nil),
	}
}

func run(t *testing.T, a Args) (mockgraph.Graph, error) {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("us-west-2")})
		if err != nil {
			return err
		}
		_, err = NewCIRunner(ctx, "ci", &a, pulumi.Provider(p))
		return err
	}, mockgraph.Options{Stack: "staging"})
	return g, err
}

func doc(t *testing.T, s string) map[string]any {
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &d))
	return d
}

func TestTheRunnerIsACodeBuildProjectInThePrivateSubnetsTakingQueuedJobs(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	p := g.Only(t, "aws:codebuild/project:Project")
	assert.Equal(t, "platform-staging-ci-runner", p.Inputs["name"].StringValue())
	vpc := p.Inputs["vpcConfig"].ObjectValue()
	assert.Equal(t, "vpc-1", vpc["vpcId"].StringValue())
	assert.Len(t, vpc["subnets"].ArrayValue(), 2, "the private subnets given, nothing else")
	env := p.Inputs["environment"].ObjectValue()
	assert.False(t, env["privilegedMode"].BoolValue(), "no Docker daemon with root on the host")
	src := p.Inputs["source"].ObjectValue()
	assert.Equal(t, "https://github.com/platform-team/platform.git", src["location"].StringValue())
	assert.Equal(t, connection, src["auth"].ObjectValue()["resource"].StringValue())
	assert.Equal(t, "ENABLED", p.Inputs["logsConfig"].ObjectValue()["cloudwatchLogs"].ObjectValue()["status"].StringValue())

	hook := g.Only(t, "aws:codebuild/webhook:Webhook")
	filters := hook.Inputs["filterGroups"].ArrayValue()
	require.Len(t, filters, 1)
	f := filters[0].ObjectValue()["filters"].ArrayValue()
	require.Len(t, f, 1)
	assert.Equal(t, "EVENT", f[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, "WORKFLOW_JOB_QUEUED", f[0].ObjectValue()["pattern"].StringValue())

	lg := g.Only(t, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, "/aws/codebuild/platform-staging-ci-runner", lg.Inputs["name"].StringValue())
	assert.EqualValues(t, 90, lg.Inputs["retentionInDays"].NumberValue())
	assert.Contains(t, lg.PropertyDependencies["kmsKeyId"], g.Only(t, "aws:kms/key:Key").URN)
}

// Least privilege, as a test: no ingress, HTTPS egress only, no rules of its own, and a service role that can write its logs, manage its ENI in the given subnets and use its connection.
func TestTheRunnersNetworkAndRoleAreLeastPrivilege(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	sg := g.Named(t, "aws:ec2/securityGroup:SecurityGroup", "ci")
	assert.NotContains(t, sg.Inputs, "ingress", "egress only")
	egress := sg.Inputs["egress"].ArrayValue()
	require.Len(t, egress, 1)
	e := egress[0].ObjectValue()
	assert.Equal(t, "tcp", e["protocol"].StringValue())
	assert.EqualValues(t, 443, e["fromPort"].NumberValue())
	assert.EqualValues(t, 443, e["toPort"].NumberValue())

	assert.Empty(t, g.OfType("aws:ec2/securityGroupRule:SecurityGroupRule"), "no rule opens the runner's group")

	trust := doc(t, g.Only(t, "aws:iam/role:Role").Inputs["assumeRolePolicy"].StringValue())
	st := trust["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": "codebuild.amazonaws.com"}, st["Principal"])
	assert.Equal(t, "arn:aws:codebuild:us-west-2:"+mockgraph.Account+":project/platform-staging-ci-runner",
		st["Condition"].(map[string]any)["ArnLike"].(map[string]any)["aws:SourceArn"])

	assert.Empty(t, g.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"), "no managed policy")
	policy := doc(t, g.Only(t, "aws:iam/rolePolicy:RolePolicy").Inputs["policy"].StringValue())
	actions := map[string]any{}
	for _, s := range policy["Statement"].([]any) {
		s := s.(map[string]any)
		switch a := s["Action"].(type) {
		case string:
			actions[a] = s["Resource"]
		case []any:
			for _, x := range a {
				actions[x.(string)] = s["Resource"]
			}
		}
	}
	assert.ElementsMatch(t, []string{
		"logs:CreateLogStream", "logs:PutLogEvents",
		"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces",
		"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:CreateNetworkInterfacePermission",
		"codeconnections:GetConnection", "codeconnections:GetConnectionToken", "codeconnections:UseConnection",
	}, keys(actions))
	assert.Equal(t, connection, actions["codeconnections:GetConnectionToken"])
	for a, res := range actions {
		if res == "*" {
			assert.Regexp(t, `^ec2:(Describe|CreateNetworkInterface$|DeleteNetworkInterface$)`, a, "only EC2 calls without resource-level permissions get *")
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBadArgsAreRefusedTogether(t *testing.T) {
	_, err := run(t, Args{Repository: "x", ConnectionArn: "arn:aws:iam::1:role/r"})
	require.Error(t, err)
	for _, want := range []string{"projectName is required", "vpcId and subnetIds are required",
		`repository "x": want owner/name`, `connectionArn "arn:aws:iam::1:role/r"`, "computeType and image are required", "logRetentionDays must be >= 1"} {
		assert.Contains(t, err.Error(), want)
	}
}

// A pull request's workflow file can name the runner's label; with allowed actors, only runs those accounts
// trigger start a build in the VPC.
func TestOnlyAllowedActorsStartTheRunner(t *testing.T) {
	a := args()
	a.AllowedActorIDs = []string{"5678", "1234"}
	g, err := run(t, a)
	require.NoError(t, err)
	groups := g.Only(t, "aws:codebuild/webhook:Webhook").Inputs["filterGroups"].Mappable().([]any)
	require.Len(t, groups, 1, "one group: every filter in it must match")
	filters := groups[0].(map[string]any)["filters"].([]any)
	require.Equal(t, []any{
		map[string]any{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
		map[string]any{"type": "ACTOR_ACCOUNT_ID", "pattern": "^(1234|5678)$"},
	}, filters)

	a.AllowedActorIDs = []string{"octocat"}
	_, err = run(t, a)
	require.ErrorContains(t, err, `allowedActorIds: "octocat" is not a numeric GitHub account ID`)
}
