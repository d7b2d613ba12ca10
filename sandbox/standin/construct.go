package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
)

// Construct implements the remote components the program uses. It registers
// the component and its key children through the engine's resource monitor,
// as the real component providers do, so children go through Check/Create on
// the (stand-in) aws provider the caller passed, the policy pack sees the
// concrete resources with the program's real values, and the state holds
// the same resource types a real deployment would.
//
// Like the real pulumi-eks (a Node.js component provider), the component
// itself is registered without inputs: policies that must hold in a real run
// have to look at the concrete children (aws:eks/cluster:Cluster, ...).
func (p *Provider) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	inputs, err := unmarshal(req.GetInputs(), "component inputs")
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(req.GetMonitorEndpoint(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("stand-in construct %s: connecting to the resource monitor: %w", req.GetType(), err)
	}
	defer conn.Close()
	c := &constructor{
		ctx:     ctx,
		mon:     pulumirpc.NewResourceMonitorClient(conn),
		req:     req,
		inputs:  inputs,
		region:  p.region(),
		deps:    map[string]bool{},
		outDeps: map[string]bool{},
	}
	for _, d := range req.GetDependencies() {
		c.deps[d] = true
	}
	for _, pd := range req.GetInputDependencies() {
		for _, u := range pd.GetUrns() {
			c.deps[u] = true
		}
	}

	var build func(*constructor) (resource.PropertyMap, error)
	switch req.GetType() {
	case "eks:index:Cluster":
		build = buildEksCluster
	case "eks:index:ManagedNodeGroup":
		build = buildManagedNodeGroup
	default:
		return nil, fmt.Errorf("stand-in provider: component %q is not implemented offline; add it to sandbox/standin/construct.go", req.GetType())
	}

	if err := c.registerComponent(); err != nil {
		return nil, err
	}
	outs, err := build(c)
	if err != nil {
		return nil, fmt.Errorf("stand-in construct %s %q: %w", req.GetType(), req.GetName(), err)
	}
	state, err := marshal(outs, "component outputs")
	if err != nil {
		return nil, err
	}
	if _, err := c.mon.RegisterResourceOutputs(ctx, &pulumirpc.RegisterResourceOutputsRequest{Urn: c.urn, Outputs: state}); err != nil {
		return nil, fmt.Errorf("stand-in construct %s: registering outputs: %w", req.GetType(), err)
	}
	stateDeps := map[string]*pulumirpc.ConstructResponse_PropertyDependencies{}
	urns := sortedKeys(c.outDeps)
	for _, k := range outs.StableKeys() {
		stateDeps[string(k)] = &pulumirpc.ConstructResponse_PropertyDependencies{Urns: urns}
	}
	return &pulumirpc.ConstructResponse{Urn: c.urn, State: state, StateDependencies: stateDeps}, nil
}

type constructor struct {
	ctx     context.Context
	mon     pulumirpc.ResourceMonitorClient
	req     *pulumirpc.ConstructRequest
	inputs  resource.PropertyMap
	region  string
	urn     string
	deps    map[string]bool // what every child depends on: the component's own dependencies
	outDeps map[string]bool // children, reported as dependencies of the outputs
}

func (c *constructor) registerComponent() error {
	resp, err := c.mon.RegisterResource(c.ctx, &pulumirpc.RegisterResourceRequest{
		Type:            c.req.GetType(),
		Name:            c.req.GetName(),
		Parent:          c.req.GetParent(),
		Custom:          false,
		Object:          nil,
		Protect:         c.req.Protect,
		Dependencies:    c.req.GetDependencies(),
		Providers:       c.req.GetProviders(),
		Aliases:         c.req.GetAliases(),
		AliasSpecs:      true,
		AcceptSecrets:   true,
		AcceptResources: true,
		RetainOnDelete:  c.req.RetainOnDelete,
		DeletedWith:     c.req.GetDeletedWith(),
	})
	if err != nil {
		return fmt.Errorf("stand-in construct %s %q: registering the component: %w", c.req.GetType(), c.req.GetName(), err)
	}
	c.urn = resp.GetUrn()
	return nil
}

