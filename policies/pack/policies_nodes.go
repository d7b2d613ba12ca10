package pack

import (
	"fmt"
	"regexp"
	"strings"
)

// Node policies: launch templates, node groups (the program's aws:eks/nodeGroup:NodeGroup and pulumi-eks's
// eks:index:ManagedNodeGroup), GPU pools.

func init() {
	register(
		&Policy{
			ID:          "launch-template-imdsv2",
			Description: "Node launch templates require IMDSv2 with a hop limit of 1, so pods cannot borrow the node role.",
			Group:       "Nodes",
			Types:       []string{tLaunchTemplate, tMNG},
			Components:  []string{tMNG},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Controls:    []Control{eksBP("Security: restrict access to the instance profile assigned to the worker node")},
			Params: []Param{{
				Name: "maxHopLimit", Type: IntParam,
				Description: "Largest allowed metadataOptions.httpPutResponseHopLimit.",
				Default:     same(1),
			}},
			Fix:   "set metadataOptions {httpTokens: \"required\", httpPutResponseHopLimit: 1} (enableIMDSv2=true on eks:index:ManagedNodeGroup).",
			check: checkIMDSv2,
		},
		&Policy{
			ID:          "ebs-encrypted",
			Description: "Node volumes are encrypted: every launch template EBS mapping sets encrypted=true.",
			Group:       "Nodes",
			Types:       []string{tLaunchTemplate, tEKSComponent},
			Components:  []string{tEKSComponent},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "add blockDeviceMappings [{deviceName: \"/dev/xvda\", ebs: {encrypted: \"true\", volumeType: \"gp3\"}}].",
			check:       checkEBSEncrypted,
		},
		&Policy{
			ID:          "nodegroup-no-ssh",
			Description: "Nodes have no SSH access: no remoteAccess on node groups, no key pair on launch templates.",
			Group:       "Nodes",
			Types:       []string{tNodeGroup, tMNG, tLaunchTemplate, tEKSComponent},
			Components:  []string{tMNG, tEKSComponent},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Controls:    []Control{eksBP("Security: minimize access to worker nodes (use SSM Session Manager, not SSH)")},
			Fix:         "remove remoteAccess / keyName / nodePublicKey; use SSM Session Manager for break-glass access.",
			check:       checkNoSSH,
		},
		&Policy{
			ID:          "nodegroup-launch-template",
			Description: "Managed node groups use the platform's launch template (IMDSv2, encrypted gp3 root volume, tags), not EKS's default one.",
			Group:       "Nodes",
			Types:       []string{tNodeGroup},
			Levels:      levels(Advisory, Mandatory, Mandatory),
			Fix:         "pass launchTemplate {id, version} pointing at a template that passes launch-template-imdsv2 and ebs-encrypted.",
			check:       checkNodeGroupLaunchTemplate,
		},
		&Policy{
			ID:          "no-public-ip-on-launch",
			Description: "Nothing in a private subnet gets a public IP: no mapPublicIpOnLaunch outside public subnets, no associatePublicIpAddress on node launch templates.",
			Group:       "Nodes",
			Types:       []string{tSubnet, tLaunchTemplate, tEKSComponent},
			Components:  []string{tEKSComponent},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Controls:    []Control{cis("5.4.3", "Ensure clusters are created with Private Nodes")},
			Params: []Param{{
				Name: "publicSubnetTag", Type: StringParam,
				Description: "Tag key (value \"1\") marking a subnet as public, where mapPublicIpOnLaunch is allowed.",
				Default:     same("kubernetes.io/role/elb"),
			}},
			Fix:   "set mapPublicIpOnLaunch=false on private subnets and drop associatePublicIpAddress / nodeAssociatePublicIpAddress.",
			check: checkNoPublicIP,
		},
		&Policy{
			ID:          "gpu-nodegroup-taint",
			Description: "GPU node groups carry the nvidia.com/gpu NoSchedule taint, so only pods that tolerate it land on GPUs.",
			Group:       "GPU pools",
			Types:       []string{tNodeGroup, tMNG},
			Components:  []string{tMNG},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Fix:         "add taints [{key: \"nvidia.com/gpu\", value: \"true\", effect: \"NO_SCHEDULE\"}].",
			check:       checkGPUTaint,
		},
		&Policy{
			ID:          "gpu-pool-max-size",
			Description: "GPU node groups stay within the environment's node cap (scalingConfig.maxSize).",
			Group:       "GPU pools",
			Types:       []string{tNodeGroup, tMNG},
			Components:  []string{tMNG},
			Levels:      levels(Mandatory, Mandatory, Mandatory),
			Params: []Param{{
				Name: "maxNodes", Type: IntParam,
				Description: "Largest scalingConfig.maxSize a single GPU node group may have.",
				Default:     perEnv(4, 8, 32),
			}},
			Fix:   "lower scalingConfig.maxSize, or raise maxNodes for this environment in policies/config/<env>.json with a reviewed reason.",
			check: checkGPUMaxSize,
		},
		&Policy{
			ID:          "gpu-pool-scale-to-zero",
			Description: "In dev, GPU node groups scale to zero when idle (scalingConfig.minSize = 0).",
			Group:       "GPU pools",
			Types:       []string{tNodeGroup, tMNG},
			Components:  []string{tMNG},
			Levels:      levels(Mandatory, Disabled, Disabled),
			Fix:         "set scalingConfig.minSize=0; the cluster autoscaler scales the pool up from zero using the node-template tags.",
			check:       checkGPUScaleToZero,
		},
		&Policy{
			ID:          "system-nodegroup-ha",
			Description: "Non-GPU (system) node groups are highly available: at least minNodes nodes over at least minSubnets subnets.",
			Group:       "Nodes",
			Types:       []string{tNodeGroup, tMNG},
			Components:  []string{tMNG},
			Levels:      levels(Disabled, Advisory, Mandatory),
			Controls:    []Control{eksBP("Reliability: run the data plane over multiple Availability Zones")},
			Params: []Param{
				{Name: "minNodes", Type: IntParam, Description: "Smallest allowed scalingConfig.minSize.", Default: same(2)},
				{Name: "minSubnets", Type: IntParam, Description: "Fewest subnets (one per AZ) the group spans.", Default: perEnv(2, 2, 3)},
			},
			Fix:   "raise scalingConfig.minSize and spread subnetIds over the private subnets of every AZ.",
			check: checkSystemHA,
		},
	)
}

