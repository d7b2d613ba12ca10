package standin

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// fakeMonitor is a resource monitor that records what a Construct registers and answers as the engine
// would after a deployment: ids and the outputs the components read (ARNs, endpoint, certificate).
type fakeMonitor struct {
	pulumirpc.UnimplementedResourceMonitorServer
	mu       sync.Mutex
	children []registered
	state    map[string]resource.PropertyMap
}

type registered struct {
	typ, name, parent, provider string
	custom                      bool
	deps                        []string
	inputs                      resource.PropertyMap
}

func (m *fakeMonitor) urn(typ, name string) string {
	return "urn:pulumi:test::platform::" + typ + "::" + name
}

func (m *fakeMonitor) RegisterResource(_ context.Context, req *pulumirpc.RegisterResourceRequest) (*pulumirpc.RegisterResourceResponse, error) {
	in, err := plugin.UnmarshalProperties(req.GetObject(), plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true})
	if err != nil {
		return nil, err
	}
	urn := m.urn(req.GetType(), req.GetName())
	m.mu.Lock()
	defer m.mu.Unlock()
	m.children = append(m.children, registered{req.GetType(), req.GetName(), req.GetParent(), req.GetProvider(), req.GetCustom(), req.GetDependencies(), in})
	out := in.Copy()
	id := ""
	if req.GetCustom() {
		id = "id-" + req.GetName()
		out["arn"] = resource.NewStringProperty("arn:aws:test:::" + req.GetName())
		if _, ok := out["name"]; !ok {
			out["name"] = resource.NewStringProperty(req.GetName())
		}
		if req.GetType() == eksClusterType {
			out["endpoint"] = resource.NewStringProperty("https://ABC.gr7.us-west-2.eks.amazonaws.com")
			out["certificateAuthority"] = resource.NewObjectProperty(resource.PropertyMap{"data": resource.NewStringProperty("Q0E=")})
		}
	}
	if m.state == nil {
		m.state = map[string]resource.PropertyMap{}
	}
	m.state[urn] = out
	obj, err := plugin.MarshalProperties(out, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.RegisterResourceResponse{Urn: urn, Id: id, Object: obj}, nil
}

