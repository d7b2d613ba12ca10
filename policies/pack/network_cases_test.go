package pack_test

import (
	"github.com/platform-team/platform/policies/pack"
)

const (
	vpcT    = "aws:ec2/vpc:Vpc"
	natT    = "aws:ec2/natGateway:NatGateway"
	flowLog = "aws:ec2/flowLog:FlowLog"
	sgT     = "aws:ec2/securityGroup:SecurityGroup"
	sgRuleT = "aws:ec2/securityGroupRule:SecurityGroupRule"
	ingT    = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
)

// privSubnet and pubSubnet are subnet states (outputs include the id).
func privSubnet(az string) pack.Resource {
	return mk(subnet, "private-"+az, obj{"id": "subnet-priv-" + az, "availabilityZone": az, "mapPublicIpOnLaunch": false,
		"tags": obj{"kubernetes.io/role/internal-elb": "1"}})
}

func pubSubnet(az string) pack.Resource {
	return mk(subnet, "public-"+az, obj{"id": "subnet-pub-" + az, "availabilityZone": az, "mapPublicIpOnLaunch": true,
		"tags": obj{"kubernetes.io/role/elb": "1"}})
}

func nat(az string) pack.Resource {
	return mk(natT, "nat-"+az, obj{"id": "nat-" + az, "subnetId": "subnet-pub-" + az})
}

func stack(rs ...pack.Resource) []pack.Resource { return rs }