func checkIMDSv2(c *checker, r Resource) {
	if r.Type == tMNG {
		if !hasInputs(r) {
			return
		}
		if lt := c.get("launchTemplate"); lt.p != missing {
			return // the referenced template is judged on its own
		}
		v := c.get("enableIMDSv2")
		if !c.requireKnown("enableIMDSv2", v) {
			return
		}
		if b, ok := v.boolean(); !ok || !b {
			c.fail("enableIMDSv2 is %s and no launchTemplate is given, so nodes answer IMDSv1 and pods can read the node role's credentials", v.show())
		}
		return
	}
	tokens := c.get("metadataOptions.httpTokens")
	hop := c.get("metadataOptions.httpPutResponseHopLimit")
	if tokens.p == unknown || hop.p == unknown {
		c.unknown("metadataOptions")
		return
	}
	if s, ok := tokens.str(); !ok || s != "required" {
		c.fail("metadataOptions.httpTokens is %s; it must be \"required\" (IMDSv2 only)", tokens.show())
	}
	limit := c.intParam("maxHopLimit")
	n, ok := hop.number()
	if !ok || int(n) > limit {
		c.fail("metadataOptions.httpPutResponseHopLimit is %s; it must be set to at most %d so containers cannot reach IMDS", hop.show(), limit)
	}
}

