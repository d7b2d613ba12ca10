package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stack is a raw stack configuration as Pulumi hands it over: structured values as JSON.
type stack map[string]any

func (s stack) get(key string) (string, bool) {
	v, ok := s[key]
	if !ok {
		return "", false
	}
	if str, isStr := v.(string); isStr {
		return str, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b), true
}

// source is s as Parse receives it from Load, for a stack named after its environment.
func (s stack) source() Source {
	name, _ := s["environment"].(string)
	return Source{Stack: name, Config: s.engineConfig()}
}

type obj = map[string]any

// validStack is a minimal correct configuration for env; each case breaks one thing.
func validStack(env Environment) stack {
	endpoint := obj{"publicAccess": true, "publicAccessCidrs": []string{"203.0.113.0/24"}}
	if env == Prod {
		endpoint = obj{"publicAccess": false, "ciRunner": obj{
			"repository":    "platform-team/platform",
			"connectionArn": "arn:aws:codeconnections:us-west-2:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab",
		}}
	}
	pool := obj{"instanceTypes": []string{"g6.xlarge"}, "maxSize": 2}
	return stack{
		"environment": string(env),
		"aws":         obj{"region": "us-west-2", "allowedAccountIds": []string{"123456789012"}},
		"tags":        obj{"owner": "platform-team", "costCenter": "cc-1234"},
		"network":     obj{"cidr": "10.10.0.0/16"},
		"cluster": obj{
			"kubernetesVersion":  "1.34",
			"endpoint":           endpoint,
			"adminPrincipalArns": []string{"arn:aws:iam::123456789012:role/platform-admin"},
		},
		"gpuPools": obj{"inference-a": pool},
	}
}

func section(s stack, key string) obj { return s[key].(obj) }

func problemsOf(t *testing.T, s stack) []string {
	t.Helper()
	_, err := Parse(s.source())
	if err == nil {
		return nil
	}
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want *ValidationError, got %T: %v", err, err)
	out := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		out[i] = p.String()
	}
	return out
}

func TestEveryEnvironmentsMinimalConfigIsValid(t *testing.T) {
	for _, env := range Environments {
		t.Run(string(env), func(t *testing.T) {
			assert.Empty(t, problemsOf(t, validStack(env)))
		})
	}
}

