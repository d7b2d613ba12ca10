// Package cost turns planned resources (a Pulumi type token and the resource's inputs, as the policy pack and
// `pulumi preview --json` see them) into monthly line items priced from a dated snapshot of AWS on-demand list
// prices (prices.json): what the stack costs idle (every autoscaled group at its minimum) and at its ceiling
// (every group at its maximum).
//
// It prices what exists by the hour or month whatever the workload does: the EKS control plane, node groups
// (instances and their root volumes), NAT gateways, public IPv4 addresses, interface VPC endpoints, load
// balancers visible in the plan, KMS keys, EBS volumes and claims visible in the plan. Usage-priced services (NAT
// and endpoint data processing, S3, CloudWatch Logs, CodeBuild minutes, load balancer capacity units) are listed
// as usage with $0 at idle, never guessed. A rate missing from the snapshot or an input not known yet (a preview
// before the resources it depends on exist) makes the item Unknown, reported as such and kept out of the totals,
// never counted as zero.
//
// It does not price Savings Plans, Reserved Instances or spot (a SPOT group is priced at on-demand, an upper
// bound), taxes, support plans, data transfer, or anything a chart creates at run time that the plan does not
// show (a LoadBalancer Service's NLB before the cluster exists).
//
// The package is pure: no network, no Pulumi engine. cmd/cost reads plans and refreshes the snapshot; the policy
// pack's `budget` policy and the sandbox feed it resources.
package cost

import (
	"fmt"
	"sort"
	"strings"
)

// Resource is one resource as the estimator reads it.
type Resource struct {
	URN    string
	Type   string // Pulumi type token, e.g. aws:eks/nodeGroup:NodeGroup
	Name   string
	Parent string // parent URN, "" when unknown or at the top
	ID     string // provider id when known (state, mocks); links a node group to its launch template
	// Region is the AWS region of the resource's provider; "" means Options.DefaultRegion.
	Region string
	// Inputs are the resource's inputs as plain JSON-like values (map[string]any, []any, string, float64, bool).
	// A value that is not known yet is the string UnknownValue, as Pulumi serialises it.
	Inputs map[string]any
}

// UnknownValue is how Pulumi serialises a value that is not known until apply (sdk/go/common/resource/sig/sig.go,
// UnknownStringValue), in `pulumi preview --json` and in engine events.
const UnknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// Kind says how an item is billed.
type Kind string

const (
	// Fixed items are billed per hour or month whatever the workload does.
	Fixed Kind = "fixed"
	// Scaled items are autoscaled groups: idle at their minimum, ceiling at their maximum.
	Scaled Kind = "scaled"
	// Usage items are billed by use (GB processed, build minutes, requests): $0 here, listed so nobody forgets them.
	Usage Kind = "usage"
)

// Item is one line of an estimate.
type Item struct {
	URN      string
	Resource string // the resource's name
	Type     string // its type token
	What     string // what is billed: "EKS control plane", "3-6 x m6i.xlarge on-demand", ...
	Kind     Kind
	// Unit and UnitPrice describe the rate (USD per Unit); Note says what is left out or approximated.
	Unit      string
	UnitPrice float64
	// IdleQty and CeilingQty are the billed quantities per month at idle and at the ceiling (hours, GB-months,
	// key-months).
	IdleQty, CeilingQty float64
	// Idle and Ceiling are USD per month.
	Idle, Ceiling float64
	Note          string
	// Unknown says why the item cannot be priced (missing rate, unknown input); such an item is not in the totals.
	Unknown string
	// Pending marks an Unknown item whose inputs are not known until apply (a preview before the resources it
	// depends on exist), as opposed to a rate missing from the snapshot, which no later run fixes.
	Pending bool
}

// Estimate is the monthly cost of a set of resources.
type Estimate struct {
	PricesDate   string
	PricesSource string
	Items        []Item
	// Idle and Ceiling sum the priced items (USD per month); unknown items are not included.
	Idle, Ceiling float64
}

