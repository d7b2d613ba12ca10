// Package cirunner provides CI's path to a private-only EKS API endpoint: a CodeBuild project in the VPC's
// private subnets that acts as a GitHub Actions self-hosted runner (CodeBuild's GitHub Actions runner
// integration: a webhook on WORKFLOW_JOB_QUEUED starts one build per queued job whose runs-on names
// `codebuild-<project>-<run id>-<run attempt>`, and the build registers itself as that job's runner).
//
// The runner has no public IP (CodeBuild builds in a VPC get private addresses only and leave through the
// NAT gateways), a security group with no ingress and HTTPS-only egress (the cluster component lets it into
// the API endpoint: components/cluster APIClientSecurityGroupIDs), KMS-encrypted build logs with bounded retention, and a service role that can do
// nothing but write those logs, manage the build's network interface in these subnets and use the one
// GitHub connection. The jobs get their AWS access the way every workflow does (OIDC role assumption and
// the stack's profile, docs/pipeline.md), never from this role.
//
// It does not create the GitHub connection (CodeConnections needs a person to authorize it once in the
// console) or anything in GitHub.
package cirunner

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codebuild"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/platform-team/platform/internal/kmskey"
	"github.com/platform-team/platform/internal/tags"
)

// Type is the component's type token.
const Type = "platform:cirunner:CIRunner"

// LabelPrefix starts the runs-on label of a job for the project: LabelPrefix + project name +
// "-${{ github.run_id }}-${{ github.run_attempt }}".
const LabelPrefix = "codebuild-"

// Args configure the runner.
type Args struct {
	// ProjectName of the CodeBuild project; the workflows' runs-on label is derived from it. Required.
	ProjectName string
	// VpcID and SubnetIDs (private subnets, with a NAT route) the builds run in. Required.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// Repository is the GitHub repository ("owner/name") whose queued jobs the runner takes. Required.
	Repository string
	// ConnectionArn is the CodeConnections connection to GitHub. Required.
	ConnectionArn string
	// ComputeType and Image of the builds. Required (the config package defaults them).
	ComputeType, Image string
	// LogRetentionDays of the build logs. Required.
	LogRetentionDays int
	// KMSDeletionWindowDays of the logs' key. Default: 30.
	KMSDeletionWindowDays int
	// Tags is the environment's tag set. Required.
	Tags tags.Set
	// Protect guards the logs' KMS key against deletion (its data cannot be read without it). Default: false;
	// the program sets it in prod.
	Protect bool
	// AllowedActorIDs restrict the webhook to workflow runs these numeric GitHub account IDs trigger (an
	// ACTOR_ACCOUNT_ID filter: CodeBuild API reference, WebhookFilter; the sender of GitHub's workflow_job event).
	// Default: none (every queued job of the repository).
	AllowedActorIDs []string
}

// CIRunner is the CodeBuild-hosted GitHub Actions runner of one environment.
type CIRunner struct {
	pulumi.ResourceState

	// ProjectName of the CodeBuild project.
	ProjectName pulumi.StringOutput `pulumi:"projectName"`
	// Label is the runs-on label prefix: append "-${{ github.run_id }}-${{ github.run_attempt }}".
	Label pulumi.StringOutput `pulumi:"label"`
	// SecurityGroupID of the builds, for the rules that let the runner reach in-VPC services (the cluster's
	// API endpoint, Vault).
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// RoleArn is the project's service role.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
}

// ValidateArgs returns every problem with args at once, or nil.
func ValidateArgs(a *Args) error {
	var p []string
	if a.ProjectName == "" {
		p = append(p, "projectName is required")
	}
	if a.VpcID == nil || a.SubnetIDs == nil {
		p = append(p, "vpcId and subnetIds are required")
	}
	if strings.Count(a.Repository, "/") != 1 {
		p = append(p, fmt.Sprintf("repository %q: want owner/name", a.Repository))
	}
	if connectionService(a.ConnectionArn) == "" {
		p = append(p, fmt.Sprintf("connectionArn %q: want a codeconnections (or codestar-connections) connection ARN", a.ConnectionArn))
	}
	if a.ComputeType == "" || a.Image == "" {
		p = append(p, "computeType and image are required")
	}
	if a.LogRetentionDays < 1 {
		p = append(p, "logRetentionDays must be >= 1")
	}
	for _, id := range a.AllowedActorIDs {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			p = append(p, fmt.Sprintf("allowedActorIds: %q is not a numeric GitHub account ID", id))
		}
	}
	if len(p) > 0 {
		return fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return nil
}

