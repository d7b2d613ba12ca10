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
	case "kubernetes:helm.sh/v4:Chart", "kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup",
		"kubernetes:kustomize/v2:Directory":
		build = buildUnrenderedManifests
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
	pkg := strings.SplitN(typ, ":", 2)[0]
	obj, err := marshal(props, typ+" "+name)
	if err != nil {
		return child{}, err
	}
	deps := map[string]bool{}
	for d := range c.deps {
		deps[d] = true
	}
	for _, e := range extraDeps {
		deps[e.urn] = true
	}
	req := &pulumirpc.RegisterResourceRequest{
		Type:            typ,
		Name:            name,
		Parent:          c.urn,
		Custom:          true,
		Object:          obj,
		Protect:         c.req.Protect,
		Dependencies:    sortedKeys(deps),
		Provider:        c.req.GetProviders()[pkg],
		AcceptSecrets:   true,
		AcceptResources: true,
		RetainOnDelete:  c.req.RetainOnDelete,
		IgnoreChanges:   ignoreChangesFor(typ, props),
	}
	resp, err := c.mon.RegisterResource(c.ctx, req)
	if err != nil {
		return child{}, fmt.Errorf("%s %q: %w", typ, name, err)
	}
	outs, err := unmarshal(resp.GetObject(), typ+" outputs")
	if err != nil {
		return child{}, err
	}
	c.outDeps[resp.GetUrn()] = true
	return child{urn: resp.GetUrn(), id: resp.GetId(), outputs: outs}, nil
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

