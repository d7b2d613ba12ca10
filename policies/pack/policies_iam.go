package pack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// KMS, IAM, provider and protection policies.

func init() {
	register(
		&Policy{
			ID:          "kms-key-rotation",
			Description: "Symmetric customer-managed KMS keys rotate automatically.",
			Group:       "KMS and IAM",
			Types:       []string{tKMSKey},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "set enableKeyRotation=true.",
			check:       checkKMSRotation,
		},
		&Policy{
			ID:          "kms-deletion-window",
			Description: "KMS keys keep a deletion window of at least minDays (30 in prod), so an accidental delete can be cancelled.",
			Group:       "KMS and IAM",
			Types:       []string{tKMSKey},
			Levels:      levels(Disabled, Advisory, Mandatory),
			Params: []Param{{
				Name: "minDays", Type: IntParam, Description: "Smallest allowed deletionWindowInDays (AWS default 30).",
				Default: perEnv(7, 30, 30),
			}},
			Fix:   "set deletionWindowInDays to at least minDays (or leave it unset for AWS's 30).",
			check: checkKMSDeletionWindow,
		},
		&Policy{
			ID:          "kms-no-wildcard-principal",
			Description: "KMS key policies (on the key or a separate key policy) grant nothing to any principal unless a condition pins the caller.",
			Group:       "KMS and IAM",
			Types:       []string{tKMSKey, tKMSKeyPolicy},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "name the account root, roles or services as principals, or add a Condition that pins the caller (aws:PrincipalOrgID, kms:CallerAccount).",
			check:       checkKMSWildcard,
		},
		&Policy{
			ID:          "iam-trust-no-wildcard",
			Description: "IAM role trust policies let no wildcard principal assume the role unless a condition pins the caller.",
			Group:       "KMS and IAM",
			Types:       []string{tRole},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "name the trusted account, role, service or OIDC provider explicitly.",
			check:       checkTrustWildcard,
		},
		&Policy{
			ID:          "irsa-trust-scoped",
			Description: "IRSA roles (trust via an EKS OIDC provider) are scoped to one service account with a StringEquals condition on <issuer>:sub.",
			Group:       "KMS and IAM",
			Types:       []string{tRole},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Controls:    []Control{cis("5.2.1", "Prefer using dedicated EKS Service Accounts")},
			Fix:         "add Condition {StringEquals: {\"<issuer>:sub\": \"system:serviceaccount:<namespace>:<name>\", \"<issuer>:aud\": \"sts.amazonaws.com\"}}.",
			check:       checkIRSAScoped,
		},
		&Policy{
			ID:          "iam-no-star-star",
			Description: "No IAM policy (managed, inline, role, user or group policy) allows every action on every resource.",
			Group:       "KMS and IAM",
			Types:       []string{"aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy", tRole},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "list the actions and resources the workload needs.",
			check:       checkNoStarStar,
		},
		&Policy{
			ID:          "iam-no-admin-attachment",
			Description: "Nothing attaches the AdministratorAccess managed policy.",
			Group:       "KMS and IAM",
			Types: []string{"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
				"aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment", tRole,
				"aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
				"aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
				"aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"},
			Levels: levels(Mandatory, Mandatory, Mandatory),
			Fix:    "attach a least-privilege policy; cluster admins get an EKS access entry instead.",
			check:  checkNoAdminAttachment,
		},
		&Policy{
			ID:          "provider-no-static-credentials",
			Description: "Providers carry no static credentials: no AWS access keys; a Vault token only as a Pulumi secret.",
			Group:       "KMS and IAM",
			Types:       []string{tAWSProvider, tVaultProvider},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "use an assume-role ARN / OIDC federation for AWS; pass the Vault token with `pulumi config set --secret`.",
			check:       checkProviderCredentials,
		},
		&Policy{
			ID:          "prod-resources-protected",
			Description: "Critical resources (cluster, KMS keys, VPC, data buckets) are protected against `pulumi destroy` and replacement.",
			Group:       "KMS and IAM",
			Types:       []string{tEKSCluster, tKMSKey, tVpc, tBucketV2, tBucket},
			Levels:      levels(Disabled, Advisory, Mandatory),
			Params: []Param{{
				Name: "criticalTypes", Type: StringArrayParam, Description: "Resource types that must be protected.",
				Default: same([]string{tEKSCluster, tKMSKey, tVpc, tBucketV2, tBucket}),
			}},
			Fix:   "register the resource (or its component, protect is inherited) with pulumi.Protect(true).",
			check: checkProtected,
			match: func(string) bool { return true }, // the type list is configurable
		},
	)
}