// NewCIRunner creates the runner. Pass the aws provider with pulumi.Provider.
func NewCIRunner(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*CIRunner, error) {
	if args == nil {
		return nil, fmt.Errorf("ci runner %s: args are required", name)
	}
	if err := ValidateArgs(args); err != nil {
		return nil, fmt.Errorf("ci runner %s: %w", name, err)
	}
	r := &CIRunner{}
	if err := ctx.RegisterComponentResource(Type, name, r, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(r)
	t := args.Tags
	display := args.ProjectName

	ident := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent)
	part := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent)
	region := aws.GetRegionOutput(ctx, aws.GetRegionOutputArgs{}, parent)

	// Egress only, and only HTTPS: GitHub, the Go module proxy, chart repositories, the state backend and the
	// AWS APIs (through the NAT gateways or the VPC's interface endpoints), and the EKS API endpoint.
	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.Sprintf("CodeBuild GitHub Actions runner %s: no ingress, HTTPS egress", display),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description: pulumi.String("HTTPS to GitHub, AWS APIs, module and chart sources, the EKS API"),
			Protocol:    pulumi.String("tcp"),
			FromPort:    pulumi.Int(443),
			ToPort:      pulumi.Int(443),
			CidrBlocks:  pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                t.For(display),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("ci runner %s: security group: %w", name, err)
	}

	logGroupName := "/aws/codebuild/" + args.ProjectName
	key, err := kmskey.New(ctx, name+"-logs", kmskey.Args{
		Description:        pulumi.Sprintf("Build logs of the CI runner %s", display),
		DeletionWindowDays: args.KMSDeletionWindowDays,
		ServiceStatements:  []map[string]any{kmskey.CloudWatchLogsStatement(logGroupName)},
		Tags:               t.For(display + "-logs"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("ci runner %s: %w", name, err)
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logGroupName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        key.Arn,
		Tags:            t.For(display),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("ci runner %s: log group: %w", name, err)
	}

	projectArn := pulumi.Sprintf("arn:%s:codebuild:%s:%s:project/%s", part.Partition(), region.Name(), ident.AccountId(), args.ProjectName)
	trust := pulumi.All(ident.AccountId(), projectArn).ApplyT(func(v []any) (string, error) {
		return TrustPolicy(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Description:      pulumi.Sprintf("Service role of the CI runner %s: its logs, its network interface and its GitHub connection, nothing else", display),
		AssumeRolePolicy: trust,
		Tags:             t.For(display),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("ci runner %s: role: %w", name, err)
	}
	policy := pulumi.All(part.Partition(), region.Name(), ident.AccountId(), logs.Arn, args.SubnetIDs.ToStringArrayOutput()).ApplyT(
		func(v []any) (string, error) {
			return ServicePolicy(v[0].(string), v[1].(string), v[2].(string), v[3].(string), v[4].([]string), args.ConnectionArn)
		}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("ci runner %s: role policy: %w", name, err)
	}

	project, err := codebuild.NewProject(ctx, name, &codebuild.ProjectArgs{
		Name:        pulumi.String(args.ProjectName),
		Description: pulumi.Sprintf("GitHub Actions runner for %s inside the VPC (private API endpoint)", args.Repository),
		ServiceRole: role.Arn,
		Source: codebuild.ProjectSourceArgs{
			Type:     pulumi.String("GITHUB"),
			Location: pulumi.Sprintf("https://github.com/%s.git", args.Repository),
			Auth: codebuild.ProjectSourceAuthArgs{
				Type:     pulumi.String("CODECONNECTIONS"),
				Resource: pulumi.String(args.ConnectionArn),
			},
		},
		Artifacts: codebuild.ProjectArtifactsArgs{Type: pulumi.String("NO_ARTIFACTS")},
		Environment: codebuild.ProjectEnvironmentArgs{
			Type:                     pulumi.String("LINUX_CONTAINER"),
			ComputeType:              pulumi.String(args.ComputeType),
			Image:                    pulumi.String(args.Image),
			ImagePullCredentialsType: pulumi.String("CODEBUILD"),
			PrivilegedMode:           pulumi.Bool(false),
		},
		VpcConfig: codebuild.ProjectVpcConfigArgs{
			VpcId:            args.VpcID,
			Subnets:          args.SubnetIDs,
			SecurityGroupIds: pulumi.StringArray{sg.ID()},
		},
		LogsConfig: codebuild.ProjectLogsConfigArgs{
			CloudwatchLogs: codebuild.ProjectLogsConfigCloudwatchLogsArgs{
				Status:    pulumi.String("ENABLED"),
				GroupName: logs.Name,
			},
			S3Logs: codebuild.ProjectLogsConfigS3LogsArgs{Status: pulumi.String("DISABLED")},
		},
		// deploy-stack.yml gives a job 90 minutes; the build must outlive it.
		BuildTimeout: pulumi.Int(120),
		Tags:         t.For(display),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, fmt.Errorf("ci runner %s: project: %w", name, err)
	}
	// Every filter of a group must match (CodeBuild user guide, "GitHub webhook events").
	filters := codebuild.WebhookFilterGroupFilterArray{codebuild.WebhookFilterGroupFilterArgs{
		Type:    pulumi.String("EVENT"),
		Pattern: pulumi.String("WORKFLOW_JOB_QUEUED"),
	}}
	if len(args.AllowedActorIDs) > 0 {
		ids := append([]string(nil), args.AllowedActorIDs...)
		sort.Strings(ids)
		filters = append(filters, codebuild.WebhookFilterGroupFilterArgs{
			Type:    pulumi.String("ACTOR_ACCOUNT_ID"),
			Pattern: pulumi.String("^(" + strings.Join(ids, "|") + ")$"),
		})
	}
	if _, err := codebuild.NewWebhook(ctx, name, &codebuild.WebhookArgs{
		ProjectName:  project.Name,
		BuildType:    pulumi.String("BUILD"),
		FilterGroups: codebuild.WebhookFilterGroupArray{codebuild.WebhookFilterGroupArgs{Filters: filters}},
	}, parent); err != nil {
		return nil, fmt.Errorf("ci runner %s: webhook: %w", name, err)
	}

	r.ProjectName = project.Name
	r.Label = pulumi.Sprintf("%s%s", LabelPrefix, project.Name)
	r.SecurityGroupID = sg.ID().ToStringOutput()
	r.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"projectName":     r.ProjectName,
		"label":           r.Label,
		"securityGroupId": r.SecurityGroupID,
		"roleArn":         r.RoleArn,
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// TrustPolicy lets CodeBuild assume the role for this project only (the confused-deputy guard AWS
// recommends: aws:SourceAccount and aws:SourceArn).
func TrustPolicy(account, projectArn string) (string, error) {
	return marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "codebuild.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": account},
				"ArnLike":      map[string]any{"aws:SourceArn": projectArn},
			},
		}},
	})
}

