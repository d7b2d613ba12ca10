package standin

import (
	"crypto/sha1" //nolint:gosec // names children as pulumi-eks does, not a security use
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// buildEksCluster is the stand-in for pulumi-eks v2.8.1's Cluster component (nodejs/eks/cluster.ts:
// createCluster and createCore; servicerole.ts, securitygroup.ts, storageclass.ts, authenticationMode.ts).
// For the inputs it is given it registers the children v2.8.1 registers, with the same names, parents and
// providers, and only those:
//
//   - the EKS service role, unless serviceRole is given: an eks:index:ServiceRole component holding the
//     role and its AmazonEKSClusterPolicy attachment;
//   - pulumi-eks's cluster security group and its internet egress rule, unless clusterSecurityGroup is
//     given (v2.8.1 has no switch to skip them);
//   - the EKS cluster; with an authentication mode its accessConfig always turns on
//     bootstrapClusterCreatorAdminPermissions (and ignores changes to it);
//   - a Kubernetes provider named <name>-eks-k8s built from the kubeconfig;
//   - the instance role, unless instanceRole or instanceRoles is given: an eks:index:ServiceRole with the
//     worker-node, CNI and ECR read-only policies;
//   - the aws-auth ConfigMap when the authentication mode allows the ConfigMap;
//   - with API authentication, an EC2_LINUX access entry for the instance role (given or created), then
//     one access entry per accessEntries key with its policy associations;
//   - one StorageClass per storageClasses key, through <name>-eks-k8s;
//   - the IAM OIDC provider when createOidcProvider is set;
//   - the node security group with its four rules, and the rule letting nodes reach the API;
//   - a second Kubernetes provider named <name>-provider from the exported kubeconfig.
//
// What v2.8.1 would do but the stand-in refuses loudly: the default node group, Fargate, and its own VPC
// CNI manifest (useDefaultVpcCni false); none is used by this program. The checks v2.8.1 makes that kubectl
// and the aws CLI are installed (dependencies.ts) are the real run's to make, and the partition is "aws".
func buildEksCluster(c *constructor) (resource.PropertyMap, error) {
	name := c.req.GetName()
	s := resource.NewStringProperty
	if err := c.refuseUnmodelledClusterOptions(); err != nil {
		return nil, err
	}
	authMode, _ := stringOf(c.input("authenticationMode"))
	configMapAuth := authMode == "" || authMode == "CONFIG_MAP" || authMode == "API_AND_CONFIG_MAP"
	entriesAuth := authMode == "API" || authMode == "API_AND_CONFIG_MAP"

	// EKS service role.
	var roleArn resource.PropertyValue
	var eksRole child
	if v := c.input("serviceRole"); !v.IsNull() {
		st, err := c.followRef(v)
		if err != nil {
			return nil, err
		}
		roleArn = valueOr(st, "arn")
	} else {
		var err error
		eksRole, err = c.serviceRole(name+"-eksRole", s("eks.amazonaws.com"), "Allows EKS to manage clusters on your behalf.",
			[]string{"AmazonEKSClusterPolicy"})
		if err != nil {
			return nil, err
		}
		roleArn = outputOr(eksRole, "arn")
	}

	// pulumi-eks's cluster security group, beside the one EKS creates itself.
	var clusterSG child
	var clusterSGID resource.PropertyValue
	if v := c.input("clusterSecurityGroup"); !v.IsNull() {
		st, err := c.followRef(v)
		if err != nil {
			return nil, err
		}
		clusterSGID = valueOr(st, "id")
	} else {
		var err error
		clusterSG, err = c.register("aws:ec2/securityGroup:SecurityGroup", name+"-eksClusterSecurityGroup", resource.PropertyMap{
			"vpcId":               c.input("vpcId"),
			"description":         s("Managed by Pulumi"), // the aws provider's default; v2.8.1 sets none
			"revokeRulesOnDelete": resource.NewBoolProperty(true),
			"tags":                mergeTags(named(name+"-eksClusterSecurityGroup"), c.input("clusterSecurityGroupTags"), c.input("tags")),
		})
		if err != nil {
			return nil, err
		}
		clusterSGID = outputOr(clusterSG, "id")
		if _, err := c.register("aws:ec2/securityGroupRule:SecurityGroupRule", name+"-eksClusterInternetEgressRule",
			sgRule("Allow internet access.", "egress", 0, 0, "-1", clusterSGID, map[string]resource.PropertyValue{
				"cidrBlocks": strs([]string{"0.0.0.0/0"}),
			}), clusterSG); err != nil {
			return nil, err
		}
	}

	subnetIDs := c.input("subnetIds")
	if subnetIDs.IsNull() {
		subnetIDs = concatArrays(c.input("publicSubnetIds"), c.input("privateSubnetIds"))
	}
	vpcConfig := resource.PropertyMap{
		"securityGroupIds": resource.NewArrayProperty([]resource.PropertyValue{clusterSGID}),
		"subnetIds":        subnetIDs,
	}
	c.set(vpcConfig, "endpointPrivateAccess", "endpointPrivateAccess", "endpointPublicAccess", "endpointPublicAccess",
		"publicAccessCidrs", "publicAccessCidrs")
	clusterProps := resource.PropertyMap{
		"roleArn":   roleArn,
		"vpcConfig": resource.NewObjectProperty(vpcConfig),
		"tags":      mergeTags(named(name+"-eksCluster"), c.input("clusterTags"), c.input("tags")),
	}
	c.set(clusterProps, "name", "name", "version", "version", "enabledClusterLogTypes", "enabledClusterLogTypes",
		"defaultAddonsToRemove", "defaultAddonsToRemoves")
	if v := c.input("encryptionConfigKeyArn"); !v.IsNull() {
		clusterProps["encryptionConfig"] = resource.NewObjectProperty(resource.PropertyMap{
			"provider":  resource.NewObjectProperty(resource.PropertyMap{"keyArn": v}),
			"resources": strs([]string{"secrets"}),
		})
	}
	if svc, fam := c.input("kubernetesServiceIpAddressRange"), c.input("ipFamily"); !svc.IsNull() || !fam.IsNull() {
		knc := resource.PropertyMap{"ipFamily": s("ipv4")}
		if !fam.IsNull() {
			knc["ipFamily"] = fam
		}
		if f, _ := stringOf(knc["ipFamily"]); f == "ipv4" && !svc.IsNull() {
			knc["serviceIpv4Cidr"] = svc
		}
		clusterProps["kubernetesNetworkConfig"] = resource.NewObjectProperty(knc)
	}
	if authMode != "" {
		clusterProps["accessConfig"] = resource.NewObjectProperty(resource.PropertyMap{
			"authenticationMode":                      s(authMode),
			"bootstrapClusterCreatorAdminPermissions": resource.NewBoolProperty(true),
		})
	}
	deps := []child{}
	for _, ch := range []child{eksRole, clusterSG} {
		if ch.urn != "" {
			deps = append(deps, ch)
		}
	}
	cluster, err := c.registerWith(childSpec{
		typ: "aws:eks/cluster:Cluster", name: name + "-eksCluster", props: clusterProps, deps: deps, custom: true,
		ignoreChanges: []string{"accessConfig.bootstrapClusterCreatorAdminPermissions"},
	})
	if err != nil {
		return nil, err
	}
	clusterName := outputOr(cluster, "name")
	endpoint := outputOr(cluster, "endpoint")
	caData := unknown()
	if v := unwrap(outputOr(cluster, "certificateAuthority")); v.IsObject() {
		if d, ok := v.ObjectValue()["data"]; ok {
			caData = d
		}
	}

	// Two kubeconfigs: the one with the profile drives pulumi-eks's own Kubernetes provider, the one
	// without is exported (cluster.ts: genKubeconfig(true) and genKubeconfig(false)).
	creds := c.credentialOpts()
	kubeconfig := kubeconfigFor(clusterName, endpoint, caData, creds, false)
	k8sProvider, err := c.registerWith(childSpec{
		typ: "pulumi:providers:kubernetes", name: name + "-eks-k8s", custom: true,
		props: kubernetesProviderInputs(kubeconfigFor(clusterName, endpoint, caData, creds, true), c.input("enableConfigMapMutable")),
		deps:  []child{cluster},
	})
	if err != nil {
		return nil, err
	}

	// Instance role: the caller's, or pulumi-eks's own.
	var instanceRoles []resource.PropertyValue
	var defaultInstanceRoleArn resource.PropertyValue
	var instanceRole child
	switch {
	case !c.input("instanceRoles").IsNull():
		instanceRoles = arrayOf(c.input("instanceRoles"))
	case !c.input("instanceRole").IsNull():
		st, err := c.followRef(c.input("instanceRole"))
		if err != nil {
			return nil, err
		}
		instanceRoles = []resource.PropertyValue{unwrap(c.input("instanceRole"))}
		defaultInstanceRoleArn = valueOr(st, "arn")
	default:
		instanceRole, err = c.serviceRole(name+"-instanceRole", s("ec2.amazonaws.com"), "",
			[]string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"})
		if err != nil {
			return nil, err
		}
		instanceRoles = []resource.PropertyValue{instanceRole.ref()}
		defaultInstanceRoleArn = outputOr(instanceRole, "arn")
	}

	var authDeps []child
	if configMapAuth {
		cm, err := c.registerWith(childSpec{
			typ: "kubernetes:core/v1:ConfigMap", name: name + "-nodeAccess", custom: true, provider: providerRef(k8sProvider),
			props: resource.PropertyMap{
				"apiVersion": s("v1"), "kind": s("ConfigMap"), "immutable": resource.NewBoolProperty(false),
				"metadata": resource.NewObjectProperty(resource.PropertyMap{
					"name": s("aws-auth"), "namespace": s("kube-system"),
					"annotations": resource.NewObjectProperty(resource.PropertyMap{"pulumi.com/patchForce": s("true")}),
				}),
				"data": resource.NewObjectProperty(resource.PropertyMap{"mapRoles": unknown()}),
			},
		})
		if err != nil {
			return nil, err
		}
		authDeps = append(authDeps, cm)
	}
	if entriesAuth {
		if defaultInstanceRoleArn.V != nil {
			e, err := c.registerWith(childSpec{
				typ: eksAccessEntryType, name: name + "-defaultNodeGroupInstanceRole", custom: true, deps: []child{cluster},
				props: resource.PropertyMap{"clusterName": clusterName, "principalArn": defaultInstanceRoleArn, "type": s("EC2_LINUX")},
			})
			if err != nil {
				return nil, err
			}
			authDeps = append(authDeps, e)
		}
		entries, err := c.accessEntries(name, clusterName, cluster)
		if err != nil {
			return nil, err
		}
		authDeps = append(authDeps, entries...)
	} else if !c.input("accessEntries").IsNull() {
		return nil, fmt.Errorf("accessEntries: not supported when authenticationMode is %q (pulumi-eks v2.8.1, authenticationMode.ts)", authMode)
	}

	if err := c.storageClasses(name, k8sProvider, authDeps); err != nil {
		return nil, err
	}

	var oidc child
	if c.boolInput("createOidcProvider", false) {
		issuerURL := unknown()
		if v, ok := get(cluster.outputs, "identities"); ok && unwrap(v).IsArray() && len(unwrap(v).ArrayValue()) > 0 {
			if u, ok := get(unwrap(unwrap(v).ArrayValue()[0]).ObjectValue(), "oidcs"); ok && unwrap(u).IsArray() && len(unwrap(u).ArrayValue()) > 0 {
				if iss, ok := get(unwrap(unwrap(u).ArrayValue()[0]).ObjectValue(), "issuer"); ok {
					issuerURL = iss
				}
			}
		}
		oidc, err = c.register("aws:iam/openIdConnectProvider:OpenIdConnectProvider", name+"-oidcProvider", resource.PropertyMap{
			"url":             issuerURL,
			"clientIdLists":   strs([]string{"sts.amazonaws.com"}),
			"thumbprintLists": strs([]string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}),
		}, cluster)
		if err != nil {
			return nil, err
		}
	}

	nodeSG, ingressRule, err := c.nodeGroupSecurityGroup(name, clusterName, clusterSGID, cluster)
	if err != nil {
		return nil, err
	}

	kubeconfigJSON := unknown()
	if known(kubeconfig) {
		b, err := json.Marshal(kubeconfig.Mappable())
		if err != nil {
			return nil, err
		}
		kubeconfigJSON = s(string(b))
	}
	if _, err := c.registerWith(childSpec{
		typ: "pulumi:providers:kubernetes", name: name + "-provider", custom: true,
		props: kubernetesProviderInputs(kubeconfig, resource.NewNullProperty()), deps: []child{cluster},
	}); err != nil {
		return nil, err
	}

	ref := func(ch child) resource.PropertyValue {
		if ch.urn == "" {
			return resource.NewNullProperty()
		}
		return ch.ref()
	}
	clusterSGRef := ref(clusterSG)
	if clusterSG.urn == "" {
		clusterSGRef = unwrap(c.input("clusterSecurityGroup"))
	}
	core := resource.PropertyMap{
		"cluster":              ref(cluster),
		"clusterSecurityGroup": clusterSGRef,
		"endpoint":             endpoint,
		"oidcProvider":         ref(oidc),
		"clusterIamRole":       ref(eksRole),
		"subnetIds":            subnetIDs,
		"vpcId":                c.input("vpcId"),
		"tags":                 mergeTags(c.input("tags")),
		"kubeconfig":           kubeconfig,
		"provider":             ref(k8sProvider),
		"instanceRoles":        resource.NewArrayProperty(instanceRoles),
		"nodeGroupOptions": resource.NewObjectProperty(resource.PropertyMap{
			"nodeSecurityGroup":  ref(nodeSG),
			"clusterIngressRule": ref(ingressRule),
		}),
	}
	for _, k := range []string{"privateSubnetIds", "publicSubnetIds"} {
		if v := c.input(k); !v.IsNull() {
			core[resource.PropertyKey(k)] = v
		}
	}
	return resource.PropertyMap{
		"kubeconfig":            kubeconfig,
		"kubeconfigJson":        kubeconfigJSON,
		"eksCluster":            ref(cluster),
		"clusterSecurityGroup":  clusterSGRef,
		"nodeSecurityGroup":     ref(nodeSG),
		"eksClusterIngressRule": ref(ingressRule),
		"instanceRoles":         resource.NewArrayProperty(instanceRoles),
		"core":                  resource.NewObjectProperty(core),
	}, nil
}

// refuseUnmodelledClusterOptions fails on v2.8.1 behaviour the stand-in does not reproduce, rather than
// pretending it happened.
func (c *constructor) refuseUnmodelledClusterOptions() error {
	var problems []string
	if !c.boolInput("skipDefaultNodeGroup", false) {
		problems = append(problems, "skipDefaultNodeGroup: the stand-in only supports clusters without the default node group (pulumi-eks v2.8.1's default group is a CloudFormation stack of launch configurations)")
	}
	if !c.input("fargate").IsNull() {
		problems = append(problems, "fargate: not modelled by the stand-in")
	}
	if !c.boolInput("useDefaultVpcCni", false) {
		problems = append(problems, "useDefaultVpcCni: must be true here; pulumi-eks v2.8.1 otherwise applies its own VPC CNI manifest with kubectl (cni.ts), which the stand-in does not model")
	}
	if !c.input("creationRoleProvider").IsNull() {
		problems = append(problems, "creationRoleProvider: not supported outside Node.js programs (pulumi-eks v2.8.1 refuses it too)")
	}
	if !c.input("instanceRole").IsNull() && !c.input("instanceRoles").IsNull() {
		problems = append(problems, "instanceRole and instanceRoles are mutually exclusive (pulumi-eks v2.8.1)")
	}
	if mode, _ := stringOf(c.input("authenticationMode")); mode == "API" && len(arrayOf(c.input("instanceRoles"))) > 0 {
		problems = append(problems, "instanceRoles: not supported with authenticationMode API (pulumi-eks v2.8.1, authenticationMode.ts); use instanceRole")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// serviceRole mirrors servicerole.ts: an eks:index:ServiceRole component named name holding the role
// <name>-role (trusting service) and one attachment per managed policy, named <name>-<first 8 hex digits
// of the SHA-1 of the policy's id>. It returns the role.
func (c *constructor) serviceRole(name string, service resource.PropertyValue, description string, policies []string) (child, error) {
	comp, err := c.registerWith(childSpec{typ: "eks:index:ServiceRole", name: name})
	if err != nil {
		return child{}, err
	}
	svc, _ := stringOf(service)
	props := resource.PropertyMap{
		"assumeRolePolicy": policyJSON(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Action": []any{"sts:AssumeRole"}, "Effect": "Allow",
				"Principal": map[string]any{"Service": []any{svc}},
			}},
		}),
		"tags": mergeTags(c.input("tags")),
	}
	if description != "" {
		props["description"] = resource.NewStringProperty(description)
	}
	role, err := c.registerWith(childSpec{typ: "aws:iam/role:Role", name: name + "-role", props: props, custom: true, parent: comp.urn})
	if err != nil {
		return child{}, err
	}
	for _, p := range policies {
		id := "arn:aws:iam::aws:policy/" + p
		sum := sha1.Sum([]byte(id)) //nolint:gosec // a name, as in servicerole.ts
		if _, err := c.registerWith(childSpec{
			typ: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: name + "-" + hex.EncodeToString(sum[:])[:8],
			props: resource.PropertyMap{"policyArn": resource.NewStringProperty(id), "role": outputOr(role, "name")},
			deps:  []child{role}, custom: true, parent: comp.urn,
		}); err != nil {
			return child{}, err
		}
	}
	return role, c.finish(comp, resource.PropertyMap{"role": role.ref()})
}

