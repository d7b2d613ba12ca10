package pack_test

import (
	"github.com/platform-team/platform/policies/pack"
)

func withProvider(r pack.Resource, in obj) pack.Resource {
	r.Provider = &pack.ProviderInfo{Type: "pulumi:providers:aws", Name: "aws", URN: urn("pulumi:providers:aws", "aws"), Properties: props(in)}
	return r
}

var defaultTags = obj{"region": "eu-west-1", "defaultTags": obj{"tags": obj{"Environment": "prod", "Owner": "platform", "CostCenter": "cc-42", "ManagedBy": "pulumi"}}}

func init() {
	addTable("required-tags", [3]pack.Level{A, M, M},
		tc{name: "untagged-vpc", res: one(mk(vpcT, "vpc", obj{"cidrBlock": "10.0.0.0/16"})), want: violates, msg: `missing tag(s) ["Environment", "Owner", "CostCenter"]`},
		tc{name: "wrong-environment", res: one(withProvider(mk(vpcT, "vpc", obj{"tags": obj{"Environment": "dev"}}), defaultTags)), want: violates, msg: `tag Environment is "dev" but the stack's environment is "prod"`},
		tc{name: "empty-owner", res: one(mk(subnet, "s", obj{"tags": obj{"Environment": "prod", "Owner": " ", "CostCenter": "cc"}})), want: violates, msg: `["Owner"]`},
		tc{name: "provider-default-tags", res: one(withProvider(mk(vpcT, "vpc", obj{"tags": obj{"Name": "prod-vpc"}}), defaultTags)), want: passes},
		tc{name: "provider-default-tags-as-json", res: one(withProvider(mk(subnet, "s", obj{}), obj{"defaultTags": `{"tags":{"Environment":"prod","Owner":"platform","CostCenter":"cc-42"}}`})), want: passes},
		tc{name: "resource-tags", res: one(mk(kmsKey, "k", obj{"tags": obj{"Environment": "Prod", "Owner": "platform", "CostCenter": "cc-42"}})), want: passes},
		tc{name: "untaggable-type", res: one(mk("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", obj{"role": "r"})), want: passes},
		tc{name: "not-aws", res: one(mk(release, "vault", obj{"chart": "vault"})), want: passes},
		tc{name: "unknown-tags", res: one(mk(vpcT, "vpc", obj{"tags": unk})), want: undecided},
		tc{name: "unknown-default-tags", res: one(withProvider(mk(vpcT, "vpc", obj{}), obj{"defaultTags": unk})), want: undecided},
	)
}