// buildEksCluster mirrors what pulumi-eks v2's Cluster creates when the default
// node group is skipped: the cluster service role, the cluster security group,
// the EKS cluster, the OIDC provider and the access entries. It does not
// create the aws-auth ConfigMap, the VPC CNI or a Kubernetes provider.
func buildEksCluster(c *constructor) (resource.PropertyMap, error) {
	name := c.req.GetName()
	s := resource.NewStringProperty
	var problems []string
	if !c.boolInput("skipDefaultNodeGroup", false) {
		problems = append(problems, "skipDefaultNodeGroup: the stand-in only supports clusters without the default node group (pulumi-eks v2's default group uses launch configurations, which AWS no longer offers to new accounts)")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}

	// Service role, unless the caller brings one.
	var roleArn resource.PropertyValue
	var role child
	if v := c.input("serviceRole"); !v.IsNull() {
		roleArn = unknown()
		if ref := unwrap(v); ref.IsResourceReference() {
			st, err := c.getResource(string(ref.ResourceReferenceValue().URN))
			if err != nil {
				return nil, err
			}
			if a, ok := st["arn"]; ok {
				roleArn = a
			}
		}
	} else {
		var err error
		role, err = c.register("aws:iam/role:Role", name+"-eksRole", resource.PropertyMap{
			"assumeRolePolicy": policyJSON(map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{map[string]any{
					"Effect": "Allow", "Action": "sts:AssumeRole",
					"Principal": map[string]any{"Service": "eks.amazonaws.com"},
				}},
			}),
			"description": s("Allows EKS to manage clusters on your behalf."),
			"tags":        mergeTags(c.input("tags")),
		})
		if err != nil {
			return nil, err
		}
		roleArn = outputOr(role, "arn")
		if _, err := c.register("aws:iam/rolePolicyAttachment:RolePolicyAttachment", name+"-eksRole-AmazonEKSClusterPolicy", resource.PropertyMap{
			"role":      outputOr(role, "name"),
			"policyArn": s("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"),
		}, role); err != nil {
			return nil, err
		}
	}

	// Cluster security group (pulumi-eks's own, beside the one EKS creates).
	var clusterSG child
	skipSGs := c.boolInput("skipDefaultSecurityGroups", false)
	if !skipSGs && c.input("clusterSecurityGroup").IsNull() {
		var err error
		clusterSG, err = c.register("aws:ec2/securityGroup:SecurityGroup", name+"-eksClusterSecurityGroup", resource.PropertyMap{
			"vpcId":               c.input("vpcId"),
			"description":         s("Managed by Pulumi"),
			"revokeRulesOnDelete": resource.NewBoolProperty(true),
			"tags":                mergeTags(resource.NewObjectProperty(resource.PropertyMap{"Name": s(name + "-eksClusterSecurityGroup")}), c.input("tags"), c.input("clusterSecurityGroupTags")),
		})
		if err != nil {
			return nil, err
		}
	}

	vpcConfig := resource.PropertyMap{
		"subnetIds":             concatArrays(c.input("subnetIds"), c.input("privateSubnetIds"), c.input("publicSubnetIds")),
		"endpointPrivateAccess": resource.NewBoolProperty(c.boolInput("endpointPrivateAccess", false)),
		"endpointPublicAccess":  resource.NewBoolProperty(c.boolInput("endpointPublicAccess", true)),
	}
	if clusterSG.urn != "" {
		vpcConfig["securityGroupIds"] = resource.NewArrayProperty([]resource.PropertyValue{outputOr(clusterSG, "id")})
	}
	if v := c.input("publicAccessCidrs"); !v.IsNull() {
		vpcConfig["publicAccessCidrs"] = v
	}
	clusterProps := resource.PropertyMap{
		"roleArn":   roleArn,
		"vpcConfig": resource.NewObjectProperty(vpcConfig),
		"tags":      mergeTags(resource.NewObjectProperty(resource.PropertyMap{"Name": s(name + "-eksCluster")}), c.input("tags"), c.input("clusterTags")),
	}
	c.set(clusterProps, "name", "name", "version", "version", "enabledClusterLogTypes", "enabledClusterLogTypes",
		"upgradePolicy", "upgradePolicy", "zonalShift", "zonalShiftConfig")
	if v := c.input("encryptionConfigKeyArn"); !v.IsNull() {
		clusterProps["encryptionConfig"] = resource.NewObjectProperty(resource.PropertyMap{
			"provider":  resource.NewObjectProperty(resource.PropertyMap{"keyArn": v}),
			"resources": resource.NewArrayProperty([]resource.PropertyValue{s("secrets")}),
		})
	}
	access := resource.PropertyMap{}
	if v := c.input("authenticationMode"); !v.IsNull() {
		access["authenticationMode"] = v
	}
	if v := c.input("bootstrapClusterCreatorAdminPermissions"); !v.IsNull() {
		access["bootstrapClusterCreatorAdminPermissions"] = v
	}
	if len(access) > 0 {
		clusterProps["accessConfig"] = resource.NewObjectProperty(access)
	}
	knc := resource.PropertyMap{}
	c.set(knc, "kubernetesServiceIpAddressRange", "serviceIpv4Cidr", "ipFamily", "ipFamily")
	if len(knc) > 0 {
		clusterProps["kubernetesNetworkConfig"] = resource.NewObjectProperty(knc)
	}
	deps := []child{}
	if role.urn != "" {
		deps = append(deps, role)
	}
	if clusterSG.urn != "" {
		deps = append(deps, clusterSG)
	}
	cluster, err := c.register("aws:eks/cluster:Cluster", name+"-eksCluster", clusterProps, deps...)
	if err != nil {
		return nil, err
	}
	clusterName := outputOr(cluster, "name")
	endpoint := outputOr(cluster, "endpoint")
	issuer, _ := get(cluster.outputs, "identities")
	issuerURL := unknown()
	if issuer.IsArray() && len(issuer.ArrayValue()) > 0 {
		if o, ok := get(unwrap(issuer.ArrayValue()[0]).ObjectValue(), "oidcs"); ok && unwrap(o).IsArray() && len(unwrap(o).ArrayValue()) > 0 {
			if u, ok := get(unwrap(unwrap(o).ArrayValue()[0]).ObjectValue(), "issuer"); ok {
				issuerURL = u
			}
		}
	}

	var oidc child
	if c.boolInput("createOidcProvider", false) {
		oidc, err = c.register("aws:iam/openIdConnectProvider:OpenIdConnectProvider", name+"-oidcProvider", resource.PropertyMap{
			"url":             issuerURL,
			"clientIdLists":   resource.NewArrayProperty([]resource.PropertyValue{s("sts.amazonaws.com")}),
			"thumbprintLists": resource.NewArrayProperty([]resource.PropertyValue{s("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")}),
			"tags":            mergeTags(c.input("tags")),
		}, cluster)
		if err != nil {
			return nil, err
		}
	}

	if err := c.accessEntries(name, clusterName, cluster); err != nil {
		return nil, err
	}

	var nodeSG child
	if !skipSGs {
		nodeSG, err = c.register("aws:ec2/securityGroup:SecurityGroup", name+"-nodeSecurityGroup", resource.PropertyMap{
			"vpcId":               c.input("vpcId"),
			"description":         s("Managed by Pulumi"),
			"revokeRulesOnDelete": resource.NewBoolProperty(true),
			"tags": mergeTags(resource.NewObjectProperty(resource.PropertyMap{
				"Name": s(name + "-nodeSecurityGroup"),
			}), c.input("tags"), c.input("nodeSecurityGroupTags")),
		}, cluster)
		if err != nil {
			return nil, err
		}
	}

	kubeconfig := kubeconfigFor(c.region, clusterName, endpoint, outputOr(cluster, "certificateAuthority"))
	kubeconfigJSON := unknown()
	if known(kubeconfig) {
		b, err := json.Marshal(kubeconfig.Mappable())
		if err != nil {
			return nil, err
		}
		kubeconfigJSON = s(string(b))
	}
	ref := func(ch child) resource.PropertyValue {
		if ch.urn == "" {
			return resource.NewNullProperty()
		}
		return ch.ref()
	}
	core := resource.PropertyMap{
		"cluster":              ref(cluster),
		"clusterSecurityGroup": ref(clusterSG),
		"endpoint":             endpoint,
		"oidcProvider":         ref(oidc),
		"clusterIamRole":       ref(role),
		"subnetIds":            concatArrays(c.input("subnetIds"), c.input("privateSubnetIds"), c.input("publicSubnetIds")),
		"vpcId":                c.input("vpcId"),
		"tags":                 mergeTags(c.input("tags")),
		"kubeconfig":           kubeconfig,
		"instanceRoles":        resource.NewArrayProperty(nil),
		"nodeGroupOptions":     resource.NewObjectProperty(resource.PropertyMap{}),
		"clusterSecurityGroupId": func() resource.PropertyValue {
			if v, ok := get(cluster.outputs, "vpcConfig.clusterSecurityGroupId"); ok {
				return v
			}
			return unknown()
		}(),
	}
	if v := c.input("privateSubnetIds"); !v.IsNull() {
		core["privateSubnetIds"] = v
	}
	if v := c.input("publicSubnetIds"); !v.IsNull() {
		core["publicSubnetIds"] = v
	}
	outs := resource.PropertyMap{
		"kubeconfig":             kubeconfig,
		"kubeconfigJson":         kubeconfigJSON,
		"eksCluster":             ref(cluster),
		"clusterSecurityGroup":   ref(clusterSG),
		"nodeSecurityGroup":      ref(nodeSG),
		"instanceRoles":          resource.NewArrayProperty(nil),
		"core":                   resource.NewObjectProperty(core),
		"clusterSecurityGroupId": core["clusterSecurityGroupId"],
	}
	if v, ok := c.req.GetProviders()["aws"]; ok {
		if urn, id, ok := strings.Cut(v, "::"); ok && id != "" {
			outs["awsProvider"] = resource.MakeCustomResourceReference(resource.URN(urn), resource.ID(id), "")
		}
	}
	return outs, nil
}

