package standin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	require.NoError(t, err)
	return s
}

func decode(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	require.NoError(t, err)
	return m
}

const ngURN = "urn:pulumi:dev::platform::eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::dev-gpu-inference-a"

func goodNodeGroup() map[string]any {
	return map[string]any{
		"clusterName":   "dev",
		"nodeRoleArn":   "arn:aws:iam::123456789012:role/node",
		"subnetIds":     []any{"subnet-1", "subnet-2"},
		"amiType":       "AL2023_x86_64_NVIDIA",
		"capacityType":  "SPOT",
		"instanceTypes": []any{"g5.xlarge", "g6.xlarge"},
		"scalingConfig": map[string]any{"minSize": 0, "desiredSize": 0, "maxSize": 2},
		"taints":        []any{map[string]any{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}},
	}
}

func failuresOf(resp *pulumirpc.CheckResponse) []string {
	var out []string
	for _, f := range resp.GetFailures() {
		out = append(out, f.GetProperty()+": "+f.GetReason())
	}
	return out
}

func TestCheckAcceptsAValidGPUNodeGroup(t *testing.T) {
	p := New("aws")
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: ngURN, News: props(t, goodNodeGroup())})
	require.NoError(t, err)
	assert.Empty(t, failuresOf(resp))
	// Autonaming fills the node group name deterministically.
	checked := decode(t, resp.GetInputs())
	name, ok := getString(checked, "nodeGroupName")
	require.True(t, ok)
	assert.True(t, strings.HasPrefix(name, "dev-gpu-inference-a-"), name)
}

func TestCheckReportsEveryProblemWithItsPath(t *testing.T) {
	in := goodNodeGroup()
	in["amiType"] = "AL2_GPU_TYPO"
	in["capacityType"] = "CHEAP"
	in["instanceTypes"] = []any{"g5.xlarge", "g5.huge"}
	in["taints"] = []any{map[string]any{"key": "nvidia.com/gpu", "effect": "NoSchedule"}}
	in["scalingConfig"] = map[string]any{"minSize": 3, "desiredSize": 1, "maxSize": 2}
	delete(in, "nodeRoleArn")

	resp, err := New("aws").Check(context.Background(), &pulumirpc.CheckRequest{Urn: ngURN, News: props(t, in)})
	require.NoError(t, err)
	got := strings.Join(failuresOf(resp), "\n")
	for _, want := range []string{
		`amiType: stand-in check: "AL2_GPU_TYPO" is not a valid EKS AMI type`,
		`AL2023_x86_64_NVIDIA`, // the allowed list is named
		`capacityType: stand-in check: "CHEAP" is not a valid EKS capacity type (allowed: CAPACITY_BLOCK, ON_DEMAND, SPOT)`,
		`instanceTypes[1]: stand-in check: "g5.huge" is not an EC2 instance type`,
		`taints[0].effect: stand-in check: "NoSchedule" is not a valid EKS taint effect (allowed: NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE)`,
		`scalingConfig.minSize: stand-in check: 3 is greater than maxSize 2`,
		`scalingConfig.desiredSize: stand-in check: 1 is below minSize 3`,
		`nodeRoleArn: stand-in check: is required`,
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "instanceTypes[0]")
}