// accessEntries mirrors createAccessEntries (authenticationMode.ts): an access entry <name>-<key> per key of
// the accessEntries input, in sorted key order, and a policy association <name>-<key>-<policy> per key of
// its accessPolicies, parented to the entry.
func (c *constructor) accessEntries(name string, clusterName resource.PropertyValue, cluster child) ([]child, error) {
	v := unwrap(c.input("accessEntries"))
	if v.IsComputed() {
		return nil, fmt.Errorf("accessEntries: must be known at preview time (the keys name resources)")
	}
	if !v.IsObject() {
		return nil, nil
	}
	var out []child
	entries := v.ObjectValue()
	for _, key := range entries.StableKeys() {
		e := unwrap(entries[key])
		if !e.IsObject() {
			continue
		}
		em := e.ObjectValue()
		props := resource.PropertyMap{"clusterName": clusterName}
		for _, k := range []string{"principalArn", "kubernetesGroups", "type", "tags"} {
			if val, ok := em[resource.PropertyKey(k)]; ok {
				props[resource.PropertyKey(k)] = val
			}
		}
		if val, ok := em["username"]; ok {
			props["userName"] = val
		}
		entry, err := c.register(eksAccessEntryType, fmt.Sprintf("%s-%s", name, key), props, cluster)
		if err != nil {
			return nil, err
		}
		out = append(out, entry)
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
			ap := resource.PropertyMap{"clusterName": clusterName, "principalArn": em["principalArn"]}
			for _, k := range []string{"policyArn", "accessScope"} {
				if val, ok := pol.ObjectValue()[resource.PropertyKey(k)]; ok {
					ap[resource.PropertyKey(k)] = val
				}
			}
			if _, err := c.registerWith(childSpec{
				typ: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", name: fmt.Sprintf("%s-%s-%s", name, key, pk),
				props: ap, deps: []child{cluster, entry}, custom: true, parent: entry.urn,
			}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// storageClasses mirrors createStorageClass (storageclass.ts): a StorageClass <lowercased name>-<key> per
// key of storageClasses (or one named for the type when it is a string, made default), through the
// component's own Kubernetes provider, after the access entries. Its metadata carries no name, so the
// Kubernetes provider names it.
func (c *constructor) storageClasses(name string, k8sProvider child, authDeps []child) error {
	v := unwrap(c.input("storageClasses"))
	classes := resource.PropertyMap{}
	switch {
	case v.IsNull():
		return nil
	case v.IsString():
		classes[resource.PropertyKey(v.StringValue())] = resource.NewObjectProperty(resource.PropertyMap{
			"type": v, "default": resource.NewBoolProperty(true),
		})
	case v.IsObject():
		classes = v.ObjectValue()
	default:
		return fmt.Errorf("storageClasses: must be known at preview time (the keys name resources)")
	}
	for _, key := range classes.StableKeys() {
		sc := unwrap(classes[key])
		if !sc.IsObject() {
			continue
		}
		m := sc.ObjectValue()
		meta := resource.PropertyMap{}
		if md := unwrap(m["metadata"]); md.IsObject() {
			meta = md.ObjectValue().Copy()
		}
		if d := unwrap(m["default"]); d.IsBool() && d.BoolValue() {
			ann := resource.PropertyMap{}
			if a := unwrap(meta["annotations"]); a.IsObject() {
				ann = a.ObjectValue().Copy()
			}
			ann["storageclass.kubernetes.io/is-default-class"] = resource.NewStringProperty("true")
			meta["annotations"] = resource.NewObjectProperty(ann)
		}
		params := resource.PropertyMap{"type": m["type"]}
		if z := unwrap(m["zones"]); z.IsArray() {
			var zs []string
			for _, e := range z.ArrayValue() {
				s, _ := stringOf(e)
				zs = append(zs, s)
			}
			params["zones"] = resource.NewStringProperty(strings.Join(zs, ", "))
		}
		if n := unwrap(m["iopsPerGb"]); n.IsNumber() && n.NumberValue() != 0 {
			params["iopsPerGb"] = resource.NewStringProperty(fmt.Sprint(n.NumberValue()))
		}
		if e := unwrap(m["encrypted"]); e.IsBool() && e.BoolValue() {
			params["encrypted"] = resource.NewStringProperty("true")
		}
		if k, ok := m["kmsKeyId"]; ok && !k.IsNull() {
			params["kmsKeyId"] = k
		}
		props := resource.PropertyMap{
			"apiVersion":  resource.NewStringProperty("storage.k8s.io/v1"),
			"kind":        resource.NewStringProperty("StorageClass"),
			"metadata":    resource.NewObjectProperty(meta),
			"provisioner": resource.NewStringProperty("kubernetes.io/aws-ebs"),
			"parameters":  resource.NewObjectProperty(params),
		}
		for _, k := range []string{"allowVolumeExpansion", "mountOptions", "reclaimPolicy", "volumeBindingMode"} {
			if val, ok := m[resource.PropertyKey(k)]; ok && !val.IsNull() {
				props[resource.PropertyKey(k)] = val
			}
		}
		if _, err := c.registerWith(childSpec{
			typ: "kubernetes:storage.k8s.io/v1:StorageClass", name: fmt.Sprintf("%s-%s", strings.ToLower(name), key),
			props: props, deps: authDeps, custom: true, provider: providerRef(k8sProvider),
		}); err != nil {
			return err
		}
	}
	return nil
}

// nodeGroupSecurityGroup mirrors createNodeGroupSecurityGroup (securitygroup.ts), which createCluster
// always calls: the node security group and its rules, plus the rule on the cluster security group letting
// nodes reach the API server. It returns the group and that last rule.
func (c *constructor) nodeGroupSecurityGroup(name string, clusterName, clusterSGID resource.PropertyValue, cluster child) (child, child, error) {
	ownedTag := unknown()
	if n, ok := stringOf(clusterName); ok {
		ownedTag = resource.NewObjectProperty(resource.PropertyMap{resource.PropertyKey("kubernetes.io/cluster/" + n): resource.NewStringProperty("owned")})
	}
	sg, err := c.register("aws:ec2/securityGroup:SecurityGroup", name+"-nodeSecurityGroup", resource.PropertyMap{
		"vpcId":               c.input("vpcId"),
		"description":         resource.NewStringProperty("Managed by Pulumi"),
		"revokeRulesOnDelete": resource.NewBoolProperty(true),
		"tags":                mergeTags(named(name+"-nodeSecurityGroup"), ownedTag, c.input("nodeSecurityGroupTags"), c.input("tags")),
	}, cluster)
	if err != nil {
		return child{}, child{}, err
	}
	sgID := outputOr(sg, "id")
	rules := []struct {
		key, desc, kind string
		from, to        int
		proto           string
		group           resource.PropertyValue
		extra           map[string]resource.PropertyValue
	}{
		{"eksNodeIngressRule", "Allow nodes to communicate with each other", "ingress", 0, 0, "-1", sgID,
			map[string]resource.PropertyValue{"self": resource.NewBoolProperty(true)}},
		{"eksNodeClusterIngressRule", "Allow worker Kubelets and pods to receive communication from the cluster control plane", "ingress", 1025, 65535, "tcp", sgID,
			map[string]resource.PropertyValue{"sourceSecurityGroupId": clusterSGID}},
		{"eksExtApiServerClusterIngressRule", "Allow pods running extension API servers on port 443 to receive communication from cluster control plane", "ingress", 443, 443, "tcp", sgID,
			map[string]resource.PropertyValue{"sourceSecurityGroupId": clusterSGID}},
		{"eksNodeInternetEgressRule", "Allow internet access.", "egress", 0, 0, "-1", sgID,
			map[string]resource.PropertyValue{"cidrBlocks": strs([]string{"0.0.0.0/0"})}},
		{"eksClusterIngressRule", "Allow pods to communicate with the cluster API Server", "ingress", 443, 443, "tcp", clusterSGID,
			map[string]resource.PropertyValue{"sourceSecurityGroupId": sgID}},
	}
	var last child
	for _, r := range rules {
		last, err = c.register("aws:ec2/securityGroupRule:SecurityGroupRule", name+"-"+r.key,
			sgRule(r.desc, r.kind, r.from, r.to, r.proto, r.group, r.extra), sg)
		if err != nil {
			return child{}, child{}, err
		}
	}
	return sg, last, nil
}

func sgRule(desc, kind string, from, to int, proto string, group resource.PropertyValue, extra map[string]resource.PropertyValue) resource.PropertyMap {
	m := resource.PropertyMap{
		"description":     resource.NewStringProperty(desc),
		"type":            resource.NewStringProperty(kind),
		"fromPort":        resource.NewNumberProperty(float64(from)),
		"toPort":          resource.NewNumberProperty(float64(to)),
		"protocol":        resource.NewStringProperty(proto),
		"securityGroupId": group,
	}
	for k, v := range extra {
		m[resource.PropertyKey(k)] = v
	}
	return m
}

// credentialOpts are the providerCredentialOpts input, or what createCluster (cluster.ts) falls back to:
// AWS_PROFILE from the environment, then the stack's aws:profile.
func (c *constructor) credentialOpts() kubeconfigCreds {
	var out kubeconfigCreds
	if v := unwrap(c.input("providerCredentialOpts")); v.IsObject() {
		out.roleArn = v.ObjectValue()["roleArn"]
		out.profileName = v.ObjectValue()["profileName"]
		return out
	}
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		out.profileName = resource.NewStringProperty(p)
	} else if p := c.req.GetConfig()["aws:profile"]; p != "" {
		out.profileName = resource.NewStringProperty(p)
	}
	return out
}

// kubeconfigCreds is pulumi-eks's KubeconfigOptions: the role the token is for, and the AWS profile.
type kubeconfigCreds struct {
	roleArn, profileName resource.PropertyValue
}

// kubeconfigFor is the one place the stand-in builds a kubeconfig, as generateKubeconfig in pulumi-eks
// v2.8.1's cluster.ts does: the cluster's endpoint and certificate authority, and exec authentication that
// runs `aws eks get-token --cluster-name <name> --output json`, with `--role <roleArn>` when a role is
// given, and AWS_PROFILE in the exec environment when a profile is given and includeProfile is set. It
// names no region: `aws` takes it from its environment. It carries no credentials itself. The result is
// unknown while any input is.
func kubeconfigFor(clusterName, endpoint, caData resource.PropertyValue, creds kubeconfigCreds, includeProfile bool) resource.PropertyValue {
	for _, v := range []resource.PropertyValue{clusterName, endpoint, caData, creds.roleArn, creds.profileName} {
		if v.V != nil && !known(v) {
			return unknown()
		}
	}
	s := resource.NewStringProperty
	name, _ := stringOf(clusterName)
	args := []string{"eks", "get-token", "--cluster-name", name, "--output", "json"}
	if r, ok := stringOf(creds.roleArn); ok && r != "" {
		args = append(args, "--role", r)
	}
	env := []resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
		"name": s("KUBERNETES_EXEC_INFO"), "value": s(`{"apiVersion": "client.authentication.k8s.io/v1beta1"}`),
	})}
	if p, ok := stringOf(creds.profileName); ok && p != "" && includeProfile {
		env = append(env, resource.NewObjectProperty(resource.PropertyMap{"name": s("AWS_PROFILE"), "value": s(p)}))
	}
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
					"args":       strs(args),
					"env":        resource.NewArrayProperty(env),
				}),
			}),
		})}),
	})
}

