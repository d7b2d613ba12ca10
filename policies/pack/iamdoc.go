package pack

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
)

// IAM policy document semantics shared by the KMS, IAM and S3 policies. They follow the IAM policy grammar and
// evaluation logic (IAM User Guide, "IAM JSON policy element reference" and "Policy evaluation logic"), so that
// what IAM treats as the same grant gets the same verdict:
//   - action names and condition keys are case-insensitive, and actions take the * and ? wildcards;
//   - an Allow with NotAction grants every action but the listed ones, NotResource every resource but the listed
//     ones, NotPrincipal every principal but the listed ones;
//   - a condition narrows a wildcard principal only when it pins the caller (organisation, account, principal or
//     source ARN) with an operator that requires the key; transport and network checks (aws:SecureTransport,
//     aws:SourceIp) and ...IfExists / ForAllValues operators (true when the key is absent) do not.

// policyDoc is the subset of an IAM/KMS/S3 policy document the checks read.
type policyDoc struct {
	Statement statements `json:"Statement"`
}

type statement struct {
	Effect       string          `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Action       stringOrList    `json:"Action"`
	NotAction    stringOrList    `json:"NotAction"`
	Resource     stringOrList    `json:"Resource"`
	NotResource  stringOrList    `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage
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

// stringOrList reads a string or a list of strings; booleans and numbers (condition values) are read as their
// JSON text, which is how IAM compares them.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var many []json.RawMessage
	if err := json.Unmarshal(b, &many); err != nil {
		many = []json.RawMessage{b}
	}
	out := make([]string, 0, len(many))
	for _, raw := range many {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			out = append(out, one)
			continue
		}
		var scalar any
		if err := json.Unmarshal(raw, &scalar); err != nil {
			return err
		}
		switch v := scalar.(type) {
		case bool:
			out = append(out, strconv.FormatBool(v))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return &json.UnmarshalTypeError{Value: string(raw), Type: nil}
		}
	}
	*s = out
	return nil
}

func (st statement) allows() bool { return strings.EqualFold(st.Effect, "Allow") }
func (st statement) denies() bool { return strings.EqualFold(st.Effect, "Deny") }

// iamGlob matches an IAM pattern (* any run, ? one character) against s, case-insensitively when fold is set.
func iamGlob(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// path.Match treats '/' specially and knows [ ] classes; IAM does neither, so escape them and map '/' away.
	esc := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "/", "\x00").Replace(pattern)
	ok, err := path.Match(esc, strings.ReplaceAll(s, "/", "\x00"))
	return err == nil && ok
}

// grantsAction reports whether the statement's action element covers action (Action matches it, or NotAction does
// not exclude it).
func (st statement) grantsAction(action string) bool {
	if len(st.NotAction) > 0 {
		for _, p := range st.NotAction {
			if iamGlob(p, action, true) {
				return false
			}
		}
		return true
	}
	for _, p := range st.Action {
		if iamGlob(p, action, true) {
			return true
		}
	}
	return false
}

// probeActions and probeResources stand for "every action" and "every resource": a statement that covers all of
// them (across services and partitions) grants everything, whatever spelling it uses ("*", "*:*", "?*", NotAction).
var (
	probeActions   = []string{"iam:CreateUser", "s3:GetObject", "ec2:RunInstances", "kms:Decrypt", "sts:AssumeRole", "organizations:LeaveOrganization"}
	probeResources = []string{"arn:aws:s3:::bucket/key", "arn:aws:iam::111122223333:role/admin",
		"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/k"}
)

func (st statement) grantsAllActions() bool {
	for _, a := range probeActions {
		if !st.grantsAction(a) {
			return false
		}
	}
	return true
}

// grantsAllActionsOf reports whether the statement covers every action of one service ("s3:*" spelled any way).
func (st statement) grantsAllActionsOf(service string, sample ...string) bool {
	for _, a := range sample {
		if !st.grantsAction(service + ":" + a) {
			return false
		}
	}
	return true
}

func (st statement) grantsAllResources() bool {
	if len(st.NotResource) > 0 {
		return true // every resource but the listed ones
	}
	for _, r := range probeResources {
		matched := false
		for _, p := range st.Resource {
			if iamGlob(p, r, false) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// anyPrincipal reports Principal "*", {"AWS": "*"} (also in a list), or a NotPrincipal (everyone but the listed).
func (st statement) anyPrincipal() bool {
	if len(st.NotPrincipal) > 0 && string(st.NotPrincipal) != "null" {
		return true
	}
	raw := st.Principal
	if len(raw) == 0 {
		return false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]stringOrList
	if json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			if strings.EqualFold(k, "AWS") && contains(v, "*") {
				return true
			}
		}
	}
	return false
}

// callerKeys are the global and service condition keys that identify who calls (lower case: keys are
// case-insensitive). A condition on one of them narrows a wildcard principal.
var callerKeys = map[string]bool{
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:principalaccount": true, "aws:principalarn": true,
	"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceorgid": true, "aws:sourceorgpaths": true,
	"aws:sourceowner": true, "aws:userid": true, "kms:calleraccount": true,
}

// pinningOperators require the key to be present and compare it to the listed values.
var pinningOperators = map[string]bool{
	"stringequals": true, "stringequalsignorecase": true, "stringlike": true, "arnequals": true, "arnlike": true,
}

// pinsCaller reports whether the statement's conditions restrict callers to named organisations, accounts or ARNs.
func (st statement) pinsCaller() bool {
	for op, conds := range st.Condition {
		o := strings.ToLower(op)
		if strings.HasSuffix(o, "ifexists") || strings.HasPrefix(o, "forallvalues:") {
			continue // true when the key is absent: narrows nothing
		}
		o = strings.TrimPrefix(o, "foranyvalue:")
		if !pinningOperators[o] {
			continue
		}
		for k, raw := range conds {
			key := strings.ToLower(k)
			if !callerKeys[key] {
				continue
			}
			var vals stringOrList
			if json.Unmarshal(raw, &vals) != nil || len(vals) == 0 {
				continue
			}
			pinned := true
			for _, v := range vals {
				if !pinnedValue(o, key, v) {
					pinned = false
				}
			}
			if pinned {
				return true
			}
		}
	}
	return false
}

// pinnedValue reports whether one condition value names specific callers: no wildcard, or (for ARN keys) no
// wildcard in the account field.
func pinnedValue(op, key, v string) bool {
	if strings.TrimSpace(v) == "" {
		return false
	}
	wild := strings.ContainsAny(v, "*?")
	if !wild || (op != "stringlike" && op != "arnlike") {
		return true // the Equals operators compare literally
	}
	if key == "aws:principalarn" || key == "aws:sourcearn" {
		f := strings.SplitN(v, ":", 6)
		return len(f) == 6 && f[4] != "" && !strings.ContainsAny(f[4], "*?")
	}
	return false
}

// openToAnyone reports an Allow to any principal that no condition narrows to known callers.
func (st statement) openToAnyone() bool { return st.allows() && st.anyPrincipal() && !st.pinsCaller() }

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