func checkEBSEncrypted(c *checker, r Resource) {
	if r.Type == tEKSComponent {
		if !hasInputs(r) {
			return
		}
		skip := c.get("skipDefaultNodeGroup")
		if b, ok := skip.boolean(); ok && b {
			return // no default node group, nothing to encrypt here
		}
		v := c.get("nodeRootVolumeEncrypted")
		if !c.requireKnown("nodeRootVolumeEncrypted", v) {
			return
		}
		if b, ok := v.boolean(); !ok || !b {
			c.fail("nodeRootVolumeEncrypted is %s while the default node group is enabled", v.show())
		}
		return
	}
	bdm := c.get("blockDeviceMappings")
	if !c.requireKnown("blockDeviceMappings", bdm) {
		return
	}
	elems, anyUnknown := bdm.items()
	if anyUnknown {
		c.unknown("blockDeviceMappings")
		return
	}
	encryptedOne := false
	for i, m := range elems {
		ebs := m.field("ebs")
		if ebs.p == missing {
			continue
		}
		enc := ebs.field("encrypted")
		if !c.requireKnown(fmt.Sprintf("blockDeviceMappings[%d].ebs.encrypted", i), enc) {
			return
		}
		dev, _ := m.field("deviceName").str()
		if b, ok := enc.boolean(); !ok || !b {
			c.fail("blockDeviceMappings[%d] (%s).ebs.encrypted is %s; it must be \"true\"", i, dev, enc.show())
			continue
		}
		encryptedOne = true
	}
	if !encryptedOne && len(c.findings) == 0 {
		c.fail("blockDeviceMappings has no EBS mapping, so the root volume comes from the AMI unencrypted (unless the account forces EBS encryption, which this stack does not check)")
	}
}

func checkNoSSH(c *checker, r Resource) {
	switch r.Type {
	case tEKSComponent:
		if !hasInputs(r) {
			return
		}
		if v := c.get("nodePublicKey"); v.p == known {
			c.fail("nodePublicKey is set, so the default node group accepts SSH")
		}
	case tLaunchTemplate:
		v := c.get("keyName")
		if !c.requireKnown("keyName", v) {
			return
		}
		if s, ok := v.str(); ok && s != "" {
			c.fail("keyName is %s, so nodes accept SSH with that key pair", v.show())
		}
	default:
		if r.Type == tMNG && !hasInputs(r) {
			return
		}
		v := c.get("remoteAccess")
		if !c.requireKnown("remoteAccess", v) {
			return
		}
		if v.p == known {
			key := v.field("ec2SshKey")
			c.fail("remoteAccess is set (ec2SshKey %s), so the node group opens SSH", key.show())
		}
	}
}

func checkNodeGroupLaunchTemplate(c *checker, r Resource) {
	v := c.get("launchTemplate")
	if !c.requireKnown("launchTemplate", v) {
		return
	}
	if v.p == missing {
		c.fail("launchTemplate is not set, so EKS's default template applies: IMDS and volume encryption are not the platform's")
	}
}

func checkNoPublicIP(c *checker, r Resource) {
	switch r.Type {
	case tSubnet:
		v := c.get("mapPublicIpOnLaunch")
		if !c.requireKnown("mapPublicIpOnLaunch", v) {
			return
		}
		if b, ok := v.boolean(); !ok || !b {
			return
		}
		tags := c.get("tags")
		if !c.requireKnown("tags", tags) {
			return
		}
		key := c.param("publicSubnetTag").(string)
		if t, ok := tags.key(key).str(); ok && t == "1" {
			return // a public subnet: load balancers and NAT gateways live here
		}
		c.fail("mapPublicIpOnLaunch is true but the subnet is not tagged %s=1 as public, so instances launched here get public IPs", key)
	case tLaunchTemplate:
		nis := c.get("networkInterfaces")
		if !c.requireKnown("networkInterfaces", nis) {
			return
		}
		elems, _ := nis.items()
		for i, ni := range elems {
			v := ni.field("associatePublicIpAddress")
			if !c.requireKnown(fmt.Sprintf("networkInterfaces[%d].associatePublicIpAddress", i), v) {
				continue
			}
			if b, ok := v.boolean(); ok && b {
				c.fail("networkInterfaces[%d].associatePublicIpAddress is %s, so nodes get public IPs", i, v.show())
			}
		}
	case tEKSComponent:
		if !hasInputs(r) {
			return
		}
		skip := c.get("skipDefaultNodeGroup")
		if b, ok := skip.boolean(); ok && b {
			return
		}
		v := c.get("nodeAssociatePublicIpAddress")
		if b, ok := v.boolean(); ok && b {
			c.fail("nodeAssociatePublicIpAddress is true, so default node group workers get public IPs")
		}
	}
}

// gpuFamily matches EC2 accelerated-computing families with NVIDIA GPUs (g4dn, g5, g6e, p4d, p5, ...).
var gpuFamily = regexp.MustCompile(`^(g[0-9]|p[0-9])`)