// child is a registered custom resource: its URN, id and outputs.
type child struct {
	urn     string
	id      string
	outputs resource.PropertyMap
}

func (ch child) ref() resource.PropertyValue {
	id := ch.id
	if id == "" {
		return resource.MakeComponentResourceReference(resource.URN(ch.urn), "")
	}
	return resource.MakeCustomResourceReference(resource.URN(ch.urn), resource.ID(id), "")
}

// register creates a custom child of the component using the provider the
// caller passed for the child's package (pulumi.Providers on the component).
func (c *constructor) register(typ, name string, props resource.PropertyMap, extraDeps ...child) (child, error) {
	return c.registerWith(childSpec{typ: typ, name: name, props: props, deps: extraDeps, custom: true})
}

// childSpec is one child registration: a custom resource, a component, or a provider resource.
type childSpec struct {
	typ, name string
	props     resource.PropertyMap
	deps      []child
	custom    bool
	// parent is the URN of the child's parent. Default: the component.
	parent string
	// provider is the provider reference (urn::id) the child uses. Default: the caller's provider for the
	// child's package.
	provider string
	// ignoreChanges of the child. Default: ignoreChangesFor(typ).
	ignoreChanges []string
}

// registerWith registers a child through the resource monitor, as a component provider does.
func (c *constructor) registerWith(sp childSpec) (child, error) {
	pkg := strings.SplitN(sp.typ, ":", 2)[0]
	var obj *structpb.Struct
	if sp.props != nil {
		var err error
		if obj, err = marshal(sp.props, sp.typ+" "+sp.name); err != nil {
			return child{}, err
		}
	}
	deps := map[string]bool{}
	for d := range c.deps {
		deps[d] = true
	}
	for _, e := range sp.deps {
		deps[e.urn] = true
	}
	parent := sp.parent
	if parent == "" {
		parent = c.urn
	}
	req := &pulumirpc.RegisterResourceRequest{
		Type:            sp.typ,
		Name:            sp.name,
		Parent:          parent,
		Custom:          sp.custom,
		Object:          obj,
		Protect:         c.req.Protect,
		Dependencies:    sortedKeys(deps),
		AcceptSecrets:   true,
		AcceptResources: true,
		RetainOnDelete:  c.req.RetainOnDelete,
		IgnoreChanges:   sp.ignoreChanges,
	}
	if sp.ignoreChanges == nil {
		req.IgnoreChanges = ignoreChangesFor(sp.typ, sp.props)
	}
	switch {
	case !sp.custom:
		req.Providers = c.req.GetProviders()
	case strings.HasPrefix(sp.typ, "pulumi:providers:"):
		// A provider resource is served by its own plugin. pulumi-eks registers its kubernetes providers
		// through its bundled @pulumi/kubernetes, so the engine records a plugin version for them; without one
		// the engine fills it in on the next preview and shows a perpetual "+version" diff.
		if sp.typ == "pulumi:providers:kubernetes" {
			req.Version = KubernetesProviderVersion
		}
	case sp.provider != "":
		req.Provider = sp.provider
	default:
		req.Provider = c.req.GetProviders()[pkg]
	}
	resp, err := c.mon.RegisterResource(c.ctx, req)
	if err != nil {
		return child{}, fmt.Errorf("%s %q: %w", sp.typ, sp.name, err)
	}
	outs, err := unmarshal(resp.GetObject(), sp.typ+" outputs")
	if err != nil {
		return child{}, err
	}
	c.outDeps[resp.GetUrn()] = true
	return child{urn: resp.GetUrn(), id: resp.GetId(), outputs: outs}, nil
}