func checkKMSRotation(c *checker, r Resource) {
	spec := c.get("customerMasterKeySpec")
	if s, ok := spec.str(); ok && s != "SYMMETRIC_DEFAULT" {
		return // AWS rotates only symmetric encryption keys
	}
	v := c.get("enableKeyRotation")
	if !c.requireKnown("enableKeyRotation", v) {
		return
	}
	if b, ok := v.boolean(); !ok || !b {
		c.fail("enableKeyRotation is %s (false when not set)", v.show())
	}
}

func checkKMSDeletionWindow(c *checker, r Resource) {
	v := c.get("deletionWindowInDays")
	if !c.requireKnown("deletionWindowInDays", v) {
		return
	}
	days := 30.0 // AWS default
	if n, ok := v.number(); ok {
		days = n
	}
	if want := c.intParam("minDays"); int(days) < want {
		c.fail("deletionWindowInDays is %s; %s needs at least %d days to notice and cancel a deletion", v.show(), c.env, want)
	}
}

func wildcardStatements(doc policyDoc) []int {
	var idx []int
	for i, st := range doc.Statement {
		if st.openToAnyone() {
			idx = append(idx, i)
		}
	}
	return idx
}

func checkKMSWildcard(c *checker, r Resource) {
	doc, ok := parseDoc(c, "policy", c.get("policy"))
	if !ok {
		return
	}
	for _, i := range wildcardStatements(doc) {
		c.fail("policy Statement[%d] allows any principal (Principal \"*\" or NotPrincipal) with no Condition that pins the caller's organisation, account or ARN: anyone who can call KMS may use this key", i)
	}
}

func checkTrustWildcard(c *checker, r Resource) {
	doc, ok := parseDoc(c, "assumeRolePolicy", c.get("assumeRolePolicy"))
	if !ok {
		return
	}
	for _, i := range wildcardStatements(doc) {
		c.fail("assumeRolePolicy Statement[%d] lets any principal (Principal \"*\" or NotPrincipal) assume the role with no Condition that pins the caller's organisation, account or ARN", i)
	}
}

