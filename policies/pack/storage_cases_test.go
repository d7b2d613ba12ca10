package pack_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/platform-team/platform/policies/pack"
)

const (
	bucketV2 = "aws:s3/bucketV2:BucketV2"
	pabT     = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	sseT     = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	bpolT    = "aws:s3/bucketPolicy:BucketPolicy"
	logGroup = "aws:cloudwatch/logGroup:LogGroup"
)

const tlsOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::loki-chunks","arn:aws:s3:::loki-chunks/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

func bucket() pack.Resource {
	return mk(bucketV2, "loki-chunks", obj{"id": "loki-chunks", "bucket": "loki-chunks", "arn": "arn:aws:s3:::loki-chunks"})
}

func pab(b string, flags ...bool) pack.Resource {
	on := func(i int) bool { return i >= len(flags) || flags[i] }
	return mk(pabT, b+"-pab", obj{"bucket": b, "blockPublicAcls": on(0), "blockPublicPolicy": on(1), "ignorePublicAcls": on(2), "restrictPublicBuckets": on(3)})
}

func sse(b, alg string) pack.Resource {
	return mk(sseT, b+"-sse", obj{"bucket": b, "rules": arr{obj{"applyServerSideEncryptionByDefault": obj{"sseAlgorithm": alg, "kmsMasterKeyId": "arn:aws:kms:eu-west-1:1:key/x"}}}})
}

// storedBucket is a BucketV2 as its state reads after a real `up`: AWS applies SSE-S3 (AES256) at creation, before
// the separate encryption configuration exists, and the bucket's refresh-less state keeps reporting it.
func storedBucket() pack.Resource {
	b := bucket()
	b.Outputs = props(obj{"id": "loki-chunks", "bucket": "loki-chunks", "arn": "arn:aws:s3:::loki-chunks",
		"serverSideEncryptionConfigurations": arr{obj{"rules": arr{obj{"applyServerSideEncryptionByDefaults": arr{obj{"sseAlgorithm": "AES256"}}}}}}})
	return b
}

// sseV7 is the same configuration under pulumi-aws v7's name (no V2 suffix).
const sseV7T = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

const (
	loggingT   = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	loggingV7T = "aws:s3/bucketLogging:BucketLogging"
	flowLogT   = "aws:ec2/flowLog:FlowLog"
)

// accessLogBucket is a stack's server access log destination.
func accessLogBucket() pack.Resource {
	return mk(bucketV2, "access-logs", obj{"id": "access-logs", "bucket": "access-logs", "arn": "arn:aws:s3:::access-logs"})
}

// logging is a bucket logging configuration of bucket b delivering to target.
func logging(b, target string) pack.Resource {
	return mk(loggingT, b+"-access-logging", obj{"bucket": b, "targetBucket": target, "targetPrefix": b + "/"})
}

// byDependency makes a resource refer to a bucket only through the engine's property dependencies, as in a
// preview where the bucket's name is not known yet.
func byDependency(r pack.Resource, prop, bucketName string) pack.Resource {
	r.Properties[resource.PropertyKey(prop)] = unk
	if r.PropertyDependencies == nil {
		r.PropertyDependencies = map[string][]string{}
	}
	r.PropertyDependencies[prop] = []string{urn(bucketV2, bucketName)}
	return r
}

