package pack_test

import (
	"github.com/platform-team/platform/policies/pack"
)

const (
	launchTemplate = "aws:ec2/launchTemplate:LaunchTemplate"
	nodeGroup      = "aws:eks/nodeGroup:NodeGroup"
	managedNG      = "eks:index:ManagedNodeGroup"
	subnet         = "aws:ec2/subnet:Subnet"
)

func goodLT() obj {
	return obj{
		"metadataOptions": obj{"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"},
		"blockDeviceMappings": arr{obj{"deviceName": "/dev/xvda",
			"ebs": obj{"encrypted": "true", "volumeType": "gp3", "volumeSize": 100}}},
	}
}

func systemNG() obj {
	return obj{
		"amiType": "AL2023_x86_64_STANDARD", "instanceTypes": arr{"m7i.large"},
		"scalingConfig":  obj{"minSize": 3, "desiredSize": 3, "maxSize": 6},
		"subnetIds":      arr{"subnet-a", "subnet-b", "subnet-c"},
		"launchTemplate": obj{"id": "lt-1", "version": "1"},
	}
}

func gpuNG() obj {
	return obj{
		"amiType": "AL2023_x86_64_NVIDIA", "instanceTypes": arr{"g6e.xlarge"}, "capacityType": "ON_DEMAND",
		"scalingConfig":  obj{"minSize": 0, "desiredSize": 0, "maxSize": 4},
		"subnetIds":      arr{"subnet-a", "subnet-b"},
		"taints":         arr{obj{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}},
		"launchTemplate": obj{"id": "lt-2", "version": "1"},
	}
}

func lt(in obj) []pack.Resource  { return one(mk(launchTemplate, "nodes-lt", in)) }
func ng(in obj) []pack.Resource  { return one(mk(nodeGroup, "pool", in)) }
func mng(in obj) []pack.Resource { return one(mk(managedNG, "pool", in)) }

