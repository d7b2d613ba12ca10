// Package sandbox drives the real Pulumi engine offline against the stand-in
// providers (sandbox/standin): it prepares an isolated Pulumi workspace for a
// stack, runs an inline program through the Automation API with the real CLI
// (bin/pulumi), and reports the plan summary and the policy verdict.
//
// Isolation: everything lives under the git-ignored state directory
// (default .sandbox/): PULUMI_HOME (so plugins, credentials and the selected
// stack never touch ~/.pulumi), a local file backend, a passphrase secrets
// provider with a sandbox-only passphrase, and a generated project directory
// holding the real Pulumi.yaml plus a `plugins:` block that points every
// provider package at the stand-in binary, and a copy of the real
// Pulumi.<stack>.yaml (the CLI writes the sandbox's encryption salt there, so
// the tracked stack files are never modified; each encrypted secure: value is
// replaced by StandInSecret, set as a secret, and never decrypted). A user's
// real stacks and backend login are never read or written.
//
// What it does not do: run the Go language host (programs run inline in this
// process), download plugins (acquisition is disabled), or talk to AWS.
package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/platform-team/platform/sandbox/standin"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Passphrase encrypts the sandbox stacks' secrets. It is deliberately public:
// sandbox state holds stand-in values only, and a fixed passphrase lets
// repeated runs and CI reuse state without prompting.
const Passphrase = "platform-sandbox-stand-in-not-a-secret"

// Packages are the provider packages the program uses. Each gets a project
// plugin entry, so whatever version an SDK requests resolves to the sandbox's
// binary: the stand-in for aws, eks, vault, random and tls, the REAL
// pulumi-kubernetes provider for kubernetes (see kubernetes.go).
var Packages = []string{"aws", "eks", "kubernetes", "vault", "random", "tls"}

// Options configure a sandbox stack.
type Options struct {
	// RepoRoot holds the real Pulumi.yaml and Pulumi.<stack>.yaml.
	RepoRoot string
	// StateDir holds the backend, PULUMI_HOME and the generated project.
	// Default: <RepoRoot>/.sandbox.
	StateDir string
	// PulumiBin is the Pulumi CLI built from tools/. Default: <RepoRoot>/bin/pulumi.
	PulumiBin string
	// StandinBin is the stand-in provider plugin. Default: <RepoRoot>/bin/pulumi-resource-standin.
	StandinBin string
	// KubernetesProviderBin is the real pulumi-kubernetes provider. Default: <RepoRoot>/bin/pulumi-resource-kubernetes.
	KubernetesProviderBin string
	// AWSStandinBin is the stand-in aws CLI. Default: <RepoRoot>/bin/aws.
	AWSStandinBin string
	// BinDir holds the control plane's binaries (etcd, kube-apiserver, kube-controller-manager).
	// Default: <RepoRoot>/bin.
	BinDir string
	// ChartSource is the local chart source directory. Default: $PLATFORM_CHART_SOURCE, else
	// <RepoRoot>/../shared/charts.
	ChartSource string
	// Stack is the stack name (dev, staging, prod). Default: dev.
	Stack string
	// StackFile is the stack configuration to use. Default: <RepoRoot>/Pulumi.<Stack>.yaml.
	// Tests point it at fixtures (e.g. a deliberately bad configuration).
	StackFile string
	// PolicyPacks are policy pack paths passed as --policy-pack.
	PolicyPacks []string
	// PolicyPackConfigs are passed as --policy-pack-config, one per pack.
	PolicyPackConfigs []string
	// Program is the inline program (internal/program.Run for the platform).
	Program pulumi.RunFunc
	// Progress receives the CLI's progress output. Default: io.Discard.
	Progress io.Writer
}

// Sandbox is a prepared stack in an isolated workspace.
type Sandbox struct {
	opts  Options
	stack auto.Stack
	k8s   *kubernetes
}

