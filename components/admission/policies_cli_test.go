package admission

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/platform-team/platform/internal/charts"
	"github.com/platform-team/platform/internal/charts/chartmirror"
	"github.com/platform-team/platform/internal/config"
)

// These tests evaluate the rendered rules with the Kyverno engine itself: the CLI (kubectl-kyverno) built from
// github.com/kyverno/kyverno at the chart's app version by `make kyverno` (tools/kyverno), given as
// PLATFORM_KYVERNO_CLI by `make unit`. `kyverno apply --policy-report` evaluates every policy against every
// resource the way the admission controller and background scan do (the same engine packages, autogen for pod
// controllers included) and reports pass, fail, warn (a failure of an Audit rule, with --audit-warn) or skip
// (not applicable, or excused by a PolicyException) per rule and resource. What it cannot show is the webhook
// itself: that the API server calls Kyverno and refuses the request (docs/services.md).

// kyvernoCLI is the engine's CLI; a missing one fails (never skips), naming the command that builds it.
func kyvernoCLI(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PLATFORM_KYVERNO_CLI")
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "..", "..", "bin", "kyverno")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the Kyverno CLI is not built at %s: run `make kyverno` (`make unit` builds it first); these tests evaluate the rules with the engine itself", path)
	}
	return path
}

// The CLI is the engine the chart installs: its version is the chart's appVersion.
func TestCLIIsTheChartsEngineVersion(t *testing.T) {
	out, err := exec.Command(kyvernoCLI(t), "version").CombinedOutput()
	require.NoError(t, err, string(out))
	dir, err := chartmirror.Dir()
	require.NoError(t, err)
	c, err := charts.Lookup(charts.Kyverno)
	require.NoError(t, err)
	files, err := chartmirror.Files(dir, c.Chart, c.Version)
	require.NoError(t, err)
	var meta struct {
		AppVersion string `yaml:"appVersion"`
	}
	require.NoError(t, yaml.Unmarshal(files[c.Chart+"/Chart.yaml"], &meta))
	require.NotEmpty(t, meta.AppVersion)
	require.Contains(t, string(out), "Version: "+meta.AppVersion, "bin/kyverno must be the engine of kyverno chart %s", c.Version)
}

// --- resources -------------------------------------------------------------------------------------------

type obj = map[string]any

func container(name, image string) obj {
	return obj{"name": name, "image": image, "resources": obj{
		"requests": obj{"cpu": "100m", "memory": "128Mi"}, "limits": obj{"memory": "256Mi"},
	}}
}

// pod is a compliant pod in ns; edit adjusts its spec.
func pod(name, ns string, edit func(spec obj)) obj {
	spec := obj{"containers": []any{container("app", "ghcr.io/acme/app:1.4.2")}}
	if edit != nil {
		edit(spec)
	}
	return obj{"apiVersion": "v1", "kind": "Pod", "metadata": obj{"name": name, "namespace": ns}, "spec": spec}
}

func gpuPod(name, ns string, edit func(spec obj)) obj {
	return pod(name, ns, func(spec obj) {
		c := container("model", "nvcr.io/nvidia/tritonserver:25.01-py3")
		c["resources"].(obj)["limits"].(obj)["nvidia.com/gpu"] = "1"
		spec["containers"] = []any{c}
		spec["tolerations"] = []any{obj{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}}
		if edit != nil {
			edit(spec)
		}
	})
}

func deployment(name, ns string, edit func(spec obj)) obj {
	p := pod(name, ns, edit)
	return obj{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": obj{"name": name, "namespace": ns},
		"spec": obj{"selector": obj{"matchLabels": obj{"app": name}},
			"template": obj{"metadata": obj{"labels": obj{"app": name}}, "spec": p["spec"]}}}
}

func cronJob(name, ns string, edit func(spec obj)) obj {
	p := pod(name, ns, edit)
	p["spec"].(obj)["restartPolicy"] = "OnFailure"
	return obj{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": obj{"name": name, "namespace": ns},
		"spec": obj{"schedule": "0 * * * *", "jobTemplate": obj{"spec": obj{"template": obj{"spec": p["spec"]}}}}}
}

