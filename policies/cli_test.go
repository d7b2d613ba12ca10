package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/policies/pack"
)

// The fixtures under testdata are stand-ins for `pulumi stack export` documents (written for these tests, not
// exported from a real deployment) of a prod stack shaped like the program's, in the CLI's deployment v3 format:
// prod-compliant.json passes every mandatory policy; prod-violating.json differs in exactly two places: a
// world-open API endpoint on the concrete EKS cluster under its eks:index:Cluster component (which breaks both
// eks-endpoint-restricted and, in prod, eks-endpoint-private) and a GPU node group without its taint.

// exportedResource is the part of a state export's resource the tests read.
type exportedResource struct {
	URN      string         `json:"urn"`
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Parent   string         `json:"parent"`
	Protect  bool           `json:"protect"`
	Provider string         `json:"provider"`
	Inputs   map[string]any `json:"inputs"`
	Outputs  map[string]any `json:"outputs"`
}

// secretSig marks a secret in a state export (with its value in "plaintext" when exported with --show-secrets).
const secretSig = "4dabf18193072939515e22adb298388d"

func fromExport(v any) resource.PropertyValue {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t[secretSig]; ok {
			var inner any
			_ = json.Unmarshal([]byte(t["plaintext"].(string)), &inner)
			return resource.MakeSecret(fromExport(inner))
		}
		m := resource.PropertyMap{}
		for k, e := range t {
			m[resource.PropertyKey(k)] = fromExport(e)
		}
		return resource.NewObjectProperty(m)
	case []any:
		a := make([]resource.PropertyValue, len(t))
		for i, e := range t {
			a[i] = fromExport(e)
		}
		return resource.NewArrayProperty(a)
	}
	return resource.NewPropertyValue(v)
}