// finish registers a nested component's outputs once its children exist, as registerOutputs does at the end
// of a Node.js component's constructor.
func (c *constructor) finish(component child, outputs resource.PropertyMap) error {
	st, err := marshal(outputs, component.urn+" outputs")
	if err != nil {
		return err
	}
	if _, err := c.mon.RegisterResourceOutputs(c.ctx, &pulumirpc.RegisterResourceOutputsRequest{Urn: component.urn, Outputs: st}); err != nil {
		return fmt.Errorf("registering the outputs of %s: %w", component.urn, err)
	}
	return nil
}

// ignoreChangesFor mirrors pulumi-eks, which ignores scalingConfig.desiredSize
// on managed node groups so an autoscaler's decision survives the next update.
func ignoreChangesFor(typ string, _ resource.PropertyMap) []string {
	if typ == "aws:eks/nodeGroup:NodeGroup" {
		return []string{"scalingConfig.desiredSize"}
	}
	return nil
}

// getResource reads another resource's state through the engine, which is how
// a component provider follows a resource reference it was given.
func (c *constructor) getResource(urn string) (resource.PropertyMap, error) {
	args, err := marshal(resource.PropertyMap{"urn": resource.NewStringProperty(urn)}, "getResource")
	if err != nil {
		return nil, err
	}
	resp, err := c.mon.Invoke(c.ctx, &pulumirpc.ResourceInvokeRequest{Tok: "pulumi:pulumi:getResource", Args: args, AcceptResources: true})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", urn, err)
	}
	ret, err := unmarshal(resp.GetReturn(), "getResource result")
	if err != nil {
		return nil, err
	}
	st, ok := ret["state"]
	if !ok || !unwrap(st).IsObject() {
		return resource.PropertyMap{}, nil
	}
	return unwrap(st).ObjectValue(), nil
}

// input returns a component input, or null.
func (c *constructor) input(key string) resource.PropertyValue {
	v, ok := c.inputs[resource.PropertyKey(key)]
	if !ok {
		return resource.NewNullProperty()
	}
	return v
}

func (c *constructor) boolInput(key string, def bool) bool {
	v := unwrap(c.input(key))
	if v.IsBool() {
		return v.BoolValue()
	}
	return def
}

// set copies the component inputs that are present into props under new keys.
func (c *constructor) set(props resource.PropertyMap, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := c.input(pairs[i]); !v.IsNull() {
			props[resource.PropertyKey(pairs[i+1])] = v
		}
	}
}

func unknown() resource.PropertyValue { return resource.MakeComputed(resource.NewStringProperty("")) }

func outputOr(ch child, key string) resource.PropertyValue {
	if key == "id" {
		// The id travels beside the outputs, and is empty while previewing a create.
		if ch.id == "" {
			return unknown()
		}
		return resource.NewStringProperty(ch.id)
	}
	if v, ok := ch.outputs[resource.PropertyKey(key)]; ok {
		return v
	}
	return unknown()
}

// mergeTags combines tag maps; later maps win, as in pulumi-eks.
func mergeTags(vals ...resource.PropertyValue) resource.PropertyValue {
	out := resource.PropertyMap{}
	for _, v := range vals {
		v = unwrap(v)
		if v.IsComputed() {
			return v
		}
		if v.IsObject() {
			for k, t := range v.ObjectValue() {
				out[k] = t
			}
		}
	}
	return resource.NewObjectProperty(out)
}

func concatArrays(vals ...resource.PropertyValue) resource.PropertyValue {
	var out []resource.PropertyValue
	for _, v := range vals {
		v = unwrap(v)
		if v.IsComputed() {
			return v
		}
		if v.IsArray() {
			out = append(out, v.ArrayValue()...)
		}
	}
	return resource.NewArrayProperty(out)
}

func policyJSON(doc map[string]any) resource.PropertyValue {
	b, err := json.Marshal(doc)
	if err != nil {
		return unknown()
	}
	return resource.NewStringProperty(string(b))
}