func init() {
	addTable("launch-template-imdsv2", [3]pack.Level{M, M, M},
		tc{name: "optional-tokens", res: lt(with(goodLT(), "metadataOptions.httpTokens", "optional")), want: violates, msg: `httpTokens is "optional"`},
		tc{name: "hop-limit-2", res: lt(with(goodLT(), "metadataOptions.httpPutResponseHopLimit", 2)), want: violates, msg: "httpPutResponseHopLimit is 2"},
		tc{name: "no-metadata-options", res: lt(with(goodLT(), "metadataOptions", nil)), want: violates},
		tc{name: "mng-without-imdsv2", res: mng(obj{"clusterName": "c", "enableIMDSv2": false}), want: violates, msg: "enableIMDSv2 is false"},
		tc{name: "required-hop-1", res: lt(goodLT()), want: passes},
		tc{name: "mng-imdsv2", res: mng(obj{"clusterName": "c", "enableIMDSv2": true}), want: passes},
		tc{name: "mng-with-template", res: mng(obj{"clusterName": "c", "launchTemplate": obj{"id": "lt-1", "version": "1"}}), want: passes},
		tc{name: "hop-limit-2-allowed-by-config", res: lt(with(goodLT(), "metadataOptions.httpPutResponseHopLimit", 2)),
			cfg: pack.Config{Policies: map[string]pack.PolicyConfig{"launch-template-imdsv2": {Properties: map[string]any{"maxHopLimit": float64(2)}}}}, want: passes},
		tc{name: "unknown", res: lt(with(goodLT(), "metadataOptions", unk)), want: undecided},
	)
	addTable("ebs-encrypted", [3]pack.Level{M, M, M},
		tc{name: "unencrypted", res: lt(with(goodLT(), "blockDeviceMappings", arr{obj{"deviceName": "/dev/xvda", "ebs": obj{"encrypted": "false"}}})), want: violates, msg: `ebs.encrypted is "false"`},
		tc{name: "no-mappings", res: lt(with(goodLT(), "blockDeviceMappings", nil)), want: violates, msg: "no EBS mapping"},
		tc{name: "default-node-group-unencrypted", res: comp(with(goodComponent(), "skipDefaultNodeGroup", false, "nodeRootVolumeEncrypted", false)), want: violates},
		tc{name: "encrypted-string", res: lt(goodLT()), want: passes},
		tc{name: "encrypted-bool", res: lt(with(goodLT(), "blockDeviceMappings", arr{obj{"deviceName": "/dev/xvda", "ebs": obj{"encrypted": true}}})), want: passes},
		tc{name: "component-without-default-group", res: comp(goodComponent()), want: passes},
		tc{name: "unknown", res: lt(with(goodLT(), "blockDeviceMappings", arr{obj{"deviceName": "/dev/xvda", "ebs": obj{"encrypted": unk}}})), want: undecided},
	)
	addTable("nodegroup-no-ssh", [3]pack.Level{A, M, M},
		tc{name: "remote-access", res: ng(with(systemNG(), "remoteAccess", obj{"ec2SshKey": "ops"})), want: violates, msg: "remoteAccess is set"},
		tc{name: "key-pair", res: lt(with(goodLT(), "keyName", "ops")), want: violates, msg: `keyName is "ops"`},
		tc{name: "component-public-key", res: comp(with(goodComponent(), "nodePublicKey", "ssh-ed25519 AAAA")), want: violates},
		tc{name: "none", res: ng(systemNG()), want: passes},
		tc{name: "template-without-key", res: lt(goodLT()), want: passes},
		tc{name: "unknown", res: ng(with(systemNG(), "remoteAccess", unk)), want: undecided},
	)
	addTable("nodegroup-launch-template", [3]pack.Level{A, M, M},
		tc{name: "default-template", res: ng(with(systemNG(), "launchTemplate", nil)), want: violates, msg: "launchTemplate is not set"},
		tc{name: "custom-template", res: ng(systemNG()), want: passes},
		tc{name: "unknown", res: ng(with(systemNG(), "launchTemplate", unk)), want: undecided},
	)
	addTable("no-public-ip-on-launch", [3]pack.Level{M, M, M},
		tc{name: "private-subnet-maps-public", res: one(mk(subnet, "private-a", obj{"mapPublicIpOnLaunch": true, "tags": obj{"kubernetes.io/role/internal-elb": "1"}})), want: violates, msg: "mapPublicIpOnLaunch is true"},
		tc{name: "template-public-ip", res: lt(with(goodLT(), "networkInterfaces", arr{obj{"associatePublicIpAddress": "true"}})), want: violates},
		tc{name: "component-default-group-public", res: comp(with(goodComponent(), "skipDefaultNodeGroup", false, "nodeAssociatePublicIpAddress", true)), want: violates},
		tc{name: "public-subnet", res: one(mk(subnet, "public-a", obj{"mapPublicIpOnLaunch": true, "tags": obj{"kubernetes.io/role/elb": "1"}})), want: passes},
		tc{name: "private-subnet", res: one(mk(subnet, "private-a", obj{"mapPublicIpOnLaunch": false})), want: passes},
		tc{name: "unknown", res: one(mk(subnet, "private-a", obj{"mapPublicIpOnLaunch": unk})), want: undecided},
	)
	addTable("gpu-nodegroup-taint", [3]pack.Level{M, M, M},
		tc{name: "no-taint", res: ng(with(gpuNG(), "taints", nil)), want: violates, msg: "nvidia.com/gpu"},
		tc{name: "wrong-effect", res: ng(with(gpuNG(), "taints", arr{obj{"key": "nvidia.com/gpu", "value": "true", "effect": "PREFER_NO_SCHEDULE"}})), want: violates},
		tc{name: "gpu-by-instance-type", res: mng(obj{"instanceTypes": arr{"p5.48xlarge"}, "amiType": "AL2023_x86_64_STANDARD"}), want: violates},
		tc{name: "tainted", res: ng(gpuNG()), want: passes},
		tc{name: "cpu-pool", res: ng(systemNG()), want: passes},
		tc{name: "unknown-taints", res: ng(with(gpuNG(), "taints", unk)), want: undecided},
		tc{name: "unknown-kind", res: ng(obj{"amiType": unk, "instanceTypes": unk}), want: undecided},
	)
	addTable("gpu-pool-max-size", [3]pack.Level{M, M, M},
		tc{name: "dev-over-cap", env: pack.Dev, res: ng(with(gpuNG(), "scalingConfig.maxSize", 10)), want: violates, msg: "above the dev cap of 4"},
		tc{name: "prod-over-cap", res: ng(with(gpuNG(), "scalingConfig.maxSize", 64)), want: violates},
		tc{name: "within", res: ng(gpuNG()), want: passes},
		tc{name: "prod-allows-more", res: ng(with(gpuNG(), "scalingConfig.maxSize", 10)), want: passes},
		tc{name: "cpu-pool-ignored", env: pack.Dev, res: ng(with(systemNG(), "scalingConfig.maxSize", 50)), want: passes},
		tc{name: "unknown", res: ng(with(gpuNG(), "scalingConfig.maxSize", unk)), want: undecided},
	)
	addTable("gpu-pool-scale-to-zero", [3]pack.Level{M, D, D},
		tc{name: "dev-min-1", env: pack.Dev, res: ng(with(gpuNG(), "scalingConfig.minSize", 1)), want: violates, msg: "scalingConfig.minSize is 1"},
		tc{name: "dev-zero", env: pack.Dev, res: ng(gpuNG()), want: passes},
		tc{name: "prod-min-2-not-checked", res: ng(with(gpuNG(), "scalingConfig.minSize", 2)), want: passes},
		tc{name: "unknown", env: pack.Dev, res: ng(with(gpuNG(), "scalingConfig.minSize", unk)), want: undecided},
	)
	addTable("system-nodegroup-ha", [3]pack.Level{D, A, M},
		tc{name: "single-node", res: ng(with(systemNG(), "scalingConfig.minSize", 1)), want: violates, msg: "scalingConfig.minSize is 1"},
		tc{name: "one-subnet", res: ng(with(systemNG(), "subnetIds", arr{"subnet-a"})), want: violates, msg: "lists 1 subnet"},
		tc{name: "ha", res: ng(systemNG()), want: passes},
		tc{name: "gpu-pool-ignored", res: ng(gpuNG()), want: passes},
		tc{name: "unknown", res: ng(with(systemNG(), "subnetIds", unk)), want: undecided},
	)
}