// loadFixture reads an export into pack resources (inputs for resource policies, outputs for stack policies),
// with each resource's provider attached as the engine attaches it.
func loadFixture(t *testing.T, name string) []pack.Resource {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var doc struct {
		Deployment struct {
			Resources []exportedResource `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	byURN := map[string]exportedResource{}
	for _, r := range doc.Deployment.Resources {
		byURN[r.URN] = r
	}
	var out []pack.Resource
	for _, r := range doc.Deployment.Resources {
		pr := pack.Resource{
			Type: r.Type, URN: r.URN, ID: r.ID, Name: resource.URN(r.URN).Name(), Parent: r.Parent, Protect: r.Protect,
			Properties: fromExport(orEmpty(r.Inputs)).ObjectValue(), Outputs: fromExport(orEmpty(r.Outputs)).ObjectValue(),
		}
		if r.Provider != "" {
			provURN := r.Provider[:strings.LastIndex(r.Provider, "::")]
			p := byURN[provURN]
			pr.Provider = &pack.ProviderInfo{Type: p.Type, URN: p.URN, Name: resource.URN(p.URN).Name(), Properties: fromExport(orEmpty(p.Inputs)).ObjectValue()}
		}
		out = append(out, pr)
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func blockingIDs(ds []pack.Diagnostic) []string {
	var ids []string
	for _, d := range pack.Blocking(ds) {
		ids = append(ids, d.PolicyID)
	}
	sort.Strings(ids)
	return ids
}

// TestFixturesAgreeWithPack pins what the CLI test expects, evaluated in-process with prod's config file.
func TestFixturesAgreeWithPack(t *testing.T) {
	cfg, err := pack.LoadConfigFile(filepath.Join("config", "prod.json"))
	require.NoError(t, err)
	assert.Empty(t, blockingIDs(pack.Evaluate(pack.Prod, cfg, loadFixture(t, "prod-compliant.json"))))
	assert.Equal(t, []string{"eks-endpoint-private", "eks-endpoint-restricted", "gpu-nodegroup-taint"},
		blockingIDs(pack.Evaluate(pack.Prod, cfg, loadFixture(t, "prod-violating.json"))))
}

// pulumiCLI finds the CLI built by `make pulumi`; the CLI tests skip only when it is absent.
func pulumiCLI(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PLATFORM_PULUMI_CLI")
	if path == "" {
		path = filepath.Join("..", "bin", "pulumi")
	}
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	if _, err := os.Stat(abs); err != nil {
		t.Skipf("the Pulumi CLI is not built at %s: run `make pulumi` (CI builds it before `make policy-test`, so this never skips there)", abs)
	}
	return abs
}

// analyze runs `pulumi policy analyze --file` with the pack executable and returns the combined output and
// whether the command succeeded.
func analyze(t *testing.T, cli, fixture, config string, env ...string) (string, bool) {
	t.Helper()
	home := t.TempDir()
	args := []string{"policy", "analyze", "--non-interactive", "--color", "never",
		"--file", filepath.Join("testdata", fixture),
		"--policy-pack", packBinary, "--policy-pack-config", config}
	cmd := exec.Command(cli, args...)
	cmd.Env = append(os.Environ(),
		"PULUMI_HOME="+home,
		"PULUMI_BACKEND_URL=file://"+home,
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_CONFIG_PASSPHRASE=",
	)
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("pulumi %s (%s):\n%s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running the CLI: %v", err)
		}
	}
	return string(out), err == nil
}

// TestCLIPolicyAnalyze runs the real CLI's `pulumi policy analyze` against the built pack executable.
func TestCLIPolicyAnalyze(t *testing.T) {
	cli := pulumiCLI(t)
	prodConfig := filepath.Join("config", "prod.json")

	t.Run("compliant export exits 0", func(t *testing.T) {
		out, ok := analyze(t, cli, "prod-compliant.json", prodConfig)
		assert.True(t, ok, "expected success")
		assert.Contains(t, out, "platform-policy@v0.1.0", "the pack ran")
		assert.NotContains(t, out, "mandatory")
	})

	t.Run("violating export fails and prints the violations", func(t *testing.T) {
		out, ok := analyze(t, cli, "prod-violating.json", prodConfig)
		assert.False(t, ok, "expected a non-zero exit")
		assert.Contains(t, out, "eks-endpoint-restricted")
		assert.Contains(t, out, "mandatory")
		assert.Contains(t, out, `vpcConfig.publicAccessCidrs contains "0.0.0.0/0"`)
		assert.Contains(t, out, "gpu-nodegroup-taint")
		assert.Contains(t, out, "one or more mandatory policy violations were found")
	})

	t.Run("exceptions with a reason unblock exactly their targets", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "prod-with-exceptions.json")
		require.NoError(t, os.WriteFile(cfg, []byte(`{
  "version": 2,
  "policies": {"gpu-pool-max-size": {"maxNodes": 32}},
  "exceptions": {
    "EXC-1": {
      "reason": "break-glass public endpoint during the VPN migration, PLAT-42",
      "match": [{"policies": ["eks-endpoint-restricted", "eks-endpoint-private"],
                 "targets": ["urn:pulumi:prod::platform::platform:cluster:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::prod-cluster-eks-eksCluster"]}]
    },
    "EXC-2": {
      "reason": "taint added by the node bootstrap script until PLAT-43 lands",
      "match": [{"policies": ["gpu-nodegroup-taint"],
                 "targets": ["urn:pulumi:prod::platform::platform:gpupools:GPUPools$aws:eks/nodeGroup:NodeGroup::prod-gpu-inference"]}]
    }
  }
}`), 0o644))
		out, ok := analyze(t, cli, "prod-violating.json", cfg)
		assert.True(t, ok, "excepted violations do not block")
		assert.Contains(t, out, "[exempted] [mandatory]  eks-endpoint-restricted")
		assert.Contains(t, out, "EXC-1")
		assert.Contains(t, out, "break-glass public endpoint")
	})

	t.Run("level override from the config file", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "prod-advisory.json")
		require.NoError(t, os.WriteFile(cfg, []byte(`{"version": 2, "policies": {"eks-endpoint-restricted": "advisory", "eks-endpoint-private": "advisory", "gpu-nodegroup-taint": "disabled"}}`), 0o644))
		out, ok := analyze(t, cli, "prod-violating.json", cfg)
		assert.True(t, ok, "advisory and disabled do not block")
		assert.Contains(t, out, "eks-endpoint-restricted")
		assert.NotContains(t, out, "gpu-nodegroup-taint")
	})

	t.Run("environment from PLATFORM_POLICY_ENVIRONMENT", func(t *testing.T) {
		// In dev the private-endpoint policy is disabled, in prod it is mandatory; the violating export trips it.
		outProd, _ := analyze(t, cli, "prod-violating.json", prodConfig)
		outDev, _ := analyze(t, cli, "prod-violating.json", filepath.Join("config", "dev.json"), "PLATFORM_POLICY_ENVIRONMENT=dev")
		assert.Contains(t, outProd, "eks-endpoint-private")
		assert.NotContains(t, outDev, "eks-endpoint-private")
	})
}