func (m *fakeMonitor) RegisterResourceOutputs(context.Context, *pulumirpc.RegisterResourceOutputsRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (m *fakeMonitor) Invoke(_ context.Context, req *pulumirpc.ResourceInvokeRequest) (*pulumirpc.ResourceInvokeResponse, error) {
	if req.GetTok() != "pulumi:pulumi:getResource" {
		return nil, fmt.Errorf("fake monitor: unexpected invoke %s", req.GetTok())
	}
	urn := req.GetArgs().GetFields()["urn"].GetStringValue()
	m.mu.Lock()
	st := m.state[urn]
	m.mu.Unlock()
	ret, err := plugin.MarshalProperties(resource.PropertyMap{"urn": resource.NewStringProperty(urn), "state": resource.NewObjectProperty(st)},
		plugin.MarshalOptions{KeepResources: true})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ResourceInvokeResponse{Return: ret}, nil
}

func startMonitor(t *testing.T) (*fakeMonitor, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	m := &fakeMonitor{}
	pulumirpc.RegisterResourceMonitorServer(srv, m)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return m, lis.Addr().String()
}

const awsProviderRef = "urn:pulumi:test::platform::pulumi:providers:aws::aws-staging::prov-1"

// programClusterInputs are the eks:index:Cluster inputs components/cluster passes for a staging-like stack.
func programClusterInputs(m *fakeMonitor, withInstanceRole bool) resource.PropertyMap {
	policy := resource.NewObjectProperty(resource.PropertyMap{
		"policyArn":   resource.NewStringProperty("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
		"accessScope": resource.NewObjectProperty(resource.PropertyMap{"type": resource.NewStringProperty("cluster")}),
	})
	in := resource.NewPropertyMapFromMap(map[string]any{
		"name": "platform-staging", "version": "1.34", "vpcId": "vpc-1", "subnetIds": []any{"subnet-i1", "subnet-i2"},
		"skipDefaultNodeGroup": true, "useDefaultVpcCni": true, "authenticationMode": "API", "createOidcProvider": false,
		"endpointPrivateAccess": true, "endpointPublicAccess": false,
		"storageClasses": map[string]any{"gp3": map[string]any{"type": "gp3", "encrypted": true, "default": true,
			"allowVolumeExpansion": true, "volumeBindingMode": "WaitForFirstConsumer"}},
		"providerCredentialOpts": map[string]any{"profileName": "platform-staging"},
		"tags":                   map[string]any{"Environment": "staging"},
	})
	in["accessEntries"] = resource.NewObjectProperty(resource.PropertyMap{
		"admin-platform-admin": resource.NewObjectProperty(resource.PropertyMap{
			"principalArn":   resource.NewStringProperty("arn:aws:iam::222222222222:role/platform-admin"),
			"accessPolicies": resource.NewObjectProperty(resource.PropertyMap{"AmazonEKSClusterAdminPolicy": policy}),
		}),
	})
	// components/cluster passes its own control-plane security group (the API clients' rules are on it).
	sgURN := m.urn("aws:ec2/securityGroup:SecurityGroup", "platform-staging-api")
	m.state = map[string]resource.PropertyMap{sgURN: {"id": resource.NewStringProperty("sg-api")}}
	in["clusterSecurityGroup"] = resource.MakeCustomResourceReference(resource.URN(sgURN), "sg-api", "")
	if withInstanceRole {
		urn := m.urn("aws:iam/role:Role", "platform-staging-node")
		m.state[urn] = resource.PropertyMap{"arn": resource.NewStringProperty("arn:aws:iam::222222222222:role/platform-staging-node")}
		in["instanceRole"] = resource.MakeCustomResourceReference(resource.URN(urn), "platform-staging-node", "")
	}
	return in
}

func construct(t *testing.T, m *fakeMonitor, addr string, in resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	s, err := plugin.MarshalProperties(in, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true})
	require.NoError(t, err)
	resp, err := New("eks").Construct(context.Background(), &pulumirpc.ConstructRequest{
		Type: "eks:index:Cluster", Name: "platform-staging", MonitorEndpoint: addr, Inputs: s,
		Providers: map[string]string{"aws": awsProviderRef},
	})
	require.NoError(t, err)
	out, err := plugin.UnmarshalProperties(resp.GetState(), plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true})
	require.NoError(t, err)
	return out
}

func childList(m *fakeMonitor) []string {
	var out []string
	for _, c := range m.children[1:] { // [0] is the component itself
		out = append(out, c.typ+" "+c.name)
	}
	return out
}

