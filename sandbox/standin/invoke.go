package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/platform-team/platform/sandbox/standin/awszones"
)

// invokeFunc answers one data source from its arguments.
type invokeFunc func(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error)

// invokes are the data sources the platform program reads. An invoke missing
// from this table fails the run with its token, so a new data source in the
// program is noticed instead of silently returning nothing.
var invokes = map[string]invokeFunc{
	"aws:index/getAvailabilityZones:getAvailabilityZones": invokeAvailabilityZones,
	"aws:index/getCallerIdentity:getCallerIdentity":       invokeCallerIdentity,
	"aws:index/getPartition:getPartition":                 invokePartition,
	"aws:index/getRegion:getRegion":                       invokeRegion,
	"aws:iam/getPolicyDocument:getPolicyDocument":         invokePolicyDocument,
	"aws:eks/getCluster:getCluster":                       invokeEksCluster,
	"aws:eks/getClusterAuth:getClusterAuth":               invokeEksClusterAuth,
	"aws:ec2/getVpcEndpointService:getVpcEndpointService": invokeVpcEndpointService,
}

// InvokeTokens lists the data sources the stand-in answers, for docs and tests.
func InvokeTokens() []string {
	out := make([]string, 0, len(invokes))
	for k := range invokes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Invoke answers a data source, or fails naming the token it does not know.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	fn, ok := invokes[req.GetTok()]
	if !ok {
		return nil, fmt.Errorf("stand-in provider: data source %q is not implemented offline; add it to sandbox/standin/invoke.go (known: %s)",
			req.GetTok(), strings.Join(InvokeTokens(), ", "))
	}
	args, err := unmarshal(req.GetArgs(), "invoke arguments")
	if err != nil {
		return nil, err
	}
	out, err := fn(p, args)
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: fmt.Sprintf("stand-in %s: %v", req.GetTok(), err)}}}, nil
	}
	ret, err := marshal(out, "invoke result")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

func strs(ss []string) resource.PropertyValue {
	out := make([]resource.PropertyValue, len(ss))
	for i, s := range ss {
		out[i] = resource.NewStringProperty(s)
	}
	return resource.NewArrayProperty(out)
}

// invokeAvailabilityZones answers as EC2 DescribeAvailabilityZones behind the aws provider's data source
// would, with Local and Wavelength Zones beside the AZs and the opt-in rule and filters applied; see
// package awszones for the sources it follows.
func invokeAvailabilityZones(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
	zones, err := awszones.Describe(p.region(), awszones.QueryFromArgs(args))
	if err != nil {
		return nil, err
	}
	out := awszones.Result(p.region(), zones)
	out["state"] = args["state"]
	if !out["state"].IsString() {
		delete(out, "state")
	}
	return out, nil
}

func invokeCallerIdentity(_ *Provider, _ resource.PropertyMap) (resource.PropertyMap, error) {
	return resource.PropertyMap{
		"id":        resource.NewStringProperty(AccountID),
		"accountId": resource.NewStringProperty(AccountID),
		"arn":       resource.NewStringProperty(fmt.Sprintf("arn:aws:sts::%s:assumed-role/platform-sandbox/stand-in", AccountID)),
		"userId":    resource.NewStringProperty("AROASTANDIN000000000:stand-in"),
	}, nil
}

func invokePartition(_ *Provider, _ resource.PropertyMap) (resource.PropertyMap, error) {
	return resource.PropertyMap{
		"id":               resource.NewStringProperty("aws"),
		"partition":        resource.NewStringProperty("aws"),
		"dnsSuffix":        resource.NewStringProperty("amazonaws.com"),
		"reverseDnsPrefix": resource.NewStringProperty("com.amazonaws"),
	}, nil
}

func invokeRegion(p *Provider, _ resource.PropertyMap) (resource.PropertyMap, error) {
	r := p.region()
	return resource.PropertyMap{
		"id":          resource.NewStringProperty(r),
		"name":        resource.NewStringProperty(r),
		"region":      resource.NewStringProperty(r),
		"description": resource.NewStringProperty("stand-in region " + r),
		"endpoint":    resource.NewStringProperty(fmt.Sprintf("ec2.%s.amazonaws.com", r)),
	}, nil
}

func invokeEksCluster(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
	name, ok := getString(args, "name")
	if !ok || name == "" {
		return nil, fmt.Errorf("name: is required")
	}
	out := eksClusterComputed(p.region(), name)
	out["id"] = resource.NewStringProperty(name)
	out["name"] = resource.NewStringProperty(name)
	// The data source returns vpcConfig as a list (vpcConfigs in the SDK).
	out["vpcConfigs"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
		"clusterSecurityGroupId": resource.NewStringProperty(eksClusterSecurityGroupID(p.region(), name)),
		"endpointPrivateAccess":  resource.NewBoolProperty(true),
	})})
	out["certificateAuthorities"] = resource.NewArrayProperty([]resource.PropertyValue{out["certificateAuthority"]})
	delete(out, "certificateAuthority")
	return out, nil
}

func invokeEksClusterAuth(_ *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
	name, ok := getString(args, "name")
	if !ok || name == "" {
		return nil, fmt.Errorf("name: is required")
	}
	return resource.PropertyMap{
		"id":    resource.NewStringProperty(name),
		"name":  resource.NewStringProperty(name),
		"token": resource.MakeSecret(resource.NewStringProperty("k8s-aws-v1.stand-in-token-" + hash("token", name)[:16])),
	}, nil
}