func init() {
	a, b, c := "eu-west-1a", "eu-west-1b", "eu-west-1c"
	addTable("nodes-private-subnets", [3]pack.Level{M, M, M},
		tc{name: "public-subnet", res: stack(privSubnet(a), pubSubnet(b),
			mk(nodeGroup, "pool", obj{"subnetIds": arr{"subnet-priv-" + a, "subnet-pub-" + b}})), want: violates, msg: `public subnet(s) ["public-eu-west-1b"]`},
		tc{name: "via-property-dependencies", res: func() []pack.Resource {
			n := mk(nodeGroup, "pool", obj{"subnetIds": unk})
			pub := pubSubnet(b)
			n.PropertyDependencies = map[string][]string{"subnetIds": {pub.URN}}
			return stack(pub, n)
		}(), want: violates},
		tc{name: "private-only", res: stack(privSubnet(a), privSubnet(b), pubSubnet(a),
			mk(nodeGroup, "pool", obj{"subnetIds": arr{"subnet-priv-" + a, "subnet-priv-" + b}})), want: passes},
		tc{name: "unknown-ids", res: stack(privSubnet(a), pubSubnet(b), mk(nodeGroup, "pool", obj{"subnetIds": unk})), want: undecided},
	)
	addTable("multi-az", [3]pack.Level{A, M, M},
		tc{name: "prod-two-azs", res: stack(privSubnet(a), privSubnet(b), pubSubnet(a), pubSubnet(b), pubSubnet(c)), want: violates, msg: "span 2 Availability Zone(s)"},
		tc{name: "staging-one-az", env: pack.Staging, res: stack(privSubnet(a), pubSubnet(b)), want: violates},
		tc{name: "prod-three", res: stack(privSubnet(a), privSubnet(b), privSubnet(c)), want: passes},
		tc{name: "staging-two", env: pack.Staging, res: stack(privSubnet(a), privSubnet(b)), want: passes},
		tc{name: "unknown-az", res: stack(privSubnet(a), privSubnet(b), mk(subnet, "private-x", obj{"availabilityZone": unk, "mapPublicIpOnLaunch": false, "tags": obj{}})), want: undecided},
	)
	addTable("nat-per-az", [3]pack.Level{D, A, M},
		tc{name: "single-nat", res: stack(privSubnet(a), privSubnet(b), privSubnet(c), pubSubnet(a), pubSubnet(b), pubSubnet(c), nat(a)), want: violates, msg: "1 NAT gateway(s)"},
		tc{name: "three-nats-one-az", res: stack(privSubnet(a), privSubnet(b), privSubnet(c), pubSubnet(a),
			mk(natT, "nat-1", obj{"subnetId": "subnet-pub-" + a}), mk(natT, "nat-2", obj{"subnetId": "subnet-pub-" + a}), mk(natT, "nat-3", obj{"subnetId": "subnet-pub-" + a})), want: violates, msg: "(in 1 AZ(s))"},
		tc{name: "nat-per-az", res: stack(privSubnet(a), privSubnet(b), privSubnet(c), pubSubnet(a), pubSubnet(b), pubSubnet(c), nat(a), nat(b), nat(c)), want: passes},
		tc{name: "unknown-az", res: stack(privSubnet(a), mk(subnet, "private-x", obj{"availabilityZone": unk, "tags": obj{}}), nat(a)), want: undecided},
	)
	vpc := mk(vpcT, "vpc", obj{"id": "vpc-1", "cidrBlock": "10.0.0.0/16"})
	addTable("vpc-flow-logs", [3]pack.Level{A, M, M},
		tc{name: "none", res: stack(vpc), want: violates, msg: "no aws:ec2/flowLog:FlowLog references this VPC"},
		tc{name: "other-vpc", res: stack(vpc, mk(flowLog, "fl", obj{"vpcId": "vpc-2"})), want: violates},
		tc{name: "by-id", res: stack(vpc, mk(flowLog, "fl", obj{"vpcId": "vpc-1", "trafficType": "ALL"})), want: passes},
		tc{name: "by-resource-id-field", res: func() []pack.Resource {
			v := mk(vpcT, "vpc", obj{"cidrBlock": "10.0.0.0/16"}) // no "id" output, as mocks record it
			v.ID = "vpc-mock"
			return stack(v, mk(flowLog, "fl", obj{"vpcId": "vpc-mock"}))
		}(), want: passes},
		tc{name: "by-dependency", res: func() []pack.Resource {
			fl := mk(flowLog, "fl", obj{"vpcId": unk})
			fl.PropertyDependencies = map[string][]string{"vpcId": {vpc.URN}}
			return stack(vpc, fl)
		}(), want: passes},
		tc{name: "unknown", res: stack(vpc, mk(flowLog, "fl", obj{"vpcId": unk})), want: undecided},
	)
	addTable("default-sg-closed", [3]pack.Level{M, M, M},
		tc{name: "egress-open", res: one(mk("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", obj{"vpcId": "vpc-1",
			"egress": arr{obj{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": arr{"0.0.0.0/0"}}}})), want: violates, msg: "egress has 1 rule"},
		tc{name: "empty", res: one(mk("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", obj{"vpcId": "vpc-1"})), want: passes},
		tc{name: "unknown", res: one(mk("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default", obj{"vpcId": "vpc-1", "ingress": unk})), want: undecided},
	)
	addTable("no-world-open-admin-ports", [3]pack.Level{M, M, M},
		tc{name: "ssh-world", res: one(mk(sgT, "bastion", obj{"ingress": arr{obj{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": arr{"0.0.0.0/0"}}}})), want: violates, msg: "admits 0.0.0.0/0 to port(s) 22"},
		tc{name: "all-traffic-ipv6", res: one(mk(sgRuleT, "r", obj{"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": arr{"::/0"}})), want: violates, msg: "22, 3389, 6443, 8200, 9090, 3000"},
		tc{name: "vault-range", res: one(mk(ingT, "r", obj{"ipProtocol": "tcp", "fromPort": 8000, "toPort": 8300, "cidrIpv4": "0.0.0.0/0"})), want: violates, msg: "8200"},
		tc{name: "https-world", res: one(mk(sgT, "lb", obj{"ingress": arr{obj{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": arr{"0.0.0.0/0"}}}})), want: passes},
		tc{name: "ssh-from-vpc", res: one(mk(sgRuleT, "r", obj{"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": arr{"10.0.0.0/16"}})), want: passes},
		tc{name: "egress-ignored", res: one(mk(sgRuleT, "r", obj{"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": arr{"0.0.0.0/0"}})), want: passes},
		tc{name: "unknown-cidrs", res: one(mk(ingT, "r", obj{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": unk})), want: undecided},
	)
}
