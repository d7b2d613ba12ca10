package pack_test

import (
	"fmt"

	"github.com/platform-team/platform/policies/pack"
)

// Equivalence cases for the policies that read IAM, KMS and S3 policy documents: what IAM treats as the same grant
// gets the same verdict (IAM User Guide, "IAM JSON policy element reference" and "Policy evaluation logic"). Each
// table has a bad value in each spelling, a good one and an unknown one.

const keyPolicyT = "aws:kms/keyPolicy:KeyPolicy"

// doc renders a one-statement policy document from a statement body.
func doc(stmt string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[%s]}`, stmt)
}

func init() {
	wildcardKMS := map[string]string{
		"principal-star":          `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`,
		"aws-star-in-list":        `{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"kms:*","Resource":"*"}`,
		"not-principal":           `{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/x"},"Action":"kms:Decrypt","Resource":"*"}`,
		"transport-only":          `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`,
		"source-ip-only":          `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`,
		"org-if-exists":           `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}`,
		"org-for-all-values":      `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`,
		"org-like-star":           `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"aws:PrincipalOrgID":"*"}}}`,
		"principal-arn-any-acct":  `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/vault"}}}`,
		"via-service-only":        `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`,
		"lowercase-effect-string": `{"Effect":"Allow","Principal":"*","Action":"KMS:DECRYPT","Resource":"*"}`,
	}
	pinnedKMS := map[string]string{
		"org-id":              `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`,
		"org-id-key-case":     `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"AWS:PRINCIPALORGID":"o-abc"}}}`,
		"caller-account":      `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`,
		"source-arn-like":     `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:*"}}}`,
		"principal-account":   `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:PrincipalAccount":["111122223333"]}}}`,
		"named-principal":     `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/vault"},"Action":"kms:*","Resource":"*"}`,
		"deny-to-everyone-ok": `{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
	}
	var kmsCases, trustCases []tc
	for _, name := range sortedNames(wildcardKMS) {
		d := doc(wildcardKMS[name])
		kmsCases = append(kmsCases,
			tc{name: "key/" + name, res: one(mk(kmsKey, "k", obj{"policy": d})), want: violates, msg: "allows any principal"},
			tc{name: "separate-key-policy/" + name, res: one(mk(keyPolicyT, "kp", obj{"keyId": "k", "policy": d})), want: violates})
		trust := doc(replaceAction(wildcardKMS[name], "sts:AssumeRole"))
		trustCases = append(trustCases, tc{name: name, res: one(mk(role, "r", obj{"assumeRolePolicy": trust})), want: violates})
	}
	for _, name := range sortedNames(pinnedKMS) {
		d := doc(pinnedKMS[name])
		kmsCases = append(kmsCases,
			tc{name: "key/" + name, res: one(mk(kmsKey, "k", obj{"policy": d})), want: passes},
			tc{name: "separate-key-policy/" + name, res: one(mk(keyPolicyT, "kp", obj{"keyId": "k", "policy": d})), want: passes})
		trustCases = append(trustCases, tc{name: name, res: one(mk(role, "r", obj{"assumeRolePolicy": doc(replaceAction(pinnedKMS[name], "sts:AssumeRole"))})), want: passes})
	}
	kmsCases = append(kmsCases, tc{name: "separate-key-policy/unknown", res: one(mk(keyPolicyT, "kp", obj{"keyId": "k", "policy": unkOutput})), want: undecided})
	addEquivalences("kms-no-wildcard-principal", kmsCases...)
	trustCases = append(trustCases, tc{name: "unknown-doc", res: one(mk(role, "r", obj{"assumeRolePolicy": unkOutput})), want: undecided})
	addEquivalences("iam-trust-no-wildcard", trustCases...)

	allActionsAllResources := map[string]string{
		"star":                   `{"Effect":"Allow","Action":"*","Resource":"*"}`,
		"star-colon-star":        `{"Effect":"Allow","Action":"*:*","Resource":["*"]}`,
		"question-star":          `{"Effect":"Allow","Action":["?*:*"],"Resource":"*"}`,
		"not-action":             `{"Effect":"Allow","NotAction":"iam:DeleteAccountPasswordPolicy","Resource":"*"}`,
		"not-resource":           `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::audit-logs/*"}`,
		"not-action-and-not-res": `{"Effect":"Allow","NotAction":["s3:DeleteBucket"],"NotResource":"arn:aws:s3:::x"}`,
		"arn-star-resource":      `{"Effect":"Allow","Action":"*","Resource":"arn:*"}`,
	}
	scopedDocs := map[string]string{
		"service-star":        `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`,
		"all-actions-one-arn": `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::loki-chunks/*"}`,
		"deny-everything":     `{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}`,
		"case-folded-scoped":  `{"Effect":"Allow","Action":["S3:GETOBJECT","s3:putobject"],"Resource":"arn:aws:s3:::loki-chunks/*"}`,
		"not-action-one-arn":  `{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::loki-chunks"}`,
	}
	var starCases []tc
	for _, name := range sortedNames(allActionsAllResources) {
		d := doc(allActionsAllResources[name])
		starCases = append(starCases,
			tc{name: "policy/" + name, res: one(mk("aws:iam/policy:Policy", "p", obj{"policy": d})), want: violates, msg: "every action on every resource"},
			tc{name: "user-policy/" + name, res: one(mk("aws:iam/userPolicy:UserPolicy", "u", obj{"user": "ci", "policy": d})), want: violates},
			tc{name: "group-policy/" + name, res: one(mk("aws:iam/groupPolicy:GroupPolicy", "g", obj{"group": "ops", "policy": d})), want: violates},
			tc{name: "role-inline/" + name, res: one(mk(role, "r", obj{"assumeRolePolicy": ec2Trust, "inlinePolicies": arr{obj{"name": "x", "policy": d}}})), want: violates})
	}
	for _, name := range sortedNames(scopedDocs) {
		d := doc(scopedDocs[name])
		starCases = append(starCases,
			tc{name: "policy/" + name, res: one(mk("aws:iam/policy:Policy", "p", obj{"policy": d})), want: passes},
			tc{name: "user-policy/" + name, res: one(mk("aws:iam/userPolicy:UserPolicy", "u", obj{"user": "ci", "policy": d})), want: passes})
	}
	starCases = append(starCases, tc{name: "group-policy/unknown", res: one(mk("aws:iam/groupPolicy:GroupPolicy", "g", obj{"group": "ops", "policy": unk})), want: undecided})
	addEquivalences("iam-no-star-star", starCases...)

	issuer := "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	fed := `"Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` + issuer + `"}`
	irsa := func(action, cond string) string {
		return doc(`{"Effect":"Allow",` + fed + `,"Action":` + action + `,"Condition":` + cond + `}`)
	}
	sub := func(op, v string) string { return `{"` + op + `":{"` + issuer + `:sub":"` + v + `"}}` }
	addEquivalences("irsa-trust-scoped",
		tc{name: "action-wildcard-no-sub", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"sts:AssumeRoleWith*"`, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"}}`)})), want: violates, msg: "every pod in the cluster"},
		tc{name: "action-case-no-sub", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"STS:assumerolewithwebidentity"`, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"}}`)})), want: violates},
		tc{name: "action-star-no-sub", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`["sts:*"]`, `{}`)})), want: violates},
		tc{name: "sub-if-exists", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"sts:AssumeRoleWithWebIdentity"`, sub("StringEqualsIfExists", "system:serviceaccount:vault:vault"))})), want: violates, msg: "does not pin exactly one service account"},
		tc{name: "sub-like-wildcard", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"sts:AssumeRoleWithWebIdentity"`, sub("StringLike", "system:serviceaccount:vault:*"))})), want: violates},
		tc{name: "sub-not-equals", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"sts:AssumeRoleWithWebIdentity"`, sub("StringNotEquals", "system:serviceaccount:kube-system:default"))})), want: violates},
		tc{name: "sub-key-case", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"sts:AssumeRoleWithWebIdentity"`, `{"StringEquals":{"`+issuer+`:SUB":"system:serviceaccount:vault:vault"}}`)})), want: passes},
		tc{name: "sub-like-literal", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`"sts:AssumeRoleWith*"`, sub("StringLike", "system:serviceaccount:vault:vault"))})), want: passes},
		tc{name: "sub-ignore-case", res: one(mk(role, "r", obj{"assumeRolePolicy": irsa(`["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, sub("StringEqualsIgnoreCase", "system:serviceaccount:vault:vault"))})), want: passes},
		tc{name: "unknown-doc", res: one(mk(role, "r", obj{"assumeRolePolicy": unk})), want: undecided},
	)

	addEquivalences("iam-no-admin-attachment",
		tc{name: "lower-case-name", res: one(mk("aws:iam/userPolicyAttachment:UserPolicyAttachment", "a", obj{"user": "ci", "policyArn": "arn:aws:iam::aws:policy/administratoraccess"})), want: violates},
		tc{name: "group-attachment", res: one(mk("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "a", obj{"group": "ops", "policyArn": "arn:aws-cn:iam::aws:policy/AdministratorAccess"})), want: violates},
		tc{name: "role-exclusive", res: one(mk("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", "a", obj{"roleName": "r", "policyArns": arr{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"}})), want: violates, msg: "policyArns includes"},
		tc{name: "user-exclusive", res: one(mk("aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive", "a", obj{"userName": "ci", "policyArns": arr{"arn:aws:iam::aws:policy/AdministratorAccess"}})), want: violates},
		tc{name: "customer-policy-named-admin", res: one(mk("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", obj{"role": "r", "policyArn": "arn:aws:iam::111122223333:policy/AdministratorAccess-lookalike"})), want: passes},
		tc{name: "group-exclusive-read-only", res: one(mk("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", "a", obj{"groupName": "ops", "policyArns": arr{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})), want: passes},
		tc{name: "exclusive-unknown", res: one(mk("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", "a", obj{"roleName": "r", "policyArns": unk})), want: undecided},
	)

	tlsDeny := func(stmt string) []pack.Resource {
		return stack(bucket(), mk(bpolT, "p", obj{"bucket": "loki-chunks", "policy": doc(stmt)}))
	}
	addEquivalences("s3-tls-only",
		tc{name: "deny-one-action-only", res: tlsDeny(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), want: violates},
		tc{name: "deny-one-principal-only", res: tlsDeny(`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/x"},"Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), want: violates},
		tc{name: "allow-not-deny", res: tlsDeny(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), want: violates},
		tc{name: "bool-true", res: tlsDeny(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), want: violates},
		tc{name: "json-bool-false", res: tlsDeny(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}`), want: passes},
		tc{name: "key-case-and-list", res: tlsDeny(`{"Effect":"Deny","Principal":{"AWS":"*"},"Action":["S3:*"],"Resource":"*","Condition":{"Bool":{"AWS:SECURETRANSPORT":["false"]}}}`), want: passes},
		tc{name: "bool-if-exists-star-action", res: tlsDeny(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}`), want: passes},
		tc{name: "not-action-deny", res: tlsDeny(`{"Effect":"Deny","Principal":"*","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), want: passes},
		tc{name: "unknown-policy-doc", res: stack(bucket(), mk(bpolT, "p", obj{"bucket": "loki-chunks", "policy": unkOutput})), want: undecided},
	)
}

// replaceAction swaps the action of a KMS statement for a trust policy's.
func replaceAction(stmt, action string) string {
	for _, a := range []string{`"kms:Decrypt"`, `"kms:*"`, `"KMS:DECRYPT"`} {
		stmt = replaceAll(stmt, a, `"`+action+`"`)
	}
	return stmt
}
