package mockgraph

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account is the stand-in AWS account id.
const Account = "123456789012"

// idPrefixes mimic AWS physical id shapes so ids in tests and snapshots read like the real thing.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                   "vpc-",
	"aws:ec2/subnet:Subnet":                             "subnet-",
	"aws:ec2/internetGateway:InternetGateway":           "igw-",
	"aws:ec2/natGateway:NatGateway":                     "nat-",
	"aws:ec2/eip:Eip":                                   "eipalloc-",
	"aws:ec2/routeTable:RouteTable":                     "rtb-",
	"aws:ec2/securityGroup:SecurityGroup":               "sg-",
	"aws:ec2/vpcEndpoint:VpcEndpoint":                   "vpce-",
	"aws:ec2/launchTemplate:LaunchTemplate":             "lt-",
	"aws:ec2/flowLog:FlowLog":                           "fl-",
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
}

func fakeID(typ, name string) string {
	sum := sha256.Sum256([]byte(typ + "/" + name))
	hexed := hex.EncodeToString(sum[:])[:17]
	if p, ok := idPrefixes[typ]; ok {
		return p + hexed
	}
	return name + "-" + hexed[:8]
}

// outputs returns what the provider would report: the inputs, plus (outside preview) computed values.
func (r *Recorder) outputs(res Resource, id string) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range res.Inputs {
		out[k] = v
	}
	if r.Preview {
		return out
	}
	set := func(k string, v resource.PropertyValue) {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = v
		}
	}
	str := resource.NewStringProperty
	region := "us-west-2"
	if p := out["region"]; p.IsString() {
		region = p.StringValue()
	}
	if strings.HasPrefix(res.Type, "aws:") && res.Custom {
		svc, kind := awsService(res.Type)
		set("arn", str(fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", svc, region, Account, kind, id)))
	}
	switch res.Type {
	case "aws:kms/key:Key":
		set("keyId", str(id))
	case "aws:iam/role:Role", "aws:iam/policy:Policy":
		set("arn", str(fmt.Sprintf("arn:aws:iam::%s:%s/%s", Account, strings.ToLower(res.Type[strings.LastIndex(res.Type, ":")+1:]), res.Name)))
		set("name", str(res.Name))
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		url := ""
		if u := out["url"]; u.IsString() {
			url = strings.TrimPrefix(u.StringValue(), "https://")
		}
		out["arn"] = str(fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", Account, url))
	case "kubernetes:core/v1:Service":
		// A LoadBalancer Service gets its load balancer's DNS name in status.loadBalancer.ingress[].hostname once
		// the cloud controller has created it (AWS NLB names: <name>-<hash>.elb.<region>.amazonaws.com).
		if spec := out["spec"]; spec.IsObject() && spec.ObjectValue()["type"].IsString() && spec.ObjectValue()["type"].StringValue() == "LoadBalancer" {
			host := fmt.Sprintf("%s-0123456789abcdef.elb.%s.amazonaws.com", strings.ReplaceAll(res.Name, ":", "-"), region)
			set("status", resource.NewObjectProperty(resource.PropertyMap{"loadBalancer": resource.NewObjectProperty(resource.PropertyMap{
				"ingress": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{"hostname": str(host)})}),
			})}))
		}
	case "aws:ec2/launchTemplate:LaunchTemplate":
		set("latestVersion", resource.NewNumberProperty(1))
		set("defaultVersion", resource.NewNumberProperty(1))
	case "aws:cloudwatch/logGroup:LogGroup":
		set("name", str(res.Name))
	case "aws:eks/nodeGroup:NodeGroup":
		set("status", str("ACTIVE"))
		set("resources", resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"autoscalingGroups": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"name": str("eks-" + res.Name + "-asg"),
			})}),
		})}))
	case "eks:index:Cluster":
		name := res.Name
		if n := out["name"]; n.IsString() {
			name = n.StringValue()
		}
		kc := kubeconfig(name, region)
		b, _ := json.Marshal(kc)
		out["kubeconfigJson"] = resource.MakeSecret(str(string(b)))
		out["kubeconfig"] = resource.MakeSecret(resource.NewPropertyValue(kc))
	}
	return out
}

func awsService(typ string) (svc, kind string) {
	// aws:<module>/<resource>:<Type>
	rest := strings.TrimPrefix(typ, "aws:")
	mod, after, _ := strings.Cut(rest, "/")
	kind, _, _ = strings.Cut(after, ":")
	return mod, strings.ToLower(kind)
}

// Endpoint is the stand-in API server endpoint of a cluster.
func Endpoint(cluster, region string) string {
	// Padded so a cluster name shorter than eight characters still gives sixteen hex digits.
	return fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(hex.EncodeToString([]byte(cluster + "00000000")))[:16], region)
}

func kubeconfig(cluster, region string) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "aws",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": Endpoint(cluster, region), "certificate-authority-data": "c3RhbmQtaW4tY2E=",
		}}},
		"contexts": []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"users": []any{map[string]any{"name": "aws", "user": map[string]any{"exec": map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
			"args": []any{"eks", "get-token", "--cluster-name", cluster, "--region", region},
		}}}},
	}
}
