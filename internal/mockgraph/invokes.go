package mockgraph

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/platform-team/platform/sandbox/standin/awszones"
)

type invokeContext struct {
	region string
	args   resource.PropertyMap
}

type invokeFunc func(invokeContext) (resource.PropertyMap, error)

// OIDCID is the stand-in OIDC issuer id of every cluster.
const OIDCID = "EXAMPLED539D4633E53DE1B716D3041E"

// invokes answers the data sources the program reads. Keep each answer small and shaped like AWS's.
var invokes = map[string]invokeFunc{
	// Zones come from the stand-in catalogue the sandbox provider uses too: four AZs plus an opted-in Local
	// Zone and a Wavelength Zone, with DescribeAvailabilityZones' opt-in rule and filters.
	"aws:index/getAvailabilityZones:getAvailabilityZones": func(c invokeContext) (resource.PropertyMap, error) {
		zones, err := awszones.Describe(c.region, awszones.QueryFromArgs(c.args))
		if err != nil {
			return nil, err
		}
		return awszones.Result(c.region, zones), nil
	},
	"aws:index/getCallerIdentity:getCallerIdentity": func(invokeContext) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/stand-in", "userId": "AIDASTANDIN", "id": Account,
		}), nil
	},
	"aws:index/getPartition:getPartition": func(invokeContext) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil
	},
	"aws:index/getRegion:getRegion": func(c invokeContext) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{"name": c.region, "region": c.region, "id": c.region}), nil
	},
	"aws:eks/getCluster:getCluster": func(c invokeContext) (resource.PropertyMap, error) {
		name := c.args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"name":     name,
			"arn":      fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", c.region, Account, name),
			"endpoint": Endpoint(name, c.region),
			"identities": []any{map[string]any{"oidcs": []any{map[string]any{
				"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", c.region, OIDCID),
			}}}},
			"vpcConfig": map[string]any{"clusterSecurityGroupId": fakeID("eks-cluster-sg", name)},
			"id":        name,
		}), nil
	},
	"aws:iam/getPolicyDocument:getPolicyDocument": renderPolicyDocument,
}

// renderPolicyDocument renders the statements to IAM JSON the way AWS's data source does, so tests can read
// trust and permission policies as JSON.
func renderPolicyDocument(c invokeContext) (resource.PropertyMap, error) {
	args := c.args.Mappable()
	var stmts []any
	raw, _ := args["statements"].([]any)
	for _, s := range raw {
		st, _ := s.(map[string]any)
		out := map[string]any{"Effect": "Allow"}
		if e, ok := st["effect"].(string); ok && e != "" {
			out["Effect"] = e
		}
		if sid, ok := st["sid"].(string); ok && sid != "" {
			out["Sid"] = sid
		}
		if a, ok := st["actions"]; ok {
			out["Action"] = a
		}
		if r, ok := st["resources"]; ok {
			out["Resource"] = r
		}
		if ps, ok := st["principals"].([]any); ok {
			principal := map[string]any{}
			for _, p := range ps {
				pm, _ := p.(map[string]any)
				principal[fmt.Sprint(pm["type"])] = pm["identifiers"]
			}
			out["Principal"] = principal
		}
		if cs, ok := st["conditions"].([]any); ok {
			cond := map[string]any{}
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				test := fmt.Sprint(cm["test"])
				if cond[test] == nil {
					cond[test] = map[string]any{}
				}
				cond[test].(map[string]any)[fmt.Sprint(cm["variable"])] = cm["values"]
			}
			out["Condition"] = cond
		}
		stmts = append(stmts, out)
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": stmts}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(map[string]any{"json": string(b), "minifiedJson": string(b), "id": "policy"}), nil
}

// InvokeTokens lists the invokes the stand-in answers, sorted.
func InvokeTokens() []string {
	out := make([]string, 0, len(invokes))
	for k := range invokes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