// ServicePolicy is everything the project's service role may do: write its own log group, create and
// remove the build's network interface in these subnets (the EC2 describe calls CodeBuild makes for a VPC
// build do not support resource-level permissions), and use the one GitHub connection.
func ServicePolicy(partition, region, account, logGroupArn string, subnetIDs []string, connectionArn string) (string, error) {
	subnets := make([]any, len(subnetIDs))
	for i, id := range subnetIDs {
		subnets[i] = fmt.Sprintf("arn:%s:ec2:%s:%s:subnet/%s", partition, region, account, id)
	}
	svc := connectionService(connectionArn)
	return marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":      "BuildLogs",
				"Effect":   "Allow",
				"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents"},
				"Resource": []any{logGroupArn, strings.TrimSuffix(logGroupArn, ":*") + ":log-stream:*"},
			},
			map[string]any{
				"Sid":    "VpcBuildNetworkDescribe",
				"Effect": "Allow",
				"Action": []any{"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeDhcpOptions",
					"ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"},
				"Resource": "*",
			},
			map[string]any{
				"Sid":      "VpcBuildNetworkInterface",
				"Effect":   "Allow",
				"Action":   "ec2:CreateNetworkInterfacePermission",
				"Resource": fmt.Sprintf("arn:%s:ec2:%s:%s:network-interface/*", partition, region, account),
				"Condition": map[string]any{
					"StringEquals": map[string]any{"ec2:AuthorizedService": "codebuild.amazonaws.com"},
					"ArnEquals":    map[string]any{"ec2:Subnet": subnets},
				},
			},
			map[string]any{
				"Sid":      "GitHubConnection",
				"Effect":   "Allow",
				"Action":   []any{svc + ":GetConnection", svc + ":GetConnectionToken", svc + ":UseConnection"},
				"Resource": connectionArn,
			},
		},
	})
}

// connectionService is the IAM service prefix of a connection ARN, "" when it is not one.
func connectionService(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[5], "connection/") {
		return ""
	}
	switch parts[2] {
	case "codeconnections", "codestar-connections":
		return parts[2]
	}
	return ""
}

func marshal(doc map[string]any) (string, error) {
	b, err := json.Marshal(doc)
	return string(b), err
}
