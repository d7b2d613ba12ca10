package pack

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// taggableTypes are AWS types that take tags even when a program sets none (so a missing "tags" input still
// means "untagged"). Any other aws: resource counts as taggable when it has a "tags" property.
var taggableTypes = []string{
	tVpc, tSubnet, tNatGateway, tFlowLog, tLaunchTemplate, tEKSCluster, tNodeGroup, tKMSKey, tRole, tLogGroup,
	tBucketV2, tBucket, "aws:ec2/eip:Eip", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable",
	"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:iam/policy:Policy",
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry",
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
}

func init() {
	register(&Policy{
		ID:          "required-tags",
		Description: "Taggable AWS resources carry Environment (matching the stack's environment), Owner and CostCenter, counting the provider's default tags.",
		Group:       "Tags",
		Types:       []string{"aws:* (taggable)"},
		Levels:      levels(Advisory, Mandatory, Mandatory),
		Params: []Param{{
			Name: "requiredKeys", Type: StringArrayParam,
			Description: "Tag keys every taggable resource needs (Environment is also compared with the environment).",
			Default:     same([]string{"Environment", "Owner", "CostCenter"}),
		}},
		Fix:   "set the provider's defaultTags from the one tags helper (internal/tags), or add the tags to the resource.",
		check: checkRequiredTags,
		match: func(typ string) bool { return strings.HasPrefix(typ, "aws:") },
	})
}

func checkRequiredTags(c *checker, r Resource) {
	tags := c.get("tags")
	if tags.p == missing && !contains(taggableTypes, r.Type) {
		return // not a taggable type
	}
	if !c.requireKnown("tags", tags) {
		return
	}
	merged := map[string]value{}
	if r.Provider != nil {
		def := lookup(r.Provider.Properties, "defaultTags")
		if s, ok := def.str(); ok {
			// Provider inputs may carry nested objects as JSON strings (as some SDKs send provider config).
			var m map[string]any
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				c.fail("provider %s defaultTags is not a JSON object: %v", r.Provider.Name, err)
				return
			}
			def = unwrap(resource.NewObjectProperty(resource.NewPropertyMapFromMap(m)), def.secret)
		}
		dt := def.field("tags")
		if def.p == unknown || dt.p == unknown {
			c.unknown("provider defaultTags")
			return
		}
		keys, vals := dt.object()
		for _, k := range keys {
			merged[k] = vals[k]
		}
	}
	keys, vals := tags.object()
	for _, k := range keys {
		merged[k] = vals[k]
	}
	var miss []string
	for _, k := range c.stringsParam("requiredKeys") {
		v, ok := merged[k]
		if ok && v.p == unknown {
			c.unknown("tags." + k)
			return
		}
		if s, isStr := v.str(); !ok || !isStr || strings.TrimSpace(s) == "" {
			miss = append(miss, k)
		}
	}
	if len(miss) > 0 {
		c.fail("missing tag(s) %s (resource tags plus provider default tags)", quoteList(miss))
	}
	if env, ok := merged["Environment"]; ok {
		if s, isStr := env.str(); isStr && s != "" && !strings.EqualFold(s, string(c.env)) {
			c.fail("tag Environment is %s but the stack's environment is %q", env.show(), c.env)
		}
	}
}