// accessEntries creates an access entry per key of the accessEntries input,
// with one policy association per key of its accessPolicies, named
// <cluster>-<entry> and <cluster>-<entry>-<policy> in sorted key order.
func (c *constructor) accessEntries(name string, clusterName resource.PropertyValue, cluster child) error {
	v := unwrap(c.input("accessEntries"))
	if v.IsComputed() {
		return fmt.Errorf("accessEntries: must be known at preview time (the keys name resources)")
	}
	if !v.IsObject() {
		return nil
	}
	entries := v.ObjectValue()
	for _, key := range entries.StableKeys() {
		e := unwrap(entries[key])
		if !e.IsObject() {
			continue
		}
		em := e.ObjectValue()
		props := resource.PropertyMap{"clusterName": clusterName}
		for _, k := range []string{"principalArn", "kubernetesGroups", "type", "username", "tags"} {
			if val, ok := em[resource.PropertyKey(k)]; ok {
				props[resource.PropertyKey(k)] = val
			}
		}
		entry, err := c.register("aws:eks/accessEntry:AccessEntry", fmt.Sprintf("%s-%s", name, key), props, cluster)
		if err != nil {
			return err
		}
		pols := unwrap(em["accessPolicies"])
		if !pols.IsObject() {
			continue
		}
		pm := pols.ObjectValue()
		for _, pk := range pm.StableKeys() {
			pol := unwrap(pm[pk])
			if !pol.IsObject() {
				continue
			}
			ap := resource.PropertyMap{
				"clusterName":  clusterName,
				"principalArn": outputOr(entry, "principalArn"),
			}
			for _, k := range []string{"policyArn", "accessScope"} {
				if val, ok := pol.ObjectValue()[resource.PropertyKey(k)]; ok {
					ap[resource.PropertyKey(k)] = val
				}
			}
			if _, err := c.register("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", fmt.Sprintf("%s-%s-%s", name, key, pk), ap, entry); err != nil {
				return err
			}
		}
	}
	return nil
}

