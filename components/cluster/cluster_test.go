package cluster

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/mockgraph"
	"github.com/platform-team/platform/internal/tags"
)

func args() ClusterArgs {
	return ClusterArgs{
		Name: "platform-test", KubernetesVersion: "1.34",
		VpcID:            pulumi.String("vpc-1"),
		IntraSubnetIDs:   pulumi.ToStringArray([]string{"subnet-i1", "subnet-i2"}),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-p1", "subnet-p2"}),
		LogTypes:         []string{"api", "audit"}, LogRetentionDays: 90,
		AdminPrincipalArns:    []string{"arn:aws:iam::123456789012:role/admin"},
		ReadOnlyPrincipalArns: []string{"arn:aws:iam::123456789012:role/dev"},
		AddonVersions:         map[string]string{"coredns": "v1.12.3-eksbuild.1"},
		SystemNodeGroup:       SystemNodeGroup{InstanceTypes: []string{"m6i.large"}, MinSize: 2, DesiredSize: 2, MaxSize: 4, DiskSizeGiB: 50},
		Tags:                  tags.New("staging", "team", "cc", nil),
	}
}

func run(t *testing.T, a ClusterArgs) (mockgraph.Graph, error) {
	g, _, err := mockgraph.Run(t, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		_, err = NewCluster(ctx, "c", &a, pulumi.Provider(p))
		return err
	}, mockgraph.Options{Stack: "staging"})
	return g, err
}

func TestAccessEntriesGrantAdminAndViewOnly(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	entries := g.Only(t, "eks:index:Cluster").Inputs["accessEntries"].ObjectValue()
	require.Len(t, entries, 2)
	admin := entries["admin-admin"].ObjectValue()
	assert.Equal(t, "arn:aws:iam::123456789012:role/admin", admin["principalArn"].StringValue())
	assert.Contains(t, admin["accessPolicies"].ObjectValue(), resourceKey("AmazonEKSClusterAdminPolicy"))
	view := entries["view-dev"].ObjectValue()
	assert.Contains(t, view["accessPolicies"].ObjectValue(), resourceKey("AmazonEKSViewPolicy"))
	assert.NotContains(t, view["accessPolicies"].ObjectValue(), resourceKey("AmazonEKSClusterAdminPolicy"))
}

func TestControlPlaneLogGroupIsEncryptedBoundedAndCreatedFirst(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	lg := g.Only(t, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, "/aws/eks/platform-test/cluster", lg.Inputs["name"].StringValue(), "the name EKS writes to")
	assert.Equal(t, 90.0, lg.Inputs["retentionInDays"].NumberValue())
	assert.NotEmpty(t, lg.Inputs["kmsKeyId"].StringValue())
	assert.Contains(t, g.Only(t, "eks:index:Cluster").DependsOn, lg.URN)
}

func TestAddonsThatCallAWSUseTheirOwnIRSARole(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	for addon, sa := range map[string]string{"vpc-cni": "aws-node", "aws-ebs-csi-driver": "ebs-csi-controller-sa"} {
		role := g.Named(t, "aws:iam/role:Role", "c-"+addon)
		var trust struct {
			Statement []struct {
				Principal map[string]string
				Condition map[string]map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].StringValue()), &trust))
		require.Len(t, trust.Statement, 1)
		assert.Contains(t, trust.Statement[0].Principal["Federated"], ":oidc-provider/")
		eq := trust.Statement[0].Condition["StringEquals"]
		issuer := "oidc.eks.eu-west-1.amazonaws.com/id/" + mockgraph.OIDCID
		assert.Equal(t, "system:serviceaccount:kube-system:"+sa, eq[issuer+":sub"], addon)
		assert.Equal(t, "sts.amazonaws.com", eq[issuer+":aud"], addon)
		assert.True(t, g.Named(t, "aws:eks/addon:Addon", "c-"+addon).Inputs["serviceAccountRoleArn"].IsString(), addon)
	}
	// The node role holds no CNI permissions: those live on the add-on's role.
	for _, a := range g.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		if a.Inputs["role"].StringValue() == "c-node" {
			assert.NotContains(t, a.Inputs["policyArn"].StringValue(), "CNI")
		}
	}
}