func namespace(name string, labels obj) obj {
	md := obj{"name": name}
	if labels != nil {
		md["labels"] = labels
	}
	return obj{"apiVersion": "v1", "kind": "Namespace", "metadata": md}
}

func setImage(image string) func(obj) {
	return func(spec obj) { spec["containers"].([]any)[0].(obj)["image"] = image }
}

func privileged(spec obj) {
	spec["containers"].([]any)[0].(obj)["securityContext"] = obj{"privileged": true}
}

func hostPath(spec obj) {
	spec["volumes"] = []any{obj{"name": "logs", "hostPath": obj{"path": "/var/log"}}}
}

// A case is one resource and the one rule it must break (none: it must break nothing). Every rule has at
// least one of each (TestEveryRuleHasABadAndAGoodCase).
type specCase struct {
	resource obj
	breaks   string
	// covers names the rule a good case proves passable (it applies to the resource and passes).
	covers []string
}

const appNS, gpuNS, excNS = "shop", "inference", "node-agents"

func cases() []specCase {
	return []specCase{
		// Images.
		{resource: pod("good", appNS, nil), covers: []string{RuleDisallowLatestTag, RuleRestrictImageRegistries, RuleDisallowPrivileged, RuleDisallowHostNamespaces, RuleDisallowHostPath}},
		{resource: pod("latest-tag", appNS, setImage("ghcr.io/acme/app:latest")), breaks: RuleDisallowLatestTag},
		{resource: pod("untagged", appNS, setImage("ghcr.io/acme/app")), breaks: RuleDisallowLatestTag},
		{resource: pod("latest-init", appNS, func(s obj) { s["initContainers"] = []any{container("migrate", "ghcr.io/acme/migrate")} }), breaks: RuleDisallowLatestTag},
		{resource: pod("digest-pinned", appNS, setImage("ghcr.io/acme/app@sha256:2d9a3b8c1f0e4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a"))},
		{resource: pod("ecr-image", appNS, setImage("111111111111.dkr.ecr.us-west-2.amazonaws.com/shop/api:2026.11.3")), covers: []string{RuleRestrictImageRegistries}},
		{resource: pod("docker-hub-short-name", appNS, setImage("nginx:1.27.3")), covers: []string{RuleRestrictImageRegistries}},
		{resource: pod("unknown-registry", appNS, setImage("registry.evil.example/app:1.0")), breaks: RuleRestrictImageRegistries},
		{resource: pod("other-account-ecr", appNS, setImage("999999999999.dkr.ecr.us-west-2.amazonaws.com/x:1")), breaks: RuleRestrictImageRegistries},
		// GPUs.
		{resource: gpuPod("gpu-good", gpuNS, nil), covers: []string{RuleGPURequiresToleration, RuleGPUAllowedNamespaces, RuleGPURequestsLimits}},
		{resource: gpuPod("gpu-equal-toleration", gpuNS, func(s obj) {
			s["tolerations"] = []any{obj{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}}
		})},
		{resource: gpuPod("gpu-no-toleration", gpuNS, func(s obj) { delete(s, "tolerations") }), breaks: RuleGPURequiresToleration},
		{resource: gpuPod("gpu-wrong-effect", gpuNS, func(s obj) {
			s["tolerations"] = []any{obj{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}}
		}), breaks: RuleGPURequiresToleration},
		{resource: gpuPod("gpu-other-namespace", appNS, nil), breaks: RuleGPUAllowedNamespaces},
		{resource: gpuPod("gpu-no-requests", gpuNS, func(s obj) {
			s["containers"].([]any)[0].(obj)["resources"] = obj{"limits": obj{"nvidia.com/gpu": "1"}}
		}), breaks: RuleGPURequestsLimits},
		{resource: gpuPod("gpu-sidecar-no-memory-limit", gpuNS, func(s obj) {
			side := container("proxy", "docker.io/istio/proxyv2:1.30.3")
			delete(side["resources"].(obj), "limits")
			s["containers"] = append(s["containers"].([]any), side)
		}), breaks: RuleGPURequestsLimits},
		// A pod without GPUs in a GPU namespace is not a GPU pod: the GPU rules do not apply.
		{resource: pod("cpu-in-gpu-namespace", gpuNS, func(s obj) { s["containers"].([]any)[0].(obj)["resources"] = obj{} })},
		// Privilege.
		{resource: pod("privileged", appNS, privileged), breaks: RuleDisallowPrivileged},
		{resource: pod("privileged-init", appNS, func(s obj) {
			c := container("setup", "ghcr.io/acme/setup:1.0")
			c["securityContext"] = obj{"privileged": true}
			s["initContainers"] = []any{c}
		}), breaks: RuleDisallowPrivileged},
		{resource: pod("not-privileged", appNS, func(s obj) {
			s["containers"].([]any)[0].(obj)["securityContext"] = obj{"privileged": false, "runAsNonRoot": true}
		}), covers: []string{RuleDisallowPrivileged}},
		{resource: pod("host-network", appNS, func(s obj) { s["hostNetwork"] = true }), breaks: RuleDisallowHostNamespaces},
		{resource: pod("host-pid", appNS, func(s obj) { s["hostPID"] = true }), breaks: RuleDisallowHostNamespaces},
		{resource: pod("host-path", appNS, hostPath), breaks: RuleDisallowHostPath},
		{resource: pod("empty-dir", appNS, func(s obj) { s["volumes"] = []any{obj{"name": "tmp", "emptyDir": obj{}}} }), covers: []string{RuleDisallowHostPath}},
		// The platform's and Kubernetes' namespaces are exempt.
		{resource: pod("system-privileged", "kube-system", func(s obj) { privileged(s); hostPath(s); s["hostNetwork"] = true })},
		{resource: pod("platform-privileged", "observability", func(s obj) { privileged(s); hostPath(s); s["hostPID"] = true })},
		// Pod controllers: Kyverno's autogen rules judge the template.
		{resource: deployment("deploy-good", appNS, nil)},
		{resource: deployment("deploy-latest", appNS, setImage("ghcr.io/acme/app:latest")), breaks: RuleDisallowLatestTag},
		{resource: deployment("deploy-host-path", appNS, hostPath), breaks: RuleDisallowHostPath},
		{resource: deployment("deploy-gpu-other-namespace", appNS, func(s obj) {
			s["containers"] = gpuPod("x", appNS, nil)["spec"].(obj)["containers"]
			s["tolerations"] = []any{obj{"key": "nvidia.com/gpu", "operator": "Exists"}}
		}), breaks: RuleGPUAllowedNamespaces},
		{resource: cronJob("cron-privileged", appNS, privileged), breaks: RuleDisallowPrivileged},
		// Namespaces.
		{resource: namespace("labelled", obj{"pod-security.kubernetes.io/enforce": "restricted"}), covers: []string{RuleRequirePodSecurityLabels}},
		{resource: namespace("unlabelled", nil), breaks: RuleRequirePodSecurityLabels},
		{resource: namespace("warn-only", obj{"pod-security.kubernetes.io/warn": "restricted"}), breaks: RuleRequirePodSecurityLabels},
		{resource: namespace("bad-level", obj{"pod-security.kubernetes.io/enforce": "strict"}), breaks: RuleRequirePodSecurityLabels},
		{resource: namespace("kube-public", nil)},
		// Exceptions (testRules): host paths in node-agents, an unlabelled legacy namespace.
		{resource: pod("excepted-host-path", excNS, hostPath)},
		{resource: deployment("excepted-deploy-host-path", excNS, hostPath)},
		// An exception excuses its rule only: the same namespace still refuses privilege.
		{resource: pod("excepted-namespace-privileged", excNS, privileged), breaks: RuleDisallowPrivileged},
		{resource: namespace("legacy", nil)},
	}
}

