package standin

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// idPrefixes gives AWS-shaped ids ("vpc-0a1b...") to the types whose ids
// other resources reference, so state and previews read like a real account's.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                           "vpc-",
	"aws:ec2/subnet:Subnet":                                     "subnet-",
	"aws:ec2/securityGroup:SecurityGroup":                       "sg-",
	"aws:ec2/internetGateway:InternetGateway":                   "igw-",
	"aws:ec2/natGateway:NatGateway":                             "nat-",
	"aws:ec2/eip:Eip":                                           "eipalloc-",
	"aws:ec2/routeTable:RouteTable":                             "rtb-",
	"aws:ec2/vpcEndpoint:VpcEndpoint":                           "vpce-",
	"aws:ec2/launchTemplate:LaunchTemplate":                     "lt-",
	"aws:ec2/flowLog:FlowLog":                                   "fl-",
	"aws:ec2/networkAcl:NetworkAcl":                             "acl-",
	"aws:ec2/securityGroupRule:SecurityGroupRule":               "sgrule-",
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   "sgr-",
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":         "sg-",
	"aws:ec2/routeTableAssociation:RouteTableAssociation":       "rtbassoc-",
}

// nameIDs are types whose AWS id is their name.
var nameIDs = map[string]string{
	"aws:eks/cluster:Cluster":          "name",
	"aws:iam/role:Role":                "name",
	"aws:cloudwatch/logGroup:LogGroup": "name",
	"aws:kms/alias:Alias":              "name",
	"aws:s3/bucketV2:BucketV2":         "bucket",
	"aws:s3/bucket:Bucket":             "bucket",
}

// autonamed are the types real providers give a generated physical name
// ("<logical name>-<7 hex>") when the program sets none, keyed by the input.
var autonamed = map[string]string{
	"aws:iam/role:Role":                       "name",
	"aws:iam/policy:Policy":                   "name",
	"aws:ec2/securityGroup:SecurityGroup":     "name",
	"aws:eks/cluster:Cluster":                 "name",
	"aws:cloudwatch/logGroup:LogGroup":        "name",
	"aws:s3/bucketV2:BucketV2":                "bucket",
	"aws:s3/bucket:Bucket":                    "bucket",
	"aws:ec2/launchTemplate:LaunchTemplate":   "name",
	"aws:iam/instanceProfile:InstanceProfile": "name",
	"aws:eks/nodeGroup:NodeGroup":             "nodeGroupName",
}

// autoname fills in a generated name the way real providers do at check time,
// keeping an existing one so names never change between runs. Explicit
// name prefixes are honoured.
func autoname(typ, name string, olds, news resource.PropertyMap) {
	key, ok := autonamed[typ]
	if !ok {
		return
	}
	pk := resource.PropertyKey(key)
	if _, set := news[pk]; set {
		return
	}
	if old, had := olds[pk]; had {
		news[pk] = old
		return
	}
	prefix := name + "-"
	if p, ok := getString(news, key+"Prefix"); ok {
		prefix = p
	}
	suffix := hash(typ, name)[:7]
	if key == "bucket" {
		prefix = strings.ToLower(prefix)
	}
	news[pk] = resource.NewStringProperty(prefix + suffix)
}

// deterministicID derives the resource id from its URN (and, where AWS uses
// the name as the id, from that name), so repeated runs produce equal state.
func deterministicID(typ string, urn resource.URN, in resource.PropertyMap) string {
	if key, ok := nameIDs[typ]; ok {
		if s, ok := getString(in, key); ok && s != "" {
			return s
		}
	}
	h := hash(string(urn))
	if p, ok := idPrefixes[typ]; ok {
		return p + h[:17]
	}
	switch typ {
	case "aws:kms/key:Key":
		return uuidFrom(h)
	case "aws:eks/nodeGroup:NodeGroup":
		c, _ := getString(in, "clusterName")
		n, _ := getString(in, "nodeGroupName")
		return c + ":" + n
	case "aws:eks/addon:Addon":
		c, _ := getString(in, "clusterName")
		n, _ := getString(in, "addonName")
		return c + ":" + n
	}
	return urn.Name() + "-" + h[:8]
}

