package pack

import (
	"fmt"
	"sort"
	"strings"
)

// Network policies. Several are stack policies: they need to see subnets, NAT gateways and flow logs together.

func init() {
	register(
		&Policy{
			ID:          "nodes-private-subnets",
			Description: "Node groups place nodes only in private subnets of this stack.",
			Group:       "Network",
			Types:       []string{tNodeGroup, tMNG, tSubnet},
			Stack:       true,
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Controls:    []Control{cis("5.4.3", "Ensure clusters are created with Private Nodes")},
			Params: []Param{{
				Name: "publicSubnetTag", Type: StringParam,
				Description: "Tag key (value \"1\") marking a subnet as public.",
				Default:     same("kubernetes.io/role/elb"),
			}},
			Fix:        "pass the private (node) subnet ids as subnetIds.",
			checkStack: checkNodesPrivateSubnets,
		},
		&Policy{
			ID:          "multi-az",
			Description: "The stack's private subnets span at least minAzs Availability Zones (2 in staging, 3 in prod).",
			Group:       "Network",
			Types:       []string{tSubnet},
			Stack:       true,
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Controls:    []Control{eksBP("Reliability: run the data plane over multiple Availability Zones")},
			Params: []Param{{
				Name: "minAzs", Type: IntParam, Description: "Fewest Availability Zones the private subnets must span.",
				Default: perEnv(2, 2, 3),
			}},
			Fix:        "add private subnets in more AZs (network.availabilityZones in the stack config).",
			checkStack: checkMultiAZ,
		},
		&Policy{
			ID:          "nat-per-az",
			Description: "There is a NAT gateway in every Availability Zone that has private subnets, so one AZ outage does not cut egress.",
			Group:       "Network",
			Types:       []string{tNatGateway, tSubnet},
			Stack:       true,
			Levels:      levels(Disabled, Advisory, Mandatory),
			Fix:         "use the one-NAT-per-AZ strategy (network.natStrategy) in this environment.",
			checkStack:  checkNATPerAZ,
		},
		&Policy{
			ID:          "vpc-flow-logs",
			Description: "Every VPC has a flow log.",
			Group:       "Network",
			Types:       []string{tVpc, tFlowLog},
			Stack:       true,
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Fix:         "create an aws:ec2/flowLog:FlowLog with vpcId set to the VPC, sending to a KMS-encrypted S3 bucket or log group.",
			checkStack:  checkFlowLogs,
		},
		&Policy{
			ID:          "default-sg-closed",
			Description: "The VPC default security group has no rules (it is adopted and emptied, never used).",
			Group:       "Network",
			Types:       []string{"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "declare aws:ec2/defaultSecurityGroup:DefaultSecurityGroup without ingress or egress.",
			check:       checkDefaultSGClosed,
		},
		&Policy{
			ID:          "no-world-open-admin-ports",
			Description: "No security group admits 0.0.0.0/0 or ::/0 to an administrative port (SSH, RDP, the Kubernetes API, Vault, Prometheus, Grafana).",
			Group:       "Network",
			Types: []string{"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
				"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"},
			Levels: levels(Mandatory, Mandatory, Mandatory),
			Params: []Param{{
				Name: "ports", Type: IntArrayParam, Description: "Ports that must never be open to the internet.",
				Default: same([]int{22, 3389, 6443, 8200, 9090, 3000}),
			}},
			Fix:   "restrict the source to the VPC CIDR, a security group, or a VPN range; reach admin UIs through port-forwarding or an internal load balancer.",
			check: checkWorldOpenPorts,
		},
	)
}

// linked reports whether child's property prop refers to parent: through recorded property dependencies, or by
// the property's value naming the parent's id/name/arn. decided is false when the property's value is unknown and
// no dependency says otherwise.
func linked(child Resource, prop string, parent Resource) (yes bool, decided bool) {
	for _, u := range child.PropertyDependencies[prop] {
		if u == parent.URN {
			return true, true
		}
	}
	v := lookup(child.Properties, prop)
	if v.p == unknown {
		return false, false
	}
	ids := identities(parent)
	var refs []value
	if elems, anyUnknown := v.items(); v.p == known && v.v.IsArray() {
		if anyUnknown {
			return false, false
		}
		refs = elems
	} else {
		refs = []value{v}
	}
	for _, ref := range refs {
		if s, ok := ref.str(); ok && s != "" && contains(ids, s) {
			return true, true
		}
	}
	return false, true
}

// identities are the strings other resources use to refer to r.
func identities(r Resource) []string {
	var out []string
	if r.ID != "" {
		out = append(out, r.ID)
	}
	for _, k := range []string{"id", "arn", "bucket", "name"} {
		if s, ok := lookup(r.Properties, k).str(); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ofType(rs []Resource, types ...string) []Resource {
	var out []Resource
	for _, r := range rs {
		if contains(types, r.Type) {
			out = append(out, r)
		}
	}
	return out
}

func isPublicSubnet(s Resource, tag string) (public bool, decided bool) {
	tags := lookup(s.Properties, "tags")
	mp := lookup(s.Properties, "mapPublicIpOnLaunch")
	if tags.p == unknown || mp.p == unknown {
		return false, false
	}
	if t, ok := tags.key(tag).str(); ok && t == "1" {
		return true, true
	}
	if b, ok := mp.boolean(); ok && b {
		return true, true
	}
	return false, true
}

func checkNodesPrivateSubnets(c *checker, rs []Resource) {
	subnets := ofType(rs, tSubnet)
	tag := c.param("publicSubnetTag").(string)
	for _, ng := range ofType(rs, tNodeGroup, tMNG) {
		if ng.Type == tMNG && !hasInputs(ng) {
			continue
		}
		ids := lookup(ng.Properties, "subnetIds")
		if ids.p == missing {
			continue // pulumi-eks picks the cluster's private subnets
		}
		var public []string
		for _, s := range subnets {
			yes, decided := linked(ng, "subnetIds", s)
			if !decided {
				c.unknownOn(ng, "subnetIds")
				break
			}
			if !yes {
				continue
			}
			pub, ok := isPublicSubnet(s, tag)
			if !ok {
				c.unknownOn(s, "tags/mapPublicIpOnLaunch")
				continue
			}
			if pub {
				public = append(public, s.Name)
			}
		}
		if len(public) > 0 {
			sort.Strings(public)
			c.failOn(ng, "subnetIds include public subnet(s) %s, so nodes sit next to the internet gateway", quoteList(public))
		}
	}
}

// privateAZs returns the AZs of the stack's private subnets; decided is false if any AZ is unknown.
func privateAZs(c *checker, rs []Resource, tag string) (map[string]bool, bool) {
	azs := map[string]bool{}
	decided := true
	for _, s := range ofType(rs, tSubnet) {
		pub, ok := isPublicSubnet(s, tag)
		if !ok {
			c.unknownOn(s, "tags")
			decided = false
			continue
		}
		if pub {
			continue
		}
		az := lookup(s.Properties, "availabilityZone")
		if az.p == missing {
			az = lookup(s.Properties, "availabilityZoneId")
		}
		if az.p == unknown {
			c.unknownOn(s, "availabilityZone")
			decided = false
			continue
		}
		if a, ok := az.str(); ok {
			azs[a] = true
		}
	}
	return azs, decided
}

func checkMultiAZ(c *checker, rs []Resource) {
	if len(ofType(rs, tSubnet)) == 0 {
		return
	}
	azs, decided := privateAZs(c, rs, "kubernetes.io/role/elb")
	if !decided {
		return
	}
	want := c.intParam("minAzs")
	if len(azs) < want {
		c.failStack("private subnets span %d Availability Zone(s) %s; %s needs at least %d", len(azs), quoteList(sortedKeys(azs)), c.env, want)
	}
}

func checkNATPerAZ(c *checker, rs []Resource) {
	if len(ofType(rs, tSubnet)) == 0 {
		return
	}
	azs, decided := privateAZs(c, rs, "kubernetes.io/role/elb")
	if !decided || len(azs) == 0 {
		return
	}
	nats := ofType(rs, tNatGateway)
	// Where the NAT's subnet resolves, count distinct AZs; otherwise fall back to counting gateways.
	natAZs := map[string]bool{}
	resolved := 0
	for _, n := range nats {
		for _, s := range ofType(rs, tSubnet) {
			if yes, ok := linked(n, "subnetId", s); ok && yes {
				if az, ok := lookup(s.Properties, "availabilityZone").str(); ok {
					natAZs[az] = true
					resolved++
				}
				break
			}
		}
	}
	count := len(nats)
	if resolved == len(nats) && len(nats) > 0 {
		count = len(natAZs)
	}
	if count < len(azs) {
		c.failStack("%d NAT gateway(s) (in %d AZ(s)) serve private subnets in %d AZs %s; losing the NAT's AZ cuts egress for the others",
			len(nats), count, len(azs), quoteList(sortedKeys(azs)))
	}
}

func checkFlowLogs(c *checker, rs []Resource) {
	logs := ofType(rs, tFlowLog)
	for _, vpc := range ofType(rs, tVpc) {
		found, undecided := false, false
		for _, fl := range logs {
			yes, decided := linked(fl, "vpcId", vpc)
			if !decided {
				undecided = true
				continue
			}
			if yes {
				found = true
				break
			}
		}
		switch {
		case found:
		case undecided:
			c.unknownOn(vpc, "flow log vpcId")
		default:
			c.failOn(vpc, "no aws:ec2/flowLog:FlowLog references this VPC, so rejected and accepted traffic is not recorded")
		}
	}
}

func checkDefaultSGClosed(c *checker, r Resource) {
	for _, dir := range []string{"ingress", "egress"} {
		v := c.get(dir)
		if !c.requireKnown(dir, v) {
			continue
		}
		if elems, _ := v.items(); len(elems) > 0 {
			c.fail("%s has %d rule(s); the default security group must stay empty so nothing relies on it", dir, len(elems))
		}
	}
}

// rule is one ingress permission as the three security-group resource shapes spell it.
type rule struct {
	path     string
	from, to value
	protocol value
	cidrs    []value
}

func checkWorldOpenPorts(c *checker, r Resource) {
	var rules []rule
	switch r.Type {
	case "aws:ec2/securityGroup:SecurityGroup":
		ing := c.get("ingress")
		if !c.requireKnown("ingress", ing) {
			return
		}
		elems, _ := ing.items()
		for i, e := range elems {
			if e.p == unknown {
				c.unknown(fmt.Sprintf("ingress[%d]", i))
				continue
			}
			rules = append(rules, rule{
				path: fmt.Sprintf("ingress[%d]", i), from: e.field("fromPort"), to: e.field("toPort"),
				protocol: e.field("protocol"), cidrs: []value{e.field("cidrBlocks"), e.field("ipv6CidrBlocks")},
			})
		}
	case "aws:ec2/securityGroupRule:SecurityGroupRule":
		if t, ok := c.get("type").str(); !ok || t != "ingress" {
			return
		}
		rules = append(rules, rule{path: "rule", from: c.get("fromPort"), to: c.get("toPort"), protocol: c.get("protocol"),
			cidrs: []value{c.get("cidrBlocks"), c.get("ipv6CidrBlocks")}})
	default:
		rules = append(rules, rule{path: "rule", from: c.get("fromPort"), to: c.get("toPort"), protocol: c.get("ipProtocol"),
			cidrs: []value{c.get("cidrIpv4"), c.get("cidrIpv6")}})
	}
	ports := c.intsParam("ports")
	for _, rl := range rules {
		world, decided, secretCIDR := "", true, false
		for _, cv := range rl.cidrs {
			if cv.p == unknown {
				decided = false
				continue
			}
			list, ok := cv.strings()
			if !ok {
				if s, isStr := cv.str(); isStr {
					list = []string{s}
				}
			}
			for _, cidr := range list {
				if isWorld(cidr) {
					world, secretCIDR = cidr, cv.secret
				}
			}
		}
		if world == "" {
			if !decided {
				c.unknown(rl.path + " cidrs")
			}
			continue
		}
		if rl.from.p == unknown || rl.to.p == unknown || rl.protocol.p == unknown {
			c.unknown(rl.path + " ports")
			continue
		}
		proto, _ := rl.protocol.str()
		from, _ := rl.from.number()
		to, _ := rl.to.number()
		allPorts := proto == "-1" || strings.EqualFold(proto, "all")
		var open []string
		for _, p := range ports {
			if allPorts || (float64(p) >= from && float64(p) <= to) {
				open = append(open, fmt.Sprint(p))
			}
		}
		if len(open) > 0 {
			shown := world
			if secretCIDR {
				shown = "[secret]"
			}
			c.fail("%s admits %s to port(s) %s (protocol %s, ports %s-%s)", rl.path, shown, strings.Join(open, ", "),
				rl.protocol.show(), rl.from.show(), rl.to.show())
		}
	}
}
