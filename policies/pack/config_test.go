package pack_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/policies/pack"
)

// TestEnvironmentConfigFiles: every policies/config/<env>.json is a valid v2 file for this catalogue.
func TestEnvironmentConfigFiles(t *testing.T) {
	for _, env := range pack.Envs {
		cfg, err := pack.LoadConfigFile(filepath.Join("..", "config", string(env)+".json"))
		require.NoError(t, err, env)
		require.NoError(t, cfg.Validate(), env)
		for _, e := range cfg.Exceptions {
			assert.NotEmpty(t, strings.TrimSpace(e.Reason), "%s exception %s", env, e.ID)
		}
	}
}

func TestParseConfigReportsEveryProblem(t *testing.T) {
	_, err := pack.ParseConfig([]byte(`{
	  "version": 2,
	  "policies": {
	    "no-such-policy": "mandatory",
	    "eks-endpoint-private": "blocking",
	    "gpu-pool-max-size": {"maxNodes": "lots", "maxGPUs": 3},
	    "no-world-open-admin-ports": {"ports": [22, "ssh"]}
	  },
	  "exceptions": {
	    "EXC-1": {"reason": " ", "match": [{"policies": ["eks-endpoint-private"], "targets": ["not-a-urn"]}]},
	    "EXC-2": {"reason": "legacy", "match": [{"policies": ["gone-policy"], "targets": ["urn:pulumi:prod::platform::aws:ec2/vpc:Vpc::vpc"]}]}
	  }
	}`))
	require.Error(t, err)
	for _, want := range []string{
		"policies.no-such-policy: unknown policy",
		`policies.eks-endpoint-private.enforcementLevel: "blocking" is not one of advisory, mandatory, disabled`,
		"policies.gpu-pool-max-size.maxNodes: must be an integer",
		"policies.gpu-pool-max-size.maxGPUs: unknown setting; allowed: maxNodes",
		"policies.no-world-open-admin-ports.ports: must be an array of integers",
		"exceptions.EXC-1.reason: required",
		`exceptions.EXC-1.match[0].targets: "not-a-urn" is not a URN`,
		`exceptions.EXC-2: unknown policy "gone-policy"`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	_, err = pack.ParseConfig([]byte(`{"policies": {}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version: must be 2")
	_, err = pack.ParseConfig([]byte(`{"version": 2, "polices": {}}`))
	assert.ErrorContains(t, err, "polices", "a misspelled top-level key is an error, not silently ignored")
}

// TestConfigThresholdAndException: thresholds from the file change the verdict; an exception with a reason
// keeps the violation visible but no longer blocking.
func TestConfigThresholdAndException(t *testing.T) {
	pool := withProvider(mk(nodeGroup, "inference", with(gpuNG(), "scalingConfig.maxSize", 12)),
		obj{"defaultTags": obj{"tags": obj{"Environment": "staging", "Owner": "ml", "CostCenter": "cc-7"}}})
	res := []pack.Resource{pool}

	blocking := pack.Blocking(pack.Evaluate(pack.Staging, pack.Config{}, res))
	require.Len(t, blocking, 1)
	assert.Equal(t, "gpu-pool-max-size", blocking[0].PolicyID)
	assert.Contains(t, blocking[0].Message, "scalingConfig.maxSize is 12, above the staging cap of 8")

	raised, err := pack.ParseConfig([]byte(`{"version": 2, "policies": {"gpu-pool-max-size": {"maxNodes": 16}}}`))
	require.NoError(t, err)
	assert.Empty(t, pack.Evaluate(pack.Staging, raised, res))

	excepted, err := pack.ParseConfig([]byte(`{"version": 2, "exceptions": {"EXC-7": {
		"reason": "load test for the Q3 launch, approved in PLAT-123 until 2026-12-31",
		"match": [{"policies": ["gpu-pool-max-size"], "targets": ["` + pool.URN + `"]}]}}}`))
	require.NoError(t, err)
	ds := pack.Evaluate(pack.Staging, excepted, res)
	require.Len(t, ds, 1)
	assert.Equal(t, "EXC-7", ds[0].ExceptedBy)
	assert.Equal(t, pack.Mandatory, ds[0].Level)
	assert.Empty(t, pack.Blocking(ds))
}

func TestEffectiveLevel(t *testing.T) {
	cfg := pack.Config{Policies: map[string]pack.PolicyConfig{"nat-per-az": {Level: pack.Advisory}}}
	for env, want := range map[pack.Env]pack.Level{pack.Dev: pack.Advisory, pack.Prod: pack.Advisory} {
		got, err := cfg.EffectiveLevel("nat-per-az", env)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	got, err := pack.Config{}.EffectiveLevel("nat-per-az", pack.Dev)
	require.NoError(t, err)
	assert.Equal(t, pack.Disabled, got)
	_, err = pack.Config{}.EffectiveLevel("nope", pack.Dev)
	assert.Error(t, err)
}

// TestSchemaDescribesDefaults: the JSON schema the analyzer reports carries no "default" (the CLI would copy it
// into the config and mask the environment default) but states the per-environment defaults in words.
func TestSchemaDescribesDefaults(t *testing.T) {
	p := pack.Lookup("multi-az")
	require.NotNil(t, p)
	s := p.Schema()["minAzs"].(map[string]any)
	assert.Equal(t, "integer", s["type"])
	assert.NotContains(t, s, "default")
	assert.Contains(t, s["description"], "Default: dev=2, staging=2, prod=3.")
	ports := pack.Lookup("no-world-open-admin-ports").Schema()["ports"].(map[string]any)
	assert.Equal(t, "array", ports["type"])
	assert.Equal(t, map[string]any{"type": "integer"}, ports["items"])
}

// TestProdExceptsTheEKSCreatorGrant: the committed prod exception covers the grant pulumi-eks forces on the
// cluster it creates, and nothing else.
func TestProdExceptsTheEKSCreatorGrant(t *testing.T) {
	cfg, err := pack.LoadConfigFile(filepath.Join("..", "config", "prod.json"))
	require.NoError(t, err)
	child := withProvider(mk(eksCluster, "platform-prod-eksCluster", with(goodCluster(), "accessConfig.bootstrapClusterCreatorAdminPermissions", true)), defaultTags)
	child.URN = "urn:pulumi:prod::platform::platform:cluster:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::platform-prod-eksCluster"
	child.Protect = true
	ds := pack.Evaluate(pack.Prod, cfg, []pack.Resource{child})
	require.Len(t, ds, 1)
	assert.Equal(t, "eks-no-creator-admin", ds[0].PolicyID)
	assert.Equal(t, "EXC-1", ds[0].ExceptedBy)
	assert.Empty(t, pack.Blocking(ds))

	other := child
	other.URN = "urn:pulumi:prod::platform::aws:eks/cluster:Cluster::hand-made"
	assert.Len(t, pack.Blocking(pack.Evaluate(pack.Prod, cfg, []pack.Resource{other})), 1, "the exception names one cluster only")
}

// TestAllKey: the Pulumi CLI's "all" key sets the level of every policy; a named policy's level still wins, as the
// CLI applies "all" first (pkg/resource/analyzer/config.go applyConfig). Configure receives "all" too, so
// Validate accepts it.
func TestAllKey(t *testing.T) {
	cfg, err := pack.ParseConfig([]byte(`{"version": 2, "policies": {"all": "advisory", "eks-endpoint-private": "mandatory"}}`))
	require.NoError(t, err)
	for _, id := range []string{"vault-ha-raft", "s3-encryption", "mesh-mtls-strict"} {
		l, err := cfg.EffectiveLevel(id, pack.Prod)
		require.NoError(t, err)
		assert.Equal(t, pack.Advisory, l, id)
	}
	l, _ := cfg.EffectiveLevel("eks-endpoint-private", pack.Dev)
	assert.Equal(t, pack.Mandatory, l, "a named policy overrides all")

	cfg, err = pack.ParseConfig([]byte(`{"version": 2, "policies": {"all": {"enforcementLevel": "disabled"}}}`))
	require.NoError(t, err)
	assert.Empty(t, pack.Evaluate(pack.Prod, cfg, []pack.Resource{mk(kmsKey, "k", obj{})}), "all: disabled turns every policy off")

	_, err = pack.ParseConfig([]byte(`{"version": 2, "policies": {"all": {"enforcementLevel": "blocking", "minDays": 3}}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `policies.all.enforcementLevel: "blocking" is not one of advisory, mandatory, disabled`)
	assert.Contains(t, err.Error(), "policies.all.minDays: \"all\" takes only enforcementLevel")

	// What Configure receives from the CLI: every policy plus "all".
	require.NoError(t, pack.Config{Policies: map[string]pack.PolicyConfig{"all": {Level: pack.Advisory}}}.Validate())
}