func uuidFrom(h string) string {
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// outputs builds a resource's outputs: its inputs plus what AWS would compute.
// olds carries the previous outputs on update so computed values stay put.
// In preview mode computed values the provider cannot know yet are unknown.
func (p *Provider) outputs(typ string, urn resource.URN, id string, in, olds resource.PropertyMap, preview bool) resource.PropertyMap {
	out := in.Copy()
	computed := p.computed(typ, urn, id, in)
	for _, k := range computed.StableKeys() {
		if _, set := in[k]; set {
			continue
		}
		switch {
		case olds != nil && olds.HasValue(k):
			out[k] = olds[k]
		case preview && olds == nil:
			out[k] = resource.MakeComputed(resource.NewStringProperty(""))
		default:
			out[k] = computed[k]
		}
	}
	if tags := p.tagsAll(in); tags != nil {
		out["tagsAll"] = resource.NewObjectProperty(tags)
	}
	if typ == "aws:eks/cluster:Cluster" {
		// EKS adds the cluster security group it creates to the vpcConfig
		// block; consumers read it from there.
		vc := resource.PropertyMap{}
		if v, ok := in["vpcConfig"]; ok && unwrap(v).IsObject() {
			vc = unwrap(v).ObjectValue().Copy()
		}
		name, _ := getString(in, "name")
		if preview && olds == nil {
			vc["clusterSecurityGroupId"] = resource.MakeComputed(resource.NewStringProperty(""))
			vc["vpcId"] = resource.MakeComputed(resource.NewStringProperty(""))
		} else {
			vc["clusterSecurityGroupId"] = resource.NewStringProperty(eksClusterSecurityGroupID(p.region(), name))
			vc["vpcId"] = resource.NewStringProperty("vpc-" + hash("eks-vpc", name)[:17])
		}
		out["vpcConfig"] = resource.NewObjectProperty(vc)
	}
	return out
}

// tagsAll merges the provider's default tags with the resource's tags, as the
// aws provider reports them.
func (p *Provider) tagsAll(in resource.PropertyMap) resource.PropertyMap {
	if p.pkg != "aws" {
		return nil
	}
	tv, hasTags := in["tags"]
	defaults := p.defaultTags()
	if !hasTags && defaults == nil {
		return nil
	}
	all := resource.PropertyMap{}
	for k, v := range defaults {
		all[k] = v
	}
	if hasTags {
		tv = unwrap(tv)
		if tv.IsComputed() {
			return nil
		}
		if tv.IsObject() {
			for k, v := range tv.ObjectValue() {
				all[k] = v
			}
		}
	}
	return all
}

// computed returns the outputs AWS (or Kubernetes, random, tls) computes for a
// resource of the given type. Values are plausible, not real: endpoints use
// the documented shapes, public IPs come from TEST-NET-3 (203.0.113.0/24).
func (p *Provider) computed(typ string, urn resource.URN, id string, in resource.PropertyMap) resource.PropertyMap {
	region := p.region()
	h := hash(string(urn))
	s := resource.NewStringProperty
	c := resource.PropertyMap{}
	tok := strings.SplitN(typ, ":", 3)
	if len(tok) != 3 {
		return c
	}
	module := strings.SplitN(tok[1], "/", 2)[0]
	name := id
	for _, k := range []string{"name", "bucket", "nodeGroupName", "addonName"} {
		if v, ok := getString(in, k); ok && v != "" {
			name = v
			break
		}
	}
	if p.pkg == "aws" {
		kind := strings.ToLower(tok[2][:1]) + tok[2][1:]
		arnRegion := region
		if module == "iam" {
			arnRegion = ""
		}
		c["arn"] = s(fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", module, arnRegion, AccountID, kind, name))
		c["ownerId"] = s(AccountID)
	}
	switch typ {
	case "aws:ec2/vpc:Vpc":
		c["arn"] = s(fmt.Sprintf("arn:aws:ec2:%s:%s:vpc/%s", region, AccountID, id))
		c["defaultSecurityGroupId"] = s("sg-" + hash(h, "default-sg")[:17])
		c["defaultNetworkAclId"] = s("acl-" + hash(h, "default-acl")[:17])
		c["defaultRouteTableId"] = s("rtb-" + hash(h, "default-rtb")[:17])
		c["mainRouteTableId"] = s("rtb-" + hash(h, "default-rtb")[:17])
		c["dhcpOptionsId"] = s("dopt-" + hash(h, "dopt")[:17])
	case "aws:ec2/subnet:Subnet":
		c["arn"] = s(fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", region, AccountID, id))
		c["availabilityZoneId"] = s(fmt.Sprintf("%s-az%d", shortRegion(region), int(h[0])%4+1))
	case "aws:ec2/securityGroup:SecurityGroup":
		c["arn"] = s(fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", region, AccountID, id))
	case "aws:ec2/eip:Eip":
		c["allocationId"] = s(id)
		c["publicIp"] = s(fmt.Sprintf("203.0.113.%d", int(h[0])%250+2))
		c["publicDns"] = s(fmt.Sprintf("ec2-203-0-113-%d.compute-1.amazonaws.com", int(h[0])%250+2))
	case "aws:ec2/natGateway:NatGateway":
		c["publicIp"] = s(fmt.Sprintf("203.0.113.%d", int(h[1])%250+2))
		c["privateIp"] = s(fmt.Sprintf("10.255.%d.%d", int(h[2])%250, int(h[3])%250+2))
		c["networkInterfaceId"] = s("eni-" + hash(h, "eni")[:17])
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		svc, _ := getString(in, "serviceName")
		c["prefixListId"] = s("pl-" + hash(h, "pl")[:8])
		c["dnsEntries"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"dnsName":      s(fmt.Sprintf("%s-%s.%s", id, h[:8], strings.TrimPrefix(svc, "com.amazonaws."))),
			"hostedZoneId": s("Z7HUB22UULQXV"),
		})})
		c["networkInterfaceIds"] = resource.NewArrayProperty(nil)
	case "aws:ec2/launchTemplate:LaunchTemplate":
		c["latestVersion"] = resource.NewNumberProperty(1)
		c["defaultVersion"] = resource.NewNumberProperty(1)
		c["arn"] = s(fmt.Sprintf("arn:aws:ec2:%s:%s:launch-template/%s", region, AccountID, id))
	case "aws:iam/role:Role":
		c["arn"] = s(fmt.Sprintf("arn:aws:iam::%s:role/%s", AccountID, name))
		c["uniqueId"] = s("AROA" + strings.ToUpper(h[:17]))
		c["createDate"] = s("2026-01-01T00:00:00Z")
	case "aws:iam/policy:Policy":
		c["arn"] = s(fmt.Sprintf("arn:aws:iam::%s:policy/%s", AccountID, name))
		c["policyId"] = s("ANPA" + strings.ToUpper(h[:17]))
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		u, _ := getString(in, "url")
		c["arn"] = s(fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", AccountID, strings.TrimPrefix(u, "https://")))
	case "aws:iam/instanceProfile:InstanceProfile":
		c["arn"] = s(fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", AccountID, name))
	case "aws:kms/key:Key":
		c["keyId"] = s(id)
		c["arn"] = s(fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, AccountID, id))
	case "aws:kms/alias:Alias":
		c["arn"] = s(fmt.Sprintf("arn:aws:kms:%s:%s:%s", region, AccountID, name))
		c["targetKeyArn"] = s(fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, AccountID, uuidFrom(h)))
	case "aws:cloudwatch/logGroup:LogGroup":
		c["arn"] = s(fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, AccountID, name))
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		c["arn"] = s("arn:aws:s3:::" + name)
		c["bucketDomainName"] = s(name + ".s3.amazonaws.com")
		c["bucketRegionalDomainName"] = s(fmt.Sprintf("%s.s3.%s.amazonaws.com", name, region))
		c["region"] = s(region)
		c["hostedZoneId"] = s("Z3AQBSTGFYJSTF")
	case "aws:eks/cluster:Cluster":
		for k, v := range eksClusterComputed(region, name) {
			c[k] = v
		}
	case "aws:eks/nodeGroup:NodeGroup":
		cluster, _ := getString(in, "clusterName")
		c["arn"] = s(fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/%s", region, AccountID, cluster, name, uuidFrom(h)))
		c["status"] = s("ACTIVE")
		c["releaseVersion"] = s("1.31.0-20260101")
		c["resources"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"autoscalingGroups": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"name": s("eks-" + name + "-" + uuidFrom(h)),
			})}),
		})})
	case "aws:eks/addon:Addon":
		cluster, _ := getString(in, "clusterName")
		c["arn"] = s(fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s/%s/%s", region, AccountID, cluster, name, uuidFrom(h)))
		c["addonVersion"] = s("v1.0.0-eksbuild.1")
	case "aws:eks/accessEntry:AccessEntry":
		cluster, _ := getString(in, "clusterName")
		c["accessEntryArn"] = s(fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%s", region, AccountID, cluster, uuidFrom(h)))
		c["type"] = s("STANDARD")
	case "random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString":
		n := 16
		if l, ok := get(in, "length"); ok && unwrap(l).IsNumber() {
			n = int(unwrap(l).NumberValue())
		}
		// Derived from the URN so it is stable; it is a sandbox value and is
		// still returned as a secret so the secret path is exercised.
		pw := strings.Repeat(base64.RawURLEncoding.EncodeToString([]byte(hash(h, "password"))), 4)[:max(n, 1)]
		c["result"] = resource.MakeSecret(s(pw))
		c["bcryptHash"] = resource.MakeSecret(s("$2a$10$" + hash(h, "bcrypt")[:53]))
	case "random:index/randomId:RandomId":
		c["hex"] = s(h[:16])
		c["b64Url"] = s(base64.RawURLEncoding.EncodeToString([]byte(h[:12])))
		c["b64Std"] = s(base64.StdEncoding.EncodeToString([]byte(h[:12])))
		c["dec"] = s(fmt.Sprint(int64(h[0]) * 1000003))
	case "tls:index/privateKey:PrivateKey":
		c["privateKeyPem"] = resource.MakeSecret(s(fakePEM("PRIVATE KEY", h)))
		c["publicKeyPem"] = s(fakePEM("PUBLIC KEY", hash(h, "pub")))
		c["publicKeyOpenssh"] = s("ssh-ed25519 " + base64.StdEncoding.EncodeToString([]byte(h[:32])))
	case "tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert":
		c["certPem"] = s(fakePEM("CERTIFICATE", h))
		c["validityStartTime"] = s("2026-01-01T00:00:00Z")
		c["validityEndTime"] = s("2027-01-01T00:00:00Z")
		c["readyForRenewal"] = resource.NewBoolProperty(false)
	case "tls:index/certRequest:CertRequest":
		c["certRequestPem"] = s(fakePEM("CERTIFICATE REQUEST", h))
	}
	return c
}