func TestCheckIgnoresUnknownValues(t *testing.T) {
	in := resource.NewPropertyMapFromMap(goodNodeGroup())
	in["amiType"] = resource.MakeComputed(resource.NewStringProperty(""))
	in["subnetIds"] = resource.MakeComputed(resource.NewStringProperty(""))
	s, err := plugin.MarshalProperties(in, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	resp, err := New("aws").Check(context.Background(), &pulumirpc.CheckRequest{Urn: ngURN, News: s})
	require.NoError(t, err)
	assert.Empty(t, failuresOf(resp))
}

func TestValidateCIDRsARNsAndPolicyDocuments(t *testing.T) {
	tests := []struct {
		typ  string
		in   map[string]any
		want []string
	}{
		{"aws:ec2/vpc:Vpc", map[string]any{"cidrBlock": "10.0.0.1/16"}, []string{`cidrBlock: "10.0.0.1/16" has host bits set; AWS expects "10.0.0.0/16"`}},
		{"aws:ec2/vpc:Vpc", map[string]any{"cidrBlock": "10.0.0.0/33"}, []string{`cidrBlock: "10.0.0.0/33" is not a CIDR block`}},
		{"aws:ec2/vpc:Vpc", map[string]any{}, []string{"cidrBlock: is required"}},
		{"aws:ec2/vpc:Vpc", map[string]any{"cidrBlock": "10.0.0.0/16"}, nil},
		{"aws:eks/cluster:Cluster", map[string]any{
			"roleArn":                "not-an-arn",
			"vpcConfig":              map[string]any{"subnetIds": []any{"s"}, "publicAccessCidrs": []any{"203.0.113.0/24", "1.2.3.4"}},
			"enabledClusterLogTypes": []any{"api", "audits"},
			"accessConfig":           map[string]any{"authenticationMode": "IAM"},
		}, []string{
			`accessConfig.authenticationMode: "IAM" is not a valid EKS authentication mode`,
			`enabledClusterLogTypes[1]: "audits" is not a valid EKS control-plane log type (allowed: api, audit, authenticator, controllerManager, scheduler)`,
			`roleArn: "not-an-arn" is not an ARN`,
			`vpcConfig.publicAccessCidrs[1]: "1.2.3.4" is not a CIDR block`,
		}},
		{"aws:iam/role:Role", map[string]any{"assumeRolePolicy": `{"Statement":[{"Effect":"Permit"}]}`}, []string{
			`assumeRolePolicy.Statement[0].Effect: "Permit" is not Allow or Deny`,
		}},
		{"aws:iam/role:Role", map[string]any{"assumeRolePolicy": `{`}, []string{"assumeRolePolicy: is not a JSON policy document"}},
		{"aws:ec2/launchTemplate:LaunchTemplate", map[string]any{
			"instanceType":        "m7i.large",
			"metadataOptions":     map[string]any{"httpTokens": "mandatory", "httpPutResponseHopLimit": 0},
			"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"volumeType": "gp4"}}},
		}, []string{
			`blockDeviceMappings[0].ebs.volumeType: "gp4" is not a valid EBS volume type`,
			`metadataOptions.httpPutResponseHopLimit: 0 is outside the allowed range 1..64`,
			`metadataOptions.httpTokens: "mandatory" is not a valid IMDS http tokens state (allowed: optional, required)`,
		}},
		{"aws:cloudwatch/logGroup:LogGroup", map[string]any{"retentionInDays": 45}, []string{"retentionInDays: 45 is not a CloudWatch Logs retention period"}},
		// Server access logging of the observability buckets (aws:s3 BucketLoggingV2, SSE-S3 destination).
		{"aws:s3/bucketLoggingV2:BucketLoggingV2", map[string]any{
			"bucket": "logs", "targetBucket": "access-logs", "targetPrefix": "logs/",
			"targetObjectKeyFormat": map[string]any{"partitionedPrefix": map[string]any{"partitionDateSource": "EventTime"}},
		}, nil},
		{"aws:s3/bucketLoggingV2:BucketLoggingV2", map[string]any{
			"bucket": "logs", "targetObjectKeyFormat": map[string]any{"partitionedPrefix": map[string]any{"partitionDateSource": "ArrivalTime"}},
		}, []string{
			`targetBucket: is required`,
			`targetObjectKeyFormat.partitionedPrefix.partitionDateSource: "ArrivalTime" is not a valid S3 access log partition date source (allowed: DeliveryTime, EventTime)`,
			`targetPrefix: is required`,
		}},
		{"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", map[string]any{
			"bucket": "access-logs", "rules": []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}}},
		}, nil},
		{"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", map[string]any{
			"bucket": "access-logs", "rules": []any{
				map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256", "kmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/x"}},
				map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "SSE-S3"}},
			},
		}, []string{
			`rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId: a KMS key is allowed only with sseAlgorithm aws:kms or aws:kms:dsse`,
			`rules[1].applyServerSideEncryptionByDefault.sseAlgorithm: "SSE-S3" is not a valid S3 default encryption algorithm (allowed: AES256, aws:kms, aws:kms:dsse)`,
		}},
		{"aws:s3/bucketOwnershipControls:BucketOwnershipControls", map[string]any{"bucket": "b", "rule": map[string]any{"objectOwnership": "BucketOwner"}},
			[]string{`rule.objectOwnership: "BucketOwner" is not a valid S3 object ownership`}},
		// Tags are free-form: an ARN-looking key inside them is not checked.
		{"aws:ec2/vpc:Vpc", map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"ownerArn": "team-a"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			var got []string
			for _, f := range Validate(tt.typ, resource.NewPropertyMapFromMap(tt.in)) {
				got = append(got, f.String())
			}
			require.Len(t, got, len(tt.want), strings.Join(got, "\n"))
			for i, w := range tt.want {
				assert.Contains(t, got[i], w)
			}
		})
	}
}