// kubeconfigFor renders the kubeconfig pulumi-eks returns: exec-based auth via
// `aws eks get-token`, so it carries no credentials itself.
func kubeconfigFor(region string, clusterName, endpoint, ca resource.PropertyValue) resource.PropertyValue {
	caData := unknown()
	if v := unwrap(ca); v.IsObject() {
		if d, ok := v.ObjectValue()["data"]; ok {
			caData = d
		}
	}
	for _, v := range []resource.PropertyValue{clusterName, endpoint, caData} {
		if !known(v) {
			return unknown()
		}
	}
	s := resource.NewStringProperty
	name, _ := stringOf(clusterName)
	return resource.NewObjectProperty(resource.PropertyMap{
		"apiVersion": s("v1"),
		"kind":       s("Config"),
		"clusters": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"name": s("kubernetes"),
			"cluster": resource.NewObjectProperty(resource.PropertyMap{
				"server":                     unwrap(endpoint),
				"certificate-authority-data": unwrap(caData),
			}),
		})}),
		"contexts": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"name":    s("aws"),
			"context": resource.NewObjectProperty(resource.PropertyMap{"cluster": s("kubernetes"), "user": s("aws")}),
		})}),
		"current-context": s("aws"),
		"users": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"name": s("aws"),
			"user": resource.NewObjectProperty(resource.PropertyMap{
				"exec": resource.NewObjectProperty(resource.PropertyMap{
					"apiVersion": s("client.authentication.k8s.io/v1beta1"),
					"command":    s("aws"),
					"args":       strs([]string{"--region", region, "eks", "get-token", "--cluster-name", name, "--output", "json"}),
				}),
			}),
		})}),
	})
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
func buildUnrenderedManifests(c *constructor) (resource.PropertyMap, error) {
	return resource.PropertyMap{"resources": resource.NewArrayProperty(nil)}, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