// eksClusterComputed is shared by Create and the aws:eks/getCluster invoke, so
// a data-source lookup of a cluster returns what its creation reported.
func eksClusterComputed(region, name string) resource.PropertyMap {
	s := resource.NewStringProperty
	h := strings.ToUpper(hash("eks", region, name)[:32])
	issuer := fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", region, h)
	endpoint := fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", h, region)
	caData := base64.StdEncoding.EncodeToString([]byte(fakePEM("CERTIFICATE", h)))
	// With the sandbox's local control plane running (sandbox/controlplane), the cluster's endpoint and CA
	// are that API server's, as EKS reports its own: the program's kubeconfig then reaches a real API server.
	if ep, ca := os.Getenv("PLATFORM_SANDBOX_KUBE_ENDPOINT"), os.Getenv("PLATFORM_SANDBOX_KUBE_CA_DATA"); ep != "" && ca != "" {
		endpoint, caData = ep, ca
	}
	return resource.PropertyMap{
		"arn":             s(fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, AccountID, name)),
		"endpoint":        s(endpoint),
		"status":          s("ACTIVE"),
		"platformVersion": s("eks.1"),
		"clusterId":       s(uuidFrom(strings.ToLower(h))),
		"certificateAuthority": resource.NewObjectProperty(resource.PropertyMap{
			"data": s(caData),
		}),
		"identities": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"oidcs": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"issuer": s(issuer),
			})}),
		})}),
	}
}

// eksClusterSecurityGroupID is the security group EKS creates for a cluster.
func eksClusterSecurityGroupID(region, name string) string {
	return "sg-" + hash("eks-cluster-sg", region, name)[:17]
}

func shortRegion(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	return parts[0] + string(parts[1][0]) + parts[2]
}

func fakePEM(kind, h string) string {
	body := base64.StdEncoding.EncodeToString([]byte("stand-in " + kind + " " + h))
	return fmt.Sprintf("-----BEGIN %s-----\n%s\n-----END %s-----\n", kind, body, kind)
}