func TestEksClusterCreatesWhatPulumiEksV281CreatesForTheProgramsInputs(t *testing.T) {
	m, addr := startMonitor(t)
	construct(t, m, addr, programClusterInputs(m, true))
	assert.Equal(t, []string{
		"eks:index:ServiceRole platform-staging-eksRole",
		"aws:iam/role:Role platform-staging-eksRole-role",
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment platform-staging-eksRole-4b490823",
		"aws:eks/cluster:Cluster platform-staging-eksCluster",
		"pulumi:providers:kubernetes platform-staging-eks-k8s",
		"aws:eks/accessEntry:AccessEntry platform-staging-defaultNodeGroupInstanceRole",
		"aws:eks/accessEntry:AccessEntry platform-staging-admin-platform-admin",
		"aws:eks/accessPolicyAssociation:AccessPolicyAssociation platform-staging-admin-platform-admin-AmazonEKSClusterAdminPolicy",
		"kubernetes:storage.k8s.io/v1:StorageClass platform-staging-gp3",
		"aws:ec2/securityGroup:SecurityGroup platform-staging-nodeSecurityGroup",
		"aws:ec2/securityGroupRule:SecurityGroupRule platform-staging-eksNodeIngressRule",
		"aws:ec2/securityGroupRule:SecurityGroupRule platform-staging-eksNodeClusterIngressRule",
		"aws:ec2/securityGroupRule:SecurityGroupRule platform-staging-eksExtApiServerClusterIngressRule",
		"aws:ec2/securityGroupRule:SecurityGroupRule platform-staging-eksNodeInternetEgressRule",
		"aws:ec2/securityGroupRule:SecurityGroupRule platform-staging-eksClusterIngressRule",
		"pulumi:providers:kubernetes platform-staging-provider",
	}, childList(m))

	byName := map[string]registered{}
	for _, c := range m.children {
		byName[c.name] = c
	}
	cl := byName["platform-staging-eksCluster"]
	assert.Equal(t, true, cl.inputs["accessConfig"].ObjectValue()["bootstrapClusterCreatorAdminPermissions"].BoolValue(),
		"v2.8.1 always bootstraps the creator's admin entry with an authentication mode")
	node := byName["platform-staging-defaultNodeGroupInstanceRole"]
	assert.Equal(t, "EC2_LINUX", node.inputs["type"].StringValue())
	assert.Equal(t, "arn:aws:iam::222222222222:role/platform-staging-node", node.inputs["principalArn"].StringValue(), "the program's node role")
	sc := byName["platform-staging-gp3"]
	assert.True(t, strings.HasPrefix(sc.provider, m.urn("pulumi:providers:kubernetes", "platform-staging-eks-k8s")+"::"),
		"the StorageClass goes through the component's own Kubernetes provider, got %q", sc.provider)
	assert.Equal(t, "gp3", sc.inputs["parameters"].ObjectValue()["type"].StringValue())
	assert.Equal(t, "true", sc.inputs["metadata"].ObjectValue()["annotations"].ObjectValue()["storageclass.kubernetes.io/is-default-class"].StringValue())
	assoc := byName["platform-staging-admin-platform-admin-AmazonEKSClusterAdminPolicy"]
	assert.Equal(t, m.urn(eksAccessEntryType, "platform-staging-admin-platform-admin"), assoc.parent, "associations are parented to their entry")
	assert.Equal(t, awsProviderRef, byName["platform-staging-nodeSecurityGroup"].provider)
	assert.Equal(t, "sg-api", byName["platform-staging-eksClusterIngressRule"].inputs["securityGroupId"].StringValue(),
		"given a cluster security group, v2.8.1 adds its node-to-API rule to it")
}