func TestInvalidConfigurationIsRejectedWithItsPath(t *testing.T) {
	cases := []struct {
		name   string
		env    Environment
		mutate func(s stack)
		want   string // a substring of one reported problem, path first
	}{
		{"malformed VPC CIDR", Dev, func(s stack) { section(s, "network")["cidr"] = "10.10.0.0/33" }, `network.cidr: "10.10.0.0/33" is not a CIDR`},
		{"VPC CIDR with host bits", Dev, func(s stack) { section(s, "network")["cidr"] = "10.10.1.0/16" }, "network.cidr: \"10.10.1.0/16\" has host bits set; did you mean 10.10.0.0/16?"},
		{"public VPC CIDR", Dev, func(s stack) { section(s, "network")["cidr"] = "8.8.0.0/16" }, "network.cidr: 8.8.0.0/16 is not in RFC 1918"},
		{"service CIDR overlapping the VPC", Dev, func(s stack) {
			section(s, "network")["cidr"] = "172.20.0.0/16"
		}, "cluster.serviceCidr: 172.20.0.0/16 overlaps the VPC CIDR 172.20.0.0/16"},
		{"VPC too small for its subnets", Staging, func(s stack) {
			section(s, "network")["cidr"] = "10.10.0.0/24"
			section(s, "network")["subnetNewBits"] = obj{"private": 2, "public": 3, "intra": 3}
			section(s, "network")["azCount"] = 3
		}, "network.cidr: too small for the requested subnets"},
		{"subnets smaller than AWS allows", Dev, func(s stack) {
			section(s, "network")["cidr"] = "10.10.0.0/24"
		}, "network.cidr: too small for the requested subnets: public subnets would be /30"},
		{"more AZs than the subnet layout reserves", Staging, func(s stack) { section(s, "network")["azCount"] = 5 },
			"network.azCount: must be between 1 and 4 (each subnet tier reserves room for 4 AZs"},
		{"VPC that fits two AZs but cannot grow to four", Dev, func(s stack) {
			section(s, "network")["subnetNewBits"] = obj{"private": 2, "public": 4, "intra": 4}
		}, "network.cidr: too small for the requested subnets: a /16 VPC has room for 65536 addresses but private /18, public /20 and intra /20 subnets, reserved for 4 AZs"},
		{"cluster name with capitals, which S3 bucket names refuse", Dev, func(s stack) { section(s, "cluster")["name"] = "Platform-Dev" },
			`cluster.name: "Platform-Dev" must be lowercase letters, digits and hyphens`},
		{"cluster name too long for the cluster-autoscaler IAM role", Dev, func(s stack) {
			section(s, "cluster")["name"] = "platform-dev-eu-west-1"
		}, `cluster.name: "platform-dev-eu-west-1" is 22 characters; at most 20 fit every name derived from it: IAM role of cluster-autoscaler (components/autoscaling) would be 66 characters (limit 64)`},
		{"cluster name S3 refuses at the start of a bucket name", Dev, func(s stack) { section(s, "cluster")["name"] = "xn--platform" },
			`cluster.name: "xn--platform" starts with "xn--"`},
		{"GPU pool whose node group name would pass EKS's 63", Dev, func(s stack) {
			section(s, "cluster")["name"] = "platform-dev-euw1-ab"
			section(s, "gpuPools")["inference-with-a-long-pool-name"] = section(s, "gpuPools")["inference-a"]
		}, "gpuPools.inference-with-a-long-pool-name: node group name platform-dev-euw1-ab-gpu-inference-with-a-long-pool-name plus Pulumi's 8-character suffix would be 64 characters; EKS allows 63"},
		{"fewer AZs than prod requires", Prod, func(s stack) { section(s, "network")["azCount"] = 2 }, "network.azCount: must be >= 3 in this environment, got 2"},
		{"single NAT in prod", Prod, func(s stack) { section(s, "network")["natGateways"] = "single" }, `network.natGateways: must be "perAz" in this environment`},
		{"unknown NAT strategy", Dev, func(s stack) { section(s, "network")["natGateways"] = "none" }, `network.natGateways: "none" is not supported`},
		{"unbounded flow log retention", Dev, func(s stack) { section(s, "network")["flowLogRetentionDays"] = 10 }, "network.flowLogRetentionDays: 10 is not a CloudWatch Logs retention"},
		{"GPU pool on a CPU instance type", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["instanceTypes"] = []string{"m6i.large"}
		}, `gpuPools.inference-a.instanceTypes[0]: "m6i.large" has no NVIDIA GPU`},
		{"GPU pool on a made-up instance type", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["instanceTypes"] = []string{"g9.huge"}
		}, `gpuPools.inference-a.instanceTypes[0]: "g9.huge" is not an EC2 instance type`},
		{"min greater than max", Staging, func(s stack) {
			p := section(s, "gpuPools")["inference-a"].(obj)
			p["minSize"], p["maxSize"] = 3, 2
		}, "gpuPools.inference-a.maxSize: must be >= minSize (3), got 2"},
		{"desired outside [min,max]", Staging, func(s stack) {
			p := section(s, "gpuPools")["inference-a"].(obj)
			p["minSize"], p["desiredSize"], p["maxSize"] = 1, 5, 2
		}, "gpuPools.inference-a.desiredSize: must be within [minSize, maxSize] = [1, 2], got 5"},
		{"unknown capacity type", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["capacityType"] = "RESERVED"
		}, `gpuPools.inference-a.capacityType: "RESERVED" is not an EKS capacity type`},
		{"unknown AMI type", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["amiType"] = "UBUNTU_GPU"
		}, `gpuPools.inference-a.amiType: "UBUNTU_GPU" is not an EKS AMI type`},
		{"AMI type without NVIDIA drivers", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["amiType"] = "AL2023_x86_64_STANDARD"
		}, `gpuPools.inference-a.amiType: "AL2023_x86_64_STANDARD" has no NVIDIA driver`},
		{"unknown log type", Staging, func(s stack) {
			section(s, "cluster")["logTypes"] = []string{"api", "audit", "authenticator", "kubelet"}
		}, `cluster.logTypes[3]: "kubelet" is not an EKS log type`},
		{"prod without every log type", Prod, func(s stack) {
			section(s, "cluster")["logTypes"] = []string{"api", "audit"}
		}, `cluster.logTypes: must include "authenticator" in prod`},
		{"unsupported Kubernetes version", Dev, func(s stack) { section(s, "cluster")["kubernetesVersion"] = "1.21" }, `cluster.kubernetesVersion: "1.21" is not supported`},
		{"environment outside dev/staging/prod", Dev, func(s stack) { s["environment"] = "qa" }, `environment: "qa" is not supported; use one of dev, staging, prod`},
		{"public endpoint open to the internet", Dev, func(s stack) {
			section(s, "cluster")["endpoint"] = obj{"publicAccess": true, "publicAccessCidrs": []string{"0.0.0.0/0"}}
		}, `cluster.endpoint.publicAccessCidrs[0]: "0.0.0.0/0" opens the API server to the whole internet`},
		{"public endpoint without CIDRs", Staging, func(s stack) {
			section(s, "cluster")["endpoint"] = obj{"publicAccess": true}
		}, "cluster.endpoint.publicAccessCidrs: required when publicAccess is true"},
		{"public endpoint in prod", Prod, func(s stack) {
			section(s, "cluster")["endpoint"] = obj{"publicAccess": true, "publicAccessCidrs": []string{"203.0.113.0/24"}}
		}, "cluster.endpoint.publicAccess: must be false in prod"},
		{"pool named like the system node group", Dev, func(s stack) {
			section(s, "gpuPools")["system"] = obj{"instanceTypes": []string{"g5.xlarge"}, "maxSize": 1}
		}, `gpuPools.system: "system" is reserved for the system node group`},
		{"missing required key", Dev, func(s stack) { delete(s, "network") }, "network: required key platform:network is missing"},
		{"missing required field", Dev, func(s stack) { delete(section(s, "tags"), "costCenter") }, "tags.costCenter: required"},
		{"admin principal that is not an ARN", Dev, func(s stack) {
			section(s, "cluster")["adminPrincipalArns"] = []string{"platform-admins"}
		}, `cluster.adminPrincipalArns[0]: "platform-admins" is not an IAM role or user ARN`},
		{"no admin principal", Dev, func(s stack) { section(s, "cluster")["adminPrincipalArns"] = []string{} }, "cluster.adminPrincipalArns: required"},
		{"misspelled key", Dev, func(s stack) { section(s, "network")["azCont"] = 3 }, `network: unknown field "azCont"`},
		{"wrong value type", Dev, func(s stack) { section(s, "network")["azCount"] = "three" }, "network: azCount: expected int, got string"},
		{"GPU pool without maxSize", Dev, func(s stack) {
			delete(section(s, "gpuPools")["inference-a"].(obj), "maxSize")
		}, "gpuPools.inference-a.maxSize: required"},
		{"dev GPU pool that cannot scale to zero", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["minSize"] = 1
		}, "gpuPools.inference-a.minSize: must be 0 in dev"},
		{"kube-proxy skewed from the control plane", Dev, func(s stack) {
			section(s, "cluster")["addons"] = obj{"kube-proxy": "v1.31.3-eksbuild.2"}
		}, `cluster.addons.kube-proxy: "v1.31.3-eksbuild.2" must match the cluster's minor version 1.34`},
		{"unknown add-on", Dev, func(s stack) { section(s, "cluster")["addons"] = obj{"istio": "v1.0.0-eksbuild.1"} }, "cluster.addons.istio: unknown add-on"},
		{"region that is not a region", Dev, func(s stack) { section(s, "aws")["region"] = "Oregon" }, `aws.region: "Oregon" is not an AWS region name`},
		{"assume-role that is a user", Dev, func(s stack) {
			section(s, "aws")["assumeRoleArn"] = "arn:aws:iam::123456789012:user/ci"
		}, "aws.assumeRoleArn: \"arn:aws:iam::123456789012:user/ci\" is not an IAM role ARN"},
		{"no allowed account ids", Dev, func(s stack) { delete(section(s, "aws"), "allowedAccountIds") }, "aws.allowedAccountIds: required"},
		{"deploy role in another account", Dev, func(s stack) {
			section(s, "aws")["assumeRoleArn"] = "arn:aws:iam::999999999999:role/platform-deployer"
		}, `aws.assumeRoleArn: "arn:aws:iam::999999999999:role/platform-deployer" is in account 999999999999, which aws.allowedAccountIds (123456789012) does not allow`},
		{"read-only role that is the deploy role", Dev, func(s stack) {
			section(s, "aws")["assumeRoleArn"] = "arn:aws:iam::123456789012:role/platform-deployer"
			section(s, "aws")["readOnlyRoleArn"] = "arn:aws:iam::123456789012:role/platform-deployer"
		}, "aws.readOnlyRoleArn: must differ from aws.assumeRoleArn"},
		{"the cluster creator listed as an admin", Staging, func(s stack) {
			section(s, "aws")["assumeRoleArn"] = "arn:aws:iam::123456789012:role/platform-deployer"
			section(s, "cluster")["adminPrincipalArns"] = []string{"arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/platform-deployer"}
		}, `cluster.adminPrincipalArns[1]: "arn:aws:iam::123456789012:role/platform-deployer" is aws.assumeRoleArn, the role that creates the cluster: EKS already gives it an admin access entry`},
		{"the read-only run role listed as a viewer", Staging, func(s stack) {
			section(s, "aws")["readOnlyRoleArn"] = "arn:aws:iam::123456789012:role/platform-readonly"
			section(s, "cluster")["readOnlyPrincipalArns"] = []string{"arn:aws:iam::123456789012:role/platform-readonly"}
		}, `cluster.readOnlyPrincipalArns[0]: "arn:aws:iam::123456789012:role/platform-readonly" is aws.readOnlyRoleArn`},
		{"reserved tag override", Dev, func(s stack) { section(s, "tags")["extra"] = obj{"Environment": "prod"} }, "tags.extra.Environment: is set by the program"},
		{"prod system node group without HA", Prod, func(s stack) {
			section(s, "cluster")["systemNodeGroup"] = obj{"minSize": 1}
		}, "cluster.systemNodeGroup.minSize: must be >= 3 in prod"},
		{"short KMS deletion window in prod", Prod, func(s stack) { section(s, "cluster")["kmsDeletionWindowDays"] = 7 }, "cluster.kmsDeletionWindowDays: must be between 30 and 30 in this environment, got 7"},
		{"reserved label prefix on a pool", Dev, func(s stack) {
			section(s, "gpuPools")["inference-a"].(obj)["labels"] = obj{"nvidia.com/gpu.product": "x"}
		}, "gpuPools.inference-a.labels.nvidia.com/gpu.product: uses a reserved prefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validStack(tc.env)
			tc.mutate(s)
			got := problemsOf(t, s)
			require.NotEmpty(t, got, "configuration should have been rejected")
			found := false
			for _, p := range got {
				found = found || strings.Contains(p, tc.want)
			}
			assert.True(t, found, "want a problem containing\n  %s\ngot:\n  %s", tc.want, strings.Join(got, "\n  "))
		})
	}
	assert.GreaterOrEqual(t, len(cases), 25)
}

