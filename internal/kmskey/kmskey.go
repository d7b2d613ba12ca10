// Package kmskey creates customer-managed KMS keys the same way everywhere: rotation on, a bounded deletion
// window, and a key policy that names the account root (so IAM policies can grant use) plus the service
// principals a key is for. It does not create grants or aliases for consumers; callers add what they need.
package kmskey

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configure a key.
type Args struct {
	// Description shown in the KMS console. Required.
	Description pulumi.StringInput
	// DeletionWindowDays between scheduling deletion and deletion (7 to 30). Default: 30.
	DeletionWindowDays int
	// ServiceStatements are extra key-policy statements, e.g. letting CloudWatch Logs use the key.
	// "${account}", "${partition}" and "${region}" in their strings are replaced with the real values.
	ServiceStatements []map[string]any
	// Alias, without the "alias/" prefix. Default: none.
	Alias pulumi.StringInput
	// Tags of the key (display Name and role tags; the provider adds the defaults).
	Tags pulumi.StringMapInput
}

// New creates the key (and alias). The parent option decides which aws provider is used, for the invoke too.
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	invokeOpts := []pulumi.InvokeOption{}
	for _, o := range opts {
		if io, ok := o.(pulumi.InvokeOption); ok {
			invokeOpts = append(invokeOpts, io)
		}
	}
	ident, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, invokeOpts...)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: looking up the account: %w", name, err)
	}
	part, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{}, invokeOpts...)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: looking up the partition: %w", name, err)
	}
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, invokeOpts...)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: looking up the region: %w", name, err)
	}
	policy, err := Policy(ident.AccountId, part.Partition, region.Name, args.ServiceStatements)
	if err != nil {
		return nil, fmt.Errorf("kms key %s: %w", name, err)
	}
	window := args.DeletionWindowDays
	if window == 0 {
		window = 30
	}
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          args.Description,
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(window),
		Policy:               pulumi.String(policy),
		Tags:                 args.Tags,
	}, opts...)
	if err != nil {
		return nil, err
	}
	if args.Alias != nil {
		if _, err := kms.NewAlias(ctx, name, &kms.AliasArgs{
			Name:        pulumi.Sprintf("alias/%s", args.Alias),
			TargetKeyId: key.KeyId,
		}, opts...); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// Policy renders the key policy: the account root administers the key (IAM decides who else may use it),
// plus the service statements.
func Policy(account, partition, region string, service []map[string]any) (string, error) {
	stmts := []any{map[string]any{
		"Sid":       "AccountAdministers",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)},
		"Action":    "kms:*",
		"Resource":  "*",
	}}
	for _, s := range service {
		stmts = append(stmts, substitute(s, account, partition, region))
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b), err
}

func substitute(v any, account, partition, region string) any {
	switch t := v.(type) {
	case string:
		return strings.NewReplacer("${account}", account, "${partition}", partition, "${region}", region).Replace(t)
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			out[k] = substitute(x, account, partition, region)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = substitute(x, account, partition, region)
		}
		return out
	default:
		return v
	}
}

// CloudWatchLogsStatement lets CloudWatch Logs in the key's region use the key for one log group only.
func CloudWatchLogsStatement(logGroupName string) map[string]any {
	return map[string]any{
		"Sid":       "CloudWatchLogsUse",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "logs.${region}.amazonaws.com"},
		"Action":    []any{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
		"Resource":  "*",
		"Condition": map[string]any{"ArnEquals": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": "arn:${partition}:logs:${region}:${account}:log-group:" + logGroupName,
		}},
	}
}

// LogDeliveryStatement lets CloudWatch Logs' delivery service (vended logs such as VPC flow logs written to
// S3) encrypt with the key, from this account only (VPC User Guide, "Flow logs to Amazon S3": the key policy
// for SSE-KMS buckets).
func LogDeliveryStatement() map[string]any {
	return map[string]any{
		"Sid":       "LogDeliveryUse",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
		"Action":    []any{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
		"Resource":  "*",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": "${account}"},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:${partition}:logs:${region}:${account}:*"},
		},
	}
}