func TestWithoutAnInstanceRolePulumiEksMakesItsOwnWithTheCNIPolicy(t *testing.T) {
	m, addr := startMonitor(t)
	construct(t, m, addr, programClusterInputs(m, false))
	var roles, attachments []string
	for _, c := range m.children {
		switch c.typ {
		case "aws:iam/role:Role":
			roles = append(roles, c.name)
		case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
			attachments = append(attachments, c.inputs["policyArn"].StringValue())
		}
	}
	assert.Equal(t, []string{"platform-staging-eksRole-role", "platform-staging-instanceRole-role"}, roles)
	assert.Contains(t, attachments, "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
}

// v2.8.1 exports the kubeconfig without the profile (kubeconfigWithoutProfile) and gives its own
// Kubernetes provider the one with AWS_PROFILE; a role ARN would add `--role <arn>`.
func TestTheKubeconfigNamesTheProfileOnlyForTheComponentsOwnProvider(t *testing.T) {
	m, addr := startMonitor(t)
	out := construct(t, m, addr, programClusterInputs(m, true))
	user := out["kubeconfig"].ObjectValue()["users"].ArrayValue()[0].ObjectValue()["user"].ObjectValue()["exec"].ObjectValue()
	var args []string
	for _, a := range user["args"].ArrayValue() {
		args = append(args, a.StringValue())
	}
	assert.Equal(t, []string{"eks", "get-token", "--cluster-name", "platform-staging", "--output", "json"}, args)
	for _, e := range user["env"].ArrayValue() {
		assert.NotEqual(t, "AWS_PROFILE", e.ObjectValue()["name"].StringValue(), "the exported kubeconfig has no profile")
	}
	server := out["kubeconfig"].ObjectValue()["clusters"].ArrayValue()[0].ObjectValue()["cluster"].ObjectValue()
	assert.Equal(t, "https://ABC.gr7.us-west-2.eks.amazonaws.com", server["server"].StringValue())
	assert.Equal(t, "Q0E=", server["certificate-authority-data"].StringValue())

	withProfile := kubeconfigFor(resource.NewStringProperty("c"), resource.NewStringProperty("https://x"), resource.NewStringProperty("Q0E="),
		kubeconfigCreds{roleArn: resource.NewStringProperty("arn:aws:iam::1:role/r"), profileName: resource.NewStringProperty("p")}, true)
	exec := withProfile.ObjectValue()["users"].ArrayValue()[0].ObjectValue()["user"].ObjectValue()["exec"].ObjectValue()
	assert.Equal(t, "--role", exec["args"].ArrayValue()[6].StringValue())
	assert.Equal(t, "AWS_PROFILE", exec["env"].ArrayValue()[1].ObjectValue()["name"].StringValue())
}

// The creator is the role the provider's profile resolves to, read from the shared config file as the SDK
// reads it.
func TestTheCreatorIsTheRoleTheProvidersProfileResolvesTo(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(file, []byte("[default]\nregion = us-west-2\n\n[profile  platform-staging ]\nrole_arn = arn:aws:iam::222222222222:role/platform-deployer\ncredential_source = Environment\n[profile other]\nrole_arn = arn:aws:iam::1:role/x\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", file)
	p := New("aws")
	cfg, err := structpb.NewStruct(map[string]any{"region": "us-west-2", "profile": "platform-staging"})
	require.NoError(t, err)
	_, err = p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: cfg})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::222222222222:role/platform-deployer", p.creatorArn())
	assert.Equal(t, "", profileRoleArn(file, "missing"))
	assert.Equal(t, "", profileRoleArn(filepath.Join(dir, "absent"), "platform-staging"))
}

// The rules EKS enforces on access entries, as the stand-in aws provider applies them.
func TestASecondAccessEntryForTheCreatorFailsAsEKSDoes(t *testing.T) {
	p := New("aws")
	cfg, err := structpb.NewStruct(map[string]any{
		"region": "us-west-2", "assumeRole": `{"roleArn":"arn:aws:iam::222222222222:role/platform-deployer"}`,
	})
	require.NoError(t, err)
	_, err = p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: cfg})
	require.NoError(t, err)
	create := func(typ, name string, in map[string]any) error {
		_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
			Urn: "urn:pulumi:staging::platform::" + typ + "::" + name, Properties: props(t, in), Preview: true,
		})
		return err
	}
	require.NoError(t, create(eksClusterType, "platform-staging-eksCluster", map[string]any{
		"name": "platform-staging", "accessConfig": map[string]any{"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": true},
	}))
	require.NoError(t, create(eksAccessEntryType, "platform-staging-admin-platform-admin", map[string]any{
		"clusterName": "platform-staging", "principalArn": "arn:aws:iam::222222222222:role/platform-admin",
	}))
	err = create(eksAccessEntryType, "platform-staging-admin-platform-deployer", map[string]any{
		"clusterName": "platform-staging", "principalArn": "arn:aws:iam::222222222222:role/platform-deployer",
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ResourceInUseException: The specified access entry resource is already in use on this cluster.")
	assert.Contains(t, err.Error(), creatorOwner)
	err = create(eksAccessEntryType, "platform-staging-view-platform-admin", map[string]any{
		"clusterName": "platform-staging", "principalArn": "arn:aws:iam::222222222222:role/platform-admin",
	})
	require.ErrorContains(t, err, "urn:pulumi:staging::platform::aws:eks/accessEntry:AccessEntry::platform-staging-admin-platform-admin already holds")
}
