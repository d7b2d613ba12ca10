package pack

import (
	"encoding/json"
	"strings"
)

// S3 and CloudWatch Logs policies.

func init() {
	register(
		&Policy{
			ID:          "s3-public-access-block",
			Description: "Every S3 bucket has a public access block with all four settings on.",
			Group:       "Storage and logs",
			Types:       []string{tBucketV2, tBucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"},
			Stack:       true,
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "add aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets true.",
			checkStack:  checkS3PublicAccessBlock,
		},
		&Policy{
			ID:          "s3-encryption",
			Description: "Every S3 bucket has default encryption with KMS (aws:kms or aws:kms:dsse); only a server access log destination (the target of a bucket logging configuration in the stack) may, and then must, use SSE-S3 (AES256), the only default encryption S3 delivers access logs to.",
			Group:       "Storage and logs",
			Types:       append(append([]string{tBucketV2, tBucket}, sseConfigTypes...), bucketLoggingTypes...),
			Stack:       true,
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			RealRun:     "after `up`: the stored state of the BucketServerSideEncryptionConfiguration(V2) that refers to each bucket, when there is one (a bucket's own state reports the AES256 AWS applied at creation, before that resource existed, until a refresh); only a bucket with none is judged on its own serverSideEncryptionConfiguration. A bucket is an access-log destination when a BucketLogging(V2) names it as targetBucket (by value or dependency). In preview, the planned inputs.",
			Fix:         "add aws:s3/bucketServerSideEncryptionConfigurationV2 with rules[].applyServerSideEncryptionByDefault {sseAlgorithm: \"aws:kms\", kmsMasterKeyId}; on a server access log destination, {sseAlgorithm: \"AES256\"}.",
			checkStack:  checkS3Encryption,
		},
		&Policy{
			ID:          "s3-access-logging",
			Description: "Every S3 bucket has server access logging (a bucket logging configuration refers to it), except log-delivery destinations: the access-log bucket itself and a flow log's S3 destination. No bucket logs into itself.",
			Group:       "Storage and logs",
			Types:       append([]string{tBucketV2, tBucket, tFlowLog}, bucketLoggingTypes...),
			Stack:       true,
			Levels:      levels(Disabled, Disabled, Mandatory),
			Controls: []Control{
				{Framework: "AWS Security Hub", Ref: "S3.9", Title: "S3 general purpose buckets should have server access logging enabled"},
			},
			RealRun:    "after `up` (and on a state export with `pulumi policy analyze`): the stored state of each bucket and of the BucketLogging(V2) and FlowLog resources that refer to it (by value or dependency); during a preview, the planned inputs.",
			Fix:        "add aws:s3/bucketLoggingV2:BucketLoggingV2 {bucket, targetBucket: <the stack's access-log bucket>, targetPrefix: \"<bucket key>/\"}; the destination needs SSE-S3 default encryption and a bucket policy letting logging.s3.amazonaws.com put objects for this source (aws:SourceArn, aws:SourceAccount).",
			checkStack: checkS3AccessLogging,
		},
		&Policy{
			ID:          "s3-tls-only",
			Description: "Every S3 bucket policy denies requests that do not use TLS (aws:SecureTransport = false).",
			Group:       "Storage and logs",
			Types:       []string{tBucketV2, tBucket, "aws:s3/bucketPolicy:BucketPolicy"},
			Stack:       true,
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Fix:         "add a bucket policy statement {Effect: Deny, Principal: \"*\", Action: \"s3:*\", Condition: {Bool: {\"aws:SecureTransport\": \"false\"}}}.",
			checkStack:  checkS3TLSOnly,
		},
		&Policy{
			ID:          "log-group-retention",
			Description: "CloudWatch log groups expire their data (retentionInDays set, at least minDays).",
			Group:       "Storage and logs",
			Types:       []string{tLogGroup},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Params: []Param{{
				Name: "minDays", Type: IntParam, Description: "Smallest allowed retentionInDays.",
				Default: perEnv(1, 30, 90),
			}},
			Fix:   "set retentionInDays (e.g. 30 in dev, 90 in staging, 365 in prod).",
			check: checkLogRetention,
		},
		&Policy{
			ID:          "log-group-kms",
			Description: "CloudWatch log groups are encrypted with a customer-managed KMS key.",
			Group:       "Storage and logs",
			Types:       []string{tLogGroup},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Fix:         "set kmsKeyId to a key whose policy allows logs.<region>.amazonaws.com.",
			check:       checkLogKMS,
		},
	)
}

// bucketsAndChildren pairs each bucket with the resources of childType that refer to it through prop.
func bucketChildren(c *checker, rs []Resource, bucket Resource, childType, prop string) (children []Resource, decided bool) {
	decided = true
	for _, ch := range ofType(rs, childType) {
		yes, ok := linked(ch, prop, bucket)
		if !ok {
			decided = false
			continue
		}
		if yes {
			children = append(children, ch)
		}
	}
	return children, decided
}

func checkS3PublicAccessBlock(c *checker, rs []Resource) {
	for _, b := range ofType(rs, tBucketV2, tBucket) {
		pabs, decided := bucketChildren(c, rs, b, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket")
		if len(pabs) == 0 {
			if decided {
				c.failOn(b, "no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock refers to this bucket")
			} else {
				c.unknownOn(b, "public access block bucket")
			}
			continue
		}
		for _, p := range pabs {
			for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				v := lookup(p.Properties, k)
				if v.p == unknown {
					c.unknownOn(p, k)
					continue
				}
				if on, ok := v.boolean(); !ok || !on {
					c.failOn(p, "%s is %s; all four public access settings must be true", k, v.show())
				}
			}
		}
	}
}

func kmsAlgorithm(alg string) bool { return alg == "aws:kms" || alg == "aws:kms:dsse" }

// inlineSSE reads the legacy inline encryption block of a bucket: serverSideEncryptionConfiguration (Bucket) or
// serverSideEncryptionConfigurations (BucketV2).
func inlineSSE(b Resource) (alg string, present bool) {
	for _, path := range []string{"serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm"} {
		if s, ok := lookup(b.Properties, path).str(); ok {
			return s, true
		}
	}
	list, _ := lookup(b.Properties, "serverSideEncryptionConfigurations").items()
	for _, cfg := range list {
		rules, _ := cfg.field("rules").items()
		for _, r := range rules {
			defs, _ := r.field("applyServerSideEncryptionByDefaults").items()
			for _, d := range defs {
				if s, ok := d.field("sseAlgorithm").str(); ok {
					return s, true
				}
			}
		}
	}
	return "", false
}

// bucketLoggingTypes are the separate server access logging configurations (pulumi-aws v6 name, and v7's without
// V2).
var bucketLoggingTypes = []string{
	"aws:s3/bucketLoggingV2:BucketLoggingV2",
	"aws:s3/bucketLogging:BucketLogging",
}

// accessLogDestination reports whether a bucket logging configuration in the stack names b as its targetBucket.
// In a preview the targetBucket is often unknown; the engine's dependencies then say which bucket it comes from,
// and a value that comes from another bucket of the stack is not b.
func accessLogDestination(rs []Resource, b Resource) (yes, decided bool) {
	decided = true
	for _, l := range ofType(rs, bucketLoggingTypes...) {
		y, ok := refersTo(rs, l, "targetBucket", b)
		if !ok {
			decided = false
			continue
		}
		if y {
			return true, true
		}
	}
	return false, decided
}

// refersTo is linked, deciding one more case: a value not known yet that the engine says is computed from a
// bucket of the stack other than b does not refer to b.
func refersTo(rs []Resource, r Resource, prop string, b Resource) (yes, decided bool) {
	if y, ok := linked(r, prop, b); ok {
		return y, true
	}
	for _, u := range r.PropertyDependencies[prop] {
		for _, o := range ofType(rs, tBucketV2, tBucket) {
			if o.URN == u && o.URN != b.URN {
				return false, true
			}
		}
	}
	return false, false
}

// flowLogDestination reports whether a flow log in the stack delivers to b (logDestination is the bucket's ARN,
// optionally with a folder).
func flowLogDestination(rs []Resource, b Resource) (yes, decided bool) {
	decided = true
	for _, f := range ofType(rs, tFlowLog) {
		if t, ok := lookup(f.Properties, "logDestinationType").str(); ok && t != "s3" {
			continue
		}
		y, ok := refersTo(rs, f, "logDestination", b)
		if !ok {
			decided = false
			continue
		}
		if !y {
			// A destination with a folder ("arn:aws:s3:::bucket/prefix/") refers to the bucket too.
			if dest, isStr := lookup(f.Properties, "logDestination").str(); isStr {
				if arn, hasArn := lookup(b.Properties, "arn").str(); hasArn && arn != "" && strings.HasPrefix(dest, arn+"/") {
					y = true
				}
			}
		}
		if y {
			return true, true
		}
	}
	return false, decided
}

// inlineLogging reports a legacy inline logging block on the bucket itself (Bucket and BucketV2 "loggings").
func inlineLogging(b Resource) bool {
	list, _ := lookup(b.Properties, "loggings").items()
	for _, l := range list {
		if s, ok := l.field("targetBucket").str(); ok && s != "" {
			return true
		}
	}
	return false
}

// checkS3AccessLogging: S3 only keeps a record of who read, wrote or deleted objects when server access logging
// is on (CloudTrail records data events only when asked, at a price per event). A log-delivery destination is
// exempt: the Amazon S3 User Guide ("Enabling Amazon S3 server access logging") advises that the target bucket
// not log itself, and a flow log's bucket is written only by the delivery service, so its access log would be a
// log of logs. A configuration whose bucket and target are the same bucket is refused: it logs its own log
// writes, forever.
func checkS3AccessLogging(c *checker, rs []Resource) {
	for _, b := range ofType(rs, tBucketV2, tBucket) {
		logs, decided := []Resource{}, true
		for _, l := range ofType(rs, bucketLoggingTypes...) {
			y, ok := refersTo(rs, l, "bucket", b)
			decided = decided && ok
			if y {
				logs = append(logs, l)
			}
		}
		for _, l := range logs {
			if self, ok := refersTo(rs, l, "targetBucket", b); ok && self {
				c.failOn(l, "targetBucket is the logged bucket itself, so every log delivery is logged again; deliver to the stack's access-log bucket")
			}
		}
		if len(logs) > 0 || inlineLogging(b) {
			continue
		}
		dest, destDecided := accessLogDestination(rs, b)
		flow, flowDecided := flowLogDestination(rs, b)
		switch {
		case dest || flow:
		case !decided || !destDecided || !flowDecided:
			c.unknownOn(b, "bucket logging bucket")
		default:
			c.failOn(b, "no bucket logging configuration refers to this bucket, so nothing records who read, wrote or deleted its objects")
		}
	}
}

// sseConfigTypes are the separate encryption configuration resources (pulumi-aws v6 name, and v7's without V2).
var sseConfigTypes = []string{
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
}

// checkS3Encryption judges the bucket's linked encryption configuration when there is one, and the bucket's own
// (inline) encryption only when there is none. After a real `up` the bucket's stored state reports what AWS applied
// at creation (SSE-S3, AES256), before the separate configuration existed; until a refresh that stale value says
// nothing about the bucket's encryption, and the linked configuration is what AWS now enforces.
func checkS3Encryption(c *checker, rs []Resource) {
	for _, b := range ofType(rs, tBucketV2, tBucket) {
		var cfgs []Resource
		decided := true
		for _, t := range sseConfigTypes {
			cs, d := bucketChildren(c, rs, b, t, "bucket")
			cfgs = append(cfgs, cs...)
			decided = decided && d
		}
		// S3 delivers server access logs only to a bucket whose default encryption is SSE-S3: "Default
		// server-side encryption with AWS KMS keys (SSE-KMS) is not supported" (Amazon S3 User Guide, "Enabling
		// Amazon S3 server access logging"). So a destination is held to AES256 instead of KMS, and nothing else is.
		logDest, destDecided := accessLogDestination(rs, b)
		if !destDecided {
			c.unknownOn(b, "bucket logging targetBucket")
			continue
		}
		allowed, want := kmsAlgorithm, "aws:kms"
		if logDest {
			allowed, want = func(alg string) bool { return alg == "AES256" }, "AES256 (SSE-S3, the only default encryption server access log delivery supports)"
		}
		if len(cfgs) == 0 {
			switch alg, inline := inlineSSE(b); {
			case !decided:
				c.unknownOn(b, "encryption configuration bucket")
			case inline && allowed(alg):
			case inline:
				c.failOn(b, "inline server-side encryption uses %q and no encryption configuration refers to this bucket; use %s", alg, want)
			case logDest:
				c.failOn(b, "no server-side encryption configuration refers to this access-log destination; set %s explicitly", want)
			default:
				c.failOn(b, "no server-side encryption configuration refers to this bucket, so objects get only SSE-S3 defaults")
			}
			continue
		}
		for _, cfg := range cfgs {
			rules := lookup(cfg.Properties, "rules")
			if rules.p == unknown {
				c.unknownOn(cfg, "rules")
				continue
			}
			elems, _ := rules.items()
			ok := false
			for _, r := range elems {
				alg := r.field("applyServerSideEncryptionByDefault.sseAlgorithm")
				if alg.p == unknown {
					c.unknownOn(cfg, "rules[].applyServerSideEncryptionByDefault.sseAlgorithm")
					ok = true
					break
				}
				if s, isStr := alg.str(); isStr && allowed(s) {
					ok = true
				}
			}
			switch {
			case ok:
			case logDest:
				c.failOn(cfg, "this bucket receives server access logs, whose delivery needs default encryption %s (rules: %s)", want, rules.show())
			default:
				c.failOn(cfg, "rules set no aws:kms default encryption (rules: %s)", rules.show())
			}
		}
	}
}

// denyInsecureTransport reports a statement that denies every S3 action to every principal when
// aws:SecureTransport is false, in any spelling IAM accepts: Bool or BoolIfExists (the key is always present on S3
// requests), "false" or false, any letter case in the key and action, Action "s3:*"/"*" or a NotAction that leaves
// S3 in. A Deny for one action or one principal leaves plain HTTP open to the rest.
func denyInsecureTransport(doc policyDoc) bool {
	for _, st := range doc.Statement {
		if !st.denies() || len(st.NotPrincipal) > 0 || !st.anyPrincipal() || !st.grantsAllActionsOf("s3", "GetObject", "PutObject", "DeleteObject", "ListBucket", "PutBucketPolicy") {
			continue
		}
		for op, conds := range st.Condition {
			if o := strings.ToLower(op); o != "bool" && o != "boolifexists" {
				continue
			}
			for k, raw := range conds {
				var v stringOrList
				if strings.EqualFold(k, "aws:SecureTransport") && json.Unmarshal(raw, &v) == nil && len(v) > 0 {
					all := true
					for _, x := range v {
						all = all && strings.EqualFold(x, "false")
					}
					if all {
						return true
					}
				}
			}
		}
	}
	return false
}

func checkS3TLSOnly(c *checker, rs []Resource) {
	for _, b := range ofType(rs, tBucketV2, tBucket) {
		docs := []value{lookup(b.Properties, "policy")}
		pols, decided := bucketChildren(c, rs, b, "aws:s3/bucketPolicy:BucketPolicy", "bucket")
		for _, p := range pols {
			docs = append(docs, lookup(p.Properties, "policy"))
		}
		found, unknownDoc := false, false
		for _, d := range docs {
			if d.p == unknown {
				unknownDoc = true
				continue
			}
			s, ok := d.str()
			if !ok {
				continue
			}
			var doc policyDoc
			if json.Unmarshal([]byte(s), &doc) == nil && denyInsecureTransport(doc) {
				found = true
			}
		}
		switch {
		case found:
		case unknownDoc || !decided:
			c.unknownOn(b, "bucket policy")
		default:
			c.failOn(b, "no bucket policy denies aws:SecureTransport=false, so plain-HTTP requests are accepted")
		}
	}
}

func checkLogRetention(c *checker, r Resource) {
	v := c.get("retentionInDays")
	if !c.requireKnown("retentionInDays", v) {
		return
	}
	n, ok := v.number()
	if !ok || n == 0 {
		c.fail("retentionInDays is %s, so logs are kept (and billed) forever", v.show())
		return
	}
	if want := c.intParam("minDays"); int(n) < want {
		c.fail("retentionInDays is %s; %s keeps logs at least %d days for incident review", v.show(), c.env, want)
	}
}

func checkLogKMS(c *checker, r Resource) {
	v := c.get("kmsKeyId")
	if !c.requireKnown("kmsKeyId", v) {
		return
	}
	if s, ok := v.str(); !ok || s == "" {
		c.fail("kmsKeyId is %s, so logs are encrypted only with the service-owned key", v.show())
	}
}