// kubernetesProviderInputs are a pulumi:providers:kubernetes resource's inputs for a kubeconfig object:
// the JSON text, as pulumi-eks passes it (kubeconfig.apply(JSON.stringify)).
func kubernetesProviderInputs(kubeconfig, enableConfigMapMutable resource.PropertyValue) resource.PropertyMap {
	props := resource.PropertyMap{"kubeconfig": unknown()}
	if known(kubeconfig) {
		if b, err := json.Marshal(kubeconfig.Mappable()); err == nil {
			props["kubeconfig"] = resource.NewStringProperty(string(b))
		}
	}
	if !enableConfigMapMutable.IsNull() {
		props["enableConfigMapMutable"] = enableConfigMapMutable
	}
	return props
}

// providerRef is how a child names the provider it uses: urn::id, the id unknown while previewing a create.
func providerRef(p child) string {
	id := p.id
	if id == "" {
		id = providers.UnknownID
	}
	return p.urn + "::" + id
}

// followRef reads the state of a resource passed as an input (a resource reference).
func (c *constructor) followRef(v resource.PropertyValue) (resource.PropertyMap, error) {
	v = unwrap(v)
	if !v.IsResourceReference() {
		return resource.PropertyMap{}, nil
	}
	ref := v.ResourceReferenceValue()
	st, err := c.getResource(string(ref.URN))
	if err != nil {
		return nil, err
	}
	if id, ok := ref.ID.V.(string); ok && id != "" {
		st = st.Copy()
		st["id"] = resource.NewStringProperty(id)
	}
	return st, nil
}

func valueOr(m resource.PropertyMap, key string) resource.PropertyValue {
	if v, ok := m[resource.PropertyKey(key)]; ok {
		return v
	}
	return unknown()
}

func arrayOf(v resource.PropertyValue) []resource.PropertyValue {
	v = unwrap(v)
	if v.IsArray() {
		return v.ArrayValue()
	}
	return nil
}

func named(n string) resource.PropertyValue {
	return resource.NewObjectProperty(resource.PropertyMap{"Name": resource.NewStringProperty(n)})
}
