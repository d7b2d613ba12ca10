package observability

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Server access logging of the observability buckets.
//
// The rules come from the Amazon S3 User Guide, "Enabling Amazon S3 server access logging"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
//   - the destination bucket is in the source's Region and account, has no Object Lock (so no default
//     retention) and no Requester Pays, and should not log its own access;
//   - its default encryption may only be SSE-S3 (AES256): default SSE-KMS is not supported for server access
//     log delivery, so the destination cannot use the platform's KMS key like the data buckets do;
//   - with Object Ownership "bucket owner enforced" ACLs are off, and log delivery must be granted in the
//     bucket policy, to the logging service principal logging.s3.amazonaws.com (s3:PutObject), pinned to the
//     source bucket (aws:SourceArn) and account (aws:SourceAccount);
//   - Deny statements of the destination's policy must not stop delivery. The TLS-only Deny every platform bucket
//     carries (Security Hub control S3.5, which covers log buckets too) is one that access-log buckets commonly
//     keep; a Deny of uploads without an x-amz-server-side-encryption header would not be, because the delivery
//     sends none (aws-quickstart/quickstart-compliance-common issue 29), so the policy has no such statement.
//
// So the destination is one dedicated bucket per stack: SSE-S3, versioned, private, TLS-only, ACLs disabled,
// a lifecycle that expires records after AccessLogRetentionDays, and a policy that lets each source bucket's
// log delivery write only under its own prefix.

// loggingServicePrincipal is the service principal S3 delivers server access logs as.
const loggingServicePrincipal = "logging.s3.amazonaws.com"

// loggedBucket is a bucket whose server access logs go to the access-log bucket, under key + "/".
type loggedBucket struct {
	key    string
	bucket *s3.BucketV2
}

// AccessLogSource is one bucket delivering server access logs: its ARN and the prefix its records land under.
type AccessLogSource struct {
	BucketArn string
	Prefix    string
}

// AccessLogBucketPolicy lets S3's logging service write each source's records under that source's prefix only,
// for this account, and denies every request without TLS.
func AccessLogBucketPolicy(bucketArn, account string, sources []AccessLogSource) (string, error) {
	statements := make([]any, 0, len(sources)+1)
	for _, src := range sources {
		statements = append(statements, map[string]any{
			"Sid":       "ServerAccessLogsFrom" + sidSafe(src.Prefix),
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": loggingServicePrincipal},
			"Action":    "s3:PutObject",
			"Resource":  bucketArn + "/" + src.Prefix + "*",
			"Condition": map[string]any{
				"ArnLike":      map[string]any{"aws:SourceArn": src.BucketArn},
				"StringEquals": map[string]any{"aws:SourceAccount": account},
			},
		})
	}
	statements = append(statements, denyInsecureTransport(bucketArn))
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		return "", fmt.Errorf("access-log bucket policy: %w", err)
	}
	return string(b), nil
}

// sidSafe keeps the letters and digits of s (policy statement ids are alphanumeric).
func sidSafe(s string) string {
	out := make([]rune, 0, len(s))
	upper := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if upper {
				r -= 'a' - 'A'
			}
			out = append(out, r)
			upper = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			out = append(out, r)
			upper = false
		default:
			upper = true
		}
	}
	return string(out)
}

// newAccessLogging creates the access-log bucket and turns on server access logging for each source bucket.
func newAccessLogging(ctx *pulumi.Context, name string, a *Args, sources []loggedBucket, parent pulumi.ResourceOrInvokeOption) (*s3.BucketV2, error) {
	ident, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("observability access logs: caller identity: %w", err)
	}
	arns := make([]any, len(sources))
	for i, src := range sources {
		arns[i] = src.bucket.Arn
	}
	policy := func(bucketArn pulumi.StringOutput) pulumi.StringOutput {
		return pulumi.All(append([]any{bucketArn}, arns...)...).ApplyT(func(v []any) (string, error) {
			list := make([]AccessLogSource, len(sources))
			for i, src := range sources {
				list[i] = AccessLogSource{BucketArn: v[i+1].(string), Prefix: src.key + "/"}
			}
			return AccessLogBucketPolicy(v[0].(string), ident.AccountId, list)
		}).(pulumi.StringOutput)
	}
	target, targetPolicy, err := newBucket(ctx, fmt.Sprintf("%s-access-logs", name), bucketArgs{
		prefix: "access-logs", clusterName: a.ClusterName, protect: a.ProtectData,
		// keyArn nil: SSE-S3, the only default encryption server access log delivery supports.
		expireDays: a.AccessLogRetentionDays, versioned: true, ownerEnforced: true, policy: policy, tags: a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, src := range sources {
		if _, err := s3.NewBucketLoggingV2(ctx, fmt.Sprintf("%s-%s-access-logging", name, src.key), &s3.BucketLoggingV2Args{
			Bucket:       src.bucket.ID(),
			TargetBucket: target.ID(),
			TargetPrefix: pulumi.String(src.key + "/"),
			// Date-partitioned keys (<prefix><account>/<region>/<bucket>/yyyy/mm/dd/...) keep queries over a day
			// cheap (PutBucketLogging TargetObjectKeyFormat).
			TargetObjectKeyFormat: &s3.BucketLoggingV2TargetObjectKeyFormatArgs{
				PartitionedPrefix: &s3.BucketLoggingV2TargetObjectKeyFormatPartitionedPrefixArgs{
					PartitionDateSource: pulumi.String("EventTime"),
				},
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{targetPolicy})); err != nil {
			return nil, fmt.Errorf("observability %s access logging: %w", src.key, err)
		}
	}
	return target, nil
}