func invokeVpcEndpointService(p *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
	svc, _ := getString(args, "service")
	full := fmt.Sprintf("com.amazonaws.%s.%s", p.region(), svc)
	if s, ok := getString(args, "serviceName"); ok && s != "" {
		full = s
	}
	return resource.PropertyMap{
		"id":          resource.NewStringProperty(full),
		"serviceName": resource.NewStringProperty(full),
		"serviceType": resource.NewStringProperty("Interface"),
	}, nil
}

// invokePolicyDocument renders aws:iam/getPolicyDocument's statements to the
// JSON IAM would store, so policies that consume it (and the policy pack) see
// a real document.
func invokePolicyDocument(_ *Provider, args resource.PropertyMap) (resource.PropertyMap, error) {
	doc, err := renderPolicyDocument(args)
	if err != nil {
		return nil, err
	}
	pretty, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	minified, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return resource.PropertyMap{
		"id":           resource.NewStringProperty(hash(string(minified))[:10]),
		"json":         resource.NewStringProperty(string(pretty)),
		"minifiedJson": resource.NewStringProperty(string(minified)),
	}, nil
}

// policyDocument mirrors IAM's JSON layout; field order follows the AWS docs.
type policyDocument struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid          string                    `json:"Sid,omitempty"`
	Effect       string                    `json:"Effect"`
	Principal    any                       `json:"Principal,omitempty"`
	NotPrincipal any                       `json:"NotPrincipal,omitempty"`
	Action       any                       `json:"Action,omitempty"`
	NotAction    any                       `json:"NotAction,omitempty"`
	Resource     any                       `json:"Resource,omitempty"`
	NotResource  any                       `json:"NotResource,omitempty"`
	Condition    map[string]map[string]any `json:"Condition,omitempty"`
}

func renderPolicyDocument(args resource.PropertyMap) (*policyDocument, error) {
	doc := &policyDocument{Version: "2012-10-17"}
	if v, ok := getString(args, "version"); ok && v != "" {
		doc.Version = v
	}
	if v, ok := getString(args, "policyId"); ok {
		doc.ID = v
	}
	for _, k := range []string{"sourcePolicyDocuments", "overridePolicyDocuments"} {
		if v, ok := get(args, k); ok && !isEmpty(v) {
			return nil, fmt.Errorf("%s: not supported by the stand-in; pass statements instead", k)
		}
	}
	stv, _ := get(args, "statements")
	stv = unwrap(stv)
	if !stv.IsArray() {
		return doc, nil
	}
	var problems []string
	for i, e := range stv.ArrayValue() {
		e = unwrap(e)
		if !e.IsObject() {
			continue
		}
		m := e.ObjectValue()
		st := policyStatement{Effect: "Allow"}
		if v, ok := getString(m, "effect"); ok && v != "" {
			if v != "Allow" && v != "Deny" {
				problems = append(problems, fmt.Sprintf("statements[%d].effect: %q is not Allow or Deny", i, v))
			}
			st.Effect = v
		}
		st.Sid, _ = getString(m, "sid")
		st.Action = stringOrList(m, "actions")
		st.NotAction = stringOrList(m, "notActions")
		st.Resource = stringOrList(m, "resources")
		st.NotResource = stringOrList(m, "notResources")
		st.Principal = principals(m, "principals")
		st.NotPrincipal = principals(m, "notPrincipals")
		st.Condition = conditions(m)
		if st.Action == nil && st.NotAction == nil {
			problems = append(problems, fmt.Sprintf("statements[%d]: needs actions or notActions", i))
		}
		doc.Statement = append(doc.Statement, st)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return doc, nil
}

func stringList(m resource.PropertyMap, key string) []string {
	v, ok := get(m, key)
	if !ok {
		return nil
	}
	v = unwrap(v)
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if s, ok := stringOf(e); ok {
			out = append(out, s)
		}
	}
	return out
}

// stringOrList renders one value as a string and several as a list, as IAM does.
func stringOrList(m resource.PropertyMap, key string) any {
	l := stringList(m, key)
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

// principals renders principal blocks; a lone "*" principal renders as the
// bare string "*", as IAM stores it.
func principals(m resource.PropertyMap, key string) any {
	v, ok := get(m, key)
	if !ok {
		return nil
	}
	v = unwrap(v)
	if !v.IsArray() || len(v.ArrayValue()) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, e := range v.ArrayValue() {
		e = unwrap(e)
		if !e.IsObject() {
			continue
		}
		typ, _ := getString(e.ObjectValue(), "type")
		ids := stringList(e.ObjectValue(), "identifiers")
		if typ == "*" {
			out["*"] = "*"
			continue
		}
		var prev []string
		switch p := out[typ].(type) {
		case string:
			prev = []string{p}
		case []string:
			prev = p
		}
		all := append(prev, ids...)
		if len(all) == 1 {
			out[typ] = all[0]
		} else {
			out[typ] = all
		}
	}
	if _, ok := out["*"]; ok && len(out) == 1 {
		return "*"
	}
	return out
}

func conditions(m resource.PropertyMap) map[string]map[string]any {
	v, ok := get(m, "conditions")
	if !ok {
		return nil
	}
	v = unwrap(v)
	if !v.IsArray() || len(v.ArrayValue()) == 0 {
		return nil
	}
	out := map[string]map[string]any{}
	for _, e := range v.ArrayValue() {
		e = unwrap(e)
		if !e.IsObject() {
			continue
		}
		test, _ := getString(e.ObjectValue(), "test")
		variable, _ := getString(e.ObjectValue(), "variable")
		vals := stringList(e.ObjectValue(), "values")
		if out[test] == nil {
			out[test] = map[string]any{}
		}
		if len(vals) == 1 {
			out[test][variable] = vals[0]
		} else {
			out[test][variable] = vals
		}
	}
	return out
}