func TestProviderConfigRejectsStaticCredentialsAndBadRegions(t *testing.T) {
	resp, err := New("aws").CheckConfig(context.Background(), &pulumirpc.CheckRequest{
		Urn:  "urn:pulumi:dev::platform::pulumi:providers:aws::aws",
		News: props(t, map[string]any{"region": "Frankfurt", "accessKey": "AKIA..."}),
	})
	require.NoError(t, err)
	got := strings.Join(failuresOf(resp), "\n")
	assert.Contains(t, got, `region: "Frankfurt" is not an AWS region`)
	assert.Contains(t, got, "accessKey: static credentials")
}

const vpcURN = "urn:pulumi:dev::platform::platform:network:Network$aws:ec2/vpc:Vpc::dev-network-vpc"

func TestDiffHasNoPerpetualChangesAndReplacesWhatAWSCannotUpdate(t *testing.T) {
	p := New("aws")
	old := map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"Name": "dev"}}
	same, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: vpcURN, OldInputs: props(t, old), Olds: props(t, map[string]any{"cidrBlock": "10.0.0.0/16", "arn": "arn:aws:ec2:..."}),
		News: props(t, old),
	})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, same.GetChanges())

	// Secret-wrapping an unchanged value is not a change.
	secretNews := resource.NewPropertyMapFromMap(old)
	secretNews["cidrBlock"] = resource.MakeSecret(secretNews["cidrBlock"])
	sn, err := plugin.MarshalProperties(secretNews, plugin.MarshalOptions{KeepSecrets: true})
	require.NoError(t, err)
	same, err = p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: vpcURN, OldInputs: props(t, old), News: sn})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, same.GetChanges())

	changed, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: vpcURN, OldInputs: props(t, old),
		News: props(t, map[string]any{"cidrBlock": "10.1.0.0/16", "tags": map[string]any{"Name": "dev2"}}),
	})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, changed.GetChanges())
	assert.Equal(t, []string{"cidrBlock", "tags"}, changed.GetDiffs())
	assert.Equal(t, []string{"cidrBlock"}, changed.GetReplaces())
}

func TestCreateIsDeterministicAndUnknownInPreview(t *testing.T) {
	p := New("aws")
	_, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: props(t, map[string]any{
		"region":      "eu-west-1",
		"defaultTags": map[string]any{"tags": map[string]any{"Environment": "dev", "ManagedBy": "pulumi"}},
	})})
	require.NoError(t, err)
	in := props(t, map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"Name": "dev-vpc"}})

	pre, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: vpcURN, Properties: in, Preview: true})
	require.NoError(t, err)
	preOut := decode(t, pre.GetProperties())
	assert.True(t, preOut["arn"].IsComputed(), "arn must be unknown during preview, as with a real provider")
	assert.Equal(t, "10.0.0.0/16", preOut["cidrBlock"].StringValue())

	a, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: vpcURN, Properties: in})
	require.NoError(t, err)
	b, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: vpcURN, Properties: in})
	require.NoError(t, err)
	assert.Equal(t, a.GetId(), b.GetId())
	assert.True(t, strings.HasPrefix(a.GetId(), "vpc-"), a.GetId())
	out := decode(t, a.GetProperties())
	assert.Equal(t, "arn:aws:ec2:eu-west-1:123456789012:vpc/"+a.GetId(), out["arn"].StringValue())
	tags := out["tagsAll"].ObjectValue()
	assert.Equal(t, "dev", tags["Environment"].StringValue())
	assert.Equal(t, "dev-vpc", tags["Name"].StringValue())
}

func TestEksClusterOutputsMatchTheGetClusterDataSource(t *testing.T) {
	p := New("aws")
	urn := "urn:pulumi:dev::platform::eks:index:Cluster$aws:eks/cluster:Cluster::dev-eksCluster"
	created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: props(t, map[string]any{
		"name": "dev", "roleArn": "arn:aws:iam::123456789012:role/eks", "vpcConfig": map[string]any{"subnetIds": []any{"subnet-1"}},
	})})
	require.NoError(t, err)
	out := decode(t, created.GetProperties())
	issuer, ok := get(out, "identities")
	require.True(t, ok)
	createdIssuer := issuer.ArrayValue()[0].ObjectValue()["oidcs"].ArrayValue()[0].ObjectValue()["issuer"].StringValue()
	assert.True(t, strings.HasPrefix(createdIssuer, "https://oidc.eks.us-east-1.amazonaws.com/id/"), createdIssuer)
	sg, _ := getString(out, "vpcConfig.clusterSecurityGroupId")
	assert.True(t, strings.HasPrefix(sg, "sg-"))

	inv, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:eks/getCluster:getCluster", Args: props(t, map[string]any{"name": "dev"})})
	require.NoError(t, err)
	ret := decode(t, inv.GetReturn())
	assert.Equal(t, createdIssuer, ret["identities"].ArrayValue()[0].ObjectValue()["oidcs"].ArrayValue()[0].ObjectValue()["issuer"].StringValue())
	assert.Equal(t, sg, ret["vpcConfigs"].ArrayValue()[0].ObjectValue()["clusterSecurityGroupId"].StringValue())
}