func TestAddonsArePinnedAndOrderedAroundTheSystemNodes(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	assert.Len(t, g.OfType("aws:eks/addon:Addon"), len(DefaultAddons))
	coredns := g.Named(t, "aws:eks/addon:Addon", "c-coredns")
	assert.Equal(t, "v1.12.3-eksbuild.1", coredns.Inputs["addonVersion"].StringValue())
	ng := g.Named(t, "aws:eks/nodeGroup:NodeGroup", "c-system")
	assert.Contains(t, coredns.DependsOn, ng.URN, "CoreDNS needs nodes to become active")
	cni := g.Named(t, "aws:eks/addon:Addon", "c-vpc-cni")
	assert.Contains(t, ng.DependsOn, cni.URN, "nodes join once the managed CNI is in place")
}

func TestSystemNodeGroupIsHardened(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	ng := g.Named(t, "aws:eks/nodeGroup:NodeGroup", "c-system")
	assert.Equal(t, "AL2023_x86_64_STANDARD", ng.Inputs["amiType"].StringValue())
	assert.Equal(t, "system", ng.Inputs["labels"].ObjectValue()[SystemNodeLabel].StringValue())
	assert.False(t, isPresent(ng.Inputs, "remoteAccess"), "no SSH access to nodes")
	lt := g.Named(t, "aws:ec2/launchTemplate:LaunchTemplate", "c-system")
	specs := lt.Inputs["tagSpecifications"].ArrayValue()
	require.Len(t, specs, 3)
	for _, s := range specs {
		tg := s.ObjectValue()["tags"].ObjectValue()
		assert.Equal(t, "staging", tg["Environment"].StringValue(), "instances launched from the template carry the environment tags")
	}
}

func TestPrivateOnlyEndpointSendsNoPublicCidrs(t *testing.T) {
	a := args()
	a.PublicAccessCidrs = []string{"203.0.113.0/24"}
	g, err := run(t, a)
	require.NoError(t, err)
	cp := g.Only(t, "eks:index:Cluster")
	assert.False(t, cp.Inputs["endpointPublicAccess"].BoolValue())
	assert.False(t, isPresent(cp.Inputs, "publicAccessCidrs"), "CIDRs are meaningless while the public endpoint is off")
}

func TestNoAdminIsRejectedBeforeAnythingIsCreated(t *testing.T) {
	a := args()
	a.AdminPrincipalArns = nil
	g, err := run(t, a)
	require.Error(t, err)
	assert.Empty(t, g.OfType(Type))
}

func isPresent(m map[resourceKey]resourceValue, k resourceKey) bool {
	v, ok := m[k]
	return ok && !v.IsNull()
}

func TestTheNodeRoleIsPulumiEksInstanceRoleSoItCreatesNoOther(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	cp := g.Only(t, "eks:index:Cluster")
	require.True(t, isPresent(cp.Inputs, "instanceRole"), "without instanceRole pulumi-eks v2.8.1 creates its own node role, with the CNI policy on it")
	node := g.Named(t, "aws:iam/role:Role", "c-node")
	assert.Equal(t, node.URN, string(cp.Inputs["instanceRole"].ResourceReferenceValue().URN))
}

func TestTheCreatorGetsNoSecondAccessEntry(t *testing.T) {
	a := args()
	a.CreatorRoleArn = "arn:aws:iam::123456789012:role/deployer"
	a.AdminPrincipalArns = append(a.AdminPrincipalArns, a.CreatorRoleArn)
	g, err := run(t, a)
	require.ErrorContains(t, err, "AdminPrincipalArns: arn:aws:iam::123456789012:role/deployer is the cluster creator, which EKS already gives an admin access entry (one per principal); remove it")
	assert.Empty(t, g.OfType(Type))
}

func TestTheKubeconfigsAuthenticateWithTheStacksProfile(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	assert.False(t, isPresent(g.Only(t, "eks:index:Cluster").Inputs, "providerCredentialOpts"), "no profile: the ambient identity")

	a := args()
	a.Profile = "platform-staging"
	g, err = run(t, a)
	require.NoError(t, err)
	opts := g.Only(t, "eks:index:Cluster").Inputs["providerCredentialOpts"].ObjectValue()
	assert.Equal(t, "platform-staging", opts["profileName"].StringValue())
	assert.False(t, isPresent(opts, "roleArn"), "a role ARN in the inputs would differ between a deploy and a read-only run")
}