// buildManagedNodeGroup mirrors pulumi-eks's ManagedNodeGroup: one
// aws:eks/nodeGroup:NodeGroup named like the component, with the caller's
// settings, desired size ignored after creation.
func buildManagedNodeGroup(c *constructor) (resource.PropertyMap, error) {
	name := c.req.GetName()
	clusterName, err := c.clusterNameInput()
	if err != nil {
		return nil, err
	}
	props := resource.PropertyMap{"clusterName": clusterName}
	c.set(props,
		"nodeRoleArn", "nodeRoleArn", "subnetIds", "subnetIds", "scalingConfig", "scalingConfig",
		"instanceTypes", "instanceTypes", "amiType", "amiType", "capacityType", "capacityType",
		"taints", "taints", "labels", "labels", "launchTemplate", "launchTemplate", "diskSize", "diskSize",
		"nodeGroupName", "nodeGroupName", "nodeGroupNamePrefix", "nodeGroupNamePrefix", "tags", "tags",
		"version", "version", "releaseVersion", "releaseVersion", "forceUpdateVersion", "forceUpdateVersion",
		"remoteAccess", "remoteAccess", "updateConfig", "updateConfig", "nodeRepairConfig", "nodeRepairConfig")
	if _, ok := props["nodeRoleArn"]; !ok {
		if r := unwrap(c.input("nodeRole")); r.IsResourceReference() {
			st, err := c.getResource(string(r.ResourceReferenceValue().URN))
			if err != nil {
				return nil, err
			}
			props["nodeRoleArn"] = st["arn"]
		}
	}
	if _, ok := props["scalingConfig"]; !ok {
		props["scalingConfig"] = resource.NewObjectProperty(resource.PropertyMap{
			"minSize": resource.NewNumberProperty(1), "maxSize": resource.NewNumberProperty(2), "desiredSize": resource.NewNumberProperty(2),
		})
	}
	ng, err := c.register("aws:eks/nodeGroup:NodeGroup", name, props)
	if err != nil {
		return nil, err
	}
	return resource.PropertyMap{"nodeGroup": ng.ref()}, nil
}

// clusterNameInput resolves the node group's cluster: an explicit clusterName,
// or the cluster input (an eks Cluster reference or its core data), followed
// through the engine to the EKS cluster's name.
func (c *constructor) clusterNameInput() (resource.PropertyValue, error) {
	if v := c.input("clusterName"); !v.IsNull() {
		return v, nil
	}
	cl := unwrap(c.input("cluster"))
	switch {
	case cl.IsComputed():
		return unknown(), nil
	case cl.IsResourceReference():
		st, err := c.getResource(string(cl.ResourceReferenceValue().URN))
		if err != nil {
			return resource.PropertyValue{}, err
		}
		eks := unwrap(st["eksCluster"])
		if !eks.IsResourceReference() {
			if core := unwrap(st["core"]); core.IsObject() {
				eks = unwrap(core.ObjectValue()["cluster"])
			}
		}
		if eks.IsResourceReference() {
			est, err := c.getResource(string(eks.ResourceReferenceValue().URN))
			if err != nil {
				return resource.PropertyValue{}, err
			}
			if name, ok := est["name"]; ok {
				return name, nil
			}
		}
		return unknown(), nil
	case cl.IsObject():
		if ref := unwrap(cl.ObjectValue()["cluster"]); ref.IsResourceReference() {
			est, err := c.getResource(string(ref.ResourceReferenceValue().URN))
			if err != nil {
				return resource.PropertyValue{}, err
			}
			if name, ok := est["name"]; ok {
				return name, nil
			}
		}
		return unknown(), nil
	}
	return resource.PropertyValue{}, fmt.Errorf("cluster: is required (an eks.Cluster, its core data, or clusterName)")
}

// buildUnrenderedManifests registers a Kubernetes chart or manifest component
// without children: rendering needs the chart repository, which a sandbox has
// no network to reach. The preview therefore shows the component, not the
// objects the chart would create.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