func TestDuplicatePoolNamesAreRejected(t *testing.T) {
	s := validStack(Staging)
	raw := `{"inference-a": {"instanceTypes": ["g6.xlarge"], "maxSize": 2}, "inference-a": {"instanceTypes": ["g5.xlarge"], "maxSize": 4}}`
	s["gpuPools"] = raw
	got := problemsOf(t, s)
	assert.Contains(t, got, "gpuPools: duplicate pool names: inference-a; each pool needs a unique name")
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	s := validStack(Prod)
	section(s, "network")["cidr"] = "not-a-cidr"
	section(s, "cluster")["kubernetesVersion"] = "1.10"
	section(s, "gpuPools")["inference-a"].(obj)["capacityType"] = "CHEAP"
	s["environment"] = "prod"
	got := problemsOf(t, s)
	assert.Len(t, got, 3, "got: %v", got)

	_, err := Parse(s.source())
	assert.Contains(t, err.Error(), "invalid stack configuration (3 problems; nothing was created)")
}

func TestDefaultsFollowTheEnvironment(t *testing.T) {
	dev, err := Parse(validStack(Dev).source())
	require.NoError(t, err)
	prod, err := Parse(validStack(Prod).source())
	require.NoError(t, err)

	assert.Equal(t, 2, dev.Network.AZCount)
	assert.Equal(t, NATSingle, dev.Network.NATGateways)
	assert.Equal(t, "SPOT", dev.GPUPools["inference-a"].CapacityType)
	assert.Equal(t, 0, *dev.GPUPools["inference-a"].MinSize, "dev pools scale to zero by default")
	assert.Equal(t, "platform-dev", dev.Cluster.Name)

	assert.Equal(t, 3, prod.Network.AZCount)
	assert.Equal(t, NATPerAZ, prod.Network.NATGateways)
	assert.Equal(t, "ON_DEMAND", prod.GPUPools["inference-a"].CapacityType)
	assert.ElementsMatch(t, AllLogTypes, prod.Cluster.LogTypes)
	assert.Equal(t, 3, *prod.Cluster.SystemNodeGroup.MinSize)
	assert.Equal(t, 365, prod.Network.FlowLogRetentionDays)
	assert.Equal(t, "AL2023_x86_64_NVIDIA", prod.GPUPools["inference-a"].AMIType)
}