func (o *Options) defaults() error {
	if o.RepoRoot == "" {
		return errors.New("sandbox: RepoRoot is required")
	}
	root, err := filepath.Abs(o.RepoRoot)
	if err != nil {
		return fmt.Errorf("sandbox: repo root: %w", err)
	}
	o.RepoRoot = root
	if o.Stack == "" {
		o.Stack = "dev"
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(root, ".sandbox")
	}
	if o.PulumiBin == "" {
		o.PulumiBin = filepath.Join(root, "bin", "pulumi")
	}
	if o.StandinBin == "" {
		o.StandinBin = filepath.Join(root, "bin", "pulumi-resource-standin")
	}
	if o.StackFile == "" {
		o.StackFile = filepath.Join(root, fmt.Sprintf("Pulumi.%s.yaml", o.Stack))
	}
	if o.BinDir == "" {
		o.BinDir = filepath.Join(root, "bin")
	}
	if o.KubernetesProviderBin == "" {
		o.KubernetesProviderBin = filepath.Join(o.BinDir, "pulumi-resource-kubernetes")
	}
	if o.AWSStandinBin == "" {
		o.AWSStandinBin = filepath.Join(o.BinDir, "aws")
	}
	if o.ChartSource == "" {
		o.ChartSource = os.Getenv("PLATFORM_CHART_SOURCE")
	}
	if o.ChartSource == "" {
		o.ChartSource = filepath.Join(filepath.Dir(root), "shared", "charts")
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Program == nil {
		return errors.New("sandbox: Program is required")
	}
	for _, p := range []*string{&o.StateDir, &o.PulumiBin, &o.StandinBin, &o.StackFile, &o.BinDir, &o.KubernetesProviderBin, &o.AWSStandinBin, &o.ChartSource} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		*p = abs
	}
	// The CLI runs in the generated project dir: relative paths must not reach it.
	for _, list := range [][]string{o.PolicyPacks, o.PolicyPackConfigs} {
		for i, p := range list {
			abs, err := filepath.Abs(p)
			if err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
			list[i] = abs
		}
	}
	var problems []string
	for _, f := range []string{filepath.Join(root, "Pulumi.yaml"), o.StackFile} {
		if _, err := os.Stat(f); err != nil {
			problems = append(problems, fmt.Sprintf("no project or stack file %s", f))
		}
	}
	var missing []string
	bins := []string{o.PulumiBin, o.StandinBin, o.KubernetesProviderBin, o.AWSStandinBin}
	for _, f := range append(append(bins, o.PolicyPacks...), o.PolicyPackConfigs...) {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("missing %s (run `make pulumi sandbox kubernetes-provider controlplane policy-pack` first)", strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("sandbox: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Dirs of the isolated workspace.
func (o Options) projectDir() string { return filepath.Join(o.StateDir, "project") }
func (o Options) homeDir() string    { return filepath.Join(o.StateDir, "home") }
func (o Options) backendDir() string { return filepath.Join(o.StateDir, "state") }
func (o Options) pluginDir() string  { return filepath.Join(o.StateDir, "plugins") }
func (o Options) cliRoot() string    { return filepath.Join(o.StateDir, "cli") }
func (o Options) saltFile() string {
	return filepath.Join(o.backendDir(), fmt.Sprintf("%s.encryptionsalt", o.Stack))
}

// Env is the environment every CLI invocation of the sandbox gets.
func (o Options) Env() map[string]string {
	return map[string]string{
		"PULUMI_HOME":                                 o.homeDir(),
		"PULUMI_BACKEND_URL":                          "file://" + filepath.ToSlash(o.backendDir()),
		"PULUMI_CONFIG_PASSPHRASE":                    Passphrase,
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_SKIP_CONFIRMATIONS":                   "true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING":        "true",
		"PULUMI_SANDBOX_STANDIN":                      "true",
	}
}

// Open prepares the isolated workspace and selects (or creates) the stack.
func Open(ctx context.Context, opts Options) (*Sandbox, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	for _, d := range []string{opts.projectDir(), opts.homeDir(), opts.backendDir(), opts.pluginDir(), filepath.Join(opts.cliRoot(), "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	if err := installPlugins(opts); err != nil {
		return nil, err
	}
	k8s, err := startKubernetes(ctx, opts)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			k8s.stop()
		}
	}()
	env := opts.Env()
	for k, v := range k8s.env {
		env[k] = v
	}
	if err := writeProject(opts); err != nil {
		return nil, err
	}
	secrets, err := writeStackFile(opts)
	if err != nil {
		return nil, err
	}
	// The Automation API finds the CLI at <root>/bin/pulumi.
	cliLink := filepath.Join(opts.cliRoot(), "bin", "pulumi")
	if err := relink(opts.PulumiBin, cliLink); err != nil {
		return nil, err
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: opts.cliRoot()})
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", opts.PulumiBin, err)
	}
	ws, err := auto.NewLocalWorkspace(ctx,
		auto.WorkDir(opts.projectDir()),
		auto.Program(withSandboxAwaits(opts.Program)),
		auto.PulumiHome(opts.homeDir()),
		auto.Pulumi(cmd),
		auto.SecretsProvider("passphrase"),
		auto.EnvVars(env),
	)
	if err != nil {
		return nil, fmt.Errorf("sandbox: workspace: %w", err)
	}
	stack, err := auto.UpsertStack(ctx, opts.Stack, ws)
	if err != nil {
		return nil, fmt.Errorf("sandbox: stack %s: %w", opts.Stack, err)
	}
	if err := setStandInSecrets(ctx, stack, secrets); err != nil {
		return nil, err
	}
	if err := saveSalt(opts); err != nil {
		return nil, err
	}
	ok = true
	return &Sandbox{opts: opts, stack: stack, k8s: k8s}, nil
}

// Close stops the stack's local control plane and chart source. The cluster's data stays under the state
// directory for the next run.
func (s *Sandbox) Close() {
	s.k8s.stop()
	s.k8s = nil
}

// Env is the environment the sandbox's CLI invocations get, the control plane's and chart source's included.
func (s *Sandbox) Env() map[string]string {
	env := s.opts.Env()
	if s.k8s != nil {
		for k, v := range s.k8s.env {
			env[k] = v
		}
	}
	return env
}

// Stack exposes the Automation API stack for callers that need more.
func (s *Sandbox) Stack() auto.Stack { return s.stack }

// Options returns the resolved options.
func (s *Sandbox) Options() Options { return s.opts }

func relink(target, link string) error {
	if cur, err := os.Readlink(link); err == nil && cur == target {
		return nil
	}
	_ = os.Remove(link)
	if err := os.Symlink(target, link); err != nil {
		return fmt.Errorf("sandbox: linking %s: %w", link, err)
	}
	return nil
}

// installPlugins links the provider binaries into one directory per package,
// named as the engine expects (pulumi-resource-<pkg>): the stand-in for every
// package but kubernetes, which gets the real provider.
func installPlugins(opts Options) error {
	for _, pkg := range Packages {
		dir := filepath.Join(opts.pluginDir(), pkg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		bin := opts.StandinBin
		if !standinPackage(pkg) {
			bin = opts.KubernetesProviderBin
		}
		if err := relink(bin, filepath.Join(dir, "pulumi-resource-"+pkg)); err != nil {
			return err
		}
	}
	return nil
}

// writeProject writes the real Pulumi.yaml plus the stand-in plugin entries.
func writeProject(opts Options) error {
	proj, err := workspace.LoadProject(filepath.Join(opts.RepoRoot, "Pulumi.yaml"))
	if err != nil {
		return fmt.Errorf("sandbox: reading Pulumi.yaml: %w", err)
	}
	if proj.Plugins != nil && len(proj.Plugins.Providers) > 0 {
		return errors.New("sandbox: Pulumi.yaml already declares project plugins; the sandbox cannot add its stand-ins")
	}
	plugins := &workspace.Plugins{}
	for _, pkg := range Packages {
		plugins.Providers = append(plugins.Providers, workspace.PluginOptions{Name: pkg, Path: filepath.Join(opts.pluginDir(), pkg)})
	}
	proj.Plugins = plugins
	if err := proj.Save(filepath.Join(opts.projectDir(), "Pulumi.yaml")); err != nil {
		return fmt.Errorf("sandbox: writing project: %w", err)
	}
	return nil
}

// Verdict collects the policy violations the engine reported.
type Verdict struct {
	Mandatory []apitype.PolicyEvent
	Advisory  []apitype.PolicyEvent
}

// Policies returns the names of the policies with mandatory violations.
func (v Verdict) Policies() []string {
	seen := map[string]bool{}
	for _, e := range v.Mandatory {
		seen[e.PolicyName] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Result is what one preview, up or destroy reports.
type Result struct {
	Changes map[string]int // by operation: create, update, delete, replace, same
	Verdict Verdict
	Stdout  string
	// Steps are the engine's step events of a preview, in order: each step's operation with the resource's old
	// and new state (type, inputs, provider). The cost estimate (internal/cost) reads them; the sandbox only
	// passes them on.
	Steps []apitype.StepEventMetadata
}

// Changed counts every step that is not "same".
func (r Result) Changed() int {
	n := 0
	for op, c := range r.Changes {
		if op != "same" {
			n += c
		}
	}
	return n
}

type collector struct {
	mu      sync.Mutex
	verdict Verdict
	steps   []apitype.StepEventMetadata
	done    chan struct{}
}

func (c *collector) stream() chan events.EngineEvent {
	ch := make(chan events.EngineEvent)
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		for ev := range ch {
			if ev.ResourcePreEvent != nil {
				c.mu.Lock()
				c.steps = append(c.steps, ev.ResourcePreEvent.Metadata)
				c.mu.Unlock()
			}
			if ev.PolicyEvent == nil {
				continue
			}
			c.mu.Lock()
			if len(ev.PolicyEvent.Exceptions) == 0 && ev.PolicyEvent.EnforcementLevel == "mandatory" {
				c.verdict.Mandatory = append(c.verdict.Mandatory, *ev.PolicyEvent)
			} else {
				c.verdict.Advisory = append(c.verdict.Advisory, *ev.PolicyEvent)
			}
			c.mu.Unlock()
		}
	}()
	return ch
}

func (c *collector) stepEvents() []apitype.StepEventMetadata {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.steps
}

func (c *collector) result() Verdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verdict
}

func changes(m map[apitype.OpType]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// Preview runs `pulumi preview` with the policy packs.
func (s *Sandbox) Preview(ctx context.Context) (Result, error) {
	c := &collector{}
	opts := []optpreview.Option{
		optpreview.ProgressStreams(s.opts.Progress),
		optpreview.EventStreams(c.stream()),
		optpreview.PolicyPacks(s.opts.PolicyPacks...),
		optpreview.SuppressProgress(),
	}
	if len(s.opts.PolicyPackConfigs) > 0 {
		opts = append(opts, optpreview.PolicyPackConfigs(s.opts.PolicyPackConfigs...))
	}
	res, err := s.stack.Preview(ctx, opts...)
	// The Automation API closes the event channel before the preview returns (unless it failed before tailing
	// the event log); let the collector take the last events.
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
	out := Result{Changes: changes(res.ChangeSummary), Verdict: c.result(), Stdout: res.StdOut, Steps: c.stepEvents()}
	if err != nil {
		return out, fmt.Errorf("preview %s: %w", s.opts.Stack, err)
	}
	return out, nil
}

// Up previews first and deploys only when the preview passes the policy
// gate, as an interactive `pulumi up` does: the Automation API's up skips the
// preview, and the engine would otherwise create every resource it reaches
// before the first mandatory violation.
func (s *Sandbox) Up(ctx context.Context) (Result, error) {
	pre, err := s.Preview(ctx)
	if err != nil || len(pre.Verdict.Mandatory) > 0 {
		if err == nil {
			err = fmt.Errorf("mandatory policy violations: %s", strings.Join(pre.Verdict.Policies(), ", "))
		}
		return pre, fmt.Errorf("up %s: blocked before any change: %w", s.opts.Stack, err)
	}
	c := &collector{}
	opts := []optup.Option{
		optup.ProgressStreams(s.opts.Progress),
		optup.EventStreams(c.stream()),
		optup.PolicyPacks(s.opts.PolicyPacks...),
		optup.SuppressProgress(),
	}
	if len(s.opts.PolicyPackConfigs) > 0 {
		opts = append(opts, optup.PolicyPackConfigs(s.opts.PolicyPackConfigs...))
	}
	res, err := s.stack.Up(ctx, opts...)
	out := Result{Verdict: c.result(), Stdout: res.StdOut}
	if res.Summary.ResourceChanges != nil {
		out.Changes = *res.Summary.ResourceChanges
	}
	if err != nil {
		return out, fmt.Errorf("up %s: %w", s.opts.Stack, err)
	}
	return out, nil
}

// Destroy runs `pulumi destroy`. Protected resources are unprotected first:
// the sandbox holds stand-ins only, and prod's protection must not make the
// sandbox impossible to clean up.
func (s *Sandbox) Destroy(ctx context.Context) (Result, error) {
	if err := s.unprotectAll(ctx); err != nil {
		return Result{}, err
	}
	res, err := s.stack.Destroy(ctx, optdestroy.ProgressStreams(s.opts.Progress), optdestroy.SuppressProgress())
	out := Result{Stdout: res.StdOut}
	if res.Summary.ResourceChanges != nil {
		out.Changes = *res.Summary.ResourceChanges
	}
	if err != nil {
		return out, fmt.Errorf("destroy %s: %w", s.opts.Stack, err)
	}
	return out, nil
}

func (s *Sandbox) unprotectAll(ctx context.Context) error {
	ws := s.stack.Workspace()
	_, stderr, code, err := ws.PulumiCommand().Run(ctx, s.opts.projectDir(), nil, nil, nil,
		envList(s.Env()), "state", "unprotect", "--all", "--yes", "--stack", s.opts.Stack)
	if err != nil && code != 0 && !strings.Contains(stderr, "no resources") {
		return fmt.Errorf("sandbox: unprotecting %s before destroy: %s: %w", s.opts.Stack, strings.TrimSpace(stderr), err)
	}
	return nil
}

func envList(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return out
}

// Export returns the stack's state as `pulumi stack export` writes it.
func (s *Sandbox) Export(ctx context.Context) (apitype.UntypedDeployment, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return dep, fmt.Errorf("export %s: %w", s.opts.Stack, err)
	}
	return dep, nil
}

// Remove deletes the stack and its history from the sandbox backend.
func (s *Sandbox) Remove(ctx context.Context) error {
	if err := s.stack.Workspace().RemoveStack(ctx, s.opts.Stack); err != nil {
		return fmt.Errorf("sandbox: removing %s: %w", s.opts.Stack, err)
	}
	_ = os.Remove(s.opts.saltFile())
	return nil
}

// Banner is printed before every sandbox command.
func Banner(w io.Writer, action, stack string) {
	fmt.Fprintf(w, "==> %s\n==> pulumi %s --stack %s (real engine, stand-in providers, local state under .sandbox/)\n", standin.Banner, action, stack)
}