func init() {
	addTable("s3-public-access-block", [3]pack.Level{M, M, M},
		tc{name: "missing", res: stack(bucket()), want: violates, msg: "no aws:s3/bucketPublicAccessBlock"},
		tc{name: "one-flag-off", res: stack(bucket(), pab("loki-chunks", true, false)), want: violates, msg: "blockPublicPolicy is false"},
		tc{name: "blocked", res: stack(bucket(), pab("loki-chunks")), want: passes},
		tc{name: "unknown-bucket-ref", res: stack(bucket(), mk(pabT, "pab", obj{"bucket": unk, "blockPublicAcls": true})), want: undecided},
	)
	addTable("s3-encryption", [3]pack.Level{M, M, M},
		tc{name: "missing", res: stack(bucket()), want: violates, msg: "no server-side encryption configuration"},
		tc{name: "sse-s3", res: stack(bucket(), sse("loki-chunks", "AES256")), want: violates, msg: "no aws:kms default encryption"},
		tc{name: "legacy-inline-aes", res: stack(mk("aws:s3/bucket:Bucket", "old", obj{"bucket": "old",
			"serverSideEncryptionConfiguration": obj{"rule": obj{"applyServerSideEncryptionByDefault": obj{"sseAlgorithm": "AES256"}}}})), want: violates},
		tc{name: "kms", res: stack(bucket(), sse("loki-chunks", "aws:kms")), want: passes},
		tc{name: "stored-aes256-with-linked-kms-config", res: stack(storedBucket(), sse("loki-chunks", "aws:kms")), want: passes},
		tc{name: "stored-aes256-with-linked-sse-s3-config", res: stack(storedBucket(), sse("loki-chunks", "AES256")), want: violates, msg: "no aws:kms default encryption"},
		tc{name: "stored-aes256-alone", res: stack(storedBucket()), want: violates, msg: `inline server-side encryption uses "AES256"`},
		tc{name: "linked-by-dependency", res: stack(storedBucket(), func() pack.Resource {
			r := mk(sseT, "sse", obj{"bucket": unk, "rules": arr{obj{"applyServerSideEncryptionByDefault": obj{"sseAlgorithm": "aws:kms:dsse"}}}})
			r.PropertyDependencies = map[string][]string{"bucket": {urn(bucketV2, "loki-chunks")}}
			return r
		}()), want: passes},
		tc{name: "v7-type-name", res: stack(storedBucket(), mk(sseV7T, "sse", obj{"bucket": "loki-chunks", "rules": arr{obj{"applyServerSideEncryptionByDefault": obj{"sseAlgorithm": "aws:kms"}}}})), want: passes},
		tc{name: "unknown-bucket-ref", res: stack(bucket(), mk(sseT, "sse", obj{"bucket": unk})), want: undecided},
		// Server access logs are delivered only to a bucket with SSE-S3 default encryption: the destination, and
		// only the destination, is held to AES256.
		tc{name: "access-log-destination-sse-s3", res: stack(bucket(), sse("loki-chunks", "aws:kms"), logging("loki-chunks", "access-logs"),
			accessLogBucket(), sse("access-logs", "AES256")), want: passes},
		tc{name: "access-log-destination-kms", res: stack(bucket(), sse("loki-chunks", "aws:kms"), logging("loki-chunks", "access-logs"),
			accessLogBucket(), sse("access-logs", "aws:kms")), want: violates, msg: "receives server access logs"},
		tc{name: "access-log-destination-without-config", res: stack(bucket(), sse("loki-chunks", "aws:kms"), logging("loki-chunks", "access-logs"),
			accessLogBucket()), want: violates, msg: "set AES256"},
		tc{name: "sse-s3-on-a-bucket-nothing-logs-to", res: stack(bucket(), sse("loki-chunks", "aws:kms"), accessLogBucket(), sse("access-logs", "AES256")),
			want: violates, msg: "no aws:kms default encryption"},
		tc{name: "logged-source-stays-kms", res: stack(bucket(), sse("loki-chunks", "AES256"), logging("loki-chunks", "access-logs"),
			accessLogBucket(), sse("access-logs", "AES256")), want: violates, msg: "no aws:kms default encryption"},
		tc{name: "access-log-destination-by-dependency", res: stack(bucket(), sse("loki-chunks", "aws:kms"),
			byDependency(logging("loki-chunks", ""), "targetBucket", "access-logs"), accessLogBucket(), sse("access-logs", "AES256")), want: passes},
		tc{name: "unknown-logging-target", res: stack(bucket(), sse("loki-chunks", "aws:kms"),
			mk(loggingT, "l", obj{"bucket": "loki-chunks", "targetBucket": unk}), accessLogBucket(), sse("access-logs", "AES256")), want: undecided},
	)
	addTable("s3-access-logging", [3]pack.Level{D, D, M},
		tc{name: "no-logging", res: stack(bucket(), accessLogBucket()), want: violates, msg: "no bucket logging configuration refers to this bucket"},
		tc{name: "logged", res: stack(bucket(), logging("loki-chunks", "access-logs"), accessLogBucket()), want: passes},
		tc{name: "logged-v7-type-name", res: stack(bucket(), mk(loggingV7T, "l", obj{"bucket": "loki-chunks", "targetBucket": "access-logs", "targetPrefix": "x/"}),
			accessLogBucket()), want: passes},
		tc{name: "logged-by-dependency", res: stack(bucket(), byDependency(logging("", "access-logs"), "bucket", "loki-chunks"), accessLogBucket()), want: passes},
		tc{name: "legacy-inline-loggings", res: stack(mk(bucketV2, "old", obj{"bucket": "old", "loggings": arr{obj{"targetBucket": "access-logs", "targetPrefix": "old/"}}})), want: passes},
		tc{name: "logs-into-itself", res: stack(bucket(), logging("loki-chunks", "loki-chunks")), want: violates, msg: "targetBucket is the logged bucket itself"},
		tc{name: "other-bucket-logged-not-this", res: stack(bucket(), mk(bucketV2, "b2", obj{"bucket": "b2", "arn": "arn:aws:s3:::b2"}),
			logging("b2", "access-logs"), accessLogBucket()), want: violates, msg: "loki-chunks"},
		tc{name: "flow-log-destination-exempt", res: stack(mk(bucketV2, "flow", obj{"bucket": "flow", "arn": "arn:aws:s3:::flow"}),
			mk(flowLogT, "fl", obj{"logDestinationType": "s3", "logDestination": "arn:aws:s3:::flow", "trafficType": "ALL"})), want: passes},
		tc{name: "flow-log-destination-with-folder-exempt", res: stack(mk(bucketV2, "flow", obj{"bucket": "flow", "arn": "arn:aws:s3:::flow"}),
			mk(flowLogT, "fl", obj{"logDestinationType": "s3", "logDestination": "arn:aws:s3:::flow/vpc/", "trafficType": "ALL"})), want: passes},
		tc{name: "cloudwatch-flow-log-exempts-nothing", res: stack(mk(bucketV2, "flow", obj{"bucket": "flow", "arn": "arn:aws:s3:::flow"}),
			mk(flowLogT, "fl", obj{"logDestinationType": "cloud-watch-logs", "logDestination": "arn:aws:s3:::flow", "trafficType": "ALL"})), want: violates},
		// A preview: every bucket name is unknown and the engine's dependencies link each configuration.
		tc{name: "preview-one-bucket-unlogged", res: stack(bucket(), mk(bucketV2, "b2", obj{"bucket": "b2"}), accessLogBucket(),
			byDependency(byDependency(logging("", ""), "bucket", "b2"), "targetBucket", "access-logs")),
			want: violates, msg: "loki-chunks"},
		tc{name: "preview-all-logged", res: stack(bucket(), accessLogBucket(),
			byDependency(byDependency(logging("", ""), "bucket", "loki-chunks"), "targetBucket", "access-logs")), want: passes},
		tc{name: "dev-disabled", env: pack.Dev, res: stack(bucket()), want: passes},
		tc{name: "unknown-logging-bucket-ref", res: stack(bucket(), mk(loggingT, "l", obj{"bucket": unk, "targetBucket": "access-logs"}), accessLogBucket()),
			want: undecided},
	)
	addTable("s3-tls-only", [3]pack.Level{A, M, M},
		tc{name: "no-policy", res: stack(bucket()), want: violates, msg: "no bucket policy denies aws:SecureTransport=false"},
		tc{name: "policy-without-deny", res: stack(bucket(), mk(bpolT, "p", obj{"bucket": "loki-chunks", "policy": scoped})), want: violates},
		tc{name: "tls-only", res: stack(bucket(), mk(bpolT, "p", obj{"bucket": "loki-chunks", "policy": tlsOnly})), want: passes},
		tc{name: "unknown-policy", res: stack(bucket(), mk(bpolT, "p", obj{"bucket": "loki-chunks", "policy": unk})), want: undecided},
	)
	addTable("log-group-retention", [3]pack.Level{A, M, M},
		tc{name: "forever", res: one(mk(logGroup, "flow", obj{"kmsKeyId": "k"})), want: violates, msg: "retentionInDays is not set"},
		tc{name: "prod-short", res: one(mk(logGroup, "flow", obj{"retentionInDays": 14})), want: violates, msg: "at least 90 days"},
		tc{name: "dev-short-ok", env: pack.Dev, res: one(mk(logGroup, "flow", obj{"retentionInDays": 14})), want: passes},
		tc{name: "prod-year", res: one(mk(logGroup, "flow", obj{"retentionInDays": 365})), want: passes},
		tc{name: "unknown", res: one(mk(logGroup, "flow", obj{"retentionInDays": unk})), want: undecided},
	)
	addTable("log-group-kms", [3]pack.Level{A, M, M},
		tc{name: "none", res: one(mk(logGroup, "flow", obj{"retentionInDays": 365})), want: violates, msg: "kmsKeyId is not set"},
		tc{name: "kms", res: one(mk(logGroup, "flow", obj{"kmsKeyId": "arn:aws:kms:eu-west-1:1:key/x"})), want: passes},
		tc{name: "unknown", res: one(mk(logGroup, "flow", obj{"kmsKeyId": unkOutput})), want: undecided},
	)
}