// serviceAccountSub matches one concrete service account, no wildcards.
var serviceAccountSub = regexp.MustCompile(`^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

// isEKSOIDC reports a Federated principal that is an EKS cluster's OIDC provider.
func isEKSOIDC(raw json.RawMessage) bool {
	var fed map[string]stringOrList
	if json.Unmarshal(raw, &fed) != nil {
		return false
	}
	for k, ps := range fed {
		if !strings.EqualFold(k, "Federated") {
			continue
		}
		for _, p := range ps {
			if strings.Contains(p, "oidc.eks.") || strings.Contains(p, ":oidc-provider/") {
				return true
			}
		}
	}
	return false
}

func checkIRSAScoped(c *checker, r Resource) {
	trust := c.get("assumeRolePolicy")
	doc, ok := parseDoc(c, "assumeRolePolicy", trust)
	if !ok {
		return
	}
	for i, st := range doc.Statement {
		if !st.allows() || !st.grantsAction("sts:AssumeRoleWithWebIdentity") || !isEKSOIDC(st.Principal) {
			continue
		}
		var subs []string
		bad := false
		for op, conds := range st.Condition {
			o := strings.ToLower(op)
			for k, raw := range conds {
				if !strings.HasSuffix(strings.ToLower(k), ":sub") {
					continue
				}
				var vals stringOrList
				if json.Unmarshal(raw, &vals) != nil {
					continue
				}
				for _, v := range vals {
					if irsaPins(o, v) {
						subs = append(subs, v)
						continue
					}
					bad = true
					c.fail("assumeRolePolicy Statement[%d] Condition %s %s = %s does not pin exactly one service account", i, op, k, redact(trust.secret, v))
				}
			}
		}
		if len(subs) == 0 && !bad {
			c.fail("assumeRolePolicy Statement[%d] trusts the cluster's OIDC provider without a StringEquals condition on <issuer>:sub, so every pod in the cluster can assume this role", i)
		}
	}
}

// irsaPins reports whether a condition on <issuer>:sub admits exactly one service account: an equality operator
// (or StringLike without wildcards, which IAM compares literally) that requires the key, and one concrete name.
func irsaPins(op, v string) bool {
	op = strings.TrimPrefix(op, "foranyvalue:")
	switch op {
	case "stringequals", "stringequalsignorecase":
	case "stringlike":
		if strings.ContainsAny(v, "*?") {
			return false
		}
	default:
		return false // IfExists, ForAllValues, negations and the rest narrow nothing
	}
	return serviceAccountSub.MatchString(v)
}

// starStar lists the Allow statements that grant every action on every resource, in any spelling IAM accepts
// ("*", "*:*", NotAction, NotResource, any letter case).
func starStar(doc policyDoc) []int {
	var idx []int
	for i, st := range doc.Statement {
		if st.allows() && st.grantsAllActions() && st.grantsAllResources() {
			idx = append(idx, i)
		}
	}
	return idx
}

func checkNoStarStar(c *checker, r Resource) {
	if r.Type == tRole {
		inline := c.get("inlinePolicies")
		if !c.requireKnown("inlinePolicies", inline) {
			return
		}
		elems, _ := inline.items()
		for i, e := range elems {
			path := fmt.Sprintf("inlinePolicies[%d].policy", i)
			doc, ok := parseDoc(c, path, e.field("policy"))
			if !ok {
				continue
			}
			for _, j := range starStar(doc) {
				c.fail("%s Statement[%d] allows every action on every resource (full admin)", path, j)
			}
		}
		return
	}
	doc, ok := parseDoc(c, "policy", c.get("policy"))
	if !ok {
		return
	}
	for _, j := range starStar(doc) {
		c.fail("policy Statement[%d] allows every action on every resource (full admin)", j)
	}
}

// adminPolicyARN matches the AWS managed AdministratorAccess policy in any partition; IAM names are not
// distinguished by case.
var adminPolicyARN = regexp.MustCompile(`(?i)^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$`)

func checkNoAdminAttachment(c *checker, r Resource) {
	if field := arnListField(r.Type); field != "" {
		v := c.get(field)
		if !c.requireKnown(field, v) {
			return
		}
		list, _ := v.strings()
		for _, a := range list {
			if adminPolicyARN.MatchString(strings.TrimSpace(a)) {
				c.fail("%s includes %s", field, redact(v.secret, a))
			}
		}
		return
	}
	v := c.get("policyArn")
	if !c.requireKnown("policyArn", v) {
		return
	}
	if s, ok := v.str(); ok && adminPolicyARN.MatchString(strings.TrimSpace(s)) {
		c.fail("policyArn is %s", v.show())
	}
}

// arnListField names the list of managed policy ARNs a resource attaches ("" for single-ARN attachments).
func arnListField(typ string) string {
	switch typ {
	case tRole:
		return "managedPolicyArns"
	case "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
		"aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
		"aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive":
		return "policyArns"
	}
	return ""
}

func checkProviderCredentials(c *checker, r Resource) {
	if r.Type == tVaultProvider {
		v := c.get("token")
		if !c.requireKnown("token", v) {
			return
		}
		if v.p == known && !v.secret {
			c.fail("token is set in plaintext; it ends up readable in the state file")
		}
		return
	}
	for _, k := range []string{"accessKey", "secretKey", "token"} {
		if v := c.get(k); v.p != missing {
			c.fail("%s is set: static AWS credentials in the provider outlive every rotation and land in state", k)
		}
	}
}

func checkProtected(c *checker, r Resource) {
	if !contains(c.stringsParam("criticalTypes"), r.Type) {
		return
	}
	if !r.Protect {
		c.fail("protect is false; a mistaken `pulumi destroy` or a replacing diff would delete it in %s", c.env)
	}
}
