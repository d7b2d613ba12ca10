//go:build e2e

// Package e2e runs the platform program through the real Pulumi engine with the real policy pack, against
// stand-in cloud providers (aws, eks, vault, random, tls) and the REAL pulumi-kubernetes provider installing
// the real charts into a local kube-apiserver per stack: for each stack preview (no mandatory violation),
// up, checks of what the API server stores, a second preview with no changes, and destroy (nothing left in
// state or in the API server); the policy gate blocking a run with named mandatory policies and nothing
// created; and `pulumi policy analyze --file` on the prod export (rendered objects included) and on a
// tampered copy. It needs the binaries `make test-e2e` builds.
package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/platform-team/platform/internal/program"
	"github.com/platform-team/platform/sandbox/driver"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

func bin(name string) string { return filepath.Join(root(), "bin", name) }

func TestMain(m *testing.M) {
	// The inline program runs in this process; run it from the repository
	// root as `pulumi up` runs main.go.
	if err := os.Chdir(root()); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func open(t *testing.T, stack, stackFile string) *driver.Sandbox {
	t.Helper()
	opts := driver.Options{
		RepoRoot:    root(),
		StateDir:    t.TempDir(),
		Stack:       stack,
		StackFile:   stackFile,
		PolicyPacks: []string{bin("platform-policy")},
		Program:     program.Run,
	}
	if cfg := filepath.Join(root(), "policies", "config", stack+".json"); fileExists(cfg) {
		opts.PolicyPackConfigs = []string{cfg}
	}
	if testing.Verbose() {
		opts.Progress = os.Stdout
	}
	sb, err := driver.Open(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(sb.Close)
	return sb
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type stateResource struct {
	URN     string         `json:"urn"`
	Type    string         `json:"type"`
	Parent  string         `json:"parent"`
	Custom  bool           `json:"custom"`
	Protect bool           `json:"protect"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
}

type deployment struct {
	Version    int `json:"version"`
	Deployment struct {
		Resources []stateResource `json:"resources"`
	} `json:"deployment"`
}

func exportOf(t *testing.T, sb *driver.Sandbox) ([]byte, deployment) {
	t.Helper()
	dep, err := sb.Export(context.Background())
	require.NoError(t, err)
	raw, err := json.MarshalIndent(dep, "", "    ")
	require.NoError(t, err)
	var d deployment
	require.NoError(t, json.Unmarshal(raw, &d))
	return raw, d
}

func awsResources(d deployment) []stateResource {
	var out []stateResource
	for _, r := range d.Deployment.Resources {
		if strings.HasPrefix(r.Type, "aws:") {
			out = append(out, r)
		}
	}
	return out
}

// TestStackLifecycle is the per-stack proof: preview passes the policy gate,
// up creates what preview planned, a second preview plans nothing, destroy
// removes everything.
func TestStackLifecycle(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			ctx := context.Background()
			sb := open(t, stack, "")
			baseline, err := sb.ClusterObjects(ctx)
			require.NoError(t, err)

			start := time.Now()
			pre, err := sb.Preview(ctx)
			require.NoError(t, err, "preview %s:\n%s", stack, pre.Stdout)
			assert.Empty(t, pre.Verdict.Mandatory, "mandatory violations in %s", stack)
			assert.Positive(t, pre.Changes["create"])
			t.Logf("%s: preview planned %v in %s (advisory violations: %d)", stack, pre.Changes, time.Since(start).Round(time.Millisecond), len(pre.Verdict.Advisory))

			start = time.Now()
			up, err := sb.Up(ctx)
			require.NoError(t, err, "up %s:\n%s", stack, up.Stdout)
			assert.Empty(t, up.Verdict.Mandatory)
			// A first preview cannot render the v4 charts: the cluster, and so the kubernetes provider's
			// kubeconfig, does not exist yet (as in a real first preview). Up creates what preview planned plus
			// each chart's rendered objects; the export below counts those.
			assert.GreaterOrEqual(t, up.Changes["create"], pre.Changes["create"], "up must create what preview planned")
			t.Logf("%s: up %v in %s", stack, up.Changes, time.Since(start).Round(time.Millisecond))

			start = time.Now()
			again, err := sb.Preview(ctx)
			require.NoError(t, err)
			assert.Zero(t, again.Changed(), "second preview of %s must plan no changes (perpetual diff): %v\n%s", stack, again.Changes, again.Stdout)
			t.Logf("%s: second preview %v in %s", stack, again.Changes, time.Since(start).Round(time.Millisecond))

			raw, d := exportOf(t, sb)
			require.NotEmpty(t, awsResources(d))
			assertStateIsPlausible(t, stack, d)
			stored, err := sb.ClusterObjects(ctx)
			require.NoError(t, err)
			rendered := assertKubernetesIsReal(t, stack, d, stored)
			assertVolumeRetention(t, stack, d)
			assert.Equal(t, pre.Changes["create"]+rendered, up.Changes["create"],
				"up creates what the first preview planned plus the charts' rendered objects")
			if stack == "prod" {
				policyAnalyze(t, raw)
			}

			start = time.Now()
			_, err = sb.Destroy(ctx)
			require.NoError(t, err)
			_, d = exportOf(t, sb)
			for _, r := range d.Deployment.Resources {
				assert.Equal(t, "pulumi:pulumi:Stack", r.Type, "destroy left %s", r.URN)
			}
			after, err := sb.ClusterObjects(ctx)
			require.NoError(t, err)
			retained, others := splitRetainedCRDs(leftBehind(baseline, after))
			assert.Empty(t, others, "destroy must leave no object in the API server but the retained CRDs")
			t.Logf("%s: destroy kept %d CRDs (retained on delete by design) and %d other objects", stack, len(retained), len(others))
			t.Logf("%s: destroy in %s", stack, time.Since(start).Round(time.Millisecond))
		})
	}
}

// assertStateIsPlausible checks what only the engine run can show: the real
// resources of the pulumi-eks component exist with the program's values.
func assertStateIsPlausible(t *testing.T, stack string, d deployment) {
	t.Helper()
	var clusters []stateResource
	for _, r := range d.Deployment.Resources {
		if r.Type == "aws:eks/cluster:Cluster" {
			clusters = append(clusters, r)
		}
	}
	require.Len(t, clusters, 1, "one EKS cluster in %s", stack)
	c := clusters[0]
	assert.NotEmpty(t, c.Inputs["encryptionConfig"], "secrets encryption reaches the concrete cluster")
	vpc, _ := c.Inputs["vpcConfig"].(map[string]any)
	require.NotNil(t, vpc)
	assert.Equal(t, true, vpc["endpointPrivateAccess"])
	if stack == "prod" {
		assert.Equal(t, false, vpc["endpointPublicAccess"], "prod endpoint is private")
		assert.Len(t, c.Inputs["enabledClusterLogTypes"], 5)
	}
}

// policyAnalyze runs `pulumi policy analyze --file` on the prod export: it
// must pass, and a copy with the endpoint opened to the internet must fail
// naming the policy.
func policyAnalyze(t *testing.T, export []byte) {
	t.Helper()
	dir := t.TempDir()
	good := filepath.Join(dir, "prod.json")
	require.NoError(t, os.WriteFile(good, export, 0o600))
	out, err := analyze(t, good)
	require.NoError(t, err, "policy analyze on the prod export:\n%s", out)

	var d map[string]any
	require.NoError(t, json.Unmarshal(export, &d))
	resources := d["deployment"].(map[string]any)["resources"].([]any)
	tampered := 0
	for _, r := range resources {
		rm := r.(map[string]any)
		if rm["type"] != "aws:eks/cluster:Cluster" {
			continue
		}
		for _, k := range []string{"inputs", "outputs"} {
			vc := rm[k].(map[string]any)["vpcConfig"].(map[string]any)
			vc["endpointPublicAccess"] = true
			vc["publicAccessCidrs"] = []any{"0.0.0.0/0"}
		}
		tampered++
	}
	require.Equal(t, 1, tampered)
	bad := filepath.Join(dir, "prod-tampered.json")
	b, err := json.MarshalIndent(d, "", "    ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, b, 0o600))
	out, err = analyze(t, bad)
	require.Error(t, err, "a public prod endpoint must fail policy analyze:\n%s", out)
	assert.Contains(t, out, "eks-endpoint-private")
	assert.Contains(t, out, "mandatory")
}

func analyze(t *testing.T, file string) (string, error) {
	t.Helper()
	// The same per-environment config (levels, thresholds, recorded exceptions) as the prod preview.
	cmd := exec.Command(bin("pulumi"), "policy", "analyze", "--file", file, "--policy-pack", bin("platform-policy"),
		"--policy-pack-config", filepath.Join(root(), "policies", "config", "prod.json"))
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+home, "PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_CONFIG_PASSPHRASE="+driver.Passphrase, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_BACKEND_URL=file://"+home)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("policy analyze %s: %s", filepath.Base(file), time.Since(start).Round(time.Millisecond))
	return string(out), err
}

// TestPolicyGateBlocksBeforeAnythingIsCreated: the policy gate, not the program, stops a deployment. The
// dev stack is valid for dev (its config validation passes, and dev runs prod's checks as advisory); run
// with a policy config that makes every policy mandatory, as a stricter environment would, the gate must
// block it with the policies dev's shape violates before anything exists. (A stack whose file claims
// another environment never reaches the gate: the program refuses it, see badinput_e2e_test.go.)
func TestPolicyGateBlocksBeforeAnythingIsCreated(t *testing.T) {
	ctx := context.Background()
	opts := driver.Options{
		RepoRoot:          root(),
		StateDir:          t.TempDir(),
		Stack:             "dev",
		PolicyPacks:       []string{bin("platform-policy")},
		PolicyPackConfigs: []string{filepath.Join(root(), "tests", "e2e", "testdata", "all-mandatory.json")},
		Program:           program.Run,
	}
	if testing.Verbose() {
		opts.Progress = os.Stdout
	}
	sb, err := driver.Open(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(sb.Close)

	res, err := sb.Up(ctx)
	require.Error(t, err, "up of dev under all-mandatory policies must be blocked")
	policies := res.Verdict.Policies()
	for _, want := range []string{"eks-endpoint-private", "nat-per-az"} {
		assert.Contains(t, policies, want)
	}
	_, d := exportOf(t, sb)
	assert.Empty(t, d.Deployment.Resources, "nothing may be created when the policy gate fails")
}