func TestPolicyDocumentRendersIAMJSON(t *testing.T) {
	inv, err := New("aws").Invoke(context.Background(), &pulumirpc.InvokeRequest{
		Tok: "aws:iam/getPolicyDocument:getPolicyDocument",
		Args: props(t, map[string]any{"statements": []any{map[string]any{
			"effect":     "Allow",
			"actions":    []any{"sts:AssumeRoleWithWebIdentity"},
			"principals": []any{map[string]any{"type": "Federated", "identifiers": []any{"arn:aws:iam::123456789012:oidc-provider/oidc.eks"}}},
			"conditions": []any{map[string]any{"test": "StringEquals", "variable": "oidc.eks:sub", "values": []any{"system:serviceaccount:kube-system:autoscaler"}}},
		}}}),
	})
	require.NoError(t, err)
	require.Empty(t, inv.GetFailures())
	ret := decode(t, inv.GetReturn())
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(ret["json"].StringValue()), &doc))
	assert.Equal(t, "2012-10-17", doc["Version"])
	st := doc["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, "sts:AssumeRoleWithWebIdentity", st["Action"])
	assert.Equal(t, map[string]any{"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks"}, st["Principal"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"oidc.eks:sub": "system:serviceaccount:kube-system:autoscaler"}}, st["Condition"])
	assert.NotContains(t, ret["minifiedJson"].StringValue(), "\n")
}

func TestUnknownInvokeFailsNamingTheToken(t *testing.T) {
	_, err := New("aws").Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:ec2/getAmi:getAmi", Args: props(t, map[string]any{})})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `data source "aws:ec2/getAmi:getAmi" is not implemented offline`)
}

func TestRandomPasswordIsASecret(t *testing.T) {
	out, err := New("random").Create(context.Background(), &pulumirpc.CreateRequest{
		Urn:        "urn:pulumi:dev::platform::random:index/randomPassword:RandomPassword::grafana-admin",
		Properties: props(t, map[string]any{"length": 24}),
	})
	require.NoError(t, err)
	m := decode(t, out.GetProperties())
	require.True(t, m["result"].IsSecret())
	assert.Len(t, m["result"].SecretValue().Element.StringValue(), 24)
}

func TestProviderConfigSentAsJSONStringsIsDecoded(t *testing.T) {
	p := New("aws")
	_, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: props(t, map[string]any{
		"region":      "eu-central-1",
		"defaultTags": `{"tags":{"Owner":"platform-team"}}`,
	})})
	require.NoError(t, err)
	out, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: vpcURN, Properties: props(t, map[string]any{"cidrBlock": "10.0.0.0/16"})})
	require.NoError(t, err)
	m := decode(t, out.GetProperties())
	assert.Equal(t, "platform-team", m["tagsAll"].ObjectValue()["Owner"].StringValue())
	assert.Contains(t, m["arn"].StringValue(), ":eu-central-1:")
}

func TestTLSOutputsTheProgramChainsTogether(t *testing.T) {
	p := New("tls")
	for typ, key := range map[string]string{
		"tls:index/privateKey:PrivateKey":               "privateKeyPem",
		"tls:index/certRequest:CertRequest":             "certRequestPem",
		"tls:index/selfSignedCert:SelfSignedCert":       "certPem",
		"tls:index/locallySignedCert:LocallySignedCert": "certPem",
	} {
		out, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
			Urn:        "urn:pulumi:dev::platform::" + typ + "::vault-tls",
			Properties: props(t, map[string]any{}),
		})
		require.NoError(t, err)
		v, ok := decode(t, out.GetProperties())[resource.PropertyKey(key)]
		require.True(t, ok, "%s.%s", typ, key)
		assert.Contains(t, unwrap(v).StringValue(), "-----BEGIN ", "%s.%s", typ, key)
	}
}

// Node group labels become Kubernetes node labels: EKS rejects keys and values the API server would.
func TestNodeGroupLabelsFollowTheAPIServerRules(t *testing.T) {
	ng := goodNodeGroup()
	ng["labels"] = map[string]any{"platform.io/gpu-model": "L4", "nvidia.com/gpu.present": "true", "bad key": "x"}
	assert.Len(t, Validate("aws:eks/nodeGroup:NodeGroup", resource.NewPropertyMapFromMap(ng)), 1)
}
