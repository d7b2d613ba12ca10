package pack_test

import (
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