func testRules(enforce bool, exceptions []Exception) Rules {
	a := Args{
		Namespace:          DefaultNamespace,
		Enforce:            enforce,
		Registries:         append(append([]string(nil), config.DefaultAdmissionRegistries...), config.AdmissionECRRegistry("111111111111", "us-west-2")),
		GPUNamespaces:      config.DefaultGPUNamespaces,
		PlatformNamespaces: []string{"istio-system", "observability", "vault"},
		Exceptions:         exceptions,
	}
	d := a.withDefaults()
	return d.Rules()
}

var testExceptions = []Exception{
	{ID: "exc-1", Rule: RuleDisallowHostPath, Namespaces: []string{excNS}, Reason: "PLAT-7 log shipper reads /var/log until the OTel collector replaces it"},
	{ID: "exc-2", Rule: RuleRequirePodSecurityLabels, Namespaces: []string{"legacy"}, Reason: "PLAT-9 legacy batch namespace, labelled in Q1"},
}

// --- running the engine --------------------------------------------------------------------------------

// result is one line of the CLI's policy report: a rule's verdict on one resource.
type result struct {
	Policy, Rule, Result, Message string
	Kind, Namespace, Name         string
}

func writeDocs(t *testing.T, path string, docs []obj) {
	t.Helper()
	var parts []string
	for _, d := range docs {
		b, err := json.Marshal(d)
		require.NoError(t, err)
		parts = append(parts, string(b)) // JSON is YAML: the CLI reads each document as written
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(parts, "\n---\n")+"\n"), 0o600))
}

