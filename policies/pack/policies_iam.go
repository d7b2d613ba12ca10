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
			Description: "KMS key policies grant nothing to Principal \"*\" without a condition.",
			Group:       "KMS and IAM",
			Types:       []string{tKMSKey},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "name the account root, roles or services as principals, or add a Condition that pins the caller (aws:PrincipalOrgID, kms:CallerAccount).",
			check:       checkKMSWildcard,
		},
		&Policy{
			ID:          "iam-trust-no-wildcard",
			Description: "IAM role trust policies let no Principal \"*\" assume the role without a condition.",
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
			Description: "No IAM policy allows Action \"*\" on Resource \"*\".",
			Group:       "KMS and IAM",
			Types:       []string{"aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", tRole},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "list the actions and resources the workload needs.",
			check:       checkNoStarStar,
		},
		&Policy{
			ID:          "iam-no-admin-attachment",
			Description: "Nothing attaches the AdministratorAccess managed policy.",
			Group:       "KMS and IAM",
			Types: []string{"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
				"aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment", tRole},
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

// policyDoc is the subset of an IAM/KMS policy document the checks read.
type policyDoc struct {
	Statement statements `json:"Statement"`
}

type statement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    stringOrList    `json:"Action"`
	Resource  stringOrList    `json:"Resource"`
	Condition map[string]map[string]json.RawMessage
}

// statements accepts a single statement object as well as a list.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var one statement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// parseDoc reads a policy document property. ok is false when it is missing or unknown (unknown is recorded).
// An unparseable document is reported as a violation: AWS would reject it anyway, and a policy we cannot read is
// a policy we cannot vouch for.
func parseDoc(c *checker, path string, v value) (policyDoc, bool) {
	if !c.requireKnown(path, v) || v.p == missing {
		return policyDoc{}, false
	}
	s, ok := v.str()
	if !ok {
		if v.p == known && v.v.IsObject() {
			// Some programs pass the document as an object; marshal it back to JSON to read it.
			b, err := json.Marshal(v.v.Mappable())
			if err != nil {
				c.fail("%s cannot be read as a policy document: %v", path, err)
				return policyDoc{}, false
			}
			s = string(b)
		} else {
			return policyDoc{}, false
		}
	}
	var doc policyDoc
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		c.fail("%s is not a valid policy document (%v)", path, err)
		return policyDoc{}, false
	}
	return doc, true
}

// principalWildcard reports Principal "*" or {"AWS": "*"} (also inside a list).
func principalWildcard(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]stringOrList
	if json.Unmarshal(raw, &m) == nil {
		for _, v := range m {
			if contains(v, "*") {
				return true
			}
		}
	}
	return false
}

func wildcardStatements(doc policyDoc) []int {
	var idx []int
	for i, st := range doc.Statement {
		if st.Effect == "Allow" && principalWildcard(st.Principal) && len(st.Condition) == 0 {
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
		c.fail("policy Statement[%d] allows Principal \"*\" without a Condition: anyone who can call KMS may use this key", i)
	}
}

func checkTrustWildcard(c *checker, r Resource) {
	doc, ok := parseDoc(c, "assumeRolePolicy", c.get("assumeRolePolicy"))
	if !ok {
		return
	}
	for _, i := range wildcardStatements(doc) {
		c.fail("assumeRolePolicy Statement[%d] lets Principal \"*\" assume the role without a Condition", i)
	}
}

// serviceAccountSub matches one concrete service account, no wildcards.
var serviceAccountSub = regexp.MustCompile(`^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

func checkIRSAScoped(c *checker, r Resource) {
	trust := c.get("assumeRolePolicy")
	doc, ok := parseDoc(c, "assumeRolePolicy", trust)
	if !ok {
		return
	}
	for i, st := range doc.Statement {
		if st.Effect != "Allow" || !contains(st.Action, "sts:AssumeRoleWithWebIdentity") {
			continue
		}
		var fed map[string]stringOrList
		if json.Unmarshal(st.Principal, &fed) != nil {
			continue
		}
		isEKS := false
		for _, p := range fed["Federated"] {
			if strings.Contains(p, "oidc.eks.") || strings.Contains(p, ":oidc-provider/") {
				isEKS = true
			}
		}
		if !isEKS {
			continue
		}
		var subs []string
		for op, conds := range st.Condition {
			for k, raw := range conds {
				if !strings.HasSuffix(k, ":sub") {
					continue
				}
				var vals stringOrList
				if json.Unmarshal(raw, &vals) != nil {
					continue
				}
				for _, v := range vals {
					if op == "StringEquals" && serviceAccountSub.MatchString(v) {
						subs = append(subs, v)
					} else {
						c.fail("assumeRolePolicy Statement[%d] Condition %s %s = %s does not pin exactly one service account", i, op, k, redact(trust.secret, v))
					}
				}
			}
		}
		if len(subs) == 0 && len(c.findings) == 0 {
			c.fail("assumeRolePolicy Statement[%d] trusts the cluster's OIDC provider without a StringEquals condition on <issuer>:sub, so every pod in the cluster can assume this role", i)
		}
	}
}

func starStar(doc policyDoc) []int {
	var idx []int
	for i, st := range doc.Statement {
		if st.Effect != "Allow" || !contains(st.Resource, "*") {
			continue
		}
		if contains(st.Action, "*") || contains(st.Action, "*:*") {
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
				c.fail("%s Statement[%d] allows Action \"*\" on Resource \"*\" (full admin)", path, j)
			}
		}
		return
	}
	doc, ok := parseDoc(c, "policy", c.get("policy"))
	if !ok {
		return
	}
	for _, j := range starStar(doc) {
		c.fail("policy Statement[%d] allows Action \"*\" on Resource \"*\" (full admin)", j)
	}
}

var adminPolicyARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$`)

func checkNoAdminAttachment(c *checker, r Resource) {
	if r.Type == tRole {
		v := c.get("managedPolicyArns")
		if !c.requireKnown("managedPolicyArns", v) {
			return
		}
		list, _ := v.strings()
		for _, a := range list {
			if adminPolicyARN.MatchString(a) {
				c.fail("managedPolicyArns includes %s", redact(v.secret, a))
			}
		}
		return
	}
	v := c.get("policyArn")
	if !c.requireKnown("policyArn", v) {
		return
	}
	if s, ok := v.str(); ok && adminPolicyARN.MatchString(s) {
		c.fail("policyArn is %s", v.show())
	}
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