func TestWithIdentityAddsTheProfileAndRegionToTheExecCredential(t *testing.T) {
	// The shape pulumi-eks v2.8.1 exports (nodejs/eks/cluster.ts, generateKubeconfig without the profile).
	in := `{"apiVersion":"v1","users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws",` +
		`"args":["eks","get-token","--cluster-name","platform-staging","--output","json"],` +
		`"env":[{"name":"KUBERNETES_EXEC_INFO","value":"{}"}]}}}]}`
	out, err := withIdentity(in, "platform-staging", "us-west-2")
	require.NoError(t, err)
	var doc struct {
		Users []struct {
			User struct {
				Exec struct {
					Args []string
					Env  []struct{ Name, Value string }
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	exec := doc.Users[0].User.Exec
	assert.Equal(t, []string{"eks", "get-token", "--cluster-name", "platform-staging", "--output", "json",
		"--profile", "platform-staging", "--region", "us-west-2"}, exec.Args)
	assert.Equal(t, []struct{ Name, Value string }{{"KUBERNETES_EXEC_INFO", "{}"}}, exec.Env)

	again, err := withIdentity(out, "platform-prod", "us-east-1")
	require.NoError(t, err)
	assert.Contains(t, again, `"--profile","platform-prod","--region","us-east-1"]`, "set, not appended twice")

	same, err := withIdentity(in, "", "")
	require.NoError(t, err)
	assert.Equal(t, in, same)
	_, err = withIdentity("not json", "p", "")
	require.ErrorContains(t, err, "kubeconfig from pulumi-eks is not JSON")
}

// pulumi-eks v2.8.1 always creates a node security group; the system nodes use it, alone, so it is not an
// unused group next to EKS's cluster security group.
func TestTheSystemNodesUsePulumiEksNodeSecurityGroup(t *testing.T) {
	g, err := run(t, args())
	require.NoError(t, err)
	cp := g.Only(t, "eks:index:Cluster")
	lt := g.Named(t, "aws:ec2/launchTemplate:LaunchTemplate", "c-system")
	assert.Contains(t, lt.PropertyDependencies["vpcSecurityGroupIds"], cp.URN,
		"the launch template's security groups come from the pulumi-eks cluster (its nodeSecurityGroup)")
}

// The control plane's security group is the component's own, passed to pulumi-eks (which then creates none):
// in-VPC API clients get HTTPS ingress on it before pulumi-eks first calls the API.
func TestAPIClientsAreLetInBeforePulumiEksCallsTheAPI(t *testing.T) {
	a := args()
	a.APIClientSecurityGroupIDs = map[string]pulumi.StringInput{"ci-runner": pulumi.String("sg-runner")}
	g, err := run(t, a)
	require.NoError(t, err)
	cp := g.Only(t, "eks:index:Cluster")
	api := g.Named(t, "aws:ec2/securityGroup:SecurityGroup", "c-api")
	assert.Equal(t, api.URN, string(cp.Inputs["clusterSecurityGroup"].ResourceReferenceValue().URN))
	assert.Empty(t, api.Inputs["egress"].ArrayValue(), "EKS's own cluster security group carries the control plane's egress")
	rule := g.Named(t, "aws:ec2/securityGroupRule:SecurityGroupRule", "c-api-ci-runner")
	assert.Equal(t, "ingress", rule.Inputs["type"].StringValue())
	assert.Equal(t, "sg-runner", rule.Inputs["sourceSecurityGroupId"].StringValue())
	assert.EqualValues(t, 443, rule.Inputs["fromPort"].NumberValue())
	assert.EqualValues(t, 443, rule.Inputs["toPort"].NumberValue())
	assert.Contains(t, rule.PropertyDependencies["securityGroupId"], api.URN)
	assert.Contains(t, cp.DependsOn, rule.URN, "the rule exists before pulumi-eks creates its StorageClass through the API")
}
