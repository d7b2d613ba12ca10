package pack_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/policies/pack"
)

const (
	eksCluster = "aws:eks/cluster:Cluster"
	eksComp    = "eks:index:Cluster"
)

// goodCluster is a concrete cluster that passes every cluster policy in prod.
func goodCluster() obj {
	return obj{
		"version": "1.33",
		"vpcConfig": obj{
			"endpointPublicAccess": false, "endpointPrivateAccess": true,
			"subnetIds": arr{"subnet-a", "subnet-b", "subnet-c"},
		},
		"encryptionConfig":       obj{"resources": arr{"secrets"}, "provider": obj{"keyArn": "arn:aws:kms:eu-west-1:111122223333:key/abc"}},
		"enabledClusterLogTypes": arr{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		"accessConfig":           obj{"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": false},
	}
}

// goodComponent is an eks:index:Cluster whose inputs pass every cluster policy in prod.
func goodComponent() obj {
	return obj{
		"version": "1.33", "endpointPublicAccess": false, "endpointPrivateAccess": true,
		"encryptionConfigKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/abc",
		"enabledClusterLogTypes": arr{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		"authenticationMode":     "API", "skipDefaultNodeGroup": true,
	}
}

// with returns a copy of base with dotted paths replaced (nil deletes).
func with(base obj, kv ...any) obj {
	out := deepCopy(base).(obj)
	for i := 0; i < len(kv); i += 2 {
		setPath(out, kv[i].(string), kv[i+1])
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case obj:
		m := obj{}
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case arr:
		a := make(arr, len(t))
		for i, e := range t {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

func setPath(m obj, path string, v any) {
	parts := splitDots(path)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(obj)
		if !ok {
			next = obj{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if v == nil {
		delete(m, last)
		return
	}
	m[last] = v
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func cl(in obj) []pack.Resource   { return one(mk(eksCluster, "prod-cluster", in)) }
func comp(in obj) []pack.Resource { return one(mk(eksComp, "prod-eks", in)) }

func init() {
	addTable("eks-endpoint-restricted", [3]pack.Level{M, M, M},
		tc{name: "public-world", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", true, "vpcConfig.publicAccessCidrs", arr{"0.0.0.0/0"})), want: violates, msg: `contains "0.0.0.0/0"`},
		tc{name: "public-no-cidrs", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", true)), want: violates, msg: "publicAccessCidrs is not set"},
		tc{name: "public-default", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", nil)), want: violates},
		tc{name: "component-ipv6-world", res: comp(with(goodComponent(), "endpointPublicAccess", true, "publicAccessCidrs", arr{"203.0.113.0/24", "::/0"})), want: violates, msg: `"::/0"`},
		tc{name: "private", res: cl(goodCluster()), want: passes},
		tc{name: "public-restricted", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", true, "vpcConfig.publicAccessCidrs", arr{"203.0.113.0/24"})), want: passes},
		tc{name: "component-without-inputs", res: comp(obj{}), want: passes},
		tc{name: "unknown-access", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", unk)), want: undecided},
		tc{name: "unknown-cidrs", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", true, "vpcConfig.publicAccessCidrs", unkOutput)), want: undecided},
	)
	addTable("eks-endpoint-private", [3]pack.Level{D, A, M},
		tc{name: "public-restricted", res: cl(with(goodCluster(), "vpcConfig.endpointPublicAccess", true, "vpcConfig.publicAccessCidrs", arr{"203.0.113.0/24"})), want: violates, msg: "vpcConfig.endpointPublicAccess is true"},
		tc{name: "private-off", res: cl(with(goodCluster(), "vpcConfig.endpointPrivateAccess", nil)), want: violates, msg: "endpointPrivateAccess is not set"},
		tc{name: "component-default", res: comp(with(goodComponent(), "endpointPublicAccess", nil)), want: violates},
		tc{name: "private", res: cl(goodCluster()), want: passes},
		tc{name: "component-private", res: comp(goodComponent()), want: passes},
		tc{name: "unknown", res: cl(with(goodCluster(), "vpcConfig.endpointPrivateAccess", unk)), want: undecided},
	)
	addTable("eks-secrets-encryption", [3]pack.Level{M, M, M},
		tc{name: "none", res: cl(with(goodCluster(), "encryptionConfig", nil)), want: violates, msg: "encryptionConfig is not set"},
		tc{name: "no-secrets", res: cl(with(goodCluster(), "encryptionConfig.resources", arr{})), want: violates, msg: `must include "secrets"`},
		tc{name: "component-no-key", res: comp(with(goodComponent(), "encryptionConfigKeyArn", nil)), want: violates, msg: "encryptionConfigKeyArn is not set"},
		tc{name: "encrypted", res: cl(goodCluster()), want: passes},
		tc{name: "component-secret-key-arn", res: comp(with(goodComponent(), "encryptionConfigKeyArn", secret("arn:aws:kms:eu-west-1:1:key/x"))), want: passes},
		tc{name: "key-unknown", res: cl(with(goodCluster(), "encryptionConfig.provider.keyArn", unk)), want: undecided},
		tc{name: "component-key-unknown", res: comp(with(goodComponent(), "encryptionConfigKeyArn", unkOutput)), want: undecided},
	)
	addTable("eks-control-plane-logging", [3]pack.Level{A, M, M},
		tc{name: "prod-missing-scheduler", res: cl(with(goodCluster(), "enabledClusterLogTypes", arr{"api", "audit", "authenticator", "controllerManager"})), want: violates, msg: `missing ["scheduler"]`},
		tc{name: "none", res: cl(with(goodCluster(), "enabledClusterLogTypes", nil)), want: violates},
		tc{name: "dev-audit-only-is-short", env: pack.Dev, res: cl(with(goodCluster(), "enabledClusterLogTypes", arr{"audit"})), want: violates, msg: `missing ["authenticator"]`},
		tc{name: "prod-all-five", res: cl(goodCluster()), want: passes},
		tc{name: "dev-two", env: pack.Dev, res: cl(with(goodCluster(), "enabledClusterLogTypes", arr{"audit", "authenticator"})), want: passes},
		tc{name: "unknown", res: cl(with(goodCluster(), "enabledClusterLogTypes", unk)), want: undecided},
	)
	addTable("eks-supported-version", [3]pack.Level{A, M, M},
		tc{name: "old", res: cl(with(goodCluster(), "version", "1.27")), want: violates, msg: `version is "1.27"`},
		tc{name: "unpinned", res: comp(with(goodComponent(), "version", nil)), want: violates, msg: "version is not set"},
		tc{name: "supported", res: cl(goodCluster()), want: passes},
		tc{name: "config-extends-list", res: cl(with(goodCluster(), "version", "1.35")),
			cfg: pack.Config{Policies: map[string]pack.PolicyConfig{"eks-supported-version": {Properties: map[string]any{"supportedVersions": []any{"1.34", "1.35"}}}}}, want: passes},
		tc{name: "unknown", res: cl(with(goodCluster(), "version", unk)), want: undecided},
	)
	addTable("eks-auth-mode-api", [3]pack.Level{A, M, M},
		tc{name: "config-map", res: cl(with(goodCluster(), "accessConfig.authenticationMode", "CONFIG_MAP")), want: violates, msg: `"CONFIG_MAP"`},
		tc{name: "default", res: comp(with(goodComponent(), "authenticationMode", nil)), want: violates, msg: "authenticationMode is not set"},
		tc{name: "api", res: cl(goodCluster()), want: passes},
		tc{name: "unknown", res: cl(with(goodCluster(), "accessConfig.authenticationMode", unk)), want: undecided},
	)
	addTable("eks-no-creator-admin", [3]pack.Level{D, A, M},
		tc{name: "default-true", res: cl(with(goodCluster(), "accessConfig.bootstrapClusterCreatorAdminPermissions", nil)), want: violates, msg: "true when not set"},
		tc{name: "explicit-true", res: cl(with(goodCluster(), "accessConfig.bootstrapClusterCreatorAdminPermissions", true)), want: violates},
		tc{name: "false", res: cl(goodCluster()), want: passes},
		tc{name: "unknown", res: cl(with(goodCluster(), "accessConfig.bootstrapClusterCreatorAdminPermissions", unk)), want: undecided},
	)
	addTable("eks-no-default-node-group", [3]pack.Level{M, M, M},
		tc{name: "default-group", res: comp(with(goodComponent(), "skipDefaultNodeGroup", nil)), want: violates, msg: "skipDefaultNodeGroup is not set"},
		tc{name: "skipped", res: comp(goodComponent()), want: passes},
		tc{name: "unknown", res: comp(with(goodComponent(), "skipDefaultNodeGroup", unk)), want: undecided},
		// A real run: the component arrives without inputs and its default node group's children show it.
		tc{name: "real-run-launch-configuration", res: []pack.Resource{mk(eksComp, "prod", obj{}), eksChild("aws:ec2/launchConfiguration:LaunchConfiguration", "prod-nodeLaunchConfiguration")}, want: violates, msg: "prod-nodeLaunchConfiguration"},
		tc{name: "real-run-cfn-stack", res: []pack.Resource{mk(eksComp, "prod", obj{}), eksChild("aws:cloudformation/stack:Stack", "prod-nodes")}, want: violates},
		tc{name: "real-run-skipped", res: []pack.Resource{mk(eksComp, "prod", obj{}), eksChild("aws:eks/cluster:Cluster", "prod-eksCluster")}, want: passes},
		tc{name: "launch-configuration-outside-eks", res: one(mk("aws:ec2/launchConfiguration:LaunchConfiguration", "legacy", obj{})), want: passes},
	)
}

// eksChild is a resource the pulumi-eks cluster component "prod" created (its URN names the component's type).
func eksChild(typ, name string) pack.Resource {
	r := mk(typ, name, obj{"name": name})
	r.URN = "urn:pulumi:prod::platform::" + eksComp + "$" + typ + "::" + name
	r.Parent = urn(eksComp, "prod")
	return r
}

// TestComponentAndChildReportedOnce: a fault on the eks:index:Cluster inputs is reported there and not again on
// the aws:eks/cluster:Cluster it creates; a fault only the child shows is still reported on the child.
func TestComponentAndChildReportedOnce(t *testing.T) {
	parent := mk(eksComp, "prod-eks", with(goodComponent(), "endpointPublicAccess", true, "publicAccessCidrs", arr{"0.0.0.0/0"}))
	child := mk(eksCluster, "prod-eks-eksCluster", with(goodCluster(), "vpcConfig.endpointPublicAccess", true,
		"vpcConfig.publicAccessCidrs", arr{"0.0.0.0/0"}, "accessConfig.bootstrapClusterCreatorAdminPermissions", true))
	child.URN = "urn:pulumi:prod::platform::eks:index:Cluster$aws:eks/cluster:Cluster::prod-eks-eksCluster"
	child.Parent = parent.URN

	ds := pack.Evaluate(pack.Prod, pack.Config{}, []pack.Resource{parent, child})
	byPolicy := map[string][]string{}
	for _, d := range ds {
		byPolicy[d.PolicyID] = append(byPolicy[d.PolicyID], d.URN)
	}
	assert.Equal(t, []string{parent.URN}, byPolicy["eks-endpoint-restricted"], "reported on the component only")
	assert.Equal(t, []string{child.URN}, byPolicy["eks-no-creator-admin"], "child-only fault still reported")

	// A remote component registered by its provider has no inputs: the child carries the verdict alone.
	bare := parent
	bare.Properties = props(obj{})
	ds = pack.Evaluate(pack.Prod, pack.Config{}, []pack.Resource{bare, child})
	var restricted []string
	for _, d := range ds {
		if d.PolicyID == "eks-endpoint-restricted" {
			restricted = append(restricted, d.URN)
		}
	}
	require.Equal(t, []string{child.URN}, restricted)
}

func TestEnvironmentFromStack(t *testing.T) {
	for stack, want := range map[string]struct {
		env   pack.Env
		found bool
	}{
		"dev": {pack.Dev, true}, "staging": {pack.Staging, true}, "prod": {pack.Prod, true},
		"acme-prod": {pack.Prod, true}, "prod-eu": {pack.Prod, true}, "team_dev": {pack.Dev, true},
		"stg-us-east-1": {pack.Staging, true}, "org/platform/staging": {pack.Staging, true},
		"Production": {pack.Prod, true}, "dev-to-prod": {pack.Prod, true},
		"sandbox": {pack.Prod, false}, "": {pack.Prod, false}, "devops": {pack.Prod, false},
	} {
		env, found := pack.EnvironmentFromStack(stack)
		assert.Equal(t, want.env, env, stack)
		assert.Equal(t, want.found, found, stack)
	}
}