// apply evaluates the rules against resources with the CLI and returns every result.
func apply(t *testing.T, r Rules, resources []obj) []result {
	t.Helper()
	dir := t.TempDir()
	pol, res, exc := filepath.Join(dir, "policies.yaml"), filepath.Join(dir, "resources.yaml"), filepath.Join(dir, "exceptions.yaml")
	writeDocs(t, pol, Policies(r))
	writeDocs(t, res, resources)
	args := []string{"apply", pol, "--resource", res, "--policy-report", "--output-format", "json", "--audit-warn", "--remove-color"}
	if excs := PolicyExceptions(r, DefaultNamespace); len(excs) > 0 {
		writeDocs(t, exc, excs)
		args = append(args, "--exception", exc)
	}
	cmd := exec.Command(kyvernoCLI(t), args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "KYVERNO_EXPERIMENTAL=false")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The CLI exits non-zero when a rule fails; the report is what is judged.
	_ = cmd.Run()
	return parseReport(t, stdout.String(), stderr.String())
}

// parseReport reads the PolicyReport objects the CLI prints (JSON, possibly after log lines).
func parseReport(t *testing.T, stdout, stderr string) []result {
	t.Helper()
	start := strings.Index(stdout, "{")
	require.True(t, start >= 0, "no policy report in the CLI output:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	dec := json.NewDecoder(strings.NewReader(stdout[start:]))
	var out []result
	for dec.More() {
		var rep struct {
			Kind    string `json:"kind"`
			Items   []json.RawMessage
			Results []struct {
				Policy    string `json:"policy"`
				Rule      string `json:"rule"`
				Result    string `json:"result"`
				Message   string `json:"message"`
				Resources []struct {
					Kind, Namespace, Name string
				} `json:"resources"`
			} `json:"results"`
		}
		require.NoError(t, dec.Decode(&rep), "CLI output:\n%s\nstderr:\n%s", stdout, stderr)
		for _, r := range rep.Results {
			for _, res := range r.Resources {
				out = append(out, result{Policy: r.Policy, Rule: r.Rule, Result: r.Result, Message: r.Message,
					Kind: res.Kind, Namespace: res.Namespace, Name: res.Name})
			}
		}
	}
	require.NotEmpty(t, out, "the CLI reported no results:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	return out
}

// baseRule strips the autogen prefixes: autogen-x and autogen-cronjob-x are rule x on a pod controller.
func baseRule(rule string) string {
	return strings.TrimPrefix(strings.TrimPrefix(rule, autogenCronJob), autogenPrefix)
}

func nameOf(o obj) string { return o["metadata"].(obj)["name"].(string) }

// --- the tests -----------------------------------------------------------------------------------------

// Each environment's rendered rules against every case: a bad spec breaks exactly its rule -- refused (fail) in
// staging and prod, reported (warn, an Audit failure) in dev -- and nothing else; a good spec breaks nothing.
func TestRulesPerEnvironmentAgainstGoodAndBadSpecs(t *testing.T) {
	cs := cases()
	var resources []obj
	for _, c := range cs {
		resources = append(resources, c.resource)
	}
	for _, env := range []config.Environment{config.Dev, config.Staging, config.Prod} {
		t.Run(string(env), func(t *testing.T) {
			enforce := env != config.Dev
			results := apply(t, testRules(enforce, testExceptions), resources)
			violation := map[bool]string{true: "fail", false: "warn"}[enforce]
			other := map[bool]string{true: "warn", false: "fail"}[enforce]
			byResource := map[string][]result{}
			for _, r := range results {
				require.NotEqual(t, "error", r.Result, "%s/%s %s: %s", r.Namespace, r.Name, r.Rule, r.Message)
				require.NotEqual(t, other, r.Result, "%s/%s %s: an %s rule must report %s, not %s", r.Namespace, r.Name, r.Rule, map[bool]string{true: "Enforce", false: "Audit"}[enforce], violation, r.Result)
				byResource[r.Name] = append(byResource[r.Name], r)
			}
			for _, c := range cs {
				name := nameOf(c.resource)
				var broken []string
				passed := map[string]bool{}
				for _, r := range byResource[name] {
					switch r.Result {
					case violation:
						broken = append(broken, baseRule(r.Rule))
					case "pass":
						passed[baseRule(r.Rule)] = true
					}
				}
				sort.Strings(broken)
				if c.breaks == "" {
					require.Empty(t, broken, "%s (%s) must break no rule", name, c.resource["kind"])
				} else {
					require.Equal(t, []string{c.breaks}, broken, "%s (%s) must break exactly %s", name, c.resource["kind"], c.breaks)
				}
				for _, rule := range c.covers {
					require.True(t, passed[rule], "%s must pass %s (it applies and passes); results: %v", name, rule, byResource[name])
				}
			}
		})
	}
}

// Exceptions are what lets the excepted specs through: without them the same specs break their rules.
func TestExceptionsAreWhatExcusesTheExceptedSpecs(t *testing.T) {
	resources := []obj{
		pod("excepted-host-path", excNS, hostPath),
		deployment("excepted-deploy-host-path", excNS, hostPath),
		namespace("legacy", nil),
	}
	for _, tc := range []struct {
		exceptions []Exception
		want       map[string]string
	}{
		{testExceptions, map[string]string{"excepted-host-path": "skip", "excepted-deploy-host-path": "skip", "legacy": "skip"}},
		{nil, map[string]string{"excepted-host-path": "fail", "excepted-deploy-host-path": "fail", "legacy": "fail"}},
	} {
		got := map[string]string{}
		for _, r := range apply(t, testRules(true, tc.exceptions), resources) {
			switch baseRule(r.Rule) {
			case RuleDisallowHostPath, RuleRequirePodSecurityLabels:
				got[r.Name] = r.Result
			}
		}
		require.Equal(t, tc.want, got, "exceptions: %v", tc.exceptions)
	}
}

// Every rule is exercised by at least one bad spec and one good one.
func TestEveryRuleHasABadAndAGoodCase(t *testing.T) {
	bad, good := map[string]bool{}, map[string]bool{}
	for _, c := range cases() {
		if c.breaks != "" {
			bad[c.breaks] = true
		}
		for _, r := range c.covers {
			good[r] = true
		}
	}
	for _, id := range RuleIDs {
		require.True(t, bad[id], "no bad spec for %s", id)
		require.True(t, good[id], "no good spec that passes %s", id)
	}
	require.Len(t, RuleIDs, len(Policies(testRules(false, nil))), fmt.Sprint("one ClusterPolicy per rule"))
}

// admission.registries may hold "*" wildcards inside a host (config validation allows them): the engine's
// AnyNotIn matches them as wildcards.
func TestRegistryWildcards(t *testing.T) {
	r := testRules(true, nil)
	r.Registries = []string{"*.dkr.ecr.us-west-2.amazonaws.com"}
	got := map[string]string{}
	for _, x := range apply(t, r, []obj{
		pod("any-account-ecr", appNS, setImage("999999999999.dkr.ecr.us-west-2.amazonaws.com/x:1")),
		pod("other-region-ecr", appNS, setImage("999999999999.dkr.ecr.eu-west-1.amazonaws.com/x:1")),
		pod("ghcr", appNS, setImage("ghcr.io/x:1")),
	}) {
		if x.Rule == RuleRestrictImageRegistries {
			got[x.Name] = x.Result
		}
	}
	require.Equal(t, map[string]string{"any-account-ecr": "pass", "other-region-ecr": "fail", "ghcr": "fail"}, got)
}
