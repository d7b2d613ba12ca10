package config

import "fmt"

// ApplyDefaults fills every unset field with its documented default for c.Environment. It is the only place
// defaults live; validation runs after it and sees the effective configuration.
func ApplyDefaults(c *Config) {
	prod := c.Environment == Prod
	dev := c.Environment == Dev
	req := RequirementsFor(c.Environment)

	if c.AWS.Profile == "" {
		c.AWS.Profile = fmt.Sprintf("platform-%s", c.Environment)
	}

	n := &c.Network
	if n.AZCount == 0 {
		n.AZCount = req.MinAZs
	}
	if n.NATGateways == "" {
		n.NATGateways = pick(dev, NATSingle, NATPerAZ)
	}
	if n.SubnetNewBits.Private == 0 {
		n.SubnetNewBits.Private = 3
	}
	if n.SubnetNewBits.Public == 0 {
		n.SubnetNewBits.Public = 6
	}
	if n.SubnetNewBits.Intra == 0 {
		n.SubnetNewBits.Intra = 6
	}
	if n.FlowLogRetentionDays == 0 {
		n.FlowLogRetentionDays = retentionDays(c.Environment)
	}
	if n.FlowLogDestination == "" {
		n.FlowLogDestination = FlowLogsToS3
	}
	if n.FlowLogAggregationSeconds == 0 {
		n.FlowLogAggregationSeconds = 600
	}
	if n.InterfaceEndpoints == nil {
		// dev has a NAT gateway and little traffic to AWS APIs: ten endpoints in two AZs cost more each month
		// than the NAT and the control plane together, and save only NAT processing on a few GB (README,
		// "Idle cost"). Image layers come through the free S3 gateway endpoint either way.
		n.InterfaceEndpoints = []string{}
		if !dev {
			n.InterfaceEndpoints = append([]string(nil), DefaultInterfaceEndpoints...)
		}
	}

	cl := &c.Cluster
	if cl.Name == "" {
		cl.Name = fmt.Sprintf("platform-%s", c.Environment)
	}
	if cl.ServiceCIDR == "" {
		cl.ServiceCIDR = "172.20.0.0/16"
	}
	if cl.LogTypes == nil {
		cl.LogTypes = pick(prod, AllLogTypes, []string{"api", "audit", "authenticator"})
	}
	if cl.LogRetentionDays == 0 {
		cl.LogRetentionDays = retentionDays(c.Environment)
	}
	if r := cl.Endpoint.CIRunner; r != nil {
		if r.ComputeType == "" {
			r.ComputeType = "BUILD_GENERAL1_LARGE"
		}
		if r.Image == "" {
			r.Image = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
		}
		if r.LogRetentionDays == 0 {
			r.LogRetentionDays = retentionDays(c.Environment)
		}
	}
	if cl.KMSDeletionWindowDays == 0 {
		cl.KMSDeletionWindowDays = pick(dev, 7, 30)
	}
	if cl.NetworkPolicy.Enforce == nil {
		on := true
		cl.NetworkPolicy.Enforce = &on
	}
	sys := &cl.SystemNodeGroup
	if sys.InstanceTypes == nil {
		sys.InstanceTypes = []string{"m6i.large"}
	}
	if sys.MinSize == nil {
		sys.MinSize = intp(pick(prod, 3, 2))
	}
	if sys.MaxSize == nil {
		sys.MaxSize = intp(pick(prod, 6, 4))
	}
	if sys.DesiredSize == nil {
		sys.DesiredSize = intp(*sys.MinSize)
	}
	if sys.DiskSizeGiB == 0 {
		sys.DiskSizeGiB = 50
	}

	for key, p := range c.GPUPools {
		if p.AMIType == "" {
			p.AMIType = "AL2023_x86_64_NVIDIA"
		}
		if p.CapacityType == "" {
			p.CapacityType = pick(dev, "SPOT", "ON_DEMAND")
		}
		if p.MinSize == nil {
			p.MinSize = intp(0)
		}
		if p.DesiredSize == nil {
			p.DesiredSize = intp(*p.MinSize)
		}
		if p.DiskSizeGiB == 0 {
			p.DiskSizeGiB = 200
		}
		c.GPUPools[key] = p
	}
	c.Services.applyDefaults(c.Environment)
	c.applyVaultCIDefaults()
	c.applyAdmissionDefaults()
}

// applyVaultCIDefaults: the Vault settings that follow from the cluster's CI runner. A stack with an in-VPC
// runner (cluster.endpoint.ciRunner) runs Vault's second stage from it: Vault gets an internal load balancer and
// a JWT auth method bound to the runner's repository and this environment's deploy job.
func (c *Config) applyVaultCIDefaults() {
	v, r := &c.Services.Vault, c.Cluster.Endpoint.CIRunner
	if v.InternalLoadBalancer == nil {
		v.InternalLoadBalancer = boolp(r != nil)
	}
	if v.CIAuth == nil && r != nil {
		v.CIAuth = &VaultCIAuth{
			BoundAudience:   "vault-" + string(c.Environment),
			BoundClaims:     map[string]string{"repository": r.Repository, "environment": string(c.Environment)},
			TokenTTLSeconds: 3600,
		}
	}
}

func retentionDays(env Environment) int {
	switch env {
	case Dev:
		return 30
	case Staging:
		return 90
	default:
		return 365
	}
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

func intp(v int) *int { return &v }