// Unknown returns the items that could not be priced.
func (e Estimate) Unknown() []Item {
	var out []Item
	for _, it := range e.Items {
		if it.Unknown != "" {
			out = append(out, it)
		}
	}
	return out
}

// Biggest returns up to n priced items by idle cost (byIdle) or ceiling cost, largest first (ties by the other
// figure, then name).
func (e Estimate) Biggest(n int, byIdle bool) []Item {
	var out []Item
	for _, it := range e.Items {
		if it.Unknown == "" && ((byIdle && it.Idle > 0) || (!byIdle && it.Ceiling > 0)) {
			out = append(out, it)
		}
	}
	key := func(it Item) (float64, float64) {
		if byIdle {
			return it.Idle, it.Ceiling
		}
		return it.Ceiling, it.Idle
	}
	sort.SliceStable(out, func(i, j int) bool {
		a1, a2 := key(out[i])
		b1, b2 := key(out[j])
		if a1 != b1 {
			return a1 > b1
		}
		if a2 != b2 {
			return a2 > b2
		}
		return out[i].Resource < out[j].Resource
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Options tune an estimate.
type Options struct {
	// DefaultRegion prices resources whose Region is "". Required when any resource lacks one.
	DefaultRegion string
}

// Estimate prices the resources with this snapshot. Items come out in the resources' order, each resource's items
// together; resources that cost nothing by themselves (subnets, roles, route tables, ...) yield no item.
func (p Prices) Estimate(rs []Resource, o Options) Estimate {
	e := &estimator{prices: p, opts: o, rs: rs, byURN: map[string]*Resource{}}
	for i := range rs {
		if rs[i].URN != "" {
			e.byURN[rs[i].URN] = &rs[i]
		}
	}
	out := Estimate{PricesDate: p.Date, PricesSource: p.Source}
	for i := range rs {
		out.Items = append(out.Items, e.price(&rs[i])...)
	}
	for _, it := range out.Items {
		if it.Unknown != "" {
			continue
		}
		out.Idle += it.Idle
		out.Ceiling += it.Ceiling
	}
	out.Idle, out.Ceiling = round2(out.Idle), round2(out.Ceiling)
	return out
}

type estimator struct {
	prices Prices
	opts   Options
	rs     []Resource
	byURN  map[string]*Resource
}

func (e *estimator) region(r *Resource) (RegionPrices, string, bool) {
	reg := r.Region
	if reg == "" || reg == UnknownValue {
		reg = e.opts.DefaultRegion
	}
	rp, ok := e.prices.Regions[reg]
	return rp, reg, ok
}

// item starts a line for r.
func item(r *Resource, kind Kind, what string) Item {
	return Item{URN: r.URN, Resource: r.Name, Type: r.Type, Kind: kind, What: what}
}

// fixed prices qty units a month at rate, the same at idle and at the ceiling.
func (e *estimator) fixed(r *Resource, what, unit string, rate, qty float64, note string) Item {
	it := item(r, Fixed, what)
	it.Unit, it.UnitPrice, it.IdleQty, it.CeilingQty, it.Note = unit, rate, qty, qty, note
	if rate <= 0 {
		it.Unknown = fmt.Sprintf("no %s rate in the price snapshot", unit)
		return it
	}
	it.Idle, it.Ceiling = round2(rate*qty), round2(rate*qty)
	return it
}

func (e *estimator) unknown(r *Resource, kind Kind, what, why string) Item {
	it := item(r, kind, what)
	it.Unknown = why
	return it
}

// pending is unknown for inputs a later run will know.
func (e *estimator) pending(r *Resource, kind Kind, what, why string) Item {
	it := e.unknown(r, kind, what, why)
	it.Pending = true
	return it
}

// PricedTypes are the resource types the estimator prices or lists as usage; every other type costs nothing by
// itself (subnets, route tables, roles, security groups, ...).
var PricedTypes = []string{
	"aws:eks/cluster:Cluster", "eks:index:Cluster", "aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup",
	"aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group", "aws:ec2/instance:Instance",
	"aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/vpcEndpoint:VpcEndpoint",
	"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer", "kubernetes:core/v1:Service",
	"aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:kms/externalKey:ExternalKey", "aws:ebs/volume:Volume",
	"kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:apps/v1:StatefulSet", "aws:codebuild/project:Project",
	"aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket", "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/flowLog:FlowLog",
}

func (e *estimator) usage(r *Resource, what, note string) Item {
	it := item(r, Usage, what)
	it.Note = note
	return it
}

func (e *estimator) price(r *Resource) []Item {
	rp, reg, ok := e.region(r)
	h := e.prices.HoursPerMonth
	switch r.Type {
	case "aws:eks/cluster:Cluster", "eks:index:Cluster":
		if r.Type == "eks:index:Cluster" && (len(r.Inputs) == 0 || e.hasDescendant(r.URN, "aws:eks/cluster:Cluster")) {
			// A remote component as its provider registers it (no inputs), or one whose control plane is in the
			// plan: the aws:eks/cluster:Cluster carries the price.
			return nil
		}
		if !ok {
			return []Item{e.noRegion(r, Fixed, "EKS control plane", reg)}
		}
		return []Item{e.fixed(r, "EKS control plane", "cluster-hour", rp.EKSClusterHour, h,
			"standard support; a version past standard support bills extended support instead")}
	case "aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup":
		if r.Type == "eks:index:ManagedNodeGroup" && (len(r.Inputs) == 0 || e.hasDescendant(r.URN, "aws:eks/nodeGroup:NodeGroup")) {
			return nil
		}
		return e.nodeGroup(r, rp, reg, ok)
	case "aws:autoscaling/group:Group":
		return e.autoscalingGroup(r, rp, reg, ok)
	case "aws:ec2/instance:Instance":
		return e.instance(r, rp, reg, ok)
	case "aws:ec2/natGateway:NatGateway":
		if !ok {
			return []Item{e.noRegion(r, Fixed, "NAT gateway", reg)}
		}
		note := "data processing per GB is usage, not estimated; its public IPv4 address is the EIP's line"
		if s, _ := str(r.Inputs, "connectivityType"); s == "private" {
			note = "private NAT gateway; data processing per GB is usage, not estimated"
		}
		return []Item{e.fixed(r, "NAT gateway", "gateway-hour", rp.NATGatewayHour, h, note)}
	case "aws:ec2/eip:Eip":
		if !ok {
			return []Item{e.noRegion(r, Fixed, "public IPv4 address", reg)}
		}
		return []Item{e.fixed(r, "public IPv4 address (Elastic IP)", "address-hour", rp.PublicIPv4Hour, h,
			"every public IPv4 address is billed, attached or not")}
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		return e.vpcEndpoint(r, rp, reg, ok)
	case "aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer":
		return e.loadBalancer(r, rp, reg, ok)
	case "kubernetes:core/v1:Service":
		return e.serviceLoadBalancer(r, rp, reg, ok)
	case "aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:kms/externalKey:ExternalKey":
		if !ok {
			return []Item{e.noRegion(r, Fixed, "KMS key", reg)}
		}
		return []Item{e.fixed(r, "KMS customer-managed key", "key-month", rp.KMSKeyMonth, 1,
			"requests are usage, not estimated")}
	case "aws:ebs/volume:Volume":
		return e.ebsVolume(r, rp, reg, ok)
	case "kubernetes:core/v1:PersistentVolumeClaim":
		return e.claim(r, rp, reg, ok)
	case "kubernetes:apps/v1:StatefulSet":
		return e.statefulSetClaims(r, rp, reg, ok)
	case "aws:codebuild/project:Project":
		ct, _ := str(r.Inputs, "environment", "computeType")
		note := "billed per build minute; no builds at idle"
		if rate := rp.CodeBuildMinute[ct]; ok && rate > 0 {
			note = fmt.Sprintf("$%s per build minute (%s); no builds at idle", trimFloat(rate), ct)
		}
		return []Item{e.usage(r, "CodeBuild runner", note)}
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		return []Item{e.usage(r, "S3 bucket", "storage and requests: usage, not estimated")}
	case "aws:cloudwatch/logGroup:LogGroup":
		return []Item{e.usage(r, "CloudWatch log group", "ingestion and storage: usage, not estimated")}
	case "aws:ec2/flowLog:FlowLog":
		return []Item{e.usage(r, "VPC flow log", "log delivery per GB: usage, not estimated")}
	}
	return nil
}

func (e *estimator) noRegion(r *Resource, kind Kind, what, reg string) Item {
	if reg == "" {
		return e.unknown(r, kind, what, "region unknown (no provider region and no default region)")
	}
	return e.unknown(r, kind, what, fmt.Sprintf("region %s is not in the price snapshot", reg))
}

// hasDescendant reports whether a resource of type typ has urn among its ancestors.
func (e *estimator) hasDescendant(urn, typ string) bool {
	if urn == "" {
		return false
	}
	for i := range e.rs {
		if e.rs[i].Type != typ {
			continue
		}
		seen := map[string]bool{}
		for p := e.rs[i].Parent; p != "" && !seen[p]; {
			if p == urn {
				return true
			}
			seen[p] = true
			pr := e.byURN[p]
			if pr == nil {
				break
			}
			p = pr.Parent
		}
	}
	return false
}

// nodeGroup prices an EKS managed node group: instances from minSize (idle) to maxSize (ceiling), and one root
// volume per instance from its launch template (EKS's default 20 GiB gp2 when the group sets none; EKS API
// reference, CreateNodegroup diskSize).
func (e *estimator) nodeGroup(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	minN, minOK := num(r.Inputs, "scalingConfig", "minSize")
	maxN, maxOK := num(r.Inputs, "scalingConfig", "maxSize")
	types, typesOK := strs(r.Inputs, "instanceTypes")
	capacity, _ := str(r.Inputs, "capacityType")
	lt := e.launchTemplateOf(r)
	if (!typesOK || len(types) == 0) && lt != nil {
		if t, ok := str(lt.Inputs, "instanceType"); ok {
			types, typesOK = []string{t}, true
		}
	}
	what := "node group instances"
	switch {
	case !minOK || !maxOK:
		return []Item{e.pending(r, Scaled, what, "scalingConfig.minSize/maxSize unknown until apply")}
	case (!typesOK || len(types) == 0) && hasUnknown(r.Inputs["instanceTypes"]):
		return []Item{e.pending(r, Scaled, what, "instanceTypes unknown until apply")}
	case !typesOK || len(types) == 0:
		return []Item{e.unknown(r, Scaled, what, "no instance type (none set and no launch template instanceType)")}
	}
	return e.scaledInstances(r, rp, reg, ok, types, capacity, minN, maxN, lt)
}

func (e *estimator) scaledInstances(r *Resource, rp RegionPrices, reg string, ok bool, types []string, capacity string, minN, maxN float64, lt *Resource) []Item {
	h := e.prices.HoursPerMonth
	what := fmt.Sprintf("%s-%s x %s", trimFloat(minN), trimFloat(maxN), types[0])
	var notes []string
	if len(types) > 1 {
		notes = append(notes, fmt.Sprintf("priced as %s, the first of %s", types[0], strings.Join(types, ", ")))
	}
	if strings.EqualFold(capacity, "SPOT") {
		what += " SPOT"
		notes = append(notes, "SPOT priced at the on-demand rate: an upper bound, spot prices vary")
	} else {
		what += " on-demand"
	}
	inst := item(r, Scaled, what)
	inst.Unit = "instance-hour"
	inst.IdleQty, inst.CeilingQty = minN*h, maxN*h
	inst.Note = strings.Join(notes, "; ")
	if !ok {
		inst = e.noRegion(r, Scaled, what, reg)
	} else if rate := rp.InstanceHour[types[0]]; rate <= 0 {
		inst.Unknown = fmt.Sprintf("no on-demand rate for %s in %s in the price snapshot (add it, or run make cost-prices)", types[0], reg)
	} else {
		inst.UnitPrice = rate
		inst.Idle, inst.Ceiling = round2(rate*minN*h), round2(rate*maxN*h)
	}
	out := []Item{inst}

	size, vtype, src := 20.0, "gp2", "EKS default root volume (no launch template disk)"
	if lt != nil {
		if s, vt, known := rootVolume(lt.Inputs); known {
			size, vtype, src = s, vt, "root volume from launch template "+lt.Name
		} else {
			return append(out, e.pending(r, Scaled, "node root volumes", "launch template "+lt.Name+" block device size unknown until apply"))
		}
	} else if d, known := num(r.Inputs, "diskSize"); known {
		size, src = d, "diskSize of the node group"
	}
	vol := item(r, Scaled, fmt.Sprintf("%s-%s x %s GiB %s root volume", trimFloat(minN), trimFloat(maxN), trimFloat(size), vtype))
	vol.Unit = "GB-month"
	vol.IdleQty, vol.CeilingQty = minN*size, maxN*size
	vol.Note = src
	if !ok {
		vol = e.noRegion(r, Scaled, vol.What, reg)
	} else if rate := rp.EBSGBMonth[vtype]; rate <= 0 {
		vol.Unknown = fmt.Sprintf("no EBS %s rate in %s in the price snapshot", vtype, reg)
	} else {
		vol.UnitPrice = rate
		vol.Idle, vol.Ceiling = round2(rate*vol.IdleQty), round2(rate*vol.CeilingQty)
	}
	return append(out, vol)
}

// launchTemplateOf finds the launch template a node group or autoscaling group uses: by id when ids are known
// (state, mocks), else the program's convention (internal/nodegroup): the template has the group's name and
// parent.
func (e *estimator) launchTemplateOf(r *Resource) *Resource {
	id, _ := str(r.Inputs, "launchTemplate", "id")
	for i := range e.rs {
		c := &e.rs[i]
		if c.Type != "aws:ec2/launchTemplate:LaunchTemplate" {
			continue
		}
		if id != "" && id != UnknownValue && c.ID == id {
			return c
		}
	}
	if _, has := r.Inputs["launchTemplate"]; !has {
		return nil
	}
	for i := range e.rs {
		c := &e.rs[i]
		if c.Type == "aws:ec2/launchTemplate:LaunchTemplate" && c.Name == r.Name && c.Parent == r.Parent {
			return c
		}
	}
	return nil
}

// rootVolume reads the first EBS block device mapping of a launch template: size and type (gp2 is EC2's default
// when a mapping sets a size and no type; the EKS AL2023 AMIs' own root is gp3 but the template decides).
func rootVolume(in map[string]any) (float64, string, bool) {
	maps, ok := in["blockDeviceMappings"].([]any)
	if !ok || len(maps) == 0 {
		return 0, "", false
	}
	m, ok := maps[0].(map[string]any)
	if !ok {
		return 0, "", false
	}
	size, ok := num(m, "ebs", "volumeSize")
	if !ok {
		return 0, "", false
	}
	vt, vok := str(m, "ebs", "volumeType")
	if !vok || vt == "" {
		vt = "gp2"
	}
	return size, vt, true
}

func (e *estimator) autoscalingGroup(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	minN, minOK := num(r.Inputs, "minSize")
	maxN, maxOK := num(r.Inputs, "maxSize")
	if !minOK || !maxOK {
		return []Item{e.pending(r, Scaled, "autoscaling group instances", "minSize/maxSize unknown until apply")}
	}
	var types []string
	if t, known := str(r.Inputs, "mixedInstancesPolicy", "launchTemplate", "overrides", "0", "instanceType"); known {
		types = []string{t}
	}
	lt := e.launchTemplateOf(r)
	if len(types) == 0 && lt != nil {
		if t, known := str(lt.Inputs, "instanceType"); known {
			types = []string{t}
		}
	}
	if len(types) == 0 {
		return []Item{e.unknown(r, Scaled, "autoscaling group instances", "instance type unknown (no override or launch template instanceType in the plan)")}
	}
	return e.scaledInstances(r, rp, reg, ok, types, "ON_DEMAND", minN, maxN, lt)
}

func (e *estimator) instance(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	t, known := str(r.Inputs, "instanceType")
	if !known {
		return []Item{e.pending(r, Fixed, "EC2 instance", "instanceType unknown until apply")}
	}
	if !ok {
		return []Item{e.noRegion(r, Fixed, "EC2 instance "+t, reg)}
	}
	rate := rp.InstanceHour[t]
	if rate <= 0 {
		return []Item{e.unknown(r, Fixed, "EC2 instance "+t, fmt.Sprintf("no on-demand rate for %s in %s in the price snapshot", t, reg))}
	}
	return []Item{e.fixed(r, "EC2 instance "+t+" on-demand", "instance-hour", rate, e.prices.HoursPerMonth, "")}
}

// vpcEndpoint prices interface (and Gateway Load Balancer) endpoints per AZ: one ENI per subnet. Gateway endpoints
// (S3, DynamoDB) are free (AWS PrivateLink pricing).
func (e *estimator) vpcEndpoint(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	typ, known := str(r.Inputs, "vpcEndpointType")
	if !known && r.Inputs["vpcEndpointType"] == UnknownValue {
		return []Item{e.pending(r, Fixed, "VPC endpoint", "vpcEndpointType unknown until apply")}
	}
	if typ == "" {
		typ = "Gateway" // the provider's default
	}
	svc, _ := str(r.Inputs, "serviceName")
	if typ == "Gateway" {
		it := e.usage(r, "gateway VPC endpoint "+svc, "gateway endpoints have no hourly or data charge")
		it.Kind = Fixed
		return []Item{it}
	}
	subnets, has := r.Inputs["subnetIds"]
	list, isList := subnets.([]any)
	what := fmt.Sprintf("%s VPC endpoint %s", strings.ToLower(typ), svc)
	switch {
	case !has:
		return []Item{e.unknown(r, Fixed, what, "no subnetIds: the number of AZs is unknown")}
	case !isList:
		return []Item{e.pending(r, Fixed, what, "subnetIds unknown until apply: the number of AZs is unknown")}
	case !ok:
		return []Item{e.noRegion(r, Fixed, what, reg)}
	}
	azs := float64(len(list))
	return []Item{e.fixed(r, fmt.Sprintf("%s in %d AZs", what, len(list)), "endpoint-AZ-hour", rp.InterfaceEndpointAZHour,
		azs*e.prices.HoursPerMonth, "data processing per GB is usage, not estimated")}
}

func (e *estimator) loadBalancer(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	typ, known := str(r.Inputs, "loadBalancerType")
	if !known && r.Inputs["loadBalancerType"] == UnknownValue {
		return []Item{e.pending(r, Fixed, "load balancer", "loadBalancerType unknown until apply")}
	}
	if typ == "" {
		typ = "application"
	}
	if !ok {
		return []Item{e.noRegion(r, Fixed, typ+" load balancer", reg)}
	}
	rate := map[string]float64{"network": rp.NLBHour, "application": rp.ALBHour}[typ]
	return []Item{e.fixed(r, typ+" load balancer", "LB-hour", rate, e.prices.HoursPerMonth, "capacity units (LCU) are usage, not estimated")}
}

// serviceLoadBalancer prices a Kubernetes Service of type LoadBalancer, when the plan shows one: the AWS Load
// Balancer Controller or the in-tree controller creates an NLB for the "nlb"/"external" annotation (AWS Load
// Balancer Controller docs, service annotations), a Classic Load Balancer otherwise.
func (e *estimator) serviceLoadBalancer(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	t, _ := str(r.Inputs, "spec", "type")
	if t != "LoadBalancer" {
		return nil
	}
	ann, _ := str(r.Inputs, "metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-type")
	what, rate := "Classic Load Balancer (Service type LoadBalancer)", rp.CLBHour
	if ann == "nlb" || ann == "external" || ann == "nlb-ip" {
		what, rate = "network load balancer (Service type LoadBalancer)", rp.NLBHour
	}
	if !ok {
		return []Item{e.noRegion(r, Fixed, what, reg)}
	}
	return []Item{e.fixed(r, what, "LB-hour", rate, e.prices.HoursPerMonth, "capacity units are usage, not estimated")}
}

func (e *estimator) ebsVolume(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	size, known := num(r.Inputs, "size")
	if !known {
		return []Item{e.pending(r, Fixed, "EBS volume", "size unknown until apply")}
	}
	vt, _ := str(r.Inputs, "type")
	if vt == "" {
		vt = "gp3"
	}
	return []Item{e.storage(r, fmt.Sprintf("EBS %s volume %s GiB", vt, trimFloat(size)), vt, size, rp, reg, ok)}
}

func (e *estimator) storage(r *Resource, what, vt string, gb float64, rp RegionPrices, reg string, ok bool) Item {
	if !ok {
		return e.noRegion(r, Fixed, what, reg)
	}
	return e.fixed(r, what, "GB-month", rp.EBSGBMonth[vt], gb, "")
}

// claim prices a PersistentVolumeClaim as gp3 (the cluster's default StorageClass; pulumi-eks creates gp3).
func (e *estimator) claim(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	q, known := str(r.Inputs, "spec", "resources", "requests", "storage")
	gb, qok := quantityGiB(q)
	if !known || !qok {
		return []Item{e.unknown(r, Fixed, "persistent volume claim", fmt.Sprintf("storage request %q not readable", q))}
	}
	return []Item{e.storage(r, fmt.Sprintf("PVC %s GiB gp3", trimFloat(gb)), "gp3", gb, rp, reg, ok)}
}

func (e *estimator) statefulSetClaims(r *Resource, rp RegionPrices, reg string, ok bool) []Item {
	tpls, _ := r.Inputs["spec"].(map[string]any)
	list, _ := tpls["volumeClaimTemplates"].([]any)
	if len(list) == 0 {
		return nil
	}
	replicas, known := num(r.Inputs, "spec", "replicas")
	if !known {
		replicas = 1 // the Kubernetes default
	}
	total := 0.0
	for _, t := range list {
		m, _ := t.(map[string]any)
		q, _ := str(m, "spec", "resources", "requests", "storage")
		gb, qok := quantityGiB(q)
		if !qok {
			return []Item{e.unknown(r, Fixed, "StatefulSet volumes", fmt.Sprintf("storage request %q not readable", q))}
		}
		total += gb
	}
	return []Item{e.storage(r, fmt.Sprintf("StatefulSet volumes %s x %s GiB gp3", trimFloat(replicas), trimFloat(total)), "gp3", replicas*total, rp, reg, ok)}
}

// quantityGiB reads a Kubernetes storage quantity ("50Gi", "1Ti", "100G") as GiB.
func quantityGiB(q string) (float64, bool) {
	units := []struct {
		suffix string
		gib    float64
	}{{"Ti", 1024}, {"Gi", 1}, {"Mi", 1.0 / 1024}, {"T", 1e12 / (1 << 30)}, {"G", 1e9 / (1 << 30)}, {"M", 1e6 / (1 << 30)}}
	for _, u := range units {
		if strings.HasSuffix(q, u.suffix) {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimSuffix(q, u.suffix), "%g", &v); err != nil {
				return 0, false
			}
			return v * u.gib, true
		}
	}
	return 0, false
}