func TestHasNvidiaGPU(t *testing.T) {
	for it, want := range map[string]bool{"g6.xlarge": true, "p5.48xlarge": true, "g4dn.xlarge": true, "g4ad.xlarge": false, "g5g.xlarge": false, "m6i.large": false, "g6": false} {
		assert.Equal(t, want, HasNvidiaGPU(it), it)
	}
}

func TestTheProfileDefaultsPerEnvironmentAndMustBeAProfileName(t *testing.T) {
	c := &Config{Environment: Staging}
	ApplyDefaults(c)
	assert.Equal(t, "platform-staging", c.AWS.Profile)
	var ps problems
	validateAWS(&ps, AWS{Region: "us-west-2", AllowedAccountIDs: []string{"123456789012"}, Profile: "prod admin]"})
	require.Len(t, ps, 1)
	assert.Contains(t, ps[0].String(), `aws.profile: "prod admin]" is not a usable AWS profile name`)
}

func TestAPrivateOnlyEndpointNeedsTheCIRunnerAndItsFieldsAreChecked(t *testing.T) {
	s := validStack(Prod)
	delete(section(s, "cluster")["endpoint"].(obj), "ciRunner")
	assert.Equal(t, []string{"cluster.endpoint.ciRunner: required in prod: the API endpoint is private-only, so CI previews and deploys only from a runner inside the VPC; set repository and connectionArn (docs/pipeline.md)"}, problemsOf(t, s))

	s = validStack(Prod)
	section(s, "cluster")["endpoint"].(obj)["ciRunner"] = obj{"repository": "no-slash", "connectionArn": "arn:aws:iam::123456789012:role/x", "computeType": "BUILD_LAMBDA_1GB", "logRetentionDays": -1}
	assert.Equal(t, []string{
		`cluster.endpoint.ciRunner.repository: "no-slash" is not a GitHub repository "owner/name"`,
		`cluster.endpoint.ciRunner.connectionArn: "arn:aws:iam::123456789012:role/x" is not a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)`,
		`cluster.endpoint.ciRunner.computeType: "BUILD_LAMBDA_1GB" is not one of BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE, BUILD_GENERAL1_XLARGE, BUILD_GENERAL1_2XLARGE`,
		"cluster.endpoint.ciRunner.logRetentionDays: must be >= 1, got -1",
	}, problemsOf(t, s))

	s = validStack(Prod)
	section(s, "cluster")["endpoint"].(obj)["ciRunner"].(obj)["allowedActorIds"] = []string{"583231", "octocat"}
	assert.Equal(t, []string{`cluster.endpoint.ciRunner.allowedActorIds[1]: "octocat" is not a numeric GitHub account ID (gh api users/<login> --jq .id)`}, problemsOf(t, s))

	c, err := Parse(validStack(Prod).source())
	require.NoError(t, err)
	r := c.Cluster.Endpoint.CIRunner
	assert.Equal(t, "BUILD_GENERAL1_LARGE", r.ComputeType)
	assert.Equal(t, "aws/codebuild/amazonlinux-x86_64-standard:5.0", r.Image)
	assert.Equal(t, 365, r.LogRetentionDays)
}

// Flow logs go to S3 at ten-minute aggregation unless configured; dev's interface endpoints default to none
// (its NAT gateway is cheaper for its traffic), staging and prod keep the full set.
func TestFlowLogAndEndpointDefaultsPerEnvironment(t *testing.T) {
	for env, endpoints := range map[Environment]int{Dev: 0, Staging: len(DefaultInterfaceEndpoints), Prod: len(DefaultInterfaceEndpoints)} {
		c, err := Parse(validStack(env).source())
		require.NoError(t, err, env)
		assert.Equal(t, FlowLogsToS3, c.Network.FlowLogDestination, env)
		assert.Equal(t, 600, c.Network.FlowLogAggregationSeconds, env)
		assert.Len(t, c.Network.InterfaceEndpoints, endpoints, env)
	}
	s := validStack(Dev)
	section(s, "network")["flowLogDestination"] = "kinesis"
	section(s, "network")["flowLogAggregationSeconds"] = 300
	assert.Equal(t, []string{
		`network.flowLogDestination: "kinesis" is not supported; use "s3" or "cloud-watch-logs"`,
		"network.flowLogAggregationSeconds: must be 60 or 600 (the intervals VPC flow logs offer), got 300",
	}, problemsOf(t, s))
}