// gpuState classifies a node group: gpu, not gpu, or unknown (undecided).
func gpuState(c *checker) (isGPU bool, decided bool) {
	ami := c.get("amiType")
	if s, ok := ami.str(); ok && (strings.Contains(s, "NVIDIA") || strings.Contains(s, "GPU")) {
		return true, true
	}
	labels := c.get("labels")
	if labels.p == known {
		keys, _ := labels.object()
		for _, k := range keys {
			if k == "nvidia.com/gpu" || k == "nvidia.com/gpu.present" {
				return true, true
			}
		}
	}
	types := c.get("instanceTypes")
	if ami.p == unknown || types.p == unknown {
		return false, false
	}
	list, ok := types.strings()
	if !ok && types.p == known {
		return false, false
	}
	for _, t := range list {
		if gpuFamily.MatchString(t) {
			return true, true
		}
	}
	return false, true
}

func checkGPUTaint(c *checker, r Resource) {
	if !isGPUGroup(c, r) {
		return
	}
	taints := c.get("taints")
	if !c.requireKnown("taints", taints) {
		return
	}
	elems, anyUnknown := taints.items()
	if anyUnknown {
		c.unknown("taints")
		return
	}
	for _, t := range elems {
		k, _ := t.field("key").str()
		e, _ := t.field("effect").str()
		if k == "nvidia.com/gpu" && e == "NO_SCHEDULE" {
			return
		}
	}
	c.fail("GPU node group has taints %s without {key: \"nvidia.com/gpu\", effect: \"NO_SCHEDULE\"}, so any pod can land on (and hold) expensive GPU nodes", taints.show())
}

func checkGPUMaxSize(c *checker, r Resource) {
	if !isGPUGroup(c, r) {
		return
	}
	v := c.get("scalingConfig.maxSize")
	if !c.requireKnown("scalingConfig.maxSize", v) {
		return
	}
	limit := c.intParam("maxNodes")
	n, ok := v.number()
	if !ok {
		c.fail("scalingConfig.maxSize is %s; a GPU pool must state its maximum (cap %d in %s)", v.show(), limit, c.env)
		return
	}
	if int(n) > limit {
		c.fail("scalingConfig.maxSize is %s, above the %s cap of %d GPU nodes per pool", v.show(), c.env, limit)
	}
}

func checkGPUScaleToZero(c *checker, r Resource) {
	if !isGPUGroup(c, r) {
		return
	}
	v := c.get("scalingConfig.minSize")
	if !c.requireKnown("scalingConfig.minSize", v) {
		return
	}
	if n, ok := v.number(); !ok || n != 0 {
		c.fail("scalingConfig.minSize is %s; idle GPU nodes in %s cost money for nothing, so the pool must scale to zero", v.show(), c.env)
	}
}

func checkSystemHA(c *checker, r Resource) {
	if r.Type == tMNG && !hasInputs(r) {
		return
	}
	gpu, decided := gpuState(c)
	if !decided {
		c.unknown("amiType/instanceTypes")
		return
	}
	if gpu {
		return
	}
	minSize := c.get("scalingConfig.minSize")
	if c.requireKnown("scalingConfig.minSize", minSize) {
		want := c.intParam("minNodes")
		if n, ok := minSize.number(); !ok || int(n) < want {
			c.fail("scalingConfig.minSize is %s; system node groups need at least %d nodes so one node's loss does not take down CoreDNS and controllers", minSize.show(), want)
		}
	}
	subnets := c.get("subnetIds")
	if c.requireKnown("subnetIds", subnets) {
		want := c.intParam("minSubnets")
		elems, _ := subnets.items()
		if len(elems) < want {
			c.fail("subnetIds lists %d subnet(s); spread the group over at least %d (one per AZ)", len(elems), want)
		}
	}
}

// isGPUGroup reports whether r is a GPU node group the GPU policies should judge: not a remote component
// registered without inputs (its children are judged instead), and decidably GPU (an undecidable one is
// recorded as unknown).
func isGPUGroup(c *checker, r Resource) bool {
	if r.Type == tMNG && !hasInputs(r) {
		return false
	}
	gpu, decided := gpuState(c)
	if !decided {
		c.unknown("amiType/instanceTypes")
		return false
	}
	return gpu
}
